"""`devcluster serve` as a real process: kubeconfig out, token auth, clean exit on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
from collections.abc import Awaitable
from pathlib import Path

import httpx
import yaml

from tests.support.waiting import wait_until


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


async def _kubectl(kubeconfig: Path, context: str, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        "kubectl",
        "--kubeconfig",
        str(kubeconfig),
        "--context",
        context,
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_serve_runs_named_clusters_with_one_kubeconfig_context_each(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "fleet.kubeconfig"
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from devcluster.cli import main; raise SystemExit(main())",
        "serve",
        "--port", "0",
        "--kubeconfig-out", str(kubeconfig),
        "--cluster", "prod-us",
        "--cluster", "staging=staging",
        "--scenario", "prod-us",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    try:
        lines = [(await asyncio.wait_for(process.stdout.readline(), 30)).decode() for _ in range(3)]
        config = yaml.safe_load(kubeconfig.read_text())
        seeded = {"prod-us": 5, "staging": 3}  # each scenario's own nodes, seeded after start

        async def node_counts() -> dict[str, int]:
            return {
                c: len((await _kubectl(kubeconfig, c, "get", "nodes", "-o", "name")).split())
                for c in config_names(config)
            }

        await wait_until(lambda: _equal(node_counts(), seeded), within=30, what="seeded nodes")
        async with httpx.AsyncClient() as client:
            urls = {c["name"]: c["cluster"]["server"] for c in config["clusters"]}
            metrics = {
                name: (await client.get(f"{url}/metrics")).text for name, url in urls.items()
            }
    finally:
        code = await _stop(process)
    assert [line.split()[1] for line in lines[:2]] == ["prod-us", "staging"]
    assert lines[2] == f"kubeconfig {kubeconfig}\n"
    assert [c["name"] for c in config["contexts"]] == ["prod-us", "staging"]
    assert config["current-context"] == "prod-us"
    assert len(set(urls.values())) == 2
    assert all("# TYPE flagger_canary_status gauge" in text for text in metrics.values())
    assert code == 0


async def _equal(found: Awaitable[dict[str, int]], expected: dict[str, int]) -> bool:
    return await found == expected


def config_names(config: dict[str, object]) -> list[str]:
    return [str(c["name"]) for c in config["contexts"]]  # type: ignore[attr-defined]


async def test_serve_refuses_a_repeated_cluster_name() -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        "from devcluster.cli import main; raise SystemExit(main())",
        "serve",
        "--cluster", "a",
        "--cluster", "a=demo",
        stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 2
    assert err.decode() == "devcluster: --cluster 'a=demo': empty or repeated name\n"
