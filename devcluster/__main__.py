"""`python -m devcluster`: the same command line as the `devcluster` script (the image CMD)."""

import sys

from devcluster.cli import main

if __name__ == "__main__":
    sys.exit(main())
