"""The vendored front-end files are exactly the pinned releases recorded in VENDORED.md."""

import hashlib
import re
from pathlib import Path

STATIC = Path(__file__).resolve().parents[3] / "static"


def recorded_hashes() -> dict[str, str]:
    table = (STATIC / "vendor" / "VENDORED.md").read_text()
    return dict(re.findall(r"^\| `([^`]+)` \|.*\| ([0-9a-f]{64}) \|$", table, flags=re.M))


def test_every_vendored_script_matches_its_recorded_hash() -> None:
    hashes = recorded_hashes()
    assert sorted(hashes) == ["htmx-ext-sse/sse.min.js", "htmx/htmx.min.js"]
    for relative, expected in hashes.items():
        data = (STATIC / "vendor" / relative).read_bytes()
        assert hashlib.sha256(data).hexdigest() == expected, relative


def test_htmx_is_the_pinned_version() -> None:
    source = (STATIC / "vendor" / "htmx" / "htmx.min.js").read_text()
    assert 'version:"2.0.11"' in source.replace(" ", "")


def test_templates_and_static_load_nothing_from_the_network() -> None:
    root = STATIC.parent
    offenders = [
        str(path.relative_to(root))
        for folder in (root / "templates", STATIC / "css", STATIC / "js")
        for path in folder.rglob("*")
        if path.is_file() and re.search(r"(src|href)=\"https?://", path.read_text())
    ]
    assert offenders == []


def test_templates_hold_no_inline_script() -> None:
    templates = Path(__file__).resolve().parents[3] / "templates"
    inline = [
        str(path.name)
        for path in templates.rglob("*.html")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", path.read_text())
    ]
    assert inline == []
