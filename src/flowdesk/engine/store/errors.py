"""Domain errors. ``api/errors.py`` maps each one to an HTTP status, once."""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``code`` is stable and documented; ``detail`` is for people."""

    code = "error"

    def __init__(self, detail: str, **extra):
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"


class Unauthenticated(DomainError):
    code = "unauthenticated"


class Forbidden(DomainError):
    code = "forbidden"


class Conflict(DomainError):
    """The thing exists but is not in a state that allows the command."""

    code = "conflict"


class PreconditionFailed(DomainError):
    """An ``If-Match`` version no longer matches."""

    code = "precondition_failed"


class InvalidInput(DomainError):
    """Well-formed request whose content is not acceptable; ``errors`` maps field -> messages."""

    code = "invalid_input"

    def __init__(self, detail: str, errors: dict | list | None = None, **extra):
        super().__init__(detail, **extra)
        self.errors = errors or {}


class BadDocument(DomainError):
    """An uploaded document that is not acceptable XML (malformed, DOCTYPE, entities)."""

    code = "bad_document"


class PayloadTooLarge(DomainError):
    code = "payload_too_large"


class InvalidModel(InvalidInput):
    """BPMN/DMN that parses as XML but cannot be deployed; errors carry file/line/element."""

    code = "invalid_model"


class ExecutionFailed(DomainError):
    """Running the process failed (a script raised, a condition failed); nothing was saved."""

    code = "execution_failed"


class Unavailable(DomainError):
    """A dependency (the database, the identity provider) cannot be reached; retry later."""

    code = "unavailable"
