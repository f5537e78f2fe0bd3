"""gzip for what the server sends that compresses well: pages, scripts, styles and JSON.

Only when the client accepts gzip, for answers of 1 KB and more; files sent as downloads
(attachments) stay as they are, static files of the UI are compressed once and kept.
"""

from __future__ import annotations

import gzip
from functools import lru_cache

from flask import Flask, Response, request

MIN_BYTES = 1024
COMPRESSIBLE = ("text/html", "text/css", "text/javascript", "application/javascript", "application/json",
                "application/problem+json", "image/svg+xml")


@lru_cache(maxsize=64)
def _gzipped(data: bytes) -> bytes:
    """Compressed bytes (no timestamp: the same input gives the same output); the UI's static
    files come again and again, so their compressed forms are kept."""
    return gzip.compress(data, compresslevel=6, mtime=0)


def _compress(response: Response) -> Response:
    if (response.status_code != 200 or request.accept_encodings["gzip"] <= 0
            or "Content-Encoding" in response.headers or response.mimetype not in COMPRESSIBLE):
        return response
    if response.direct_passthrough:
        if not request.path.startswith("/ui/static/"):
            return response  # a download streamed from a file: left alone
        response.direct_passthrough = False
    elif response.is_streamed:
        return response
    data = response.get_data()
    if len(data) < MIN_BYTES:
        return response
    response.set_data(_gzipped(data) if request.path.startswith("/ui/static/") else gzip.compress(data, 6, mtime=0))
    response.headers["Content-Encoding"] = "gzip"
    response.vary.add("Accept-Encoding")
    etag, weak = response.get_etag()
    if etag and not weak:
        response.set_etag(etag, weak=True)  # the same content, another encoding of it
    return response


def register(app: Flask) -> None:
    app.after_request(_compress)
