"""Every namespace and name that goes into a Kubernetes path is a valid name of its kind,
quoted; anything else never reaches a URL."""

from __future__ import annotations

import pytest

from devcluster.simulation.api_client import DEPLOYMENTS as SIM_DEPLOYMENTS
from devcluster.simulation.api_client import InvalidName
from portal.domain.kube_names import InvalidKubeName, dns1123_label, dns1123_subdomain
from portal.kube.kinds import CANARIES
from portal.kube.patching import canary_path, deployment_path

BAD_NAMES = [
    "x/../../../payments/deployments/ledger",
    "..",
    "a%2Fb",
    "web\n",
    "Web",
    "-web",
    "web-",
    "",
    "a" * 254,
    "we b",
    "web?watch=1",
    "web#x",
    "\uff57\uff45\uff42",  # full-width "web"
]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_bad_names_never_become_a_path(name: str) -> None:
    with pytest.raises(InvalidKubeName):
        deployment_path("shop", name)
    with pytest.raises(InvalidKubeName):
        canary_path(name, "web")
    with pytest.raises(InvalidName):
        SIM_DEPLOYMENTS.path(namespace=name or "-", name="web")
    if name:  # no name is the collection's path in the simulator's client
        with pytest.raises(InvalidName):
            SIM_DEPLOYMENTS.path(namespace="shop", name=name)


def test_good_names_make_the_usual_paths() -> None:
    assert deployment_path("shop", "web.v2") == "/apis/apps/v1/namespaces/shop/deployments/web.v2"
    assert canary_path("a1", "b-2") == "/apis/flagger.app/v1beta1/namespaces/a1/canaries/b-2"
    assert CANARIES.path() == "/apis/flagger.app/v1beta1/canaries"
    assert SIM_DEPLOYMENTS.path(namespace="shop", name="web") == (
        "/apis/apps/v1/namespaces/shop/deployments/web"
    )


def test_namespaces_are_labels_and_names_subdomains() -> None:
    assert dns1123_subdomain("a." * 10 + "b") == "a." * 10 + "b"
    with pytest.raises(InvalidKubeName, match=r"namespace 'a\.b' is not a valid DNS-1123 label"):
        dns1123_label("a.b")
    assert dns1123_label("a" * 63) == "a" * 63
    with pytest.raises(InvalidKubeName):
        dns1123_label("a" * 64)
