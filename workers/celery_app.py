"""Builds the Flask app once per worker process and exposes its Celery app as ``celery``."""

from action_app import create_app

flask_app = create_app()
celery = flask_app.extensions["celery"]

# Registers the task definitions with ``celery``.
import workers.tasks  # noqa: E402,F401
