"""The README's configuration table and commands stay true to the code."""

import re
from pathlib import Path

from portal.config import Settings

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text()


def test_every_setting_is_in_the_readme_table() -> None:
    documented = set(re.findall(r"^\| `(PORTAL_[A-Z_]+)` \|", README, flags=re.M))
    expected = {f"PORTAL_{name.upper()}" for name in Settings.model_fields}
    assert sorted(expected - documented) == []
    assert sorted(documented - expected) == []


def test_the_two_commands_are_make_targets() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "make run" in README
    assert "make test" in README
    assert re.search(r"^run:", makefile, flags=re.M)
    assert re.search(r"^test:", makefile, flags=re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()
