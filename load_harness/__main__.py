"""`python -m load_harness`: the same command line as the `load-harness` script (the image CMD)."""

from load_harness.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
