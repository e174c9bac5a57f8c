from prometheus_client.parser import text_string_to_metric_families

from portal.config import Settings
from portal.kube.leasing import default_identity
from tests.support.apps import RunningApp, running_app
from tests.support.servers import free_port


async def test_healthz_answers_ok(portal: RunningApp) -> None:
    response = await portal.client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_is_ready_when_the_database_answers(portal: RunningApp) -> None:
    """Without a cluster there is no Lease: the process leads alone, and says so."""
    response = await portal.client.get("/readyz")
    me = default_identity()
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "reasons": {},
        "leader": {"identity": me, "is_leader": True, "holder": me, "lease": None, "error": None},
    }


async def test_readyz_is_503_with_a_reason_when_the_database_is_down() -> None:
    closed = free_port()
    settings = Settings(database_url=f"postgresql+asyncpg://postgres@127.0.0.1:{closed}/absent")
    async with running_app(settings) as running:
        response = await running.client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reasons": {"database": "database unreachable: ConnectionRefusedError"},
        "leader": response.json()["leader"],
    }


def request_counts(exposition: str) -> dict[tuple[str, str, str], float]:
    counts = {}
    for family in text_string_to_metric_families(exposition):
        if family.name == "http_requests":
            for sample in family.samples:
                if sample.name == "http_requests_total":
                    labels = sample.labels
                    counts[(labels["method"], labels["handler"], labels["status"])] = sample.value
    return counts


async def test_metrics_keep_exact_status_codes(portal: RunningApp) -> None:
    for _ in range(3):
        await portal.client.get("/healthz")
    await portal.client.get("/readyz")
    exposition = (await portal.client.get("/metrics")).text
    counts = request_counts(exposition)
    assert counts[("GET", "/healthz", "200")] == 3.0
    assert counts[("GET", "/readyz", "200")] == 1.0
    assert not any(status.endswith("xx") for (_, _, status) in counts)


async def test_each_app_has_its_own_metrics_registry(settings: Settings) -> None:
    async with running_app(settings) as first, running_app(settings) as second:
        await first.client.get("/healthz")
        counts = request_counts((await second.client.get("/metrics")).text)
    assert ("GET", "/healthz", "200") not in counts
