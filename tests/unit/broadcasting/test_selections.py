"""Stream filters: what a query string may ask for, and which changes each filter matches."""

import pytest

from portal.errors import Unprocessable
from portal.services.sse_selections import ChangeKey, Selection, select_stream

PODINFO = ChangeKey(cluster="eu", namespace="prod", kind="canary", name="podinfo")


def test_list_page_may_narrow_to_cluster_and_namespace() -> None:
    selection = select_stream(page="canaries", cluster="eu", namespace="prod")
    assert selection == Selection(page="canaries", cluster="eu", namespace="prod", name=None)


def test_empty_query_values_mean_any() -> None:
    assert select_stream(page="hpas", cluster="", namespace="") == Selection(page="hpas")


def test_unknown_page_names_the_pages_that_exist() -> None:
    with pytest.raises(Unprocessable) as caught:
        select_stream(page="dashboards")
    assert caught.value.detail == (
        "unknown page 'dashboards': expected one of "
        "page=canaries, page=canary, page=costs, page=dora, page=hpas, page=overview"
    )
    assert caught.value.status_code == 422


@pytest.mark.parametrize(
    ("cluster", "namespace", "name"),
    [(None, "prod", "podinfo"), ("eu", None, "podinfo"), ("eu", "prod", None)],
)
def test_detail_page_needs_the_whole_object(
    cluster: str | None, namespace: str | None, name: str | None
) -> None:
    with pytest.raises(Unprocessable) as caught:
        select_stream(page="canary", cluster=cluster, namespace=namespace, name=name)
    assert caught.value.detail == "page=canary needs cluster, namespace and name"


def test_name_is_refused_on_a_list_page() -> None:
    with pytest.raises(Unprocessable) as caught:
        select_stream(page="canaries", name="podinfo")
    assert caught.value.detail == "name applies only to page=canary, not page=canaries"


@pytest.mark.parametrize(
    ("selection", "expected"),
    [
        (Selection(page="canaries"), True),
        (Selection(page="canaries", cluster="eu"), True),
        (Selection(page="canaries", cluster="us"), False),
        (Selection(page="canaries", cluster="eu", namespace="prod"), True),
        (Selection(page="canaries", namespace="dev"), False),
        (Selection(page="canary", cluster="eu", namespace="prod", name="podinfo"), True),
        (Selection(page="canary", cluster="eu", namespace="prod", name="other"), False),
        (Selection(page="canary", cluster="eu", namespace="dev", name="podinfo"), False),
    ],
)
def test_selection_matches_changes_by_cluster_namespace_and_name(
    selection: Selection, expected: bool
) -> None:
    assert selection.matches(PODINFO) is expected
