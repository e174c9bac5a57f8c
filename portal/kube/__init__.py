"""Kubernetes access: client factory, watching, the in-memory ClusterView, patching."""
