# flowdesk API image: gunicorn behind a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

COPY pyproject.toml setup.cfg README.md ./
COPY src ./src
RUN pip install . && useradd --create-home --uid 10001 flowdesk

USER flowdesk
WORKDIR /home/flowdesk
EXPOSE 8000
# Migrations run once, before the workers start, so gunicorn workers never race on them.
ENV FLOWDESK_AUTO_MIGRATE=false
CMD ["sh", "-c", "flowdesk db upgrade && exec gunicorn --bind 0.0.0.0:8000 --workers 2 --threads 4 flowdesk.wsgi:app"]
