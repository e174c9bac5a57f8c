"""Print requirements from a pyproject.toml, one per line, for `pip install -r` in an image build.

    python3 image_requirements.py pyproject.toml [--no-project] [--extra NAME]... [--only DIST]...

Default: the [project] dependencies (none with --no-project), plus each optional-dependencies
group named with --extra.
--only keeps the requirements of those distributions, looked up in every group (the moto image
takes moto's pin from the dev extra). Standard library only: it runs in the build stage of an
image before anything is installed.
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def distribution(requirement: str) -> str:
    """The normalised distribution name a requirement string starts with."""
    match = _NAME.match(requirement.strip())
    if match is None:
        raise ValueError(f"not a requirement: {requirement!r}")
    return re.sub(r"[-_.]+", "-", match.group()).lower()


def requirements(
    pyproject: Path, *, extras: list[str], only: list[str], project_too: bool = True
) -> list[str]:
    project = tomllib.loads(pyproject.read_text())["project"]
    groups: dict[str, list[str]] = project.get("optional-dependencies", {})
    if only:
        wanted = {distribution(name) for name in only}
        every = [*project["dependencies"], *(spec for group in groups.values() for spec in group)]
        found = [spec for spec in every if distribution(spec) in wanted]
        missing = wanted - {distribution(spec) for spec in found}
        if missing:
            raise KeyError(f"not in {pyproject}: {', '.join(sorted(missing))}")
        return found
    base = project["dependencies"] if project_too else []
    return [*base, *(spec for extra in extras for spec in groups[extra])]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="image_requirements.py", description=__doc__)
    parser.add_argument("pyproject", type=Path)
    parser.add_argument("--extra", action="append", default=[])
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--no-project", action="store_true")
    args = parser.parse_args(argv)
    try:
        lines = requirements(
            args.pyproject, extras=args.extra, only=args.only, project_too=not args.no_project
        )
    except KeyError as error:
        sys.stderr.write(f"image_requirements.py: {error.args[0]}\n")
        return 2
    sys.stdout.write("".join(f"{line}\n" for line in lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
