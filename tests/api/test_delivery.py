"""Delivery of the UI: content-hashed asset names cached for a year, gzip for what compresses, a favicon."""

from __future__ import annotations

import gzip
import re

import pytest

GZIP = {"Accept-Encoding": "gzip, deflate"}


@pytest.fixture
def backend():
    """Headers and static files: the same on both backends."""
    return "sqlite"


def _asset_url(client, page: str, name: str) -> str:
    """The URL ``page`` names for the static file ``name``: its content hash is part of the file name."""
    html = client.get(page).get_data(as_text=True)
    stem, ext = name.rsplit(".", 1)
    [url] = re.findall(rf'"(/ui/static/{re.escape(stem)}\.[0-9a-f]{{16}}\.{ext})"', html)
    return url


@pytest.mark.parametrize("page, name", [("/ui/inbox", "js/inbox.js"), ("/ui/inbox", "css/app.css"),
                                        ("/ui/inbox", "favicon.svg"),
                                        ("/api/docs", "vendor/swagger-ui-bundle.js")])
def test_a_page_names_its_assets_by_content_hash_and_they_are_cached_for_a_year(client, page, name):
    url = _asset_url(client, page, name)
    assert "?" not in url
    response = client.get(url)
    assert response.status_code == 200
    cache = response.headers["Cache-Control"]
    assert "max-age=31536000" in cache and "immutable" in cache and "public" in cache
    assert response.get_data() == client.get(f"/ui/static/{name}").get_data()


def test_a_hashed_module_is_javascript(client):
    response = client.get(_asset_url(client, "/ui/inbox", "js/inbox.js"))
    assert response.mimetype == "text/javascript"


def test_a_module_imports_its_neighbours_by_their_hashed_names(client):
    source = client.get(_asset_url(client, "/ui/inbox", "js/inbox.js")).get_data(as_text=True)
    imports = re.findall(r'from "\./([a-z_]+)\.([0-9a-f]{16})\.js"', source)
    assert {name for name, _ in imports} >= {"api", "page"}
    for name, version in imports:
        imported = client.get(f"/ui/static/js/{name}.{version}.js")
        assert imported.status_code == 200 and "immutable" in imported.headers["Cache-Control"]


def test_the_plain_name_keeps_working_with_a_short_max_age(client):
    response = client.get("/ui/static/js/inbox.js")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    again = client.get("/ui/static/js/inbox.js", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_an_old_hash_serves_todays_file_and_revalidates(client):
    current = client.get(_asset_url(client, "/ui/inbox", "js/inbox.js")).get_data()
    for url in ("/ui/static/js/inbox.0000000000000000.js", "/ui/static/js/inbox.js?v=0000000000000000"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
        assert response.get_data() == current
        again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304


def test_static_files_and_json_are_gzipped_for_clients_that_accept_it(client, admin):
    url = _asset_url(client, "/ui/inbox", "css/app.css")
    plain = client.get(url).data
    packed = client.get(url, headers=GZIP)
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain and len(packed.data) < len(plain) / 2
    spec = client.get("/api/openapi.json", headers=GZIP)
    assert spec.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(spec.data).startswith(b"{")
    page = client.get("/ui/inbox", headers=GZIP)
    assert page.headers["Content-Encoding"] == "gzip"


def test_small_answers_and_clients_without_gzip_get_plain_bytes(client, admin):
    assert "Content-Encoding" not in client.get("/api/v1/me", headers={**admin, **GZIP}).headers
    assert "Content-Encoding" not in client.get("/ui/static/css/app.css").headers


def test_there_is_a_favicon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    icon = client.get(response.headers["Location"])
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"
    assert 'rel="icon"' in client.get("/ui/login").get_data(as_text=True)


def test_a_file_outside_the_static_folder_is_404(client):
    assert client.get("/ui/static/../__init__.py").status_code == 404
    assert client.get("/ui/static/js/nothing.js").status_code == 404
    assert client.get("/ui/static/js/nothing.0123456789abcdef.js").status_code == 404
