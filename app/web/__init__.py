"""HTML pages, one module per feature, plus the htmx helper module (app.web.htmx)."""
