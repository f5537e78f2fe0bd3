# flowdesk image: the API (gunicorn) by default; `flowdesk worker`, `flowdesk scheduler` and
# `flowdesk db upgrade` as commands. Runs as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Dependencies exactly as tested, each checked against its hash; flowdesk itself adds none
# (--no-deps), and pip check fails the build if the lock no longer satisfies setup.cfg.
COPY requirements.lock ./
RUN pip install --require-hashes --no-deps -r requirements.lock
COPY pyproject.toml setup.cfg README.md LICENSE ./
COPY src ./src
RUN pip install --no-deps . && pip check && useradd --create-home --uid 10001 flowdesk

USER flowdesk
WORKDIR /home/flowdesk
EXPOSE 8000
# Migrations run once per release before the API starts (`flowdesk db upgrade`: the compose
# file's migrate service, the Kubernetes Job in deploy/), never by several gunicorn workers at once.
ENV FLOWDESK_AUTO_MIGRATE=false
# /health answers when the process serves; worker and scheduler containers replace this check
# (docker-compose.yml, deploy/kubernetes).
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=2)"]
# On SIGTERM gunicorn stops accepting and gives requests in flight --graceful-timeout seconds
# to finish (drain); the container's stop grace period must be longer (docker-compose.yml).
# gunicorn_conf keeps /metrics the same whichever worker process answers.
CMD ["gunicorn", "-c", "python:flowdesk.gunicorn_conf", "--bind", "0.0.0.0:8000", "--workers", "2", "--threads", "4", "--graceful-timeout", "30", "flowdesk.wsgi:app"]
