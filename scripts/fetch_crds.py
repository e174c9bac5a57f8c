"""Fetch the pinned CRDs (the ones ../shared/crds holds) from upstream: Flagger, Flux, and for the
k8s/ tree Prometheus Operator, cert-manager and Kyverno.

Usage: python scripts/fetch_crds.py [DEST]   (default var/crds; needs internet access)
Then point the portal and devcluster at them: PORTAL_CRDS_DIR=DEST, DEVCLUSTER_CRDS_DIR=DEST.
Single-file CRDs are checked against the sha256 recorded for the shared copies; the two
concatenated files are joined with `---` lines as in the shared copies.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import httpx

RAW = "https://raw.githubusercontent.com"
SOURCES: dict[str, tuple[list[str], str | None]] = {
    "flagger.app_canaries.yaml": (
        [f"{RAW}/fluxcd/flagger/v1.44.0/artifacts/flagger/crd.yaml"],
        "8d7ad05c2d1d242c0cd4c25c5fb3ad0f75f10706da588aeeb950fe2858134630",
    ),
    "kustomize.toolkit.fluxcd.io_kustomizations.yaml": (
        [
            f"{RAW}/fluxcd/kustomize-controller/v1.9.4/config/crd/bases/"
            "kustomize.toolkit.fluxcd.io_kustomizations.yaml"
        ],
        "da23ca0e6b4c80d3d26a91583137491e147ef4ef1e2208aece0d0af4ef851974",
    ),
    "helm.toolkit.fluxcd.io_helmreleases.yaml": (
        [
            f"{RAW}/fluxcd/helm-controller/v1.6.3/config/crd/bases/"
            "helm.toolkit.fluxcd.io_helmreleases.yaml"
        ],
        "aa8638ac68465ceac1f93a617baf5be833c589c51fd78a7384a4a274c252becc",
    ),
    "source.toolkit.fluxcd.io.yaml": (
        [
            f"{RAW}/fluxcd/source-controller/v1.9.1/config/crd/bases/source.toolkit.fluxcd.io_{kind}.yaml"
            for kind in (
                "gitrepositories",
                "helmrepositories",
                "ocirepositories",
                "helmcharts",
                "buckets",
                "externalartifacts",
            )
        ],
        None,
    ),
    "image.toolkit.fluxcd.io.yaml": (
        [
            f"{RAW}/fluxcd/image-reflector-controller/v1.2.0/config/crd/bases/"
            "image.toolkit.fluxcd.io_imagerepositories.yaml",
            f"{RAW}/fluxcd/image-reflector-controller/v1.2.0/config/crd/bases/"
            "image.toolkit.fluxcd.io_imagepolicies.yaml",
            f"{RAW}/fluxcd/image-automation-controller/v1.2.1/config/crd/bases/"
            "image.toolkit.fluxcd.io_imageupdateautomations.yaml",
        ],
        None,
    ),
}

PROMETHEUS_OPERATOR = (
    f"{RAW}/prometheus-operator/prometheus-operator/v0.89.0/example/prometheus-operator-crd"
)
CERT_MANAGER = f"{RAW}/cert-manager/cert-manager/v1.19.6/deploy/crds"
KYVERNO = f"{RAW}/kyverno/kyverno/v1.16.4/config/crds/kyverno"
SOURCES.update(
    {
        name: ([f"{base}/{name}"], digest)
        for base, name, digest in (
            (
                PROMETHEUS_OPERATOR,
                "monitoring.coreos.com_servicemonitors.yaml",
                "d54c72a855cee1e84e57914d51e5543c591128a5b8e470d96c190e3dd1b795e6",
            ),
            (
                PROMETHEUS_OPERATOR,
                "monitoring.coreos.com_podmonitors.yaml",
                "8e502d8f9ef70c4bbdfd8ed634a0d65e64eeb0ceaf22f8af89de659e5d088b5e",
            ),
            (
                PROMETHEUS_OPERATOR,
                "monitoring.coreos.com_prometheusrules.yaml",
                "2739dffdfcadd4ecd728d968b5761bd6136aac2f61659764d6891ea76caf312d",
            ),
            (
                CERT_MANAGER,
                "cert-manager.io_clusterissuers.yaml",
                "7b929b8243d61dc87485143217a885325e1810c1d84fa56cfabe9881e9320f32",
            ),
            (
                CERT_MANAGER,
                "cert-manager.io_issuers.yaml",
                "a87e29d572d56f94fcb39812b29bcb94b9f757519b53eaa7c71b9c43b9bd67b5",
            ),
            (
                CERT_MANAGER,
                "cert-manager.io_certificates.yaml",
                "7c99af3441710ffb4c0988c87a36a1448b293d4c99bf4e5ca8d3adbfc1f63b3e",
            ),
            (
                KYVERNO,
                "kyverno.io_clusterpolicies.yaml",
                "cf264f2ef83245010e9692e16e4fe5f4d2300eadc78eee17ef5f9c59fe80e102",
            ),
            (
                KYVERNO,
                "kyverno.io_policies.yaml",
                "fec6c9792f27998878a044c3587451bb4946466ad43b1e700d8af18edc18bba0",
            ),
        )
    }
)


def fetch(client: httpx.Client, urls: list[str]) -> bytes:
    parts = []
    for url in urls:
        response = client.get(url)
        response.raise_for_status()
        parts.append(response.content)
    return b"---\n".join(parts)


def main(argv: list[str]) -> int:
    dest = Path(argv[1] if len(argv) > 1 else "var/crds")
    dest.mkdir(parents=True, exist_ok=True)
    failed = 0
    with httpx.Client(timeout=30, follow_redirects=True) as client:
        for name, (urls, expected) in SOURCES.items():
            data = fetch(client, urls)
            digest = hashlib.sha256(data).hexdigest()
            if expected and digest != expected:
                sys.stderr.write(f"{name}: sha256 {digest} differs from the pinned {expected}\n")
                failed += 1
                continue
            (dest / name).write_bytes(data)
            sys.stdout.write(f"{name}: {len(data)} bytes, sha256 {digest}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
