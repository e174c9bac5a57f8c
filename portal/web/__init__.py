"""HTML pages and htmx fragments; one endpoint serves the page and its fragment."""
