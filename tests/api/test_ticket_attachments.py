"""Attachments on tickets: upload, sniffed types, limits, safe names, download rights, stores."""

import hashlib
import io

import pytest
import sqlalchemy as sa

from flowdesk.engine.work.attachment_store import DirectoryStore

PROBLEM = "application/problem+json"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(range(64))


@pytest.fixture
def ticket(deploy, start):
    """The open `first` ticket of a fresh two_step instance (candidate group agents)."""
    deploy("two_step.bpmn")
    return start("two_step")["open_tickets"][0]


@pytest.fixture
def bob(make_user):
    return make_user("bob", "agent", "agents")


def _url(ticket_id, attachment_id=None):
    return f"/api/v1/tickets/{ticket_id}/attachments" + (f"/{attachment_id}" if attachment_id else "")


def _upload(client, headers, ticket_id, data, filename="file.bin", content_type="application/octet-stream"):
    return client.post(_url(ticket_id), headers=headers, content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename, content_type)})


def _listed(client, headers, ticket_id):
    response = client.get(_url(ticket_id), headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["items"]


def _blob_count(runtime):
    with runtime.db.connect() as conn:
        return conn.execute(sa.text("select count(*) from attachment_blobs")).scalar_one()


def test_round_trip_keeps_bytes_and_sniffs_the_type(client, ticket, bob):
    created = _upload(client, bob, ticket["id"], PNG, "screenshot.png", "application/octet-stream")
    assert created.status_code == 201
    body = created.get_json()
    assert (body["filename"], body["content_type"], body["size"]) == ("screenshot.png", "image/png", len(PNG))
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    assert body["uploaded_by"] == "bob"
    assert "storage_key" not in body
    assert _listed(client, bob, ticket["id"]) == [body]

    download = client.get(_url(ticket["id"], body["id"]), headers=bob)
    assert download.status_code == 200
    assert download.data == PNG
    assert download.mimetype == "image/png"
    assert download.headers["Content-Disposition"] == 'attachment; filename=screenshot.png'
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_upload_appears_in_the_timeline(client, ticket, bob):
    body = _upload(client, bob, ticket["id"], b"%PDF-1.7 report", "report.pdf").get_json()
    step = client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=bob).get_json()["items"][-1]
    assert step["action"] == "attachment_added"
    assert step["metadata"] == {"attachment_id": body["id"], "filename": "report.pdf", "size": 15,
                                "content_type": "application/pdf", "sha256": body["sha256"]}


@pytest.mark.parametrize("data, claimed, expected", [
    (b"\xff\xd8\xff\xe0 jpeg", "text/plain", "image/jpeg"),
    (b"GIF89a....", None, "image/gif"),
    (b"PK\x03\x04 zip", "application/octet-stream", "application/zip"),
    (b"plain words", "text/plain", "text/plain"),
    (b"plain words", "Text/CSV; charset=utf-8", "text/csv"),
    (b"<html>", "image/png", "application/octet-stream"),  # claims a type its bytes do not have
    (b"data", "not a type", "application/octet-stream"),
    (b"data", "text/<script>", "application/octet-stream"),
    (b"data", "../../etc/passwd", "application/octet-stream"),
])
def test_content_type_is_sniffed_or_a_plain_client_type(client, admin, ticket, data, claimed, expected):
    response = client.post(_url(ticket["id"]), headers=admin, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "f", claimed) if claimed else (io.BytesIO(data), "f")})
    assert response.status_code == 201
    assert response.get_json()["content_type"] == expected


def test_over_the_limit_is_413_and_stores_nothing(client, runtime, ticket, bob):
    runtime.max_attachment_bytes = 100
    assert _upload(client, bob, ticket["id"], b"x" * 100).status_code == 201
    response = _upload(client, bob, ticket["id"], b"x" * 101)
    assert response.status_code == 413
    assert response.mimetype == PROBLEM
    assert len(_listed(client, bob, ticket["id"])) == 1
    assert _blob_count(runtime) == 1


def test_path_in_filename_is_only_a_display_name(client, runtime, tmp_path, ticket, bob):
    runtime.attachment_dir = str(tmp_path / "files")
    body = _upload(client, bob, ticket["id"], b"root:x:0:0", "../../etc/passwd").get_json()
    assert body["filename"] == "passwd"
    assert [p.name for p in (tmp_path / "files").iterdir()] != ["passwd"]
    assert not (tmp_path / "etc").exists()
    download = client.get(_url(ticket["id"], body["id"]), headers=bob)
    assert download.headers["Content-Disposition"] == "attachment; filename=passwd"


@pytest.mark.parametrize("raw, shown", [
    ("..\\..\\boot.ini", "boot.ini"),
    ("..", "attachment"),
    ("invoice\u202egpj.exe", "invoicegpj.exe"),  # no right-to-left override to disguise the extension
    ("a\x00b\tc\x7f.txt", "abc.txt"),
    ("x" * 300 + ".pdf", "x" * 251 + ".pdf"),
])
def test_filenames_are_sanitised(client, admin, ticket, raw, shown):
    response = _upload(client, admin, ticket["id"], b"data", raw)
    assert response.get_json()["filename"] == shown


def test_unicode_filename_downloads_with_an_encoded_header(client, admin, ticket):
    body = _upload(client, admin, ticket["id"], b"data", "Überweisung.txt", "text/plain").get_json()
    download = client.get(_url(ticket["id"], body["id"]), headers=admin)
    assert "filename*=UTF-8''%C3%9Cberweisung.txt" in download.headers["Content-Disposition"]


def test_directory_store_writes_only_under_its_directory(client, runtime, tmp_path, ticket, bob):
    area = tmp_path / "area"
    root = area / "files"
    runtime.attachment_dir = str(root)
    body = _upload(client, bob, ticket["id"], PNG, "../evil.png").get_json()
    written = [p for p in area.rglob("*") if p.is_file()]
    assert len(written) == 1
    assert written[0].parent == root
    assert len(written[0].name) == 32 and written[0].read_bytes() == PNG
    assert _blob_count(runtime) == 0
    assert client.get(_url(ticket["id"], body["id"]), headers=bob).data == PNG


def test_directory_store_refuses_keys_it_did_not_make(tmp_path):
    store = DirectoryStore(tmp_path / "files")
    for key in ("../escape", "/etc/passwd", "A" * 32, ""):
        with pytest.raises(ValueError):
            store.put(key, b"x")
    assert not any(tmp_path.rglob("*.partial")) and not (tmp_path / "escape").exists()


def test_download_is_404_for_an_agent_who_cannot_see_the_ticket(client, ticket, bob, make_user):
    body = _upload(client, bob, ticket["id"], PNG, "secret.png").get_json()
    eve = make_user("eve", "agent", "finance")
    response = client.get(_url(ticket["id"], body["id"]), headers=eve)
    assert response.status_code == 404
    assert response.mimetype == PROBLEM
    assert PNG not in response.data
    assert client.get(_url(ticket["id"]), headers=eve).status_code == 404
    assert _upload(client, eve, ticket["id"], b"x").status_code == 404
    assert len(_listed(client, bob, ticket["id"])) == 1


def test_attachment_is_only_reachable_under_its_own_ticket(client, admin, ticket, start):
    body = _upload(client, admin, ticket["id"], PNG).get_json()
    other = start("two_step")["open_tickets"][0]
    assert client.get(_url(other["id"], body["id"]), headers=admin).status_code == 404


def test_unknown_ids_are_404(client, admin, ticket):
    for response in (client.get(_url(ticket["id"], "nope"), headers=admin), client.get(_url("nope"), headers=admin),
                     _upload(client, admin, "nope", b"x")):
        assert response.status_code == 404
        assert response.mimetype == PROBLEM


@pytest.mark.parametrize("kwargs", [
    lambda: {"json": {"file": "aGVsbG8="}},
    lambda: {"data": {"other": (io.BytesIO(b"x"), "x.txt")}, "content_type": "multipart/form-data"},
    lambda: {"data": {"file": [(io.BytesIO(b"a"), "a.txt"), (io.BytesIO(b"b"), "b.txt")]},
             "content_type": "multipart/form-data"},
    lambda: {"data": {"file": (io.BytesIO(b""), "empty.txt")}, "content_type": "multipart/form-data"},
    lambda: {"data": b"raw bytes", "content_type": "application/octet-stream"},
], ids=["json", "other-field", "two-files", "empty-file", "raw-body"])
def test_bad_upload_is_422_and_stores_nothing(client, runtime, admin, ticket, kwargs):
    response = client.post(_url(ticket["id"]), headers=admin, **kwargs())
    assert response.status_code == 422
    assert response.mimetype == PROBLEM
    assert _listed(client, admin, ticket["id"]) == []
    assert _blob_count(runtime) == 0
    steps = client.get(f"/api/v1/tickets/{ticket['id']}/progressions", headers=admin).get_json()["items"]
    assert [s["action"] for s in steps] == ["created"]
