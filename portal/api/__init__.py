"""The JSON API under /api/v1 and the probes; routers call services, never SQL or Kubernetes."""
