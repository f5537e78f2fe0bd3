"""WSGI entry point for production servers: ``gunicorn 'flowdesk.wsgi:app'``."""

from .server import build

app, runtime = build()
