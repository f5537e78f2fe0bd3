"""Response headers that keep browsers from doing anything clever with API answers.

CORS stays off: no Access-Control-* header is ever sent, so browsers on other origins cannot
read the API with a user's credentials. The API docs page needs its scripts and styles.
"""

from __future__ import annotations

from flask import Flask, request

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_API_CSP = "default-src 'none'; frame-ancestors 'none'"


def register(app: Flask, max_json_bytes: int | None = None) -> None:
    if max_json_bytes:
        @app.before_request
        def _limit_json_body():
            # Uploads have their own, larger limit; a JSON command never needs that much.
            if request.is_json and request.path.startswith("/api/v1"):
                request.max_content_length = max_json_bytes
            return None

    @app.after_request
    def _secure(response):
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/api/docs"):
            response.headers.setdefault("Content-Security-Policy", _API_CSP)
        if request.path.startswith("/api/v1"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
