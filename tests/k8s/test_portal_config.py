"""The portal's ConfigMap in k8s/ holds only settings the portal reads, and they load."""

from __future__ import annotations

import pytest

from portal.config import Settings
from tests.k8s.tree import built, objects


def _config() -> dict[str, str]:
    (config_map,) = [
        o
        for o in objects(built("apps/staging"))
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("portal-config-")
    ]
    data: dict[str, str] = config_map["data"]
    return data


def test_every_key_is_a_portal_setting() -> None:
    unknown = [
        k for k in _config() if k.removeprefix("PORTAL_").lower() not in Settings.model_fields
    ]
    assert unknown == []


def test_the_staging_settings_load_in_proxy_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in _config().items():
        monkeypatch.setenv(key, value)
    settings = Settings()
    assert settings.auth_mode == "proxy"
    assert [str(n) for n in settings.trusted_proxies] == ["127.0.0.1/32"]
    assert settings.allowed_hosts[0] == "portal.staging.infra-fleet.example.com"
    assert (settings.host, settings.port, settings.kube_in_cluster_name) == (
        "0.0.0.0",
        8000,
        "staging",
    )


def test_the_deployment_reads_the_config_map_and_the_secret_kept_out_of_git() -> None:
    items = objects(built("apps/staging"))
    (deployment,) = [
        o for o in items if o["kind"] == "Deployment" and o["metadata"]["name"] == "portal"
    ]
    pod = deployment["spec"]["template"]["spec"]
    (config,) = [o["metadata"]["name"] for o in items if o["kind"] == "ConfigMap"]
    for container in (pod["initContainers"][0], pod["containers"][0]):
        assert container["envFrom"] == [
            {"configMapRef": {"name": config}},
            {"secretRef": {"name": "portal-env"}},
        ]
    assert [o for o in items if o["kind"] == "Secret"] == []
    assert pod["initContainers"][0]["command"] == ["python", "-m", "portal.cli", "db", "upgrade"]
    assert pod["containers"][0]["command"] == ["python", "-m", "portal.cli", "serve"]
