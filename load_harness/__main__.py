"""`python -m load_harness` runs the same command line as the `load-harness` script."""

from load_harness.cli import main

raise SystemExit(main())
