"""WSGI entry point for production servers: ``gunicorn 'flowdesk.wsgi:app'``."""

import atexit

from .server import build

app, runtime = build()
# gunicorn ends a worker process with sys.exit after draining it: close the runtime then, so
# embedded worker threads (no Redis configured) finish their jobs and connections are released.
atexit.register(runtime.close)
