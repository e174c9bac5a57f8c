"""`make screenshots`: the README's screenshots, taken from the real multi-cluster demo.

Starts `portal demo` (prod-eu, prod-us, staging, Prometheus when installed) on free ports with
its own database and state directory under a temporary directory, waits until the fleet is
moving and Prometheus has measured values, then drives Debian's headless Chromium through
Playwright and writes docs/screenshots/{overview,canaries,canary,hpas}.png, each once its page
shows what it is for (see READY) with every cluster live: never after a fixed pause.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--chromium /usr/bin/chromium]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIEWPORT = {"width": 1440, "height": 900}
WAIT_SECONDS = 420.0
POLL_SECONDS = 0.5


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def free_ports(count: int) -> int:
    """The first of `count` consecutive free ports (the demo's clusters take one each)."""
    for _ in range(50):
        first = free_port()
        ports = range(first, first + count)
        if all(_bindable(port) for port in ports):
            return first
    raise RuntimeError("no consecutive free ports")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback demo
        return json.load(response)


def wait_for(what: str, condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while True:
        try:
            if condition():
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out after {WAIT_SECONDS:g}s waiting for {what}")
        time.sleep(POLL_SECONDS)  # the poll interval of a bounded wait on `condition`


def measured_canary(base: str) -> str | None:
    """A canary whose page shows a measured value beside every threshold and a timeline,
    preferring one in flight."""
    items = get_json(f"{base}/api/v1/canaries")["items"]
    items.sort(key=lambda c: c["phase"] not in ("Progressing", "WaitingPromotion"))
    for item in items:
        path = f"{item['cluster']}/{item['namespace']}/{item['name']}"
        detail = get_json(f"{base}/api/v1/canaries/{path}")
        metrics = detail["metrics"]
        if metrics and all(m.get("last_value") is not None for m in metrics) and detail["timeline"]:
            return path
    return None


FLEET_LIVE = """() => {
  const chips = [...document.querySelectorAll('[data-cluster-freshness]')];
  return document.querySelector('#cluster-banners') !== null
    && document.querySelector('#cluster-banners .banner') === null
    && chips.every((chip) => chip.textContent.trim().endsWith(': live'))
    && document.querySelector('.htmx-request') === null;
}"""
"""No cluster banner (loading or unreachable), every freshness chip says live (fleet pages have
one per cluster, a canary's page none) and no htmx request in flight (catch-up swaps done): a
page under load first shows `loading`, or a cluster `stale` while its watch restarts."""
READY = {
    "overview": "() => document.querySelectorAll('#overview-panels section.panel').length >= 4",
    "canaries": "() => document.querySelectorAll('#canary-rows tr[id]').length >= %d",
    "canary": """() => {
  const values = [...document.querySelectorAll('td.measured')]
    .map((cell) => cell.previousElementSibling.textContent.trim());
  return values.length > 0 && values.every((value) => /^-?[0-9]/.test(value))
    && document.querySelectorAll('#canary-timeline ol.timeline li').length > 0;
}""",
    "hpas": "() => document.querySelectorAll('#hpa-rows tr[id]').length > 0",
}
"""What each page shows once it is worth a screenshot: the overview's panels, every canary row,
a measured value beside every threshold and a timeline, the HPA rows."""
PAGE_SECONDS = 120.0


def shoot(page: Page, url: str, out: Path, *, ready: str) -> None:
    """Open `url` and screenshot it once the fleet is live and `ready` holds (never after a
    fixed pause: on a loaded machine the page's catch-up swaps land seconds late)."""
    timeout = PAGE_SECONDS * 1000
    page.goto(url, wait_until="load", timeout=timeout)  # the live stream never idles the network
    page.wait_for_function(FLEET_LIVE, timeout=timeout, polling=100)
    page.wait_for_function(ready, timeout=timeout, polling=100)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.screenshot(path=str(out), full_page=False, animations="disabled", caret="hide")
    sys.stdout.write(f"wrote {out}\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()
    if not Path(args.chromium).exists():
        sys.stderr.write(f"Chromium not found at {args.chromium}: run `make chromium` as root\n")
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    portal = Path(sys.executable).with_name("portal")
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp:
        env = {**os.environ, "PORTAL_DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/portal.db"}
        subprocess.run([portal, "db", "upgrade"], env=env, check=True, capture_output=True)  # noqa: S603
        port, devcluster_port, prometheus_port = free_port(), free_ports(3), free_port()
        base = f"http://127.0.0.1:{port}"
        log = (Path(tmp) / "demo.log").open("wb")
        demo = subprocess.Popen(  # noqa: S603 - our own console script
            [
                portal,
                "demo",
                "--port",
                str(port),
                "--devcluster-port",
                str(devcluster_port),
                "--prometheus-port",
                str(prometheus_port),
                "--state-dir",
                tmp,
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_for("the portal", lambda: bool(get_json(f"{base}/readyz")))
            found: list[str] = []

            def measured() -> bool:
                path = measured_canary(base)
                found.extend([path] if path else [])
                return bool(found)

            wait_for("a canary with measured values", measured)
            canary = found[0]
            canaries = len(get_json(f"{base}/api/v1/canaries")["items"])
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, headless=True, args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport=VIEWPORT)
                shots = {
                    "overview": f"{base}/",
                    "canaries": f"{base}/canaries",
                    "canary": f"{base}/canaries/{canary}",
                    "hpas": f"{base}/hpas",
                }
                for name, url in shots.items():
                    ready = READY[name] % canaries if name == "canaries" else READY[name]
                    shoot(page, url, args.out / f"{name}.png", ready=ready)
                browser.close()
        except (RuntimeError, PlaywrightError):
            log.flush()
            sys.stderr.write((Path(tmp) / "demo.log").read_text()[-3000:])
            raise
        finally:
            demo.send_signal(signal.SIGTERM)
            try:
                demo.wait(timeout=30)
            except subprocess.TimeoutExpired:
                demo.kill()
                demo.wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
