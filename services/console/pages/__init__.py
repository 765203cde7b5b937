"""The console's pages: one module per area, all rendered on the server (Jinja2), enhanced by htmx."""
