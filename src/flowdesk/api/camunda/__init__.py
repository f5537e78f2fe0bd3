"""A Camunda 7 compatible REST surface under /engine-rest, on the same engine as /api/v1.

Clients written for Camunda 7 (external task workers, process starters, task apps) work with
only their base URL and credentials changed. Paths, field names, status codes and error bodies
are Camunda's; the operations are flowdesk's own engine functions. One module per Camunda
resource; :mod:`.variables` maps typed variables to JSON and back.
"""

from __future__ import annotations

from flask import Blueprint, Flask, request
from werkzeug.exceptions import HTTPException

from ...engine.store.errors import DomainError
from . import auth, deployments, errors, external_tasks, messages, process_definitions, process_instances, tasks

PREFIX = "/engine-rest"


def register(app: Flask, problem_handler) -> None:
    """Mount the surface; ``problem_handler`` answers HTTP errors outside it (problem+json)."""
    surface = Blueprint("camunda", __name__, url_prefix=PREFIX)
    surface.before_request(auth.authenticate)
    surface.register_error_handler(DomainError, errors.domain_error)
    surface.register_error_handler(errors.CamundaError, errors.camunda_error)
    surface.register_error_handler(HTTPException, errors.http_error)
    for module in (external_tasks, process_definitions, messages, tasks, process_instances, deployments):
        surface.register_blueprint(module.bp)
    app.register_blueprint(surface)

    # An unknown path or method under the prefix matches no blueprint: answer it the Camunda way too.
    for status in (404, 405):
        @app.errorhandler(status)
        def _outside_routes(error: HTTPException):
            if request.path == PREFIX or request.path.startswith(PREFIX + "/"):
                return errors.http_error(error)
            return problem_handler(error)
