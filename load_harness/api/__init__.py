"""HTTP routers of the load harness: probes, load jobs, work, admin and the status page."""
