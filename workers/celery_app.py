"""Builds the Flask app once per worker process and exposes its Celery app as ``celery``."""

from action_app import create_app
from action_app.registry import registry_of

flask_app = create_app()
celery = registry_of(flask_app).celery

# Registers the task definitions with ``celery``.
import workers.tasks  # noqa: E402,F401
