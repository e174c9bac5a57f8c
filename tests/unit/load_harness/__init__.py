"""Unit tests of the load harness (in-process app through httpx.ASGITransport)."""
