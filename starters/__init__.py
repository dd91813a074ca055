"""How people and systems drive projects: the CLI, the HTTP API, the dashboard."""
