"""`devcluster serve` as a real process: kubeconfig out, token auth, clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from pathlib import Path

import httpx
import yaml


async def _serve(*args: str) -> tuple[asyncio.subprocess.Process, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from devcluster.cli import main; raise SystemExit(main())",
        "serve",
        "--port",
        "0",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    assert process.stdout is not None
    line = (await asyncio.wait_for(process.stdout.readline(), 30)).decode()
    return process, line.split()[2]


async def _stop(process: asyncio.subprocess.Process) -> int:
    process.send_signal(signal.SIGTERM)
    return await asyncio.wait_for(process.wait(), 30)


async def test_serve_writes_a_kubeconfig_with_the_token(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kube" / "config"
    process, url = await _serve("--kubeconfig-out", str(kubeconfig), "--token", "s3cret")
    try:
        config = yaml.safe_load(kubeconfig.read_text())
        async with httpx.AsyncClient(base_url=url) as api:
            anonymous = await api.get("/api/v1/namespaces")
            admin = await api.get("/api/v1/namespaces", headers={"authorization": "Bearer s3cret"})
    finally:
        code = await _stop(process)
    assert config["current-context"] == "devcluster"
    assert config["clusters"][0]["cluster"]["server"] == url
    assert config["users"][0]["user"] == {"token": "s3cret"}
    assert (anonymous.status_code, admin.status_code) == (401, 200)
    assert code == 0


async def test_serve_refuses_a_non_positive_time_scale() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from devcluster.cli import main; raise SystemExit(main())",
        "serve",
        "--time-scale",
        "0",
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert err.decode() == "devcluster: --time-scale must be positive\n"


async def test_serve_reports_a_port_in_use_and_exits_1() -> None:
    blocker = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    blocker.bind(("127.0.0.1", 0))
    blocker.listen()
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            "from devcluster.cli import main; raise SystemExit(main())",
            "serve",
            "--port",
            str(blocker.getsockname()[1]),
            stderr=asyncio.subprocess.PIPE,
        )
        _, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        blocker.close()
    assert process.returncode == 1
    assert "Address already in use" in err.decode().splitlines()[-1]
