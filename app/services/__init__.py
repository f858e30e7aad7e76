"""Business rules, one module per feature. Called by the web pages, the JSON API and the
CLI alike; services never commit (the caller's unit of work does) and raise the domain
errors in app.errors, never HTTP ones."""
