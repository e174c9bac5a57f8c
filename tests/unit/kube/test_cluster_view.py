"""ClusterView bookkeeping: a relist reconciles, watch events apply, sync state is reported."""

from datetime import UTC, datetime, timedelta

from portal.kube.view import Change, ClusterView


def canary(name: str, version: str, namespace: str = "shop") -> dict[str, object]:
    return {"metadata": {"namespace": namespace, "name": name, "resourceVersion": version}}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 25, 12, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def test_a_relist_deletes_what_vanished_and_reports_only_real_changes() -> None:
    view = ClusterView(clusters=["prod"])
    seen: list[Change] = []
    view.subscribe(seen.append)
    view.register_watch(cluster="prod", kind="canaries", scope=None)
    view.replace(
        cluster="prod", kind="canaries", scope=None, objects=[canary("a", "1"), canary("b", "2")]
    )
    view.replace(
        cluster="prod", kind="canaries", scope=None, objects=[canary("b", "2"), canary("c", "5")]
    )
    assert [(c.type, c.name) for c in seen] == [
        ("ADDED", "a"),
        ("ADDED", "b"),
        ("DELETED", "a"),
        ("ADDED", "c"),
    ]
    assert [obj["metadata"]["name"] for _, obj in view.objects("canaries")] == ["b", "c"]


def test_a_namespace_scoped_relist_leaves_other_namespaces_alone() -> None:
    view = ClusterView(clusters=["prod"])
    for scope in ("shop", "search"):
        view.register_watch(cluster="prod", kind="canaries", scope=scope)
    view.replace(cluster="prod", kind="canaries", scope="shop", objects=[canary("a", "1")])
    view.replace(
        cluster="prod", kind="canaries", scope="search", objects=[canary("q", "2", "search")]
    )
    view.replace(cluster="prod", kind="canaries", scope="shop", objects=[])
    assert [obj["metadata"]["name"] for _, obj in view.objects("canaries")] == ["q"]


def test_readiness_and_staleness_follow_the_watches() -> None:
    clock = Clock()
    view = ClusterView(clusters=["prod"], clock=clock)
    view.register_watch(cluster="prod", kind="canaries", scope=None)
    view.register_watch(cluster="prod", kind="hpas", scope=None)
    assert view.unready_clusters() == {"prod": "first list not done for canaries, hpas"}
    view.replace(cluster="prod", kind="canaries", scope=None, objects=[])
    view.replace(cluster="prod", kind="hpas", scope=None, objects=[])
    assert view.unready_clusters() == {}
    assert view.all_listed.is_set()
    clock.now += timedelta(minutes=5)
    view.mark_disconnected(cluster="prod", kind="hpas", scope=None, error="HTTP 500", restart=False)
    status = view.cluster_status("prod")
    assert (status.ready, status.stale, status.errors) == (True, True, ("HTTP 500",))
    assert status.last_sync == clock.now


def test_the_disconnected_watch_is_the_one_covering_the_namespace_asked_about() -> None:
    view = ClusterView(clusters=["prod", "edge"])
    for scope in ("shop", "pay"):
        view.register_watch(cluster="prod", kind="canaries", scope=scope)
        view.replace(cluster="prod", kind="canaries", scope=scope, objects=[])
    view.register_watch(cluster="edge", kind="canaries", scope=None)
    view.replace(cluster="edge", kind="canaries", scope=None, objects=[])
    view.mark_disconnected(
        cluster="prod", kind="canaries", scope="pay", error="HTTP 503", restart=False
    )
    found = view.disconnected_watch(cluster="prod", kind="canaries", namespace="pay")
    assert found is not None
    assert (found.scope, found.last_error) == ("pay", "HTTP 503")
    assert view.disconnected_watch(cluster="prod", kind="canaries", namespace="shop") is None
    assert view.disconnected_watch(cluster="edge", kind="canaries", namespace="pay") is None
    assert view.disconnected_watch(cluster="prod", kind="deployments", namespace="pay") is None
