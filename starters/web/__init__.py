"""The web process: the HTTP API and the dashboard in one FastAPI app.

- `app`        the app factory and its lifespan (services built once per process)
- `deps`       shared dependencies: services, who is asking, admins, text bodies
- `errors`     Baton's errors as HTTP answers, in one place
- `api/`       the HTTP API, one router per resource
- `dashboard/` the server-rendered pages, sign-in, one-click links, the calendar feed
- `security`   the security headers on every answer; other sites' requests refused
- `templates/` the dashboard's Jinja2 templates (autoescaped)
- `static/`    the dashboard's CSS, favicon and the offline API docs' starter
"""
