"""Credentials in an action job's request: sealed at rest, opened by the worker just in time.

A connector evaluates its credentials from the task data when its job is written (SpiffArena's
``basic_auth_password``, an ``Authorization`` header, a ``password`` field of the body, an
``api_key`` query parameter). The job row keeps each such value only encrypted with the
installation's key, as ``{{sealed:<token>}}``; the worker opens it right before the call, as it
resolves ``{{secret:NAME}}`` references, and scrubs it from whatever it records. What is shown
of a request (``/jobs/{id}``, error messages) says ``***`` instead.

A SpiffArena Basic auth with a secret in it arrives as ``{{basic}}user:password`` with
``{{secret:NAME}}`` references in place: the text around the references is sealed, and the
worker encodes the header once it has resolved and opened everything in it.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import quote, unquote_plus, urlsplit, urlunsplit

from ...bpmn import connectors
from ..access import secrets
from ..store.keys import SecretBox

SEALED = re.compile(r"\{\{sealed:([A-Za-z0-9_\-=]+)\}\}")
# Header names whose whole value is a credential, and words that make any name one.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie", "x-api-key", "api-key", "apikey"})
_SECRET_WORDS = ("password", "passwd", "secret", "token", "apikey", "api_key", "api-key", "authorization",
                 "credential", "private_key", "private-key")


def is_secret_name(name: str) -> bool:
    """Whether a header, field or query parameter of this name carries a credential."""
    lowered = str(name).lower()
    return lowered in _SECRET_HEADERS or any(word in lowered for word in _SECRET_WORDS)


def _seal(box: SecretBox, value: str) -> str:
    if value.startswith(connectors.BASIC):
        return connectors.BASIC + _seal_around_references(box, value[len(connectors.BASIC):])
    if not value or secrets.REFERENCE.search(value) or SEALED.search(value):
        return value  # nothing to hide, or a reference already (resolved by the worker)
    return "{{sealed:" + box.seal(value).decode("ascii") + "}}"


def _seal_around_references(box: SecretBox, text: str) -> str:
    """``text`` with everything but its ``{{secret:NAME}}`` references sealed (user, password parts)."""
    pieces, at = [], 0
    for match in secrets.REFERENCE.finditer(text):
        pieces += [_seal(box, text[at:match.start()]), match.group(0)]
        at = match.end()
    return "".join(pieces) + _seal(box, text[at:])


def _seal_body(box: SecretBox, value):
    if isinstance(value, dict):
        return {key: _seal(box, item) if isinstance(item, str) and is_secret_name(key) else _seal_body(box, item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [_seal_body(box, item) for item in value]
    return value


def _seal_url(box: SecretBox, url: str) -> str:
    """``url`` with the values of its secret-looking query parameters sealed (the rest byte for byte)."""
    parts = urlsplit(url)
    if not parts.query:
        return url
    pairs = []
    for pair in parts.query.split("&"):
        name, equals, value = pair.partition("=")
        if equals and is_secret_name(unquote_plus(name)):
            value = _seal(box, unquote_plus(value))
        pairs.append(name + equals + value)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "&".join(pairs), parts.fragment))


def seal_request(box: SecretBox | None, url: str, headers: dict, body) -> tuple[str, dict, object]:
    """The URL, headers and body of a job to store, their credentials sealed (unchanged without a box)."""
    if box is None:
        return url, headers, body
    return (_seal_url(box, url),
            {name: _seal(box, value) if is_secret_name(name) else value for name, value in headers.items()},
            _seal_body(box, body))


def _opened_forms(value: str) -> list[str]:
    """The value and, for basic auth, the password inside it: both must be scrubbed from echoes."""
    forms = [value]
    if value.lower().startswith("basic "):
        try:
            user_password = base64.b64decode(value[6:].strip(), validate=True).decode()
            forms += [user_password, user_password.partition(":")[2]]
        except (binascii.Error, UnicodeDecodeError):
            pass
    return [form for form in forms if form]


def open_text(box: SecretBox, text: str, used: list[str], in_url: bool = False) -> str:
    """``text`` with every sealed value opened; the values go to ``used`` (for scrubbing)."""
    def opened(match: re.Match) -> str:
        value = box.open(match.group(1).encode("ascii"))
        used.extend(_opened_forms(value))
        return quote(value, safe="") if in_url else value
    return SEALED.sub(opened, text)


def open_basic(value: str, used: list[str]) -> str:
    """A header value as sent: ``{{basic}}user:password`` (all resolved and opened) is encoded."""
    if not value.startswith(connectors.BASIC):
        return value
    user, _, password = value[len(connectors.BASIC):].partition(":")
    header = connectors.basic_authorization(user, password)
    used.extend(_opened_forms(header))
    return header


def open_body(box: SecretBox, value, used: list[str]):
    """A request body with its sealed strings opened."""
    if isinstance(value, str):
        return open_text(box, value, used)
    if isinstance(value, dict):
        return {key: open_body(box, item, used) for key, item in value.items()}
    if isinstance(value, list):
        return [open_body(box, item, used) for item in value]
    return value


def shown(text: str | None) -> str | None:
    """``text`` as it may be shown: each sealed value is ``***``."""
    return SEALED.sub("***", text) if text else text
