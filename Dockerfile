# flowdesk API image: gunicorn behind a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml setup.cfg README.md LICENSE ./
COPY src ./src
RUN pip install . && useradd --create-home --uid 10001 flowdesk

USER flowdesk
WORKDIR /home/flowdesk
EXPOSE 8000
# Migrations run once, before the workers start, so gunicorn workers never race on them.
# On SIGTERM gunicorn stops accepting and gives requests in flight --graceful-timeout seconds
# to finish (drain); the container's stop grace period must be longer (docker-compose.yml).
ENV FLOWDESK_AUTO_MIGRATE=false
CMD ["sh", "-c", "flowdesk db upgrade && exec gunicorn -c python:flowdesk.gunicorn_conf --bind 0.0.0.0:8000 --workers 2 --threads 4 --graceful-timeout 30 flowdesk.wsgi:app"]
