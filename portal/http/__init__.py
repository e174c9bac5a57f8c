"""HTTP plumbing shared by the JSON API and the web UI: request ids, error responses."""
