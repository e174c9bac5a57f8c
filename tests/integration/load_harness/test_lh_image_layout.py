"""The image's layout, run for real: the package copied alone to /app serves its page and assets,
and the Dockerfile's HEALTHCHECK command passes against it (and fails once it is gone)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import httpx

from tests.integration.load_harness.conftest import ServeFactory, is_alive, stop, wait_until_async

REPO = Path(__file__).resolve().parents[3]
DOCKERFILE = REPO / "docker" / "load-harness.Dockerfile"


def healthcheck_command(*, port: int) -> list[str]:
    """The HEALTHCHECK's exec-form command, with `python` this interpreter and the test's port."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    [line] = [line for line in text.splitlines() if line.startswith("HEALTHCHECK")]
    command: list[str] = json.loads(line.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"]
    assert ":8080/healthz" in command[2]
    return [sys.executable, "-c", command[2].replace(":8080/", f":{port}/")]


def copy_package(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(
        REPO / "load_harness", app / "load_harness", ignore=shutil.ignore_patterns("__pycache__")
    )
    return app


async def test_package_copied_alone_serves_its_page_and_vendored_htmx(
    serve: ServeFactory, tmp_path: Path
) -> None:
    app = copy_package(tmp_path)
    marker = "/* served from the copy under test */\n"
    with (app / "load_harness" / "static" / "status.css").open("a") as css_file:
        css_file.write(marker)
    async with (
        serve(app_dir=app, LOAD_HARNESS_AUTH="disabled") as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        page = await client.get("/")
        htmx = await client.get("/static/htmx.min.js")
        css = await client.get("/static/status.css")
    assert (page.status_code, htmx.status_code, css.status_code) == (200, 200, 200)
    assert htmx.content == (app / "load_harness" / "static" / "htmx.min.js").read_bytes()
    assert css.text.endswith(marker)
    assert list(app.rglob("__pycache__")) == []


async def test_healthcheck_command_passes_while_serving_and_fails_after(
    serve: ServeFactory, tmp_path: Path
) -> None:
    async with serve(app_dir=copy_package(tmp_path), LOAD_HARNESS_AUTH="disabled") as served:
        port = int(served.base_url.rsplit(":", 1)[1])
        command = healthcheck_command(port=port)
        healthy = subprocess.run(command, capture_output=True, timeout=10, check=False)  # noqa: ASYNC221
        await stop(served.process)
    unhealthy = subprocess.run(command, capture_output=True, timeout=10, check=False)  # noqa: ASYNC221
    assert healthy.returncode == 0
    assert unhealthy.returncode == 1


async def test_cpu_job_under_python_dash_m_runs_workers_not_servers(
    serve: ServeFactory, tmp_path: Path
) -> None:
    async with (
        serve(app_dir=copy_package(tmp_path), LOAD_HARNESS_AUTH="disabled") as served,
        httpx.AsyncClient(base_url=served.base_url) as client,
    ):
        response = await client.post(
            "/api/v1/load/cpu", json={"cores": 1, "duration_seconds": 1, "intensity": 5}
        )
        job = response.json()
        url = f"/api/v1/jobs/{job['id']}"
        states: list[str] = []

        async def finished() -> bool:
            states.append((await client.get(url)).json()["state"])
            return states[-1] != "running"

        await wait_until_async(finished, within_seconds=8, what="the 1 s job to end")
    assert response.status_code == 201
    assert states[-1] == "completed"
    assert not is_alive(job["pids"][0])
    assert served.log_text().count("Uvicorn running on") == 1
