"""docker/*.Dockerfile read as instructions: continuation lines joined, comments dropped."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from tests.iac.conftest import ROOT

DOCKER = ROOT / "docker"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    arguments: str


def instructions(path: Path) -> list[Instruction]:
    joined = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    parsed = []
    for raw in joined.splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            keyword, _, arguments = line.partition(" ")
            parsed.append(Instruction(keyword.upper(), " ".join(arguments.split())))
    return parsed


def stages(path: Path) -> list[list[Instruction]]:
    """The instructions of each build stage (FROM first), without the global ARGs before them."""
    found: list[list[Instruction]] = []
    for instruction in instructions(path):
        if instruction.keyword == "FROM":
            found.append([])
        if found:
            found[-1].append(instruction)
    return found


def dockerfiles() -> list[Path]:
    return sorted(DOCKER.glob("*.Dockerfile"))
