"""The workload canaries and HPAs act on: load and chaos on demand, Prometheus metrics."""
