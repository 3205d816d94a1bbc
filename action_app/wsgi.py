"""The WSGI entry point for gunicorn: ``gunicorn action_app.wsgi:app``."""

from action_app import create_app

app = create_app()
