"""Integration tests of the load harness: the real `load-harness serve` process."""
