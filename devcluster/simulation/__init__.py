"""Flagger, HPA and Deployment behaviour for devcluster, acting only through its HTTP API.

The simulators are ordinary API clients: what they do is exactly what a watcher sees.
"""
