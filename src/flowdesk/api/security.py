"""Response headers that keep browsers from doing anything clever with API answers.

CORS stays off: no Access-Control-* header is ever sent, so browsers on other origins cannot
read the API with a user's credentials. The web UI under /ui and the API docs page (the vendored
swagger-ui, on the same origin as the UI and its key) get policies of their own.
"""

from __future__ import annotations

from flask import Flask, request

from ..engine.store.errors import PayloadTooLarge

_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}
_API_CSP = "default-src 'none'; frame-ancestors 'none'"
# The web UI runs only its own scripts and talks only to its own origin. Inline style attributes
# are allowed because the bpmn-js viewer positions the diagram with them; inline scripts are not.
_UI_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
           "font-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


# swagger-ui sets inline styles and shows data: images; it runs only the scripts served here.
_DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
             "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'")


def register(app: Flask, max_json_bytes: int | None = None) -> None:
    if max_json_bytes:
        @app.before_request
        def _limit_json_body():
            # Uploads have their own, larger limit; a JSON command never needs that much.
            if not (request.is_json and request.path.startswith("/api/v1")):
                return None
            request.max_content_length = max_json_bytes
            if request.content_length is None:
                # A chunked body has no length to check up front and werkzeug would only cut it
                # at the limit; read one byte past it (cached for the handler) to tell.
                request.max_content_length = max_json_bytes + 1
                if len(request.get_data(cache=True)) > max_json_bytes:
                    raise PayloadTooLarge(f"the JSON body is larger than {max_json_bytes} bytes")
            return None

    @app.after_request
    def _secure(response):
        for name, value in _HEADERS.items():
            response.headers.setdefault(name, value)
        if request.path.startswith("/ui"):
            response.headers.setdefault("Content-Security-Policy", _UI_CSP)
        elif request.path.rstrip("/") == "/api/docs":
            response.headers.setdefault("Content-Security-Policy", _DOCS_CSP)
        else:
            response.headers.setdefault("Content-Security-Policy", _API_CSP)
        if request.path.startswith("/api/v1"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response
