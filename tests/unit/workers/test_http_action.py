import ipaddress
import socket
import ssl
import time

import httpx
import pytest

from flowdesk.engine.access import signing
from flowdesk.workers.http_action import (
    ActionError, ActionRefused, ActionRequest, ActionResponse, address_problem, call_action)

SECRET = b"test-signing-secret"
LOCAL = ["127.0.0.1"]
PUBLIC = "93.184.216.34"  # only ever handed to a mock transport, never connected to


def test_post_sends_json_and_returns_parsed_answer(server):
    response = call_action(ActionRequest(f"{server.url}/echo", body={"order": 42}),
                           signing_secret=SECRET, allow_hosts=LOCAL)
    assert isinstance(response, ActionResponse)
    assert response.status_code == 200
    assert response.body["method"] == "POST"
    assert response.body["body"] == '{"order":42}'
    assert response.body["headers"]["Content-Type"] == "application/json"
    assert response.body["headers"]["User-Agent"] == "flowdesk"
    assert response.headers["content-type"] == "application/json"


def test_signature_verifies_against_the_bytes_sent(server):
    response = call_action(ActionRequest(f"{server.url}/echo", body={"name": "Zoë"}),
                           signing_secret=SECRET, allow_hosts=LOCAL)
    header = response.body["headers"][signing.SIGNATURE_HEADER]
    assert signing.verify(SECRET, header, response.body["body"].encode("utf-8"))
    assert not signing.verify(b"another-secret", header, response.body["body"].encode("utf-8"))


def test_request_without_body_signs_empty_bytes(server):
    response = call_action(ActionRequest(f"{server.url}/echo", method="GET"), signing_secret=SECRET,
                           allow_hosts=LOCAL)
    assert response.body["method"] == "GET"
    assert "Content-Type" not in response.body["headers"]
    assert signing.verify(SECRET, response.body["headers"][signing.SIGNATURE_HEADER], b"")


def test_idempotency_key_is_sent(server):
    response = call_action(ActionRequest(f"{server.url}/echo", body={}, idempotency_key="job-7:attempt"),
                           signing_secret=SECRET, allow_hosts=LOCAL)
    assert response.body["headers"]["Idempotency-Key"] == "job-7:attempt"


def test_task_headers_are_sent(server):
    response = call_action(ActionRequest(f"{server.url}/echo", headers={"Authorization": "Bearer abc"}),
                           signing_secret=SECRET, allow_hosts=LOCAL)
    assert response.body["headers"]["Authorization"] == "Bearer abc"


def test_task_headers_cannot_replace_the_signature(tripwire):
    request = ActionRequest("http://127.0.0.1/", headers={"x-flowdesk-signature": "t=1,v1=forged"})
    with pytest.raises(ActionRefused, match="set by flowdesk"):
        call_action(request, signing_secret=SECRET, allow_hosts=LOCAL, transport=tripwire)


def test_task_headers_cannot_replace_host(tripwire):
    request = ActionRequest("http://127.0.0.1/", headers={"Host": "internal.example"})
    with pytest.raises(ActionRefused, match="set by flowdesk"):
        call_action(request, signing_secret=SECRET, allow_hosts=LOCAL, transport=tripwire)


def test_bad_header_value_is_refused_without_showing_it(tripwire):
    request = ActionRequest("http://127.0.0.1/", headers={"Authorization": "Bearer s3cr3t\r\nX-Evil: 1"})
    with pytest.raises(ActionRefused) as info:
        call_action(request, signing_secret=SECRET, allow_hosts=LOCAL, transport=tripwire)
    assert "Authorization" in info.value.message
    assert "s3cr3t" not in str(info.value)


def test_loopback_is_refused_without_allow_list(server):
    with pytest.raises(ActionRefused) as info:
        call_action(ActionRequest(f"{server.url}/echo"), signing_secret=SECRET)
    assert info.value.message == ("action URL refused: 127.0.0.1 is a loopback address "
                                  "(set FLOWDESK_ACTION_ALLOW to allow host '127.0.0.1')")
    assert info.value.retryable is False
    assert server.paths == []


def test_allow_list_by_host(server):
    response = call_action(ActionRequest(f"{server.url}/echo"), signing_secret=SECRET, allow_hosts=["127.0.0.1"])
    assert response.status_code == 200


def test_allow_list_by_host_and_port(server):
    response = call_action(ActionRequest(f"{server.url}/echo"), signing_secret=SECRET,
                           allow_hosts=[f"127.0.0.1:{server.port}"])
    assert response.status_code == 200


def test_allow_list_entry_for_another_port_does_not_match(server):
    with pytest.raises(ActionRefused):
        call_action(ActionRequest(f"{server.url}/echo"), signing_secret=SECRET,
                    allow_hosts=[f"127.0.0.1:{server.port + 1}"])


def test_allow_list_is_case_insensitive(server, fake_dns):
    fake_dns.add("service.test", ["127.0.0.1"])
    response = call_action(ActionRequest(f"http://Service.TEST:{server.port}/echo"), signing_secret=SECRET,
                           allow_hosts=["SERVICE.test"])
    assert response.status_code == 200


@pytest.mark.parametrize("url, problem", [
    ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is the cloud metadata address"),
    ("http://169.254.1.1/", "a link-local address"),
    ("http://10.0.0.1/", "10.0.0.1 is a private address"),
    ("http://172.16.0.1/", "a private address"),
    ("http://192.168.1.1/", "a private address"),
    ("http://100.64.0.1/", "a carrier-grade NAT (100.64.0.0/10) address"),
    ("http://0.0.0.0/", "an unspecified address"),
    ("http://0.1.2.3/", "an unspecified address"),
    ("http://224.0.0.1/", "a multicast address"),
    ("http://240.0.0.1/", "a reserved address"),
    ("http://192.0.2.1/", "a non-public address"),
    ("http://[::1]/", "::1 is a loopback address"),
    ("http://[::]/", "an unspecified address"),
    ("http://[fd00::1]/", "a unique local (fc00::/7) address"),
    ("http://[fe80::1]/", "a link-local address"),
    ("http://[ff02::1]/", "a multicast address"),
    ("http://[::ffff:127.0.0.1]/", "a loopback address (127.0.0.1 embedded in ::ffff:7f00:1)"),
    ("http://[::ffff:169.254.169.254]/", "the cloud metadata address"),
    ("http://[64:ff9b::10.0.0.1]/", "a private address (10.0.0.1 embedded in 64:ff9b::a00:1)"),
    ("http://[2002:7f00:1::]/", "a loopback address (127.0.0.1 embedded in 2002:7f00:1::)"),
])
def test_internal_addresses_are_refused(url, problem, tripwire):
    with pytest.raises(ActionRefused, match="action URL refused: ") as info:
        call_action(ActionRequest(url), signing_secret=SECRET, transport=tripwire)
    assert problem in info.value.message
    assert tripwire.sent == []


@pytest.mark.parametrize("url", [
    "http://2130706433/",
    "http://0x7f000001/",
    "http://017700000001/",
    "http://127.1/",
    "http://0177.1/",
])
def test_numeric_encodings_of_loopback_are_refused(url, tripwire):
    with pytest.raises(ActionRefused, match="127.0.0.1 is a loopback address") as info:
        call_action(ActionRequest(url), signing_secret=SECRET, transport=tripwire)
    assert "set FLOWDESK_ACTION_ALLOW" in info.value.message
    assert tripwire.sent == []


def test_dotted_octal_is_refused_as_an_invalid_url(tripwire):
    with pytest.raises(ActionRefused, match="not a valid URL"):
        call_action(ActionRequest("http://0177.0.0.1/"), signing_secret=SECRET, transport=tripwire)


@pytest.mark.parametrize("url, message", [
    ("file:///etc/passwd", "scheme 'file' is not allowed"),
    ("ftp://example.test/file", "scheme 'ftp' is not allowed"),
    ("gopher://example.test/", "scheme 'gopher' is not allowed"),
    ("http:///path-only", "the host is not a valid host name"),
    ("http://a..b/", "the host is not a valid host name"),
])
def test_unsupported_urls_are_refused(url, message, tripwire):
    with pytest.raises(ActionRefused, match=message):
        call_action(ActionRequest(url), signing_secret=SECRET, transport=tripwire)


def test_userinfo_is_refused_without_showing_the_password(tripwire):
    with pytest.raises(ActionRefused, match="credentials in the URL") as info:
        call_action(ActionRequest("http://admin:hunter2@127.0.0.1/"), signing_secret=SECRET,
                    allow_hosts=LOCAL, transport=tripwire)
    assert "hunter2" not in str(info.value)


def test_refused_even_if_only_one_resolved_address_is_internal(fake_dns, tripwire):
    fake_dns.add("mixed.test", [PUBLIC, "10.1.2.3"])
    with pytest.raises(ActionRefused, match="10.1.2.3 is a private address .* host 'mixed.test'"):
        call_action(ActionRequest("http://mixed.test/"), signing_secret=SECRET, transport=tripwire)
    assert tripwire.sent == []


def test_connects_to_the_checked_address_with_the_original_host(fake_dns, recorder):
    # A second lookup would answer with loopback (DNS rebinding); there must not be one.
    fake_dns.add("rebind.test", [PUBLIC], ["127.0.0.1"])
    call_action(ActionRequest("http://rebind.test:8080/hook"), signing_secret=SECRET, transport=recorder)
    [sent] = recorder.seen
    assert fake_dns.lookups["rebind.test"] == 1
    assert str(sent.url) == f"http://{PUBLIC}:8080/hook"
    assert sent.headers["Host"] == "rebind.test:8080"
    assert "sni_hostname" not in sent.extensions


def test_https_keeps_the_real_name_for_tls(fake_dns, recorder):
    fake_dns.add("secure.test", [PUBLIC])
    call_action(ActionRequest("https://secure.test/hook"), signing_secret=SECRET, transport=recorder)
    [sent] = recorder.seen
    assert sent.url.scheme == "https"
    assert sent.url.host == PUBLIC
    assert sent.headers["Host"] == "secure.test"
    assert sent.extensions["sni_hostname"] == "secure.test"


def test_tls_is_verified_against_the_name_not_the_address(tls_server, fake_dns):
    fake_dns.add("secure.test", ["127.0.0.1"])
    trusting = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=tls_server.cafile))
    response = call_action(ActionRequest(f"https://secure.test:{tls_server.port}/echo"), signing_secret=SECRET,
                           allow_hosts=["secure.test"], transport=trusting)
    assert response.status_code == 200
    assert response.body["headers"]["Host"] == f"secure.test:{tls_server.port}"


def test_tls_certificate_for_another_name_fails(tls_server, fake_dns):
    fake_dns.add("other.test", ["127.0.0.1"])
    trusting = httpx.HTTPTransport(verify=ssl.create_default_context(cafile=tls_server.cafile))
    with pytest.raises(ActionError, match="connection failed .*CERTIFICATE_VERIFY_FAILED"):
        call_action(ActionRequest(f"https://other.test:{tls_server.port}/echo"), signing_secret=SECRET,
                    allow_hosts=["other.test"], transport=trusting)


def test_allowed_name_reaches_the_local_server_with_its_host_header(server, fake_dns):
    fake_dns.add("service.test", ["127.0.0.1"])
    response = call_action(ActionRequest(f"http://service.test:{server.port}/echo"), signing_secret=SECRET,
                           allow_hosts=["service.test"])
    assert response.body["headers"]["Host"] == f"service.test:{server.port}"


def test_unresolvable_host_is_a_retryable_error(fake_dns, tripwire):
    fake_dns.add("nowhere.test", socket.gaierror(socket.EAI_NONAME, "Name or service not known"))
    with pytest.raises(ActionError, match="could not be resolved") as info:
        call_action(ActionRequest("http://nowhere.test/"), signing_secret=SECRET, transport=tripwire)
    assert info.value.retryable is True


def test_slow_dns_counts_against_the_timeout(fake_dns, tripwire):
    fake_dns.add("slow-dns.test", lambda: time.sleep(2) or [PUBLIC])
    started = time.monotonic()
    with pytest.raises(ActionError, match="did not resolve within 0.3s") as info:
        call_action(ActionRequest("http://slow-dns.test/", timeout=0.3), signing_secret=SECRET, transport=tripwire)
    assert time.monotonic() - started < 1
    assert info.value.retryable is True


def test_redirect_is_refused_not_followed(server):
    with pytest.raises(ActionRefused) as info:
        call_action(ActionRequest(f"{server.url}/redirect"), signing_secret=SECRET, allow_hosts=LOCAL)
    assert info.value.message == ("action URL answered with a redirect to http://169.254.169.254/latest/meta-data/; "
                                  "redirects are not followed")
    assert info.value.status_code == 302
    assert server.paths == ["/redirect"]


def test_slow_endpoint_times_out_as_retryable(server):
    started = time.monotonic()
    with pytest.raises(ActionError) as info:
        call_action(ActionRequest(f"{server.url}/slow", timeout=0.5), signing_secret=SECRET, allow_hosts=LOCAL)
    assert time.monotonic() - started < 1.5
    assert info.value.message == "action URL timed out after 0.5s"
    assert info.value.retryable is True
    assert not isinstance(info.value, ActionRefused)


def test_dribbling_endpoint_is_cut_off_at_the_total_timeout(server):
    # Each byte arrives well within the read timeout; only the total deadline stops the call.
    started = time.monotonic()
    with pytest.raises(ActionError, match="timed out after 0.5s") as info:
        call_action(ActionRequest(f"{server.url}/drip", timeout=0.5), signing_secret=SECRET, allow_hosts=LOCAL)
    assert time.monotonic() - started < 1.5
    assert info.value.retryable is True


def test_huge_response_is_cut_off(server):
    started = time.monotonic()
    with pytest.raises(ActionError) as info:
        call_action(ActionRequest(f"{server.url}/huge"), signing_secret=SECRET, allow_hosts=LOCAL)
    assert time.monotonic() - started < 2
    assert info.value.message == "action response is larger than 1048576 bytes"
    assert info.value.retryable is False


def test_response_limit_is_configurable(server):
    with pytest.raises(ActionError, match="larger than 100 bytes"):
        call_action(ActionRequest(f"{server.url}/echo", headers={"X-Pad": "x" * 200}), signing_secret=SECRET,
                    allow_hosts=LOCAL, max_response_bytes=100)


def test_server_error_is_returned_for_the_caller_to_judge(server):
    response = call_action(ActionRequest(f"{server.url}/error"), signing_secret=SECRET, allow_hosts=LOCAL)
    assert response.status_code == 500
    assert response.body == {"error": "boom"}


def test_non_json_body_gives_text_only(server):
    response = call_action(ActionRequest(f"{server.url}/text"), signing_secret=SECRET, allow_hosts=LOCAL)
    assert response.body is None
    assert response.text == "plain words"


def test_connection_refused_is_retryable():
    # A port that was free a moment ago: nothing listens there.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ActionError, match="connection failed") as info:
        call_action(ActionRequest(f"http://127.0.0.1:{port}/"), signing_secret=SECRET, allow_hosts=LOCAL)
    assert info.value.retryable is True


def test_body_that_is_not_json_is_an_error(tripwire):
    with pytest.raises(ActionError, match="not JSON-serialisable"):
        call_action(ActionRequest("http://127.0.0.1/", body={"when": object()}), signing_secret=SECRET,
                    allow_hosts=LOCAL, transport=tripwire)


def test_unknown_method_is_refused(tripwire):
    with pytest.raises(ActionRefused, match="method 'CONNECT' is not allowed"):
        call_action(ActionRequest("http://127.0.0.1/", method="CONNECT"), signing_secret=SECRET,
                    allow_hosts=LOCAL, transport=tripwire)


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::", "64:ff9b::93.184.216.34",
                                     "::ffff:93.184.216.34"])
def test_public_addresses_have_no_problem(address):
    assert address_problem(ipaddress.ip_address(address)) is None
