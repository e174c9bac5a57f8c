"""docker-compose.yml: the Compose Specification schema (check-jsonschema's vendored copy, offline)
and the shape the local stack relies on. `make compose-test` runs it for real under podman."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.iac.conftest import ROOT

COMPOSE = ROOT / "docker-compose.yml"
BIN = Path(sys.executable).parent
BUILT = ["postgres", "devcluster", "moto", "portal", "load-harness", "prometheus"]


def services() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())["services"]
    return loaded


def test_compose_file_matches_the_compose_specification_schema() -> None:
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(COMPOSE)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "ok -- validation done")


def test_a_wrong_field_fails_the_schema_check(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    broken.write_text(COMPOSE.read_text().replace("    healthcheck:\n", "    healthchek:\n", 1))
    result = subprocess.run(
        [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.compose-spec", str(broken)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert "healthchek" in result.stdout


def test_every_service_but_grafana_is_built_here_from_base_image() -> None:
    found = services()
    assert sorted(found) == sorted([*BUILT, "grafana"])
    for name in BUILT:
        build = found[name]["build"]
        assert build["context"] == "."
        assert (ROOT / build["dockerfile"]).is_file()
        assert build["args"]["BASE_IMAGE"] == "${BASE_IMAGE:-python:3.11-slim-bookworm}"
        assert found[name]["image"] == f"localhost/infra-fleet/{name}:local"
        assert "profiles" not in found[name]
    assert found["grafana"]["profiles"] == ["grafana"]
    assert "build" not in found["grafana"]


def test_every_service_has_a_health_check_and_publishes_on_loopback_only() -> None:
    for name, service in services().items():
        assert service["healthcheck"]["test"][0] == "CMD", name
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)


def test_the_portal_migrates_then_serves_against_devcluster_postgres_and_prometheus() -> None:
    portal = services()["portal"]
    assert portal["command"][-1] == (
        "python -m portal.cli db upgrade && exec python -m portal.cli serve"
    )
    assert {name: dep["condition"] for name, dep in portal["depends_on"].items()} == {
        "postgres": "service_healthy",
        "devcluster": "service_healthy",
        "moto": "service_healthy",
    }
    environment = portal["environment"]
    assert environment["PORTAL_DATABASE_URL"].startswith("postgresql+asyncpg://portal:")
    assert environment["PORTAL_DATABASE_URL"].endswith("@postgres:5432/portal")
    assert environment["PORTAL_PROMETHEUS_URL"] == "http://prometheus:9090"
    assert environment["PORTAL_KUBE_CONTEXTS"] == "devcluster"
    assert environment["PORTAL_AWS_ENDPOINT_URL"] == "http://moto:5000"
    kubeconfig = yaml.safe_load((ROOT / "docker/compose/devcluster.kubeconfig").read_text())
    assert kubeconfig["clusters"] == [
        {"name": "devcluster", "cluster": {"server": "http://devcluster:8001"}}
    ]
    assert "--gate-base-url=http://portal:8000" in services()["devcluster"]["command"]


def test_prometheus_scrapes_the_portal_load_harness_and_flagger_metrics() -> None:
    config = yaml.safe_load((ROOT / "docker/compose/prometheus.yml").read_text())
    targets = {
        job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]
    }
    assert targets == {
        "portal": ["portal:8000"],
        "load-harness": ["load-harness:8080"],
        "flagger": ["devcluster:8001"],
        "prometheus": ["127.0.0.1:9090"],
    }
    [flagger] = [job for job in config["scrape_configs"] if job["job_name"] == "flagger"]
    assert flagger["static_configs"][0]["labels"] == {"cluster": "devcluster"}


def test_grafana_is_provisioned_with_the_compose_prometheus() -> None:
    datasources = yaml.safe_load((ROOT / "docker/compose/grafana/datasources.yml").read_text())
    assert [(d["name"], d["url"], d["isDefault"]) for d in datasources["datasources"]] == [
        ("Prometheus", "http://prometheus:9090", True)
    ]
    mounts = services()["grafana"]["volumes"]
    assert (
        "${GRAFANA_DASHBOARDS_DIR:-./k8s/infrastructure/configs/dashboards}"
        ":/var/lib/grafana/dashboards/infra-fleet:ro"
    ) in mounts
