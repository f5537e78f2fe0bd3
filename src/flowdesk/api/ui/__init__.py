"""The web UI: server-rendered page shells under /ui whose scripts call the REST API.

Pages carry no data and need no session on the server: the scripts keep the user's API key in
sessionStorage and send it as a Bearer token, so the UI can do exactly what the key may do.
"""

from __future__ import annotations

from flask import Blueprint, Flask, current_app, redirect, render_template, request, url_for
from werkzeug.exceptions import NotFound

from ..errors import problem
from .assets import Assets

bp = Blueprint("ui", __name__, url_prefix="/ui", template_folder="templates")
assets = Assets()


@bp.get("/static/<path:filename>", endpoint="static")
def static(filename: str):
    """Static files; a name with the file's current hash (``js/inbox.<hash>.js``) is cacheable for a year."""
    return assets.serve(filename)


@bp.app_template_global()
def asset(filename: str) -> str:
    """The URL of a static file under its content-hashed name, for templates."""
    return url_for("ui.static", filename=assets.hashed(filename))


@bp.get("/")
def home():
    return redirect(url_for("ui.inbox"))


@bp.get("/login")
def login():
    provider = current_app.extensions.get("flowdesk_oidc")
    return render_template("login.html", title="Log in", section=None,
                           oidc_provider=provider.provider_name if provider else None)


@bp.get("/oidc/callback")
def oidc_callback():
    """Where the identity provider sends the browser back with ``code`` and ``state``."""
    return render_template("oidc_callback.html", title="Signing in", section=None)


@bp.get("/inbox")
def inbox():
    return render_template("inbox.html", title="Inbox", section="inbox")


@bp.get("/tickets/<ticket_id>")
def ticket(ticket_id: str):
    return render_template("ticket.html", title="Ticket", section="inbox", ticket_id=ticket_id)


@bp.get("/definitions")
def definitions():
    return render_template("definitions.html", title="Definitions", section="definitions")


@bp.get("/instances")
def instances():
    return render_template("instances.html", title="Instances", section="instances")


@bp.get("/incidents")
def incidents():
    return render_template("incidents.html", title="Incidents", section="incidents")


@bp.get("/instances/<instance_id>")
def instance(instance_id: str):
    return render_template("instance.html", title="Instance", section="instances", instance_id=instance_id)


# The requester's pages (phone-first): their requests and to-do, the catalogue, a start form,
# one request with its public timeline and reply box, one task.
@bp.get("/requests")
def my_requests():
    return render_template("requests.html", title="My requests", section="requests")


@bp.get("/requests/new")
def request_catalogue():
    return render_template("request_types.html", title="New request", section="catalogue")


@bp.get("/requests/new/<type_key>")
def request_form(type_key: str):
    return render_template("request_new.html", title="New request", section="catalogue", type_key=type_key)


@bp.get("/requests/<request_id>")
def request_page(request_id: str):
    return render_template("request.html", title="Request", section="requests", request_id=request_id)


@bp.get("/requests/tasks/<task_id>")
def requester_task(task_id: str):
    return render_template("requester_task.html", title="To do", section="requests", task_id=task_id)


def not_found(error: NotFound):
    """A page of the UI that does not exist is an HTML page saying so; the API answers problem+json."""
    if request.path.startswith("/ui/") and not request.path.startswith("/ui/static/"):
        return render_template("not_found.html", title="Not found", section="none"), 404
    return problem(404, "not_found", error.description or "not found")


def register(app: Flask) -> None:
    """Mount the UI at /ui; the site root leads there."""
    app.register_blueprint(bp)
    app.register_error_handler(404, not_found)
    app.add_url_rule("/", "root", lambda: redirect(url_for("ui.home")))
    # Browsers ask for /favicon.ico whatever the page says.
    app.add_url_rule("/favicon.ico", "favicon", lambda: redirect(asset("favicon.svg")))
    app.add_url_rule("/api/docs", "api_docs", _api_docs)


def _api_docs():
    """The API reference: the vendored swagger-ui (no CDN) reading the OpenAPI document."""
    return render_template("api_docs.html", spec_url=url_for("api-docs.openapi_json"))
