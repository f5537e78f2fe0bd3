"""The web UI's pages and assets as the server hands them out (the browser walks are in tests/browser)."""

from __future__ import annotations

import configparser
import fnmatch
import json
import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
UI_PACKAGE = ROOT / "src" / "flowdesk" / "api" / "ui"
PAGES = ["/ui/login", "/ui/inbox", "/ui/tickets/some-ticket", "/ui/definitions", "/ui/instances", "/ui/instances/some-instance",
         "/ui/oidc/callback", "/ui/requests", "/ui/requests/new", "/ui/requests/new/it_support",
         "/ui/requests/some-request", "/ui/requests/tasks/some-task"]


def test_root_leads_to_the_inbox(client):
    response = client.get("/", follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path == "/ui/inbox"


def test_pages_run_only_their_own_scripts(client):
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.mimetype == "text/html"
        policy = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
        assert policy["script-src"] == "'self'"
        assert policy["connect-src"] == "'self'"
        assert policy["frame-ancestors"] == "'none'"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert "<script>" not in response.get_data(as_text=True)  # no inline script the policy would block


def test_every_asset_a_page_names_is_served(client):
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        assets = re.findall(r'(?:src|href)="(/ui/static/[^"]+)"', html)
        assert assets, path
        for asset in assets:
            response = client.get(asset)
            assert response.status_code == 200, asset
            response.close()


def test_every_form_control_has_a_label(client):
    for path in PAGES:
        html = client.get(path).get_data(as_text=True)
        labelled = set(re.findall(r'<label[^>]*\bfor="([^"]+)"', html))
        controls = re.findall(r'<(?:input|select|textarea)\b[^>]*\bid="([^"]+)"', html)
        assert set(controls) <= labelled, (path, set(controls) - labelled)


def test_api_answers_keep_the_strict_policy(client, admin):
    response = client.get("/api/v1/me", headers=admin)
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_built_viewer_is_the_version_the_lock_file_pins():
    lock = json.loads((ROOT / "ui" / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/bpmn-js"]["version"]
    swagger = lock["packages"]["node_modules/swagger-ui-dist"]["version"]
    assert json.loads((UI_PACKAGE / "static" / "vendor" / "versions.json").read_text()) == {
        "bpmn-js": pinned, "swagger-ui-dist": swagger}
    viewer = (UI_PACKAGE / "static" / "vendor" / "bpmn-navigated-viewer.production.min.js").read_text()
    assert viewer.startswith(f"/*! bpmn-js - bpmn-navigated-viewer v{pinned} ")


def test_every_ui_file_is_package_data():
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in config["options.package_data"]["flowdesk"].split("\n") if p.strip()]
    package = UI_PACKAGE.parents[1]
    for path in UI_PACKAGE.rglob("*"):
        if path.is_file() and path.suffix != ".py" and "__pycache__" not in path.parts:
            relative = path.relative_to(package).as_posix()
            assert any(fnmatch.fnmatch(relative, p) for p in patterns), relative


def test_me_names_the_caller(client, make_user):
    headers = make_user("sue", "agent", "support", "billing")
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 200
    assert response.get_json() == {"name": "sue", "role": "agent", "groups": ["billing", "support"], "lead_of": []}


def test_me_needs_a_key(client):
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
