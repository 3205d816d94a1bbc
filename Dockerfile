# One image for web, worker and beat; docker-compose.yml picks the command.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    INSTANCE_PATH=/app/instance

WORKDIR /app
COPY pyproject.toml README.md ./
COPY action_app ./action_app
COPY workers ./workers
COPY templates ./templates
COPY migrations ./migrations
RUN pip install -e . \
    && pybabel -q compile -d action_app/translations -D messages \
    && useradd --create-home --uid 10001 app \
    && mkdir -p /app/instance \
    && chown app /app/instance

USER app
EXPOSE 8000
CMD ["gunicorn", "--config", "python:action_app.gunicorn_conf", "action_app.wsgi:app"]
