"""`make crds` pins every CRD file the tree is checked against, with the shared digests."""

from __future__ import annotations

import hashlib
import runpy

import pytest

from tests.k8s.tree import ROOT

SHARED = ROOT.parent / "shared" / "crds"


def test_make_crds_pins_every_shared_crd_file_with_its_digest() -> None:
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} is not here")
    sources = runpy.run_path(str(ROOT / "scripts" / "fetch_crds.py"), run_name="pins")["SOURCES"]
    shared = sorted(p.name for p in SHARED.glob("*.yaml"))
    assert sorted(sources) == shared
    for name, (_urls, digest) in sources.items():
        if digest is not None:
            assert hashlib.sha256((SHARED / name).read_bytes()).hexdigest() == digest, name
