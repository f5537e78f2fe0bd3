"""Calling a service task's action URL without letting the URL reach into our own network.

Action URLs come from process models, so they are untrusted input. Before anything is sent the
host is resolved once and every address it resolves to is judged; the request then goes to the
judged address (with the original ``Host`` and TLS name) so a second DNS answer cannot swap in
an internal one. Redirects are refused rather than followed, because following one would skip
that check.
"""

from __future__ import annotations

import ipaddress
import json
import re
import socket
import threading
import time
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..engine.access import signing
from .action_clients import ClientPool, shared_pool

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_ALLOW_SETTING = "FLOWDESK_ACTION_ALLOW"
_DEFAULT_PORTS = {"http": 80, "https": 443}
_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"})
# Framing and routing are ours to set: a task-supplied Host or Content-Length could desync
# the connection or point a virtual host somewhere the guard never judged.
_RESERVED_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection", "te", "upgrade",
                              signing.SIGNATURE_HEADER.lower()})

_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HEADER_VALUE = re.compile(r"[\t\x20-\x7e]*")
_HOST = re.compile(r"[a-z0-9._\-]+|[0-9a-f:.]+")  # a name as httpx normalises it, or a bare IPv6 literal

_METADATA = ipaddress.IPv4Address("169.254.169.254")
_ZERO_NET = ipaddress.IPv4Network("0.0.0.0/8")
_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_ULA = ipaddress.IPv6Network("fc00::/7")


@dataclass
class ActionRequest:
    """One call of a service task's action URL."""

    url: str
    method: str = "POST"
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None            # JSON-serialisable; sent as JSON when not None
    timeout: float = 10.0       # total seconds for the whole call
    idempotency_key: str = ""   # sent as Idempotency-Key


@dataclass
class ActionResponse:
    """The action URL's answer, whatever its status; the caller decides what a 4xx or 5xx means."""

    status_code: int
    headers: dict[str, str]     # lower-case names; repeated headers joined with ", "
    body: Any                   # parsed JSON, or None when the body is empty / not JSON
    text: str                   # the (capped) body as text, for error messages


class ActionError(Exception):
    """An action call that did not produce a response the caller can judge."""

    def __init__(self, message: str, *, retryable: bool = False, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status_code = status_code


class ActionRefused(ActionError):
    """Refused by policy (URL, address, redirect): retrying cannot help."""

    def __init__(self, message: str, *, status_code: int | None = None):
        super().__init__(message, retryable=False, status_code=status_code)


def address_problem(address: IPAddress) -> str | None:
    """Why ``address`` must not be called (e.g. ``"a loopback address"``), or None when it is public."""
    if isinstance(address, ipaddress.IPv6Address):
        # Addresses that carry an IPv4 address reach that IPv4 host, so judge the IPv4 one.
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            problem = address_problem(embedded)
            return None if problem is None else f"{problem} ({embedded} embedded in {address})"
    if address.is_unspecified or address in _ZERO_NET:
        return "an unspecified address"
    if address.is_loopback:
        return "a loopback address"
    if address == _METADATA:
        return "the cloud metadata address"
    if address.is_link_local:
        return "a link-local address"
    if address in _CGNAT:
        return "a carrier-grade NAT (100.64.0.0/10) address"
    if any(address in net for net in _RFC1918):
        return "a private address"
    if address in _ULA:
        return "a unique local (fc00::/7) address"
    if address in _NAT64_LOCAL:
        return "a local-use NAT64 address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_reserved:
        return "a reserved address"
    if not address.is_global:
        # Documentation, benchmarking, site-local and the like: nothing a service task should reach.
        return "a non-public address"
    return None


def _refuse(message: str) -> ActionRefused:
    return ActionRefused(f"action URL refused: {message}")


def _parse_url(raw: str) -> httpx.URL:
    try:
        url = httpx.URL(raw)
    except (httpx.InvalidURL, TypeError, ValueError) as exc:
        raise _refuse(f"not a valid URL ({type(exc).__name__})") from None
    if url.scheme not in _DEFAULT_PORTS:
        raise _refuse(f"scheme {url.scheme!r} is not allowed (only http and https)")
    if url.userinfo:
        raise _refuse("credentials in the URL (user:password@) are not allowed; send them as headers")
    if not url.host or not _HOST.fullmatch(url.host):
        raise _refuse("the host is not a valid host name")
    return url


def _allowed(url: httpx.URL, allow_hosts: Collection[str]) -> bool:
    host = url.host
    port = url.port or _DEFAULT_PORTS[url.scheme]
    names = {host, f"[{host}]"} if ":" in host else {host}
    candidates = names | {f"{name}:{port}" for name in names}
    return any(entry.strip().lower() in candidates for entry in allow_hosts)


def _getaddrinfo(host: str, port: int, flags: int = 0) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP, flags=flags)
    except UnicodeError:  # an empty or over-long label ("a..b"): no resolver can look it up
        raise _refuse("the host is not a valid host name") from None
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def _resolve(host: str, port: int, timeout: float) -> list[IPAddress]:
    """Every address ``host`` resolves to, in the resolver's preference order, within ``timeout``."""
    try:
        # Numeric forms (127.1, 0x7f000001, 2130706433) resolve here, as libc reads them, without DNS.
        return _getaddrinfo(host, port, socket.AI_NUMERICHOST)
    except socket.gaierror:
        pass
    # getaddrinfo has no timeout of its own; a lookup left behind finishes in its daemon thread.
    outcome: dict[str, Any] = {}

    def lookup() -> None:
        try:
            outcome["addresses"] = _getaddrinfo(host, port)
        except (OSError, ValueError) as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=lookup, name="flowdesk-action-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise ActionError(f"action URL host did not resolve within {timeout:g}s", retryable=True)
    if "error" in outcome:
        raise ActionError(f"action URL host could not be resolved ({outcome['error']})", retryable=True)
    if not outcome["addresses"]:
        raise ActionError("action URL host resolved to no address", retryable=True)
    return outcome["addresses"]


def _checked_address(url: httpx.URL, allow_hosts: Collection[str], timeout: float) -> IPAddress:
    port = url.port or _DEFAULT_PORTS[url.scheme]
    addresses = _resolve(url.host, port, timeout)
    if not _allowed(url, allow_hosts):
        # One bad answer refuses the host even if the first is public: such a name points inside.
        for address in addresses:
            problem = address_problem(address)
            if problem is not None:
                raise _refuse(f"{address} is {problem} (set {_ALLOW_SETTING} to allow host {url.host!r})")
    return addresses[0]


def _encode_body(body: Any) -> bytes:
    if body is None:
        return b""
    try:
        return json.dumps(body, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise ActionError(f"action body is not JSON-serialisable ({exc})") from None


def _headers(request: ActionRequest, url: httpx.URL, raw_body: bytes,
             signing_secret: bytes | Sequence[bytes]) -> dict[str, str]:
    """The headers to send; task headers come first so ours win where they must."""
    headers = {"User-Agent": "flowdesk"}
    if request.body is not None:
        headers["Content-Type"] = "application/json"
    for name, value in request.headers.items():
        # Messages name the header but never show its value: values are often credentials.
        if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
            raise ActionRefused(f"action header name {name!r} is not a valid HTTP header name")
        if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
            raise ActionRefused(f"action header {name!r} has a value that is not printable ASCII text")
        if name.lower() in _RESERVED_HEADERS:
            raise ActionRefused(f"action header {name!r} is set by flowdesk and cannot be given")
        # Replace a default case-insensitively rather than sending both spellings.
        for default in [key for key in headers if key.lower() == name.lower()]:
            del headers[default]
        headers[name] = value
    if request.idempotency_key:
        if not _HEADER_VALUE.fullmatch(request.idempotency_key):
            raise ActionRefused("action idempotency key is not printable ASCII text")
        for existing in [key for key in headers if key.lower() == "idempotency-key"]:
            del headers[existing]
        headers["Idempotency-Key"] = request.idempotency_key
    headers["Host"] = url.netloc.decode("ascii")
    headers[signing.SIGNATURE_HEADER] = signing.sign(signing_secret, raw_body)
    return headers


def _read_capped(response: httpx.Response, limit: int, deadline: float, timeout: float) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limit:
            # Leaving the stream unread closes the connection; the rest is never downloaded.
            raise ActionError(f"action response is larger than {limit} bytes", status_code=response.status_code)
        chunks.append(chunk)
        # httpx timeouts are per read, so a server dribbling bytes could otherwise run forever.
        if time.monotonic() > deadline:
            raise ActionError(f"action URL timed out after {timeout:g}s", retryable=True,
                              status_code=response.status_code)
    return b"".join(chunks)


def _text_of(raw: bytes, response: httpx.Response) -> str:
    charset = response.charset_encoding or "utf-8"
    try:
        return raw.decode(charset, errors="replace")
    except LookupError:  # a charset Python does not know
        return raw.decode("utf-8", errors="replace")


def _json_of(raw: bytes) -> Any:
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except (ValueError, RecursionError):  # not JSON, or nested deeper than the parser goes
        return None


def _redirect_message(response: httpx.Response) -> str:
    location = response.headers.get("location")
    if not location:
        return f"action URL answered with a redirect (status {response.status_code}); redirects are not followed"
    if len(location) > 200:
        location = location[:200] + "..."
    return f"action URL answered with a redirect to {location}; redirects are not followed"


def _send(client: httpx.Client, method: str, url: httpx.URL, address: IPAddress, headers: dict[str, str],
          raw_body: bytes, extensions: dict, timeout: httpx.Timeout, deadline: float, total_timeout: float,
          max_response_bytes: int) -> tuple[httpx.Response, bytes]:
    outgoing = client.build_request(method, url.copy_with(host=str(address)), headers=headers,
                                    content=raw_body or None, extensions=extensions, timeout=timeout)
    try:
        response = client.send(outgoing, stream=True)
        try:
            if 300 <= response.status_code < 400:
                raise ActionRefused(_redirect_message(response), status_code=response.status_code)
            raw = _read_capped(response, max_response_bytes, deadline, total_timeout)
        finally:
            response.close()
    except httpx.TimeoutException:
        raise ActionError(f"action URL timed out after {total_timeout:g}s", retryable=True) from None
    except httpx.LocalProtocolError:
        # h11 quotes the offending header value in its message, so do not pass it on.
        raise ActionError("action request could not be encoded as HTTP") from None
    except httpx.DecodingError as exc:
        raise ActionError(f"action response could not be decoded ({exc})") from None
    except httpx.TransportError as exc:
        raise ActionError(f"action URL connection failed ({type(exc).__name__}: {exc})", retryable=True) from None
    return response, raw


def call_action(request: ActionRequest, *, signing_secret: bytes | Sequence[bytes], allow_hosts: Collection[str] = (),
                max_response_bytes: int = 1024 * 1024, connect_timeout: float = 5.0,
                transport: httpx.BaseTransport | None = None, clients: ClientPool | None = None) -> ActionResponse:
    """Send ``request`` to its action URL and return the answer, whatever its status.

    Raises :class:`ActionRefused` for URLs, addresses and redirects that policy forbids (checked
    before any connection is made) and :class:`ActionError` for timeouts, connection failures
    and oversized responses; ``retryable`` says whether trying again may help. ``allow_hosts``
    holds host names or ``host:port`` entries whose addresses are not judged. Calls go through
    ``clients`` (default: the process's :func:`shared_pool`), or through a client of their own
    on ``transport`` when one is given.
    """
    if not 0 < request.timeout < float("inf"):
        raise ActionRefused("action timeout must be a positive number of seconds")
    deadline = time.monotonic() + request.timeout
    method = request.method.upper()
    if method not in _METHODS:
        raise ActionRefused(f"action method {request.method!r} is not allowed")
    url = _parse_url(request.url)
    raw_body = _encode_body(request.body)
    headers = _headers(request, url, raw_body, signing_secret)
    # Last of the checks, so a request refused for its own content causes no DNS traffic either.
    address = _checked_address(url, allow_hosts, min(connect_timeout, request.timeout))

    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    remaining = max(deadline - time.monotonic(), 0.001)
    timeout = httpx.Timeout(remaining, connect=min(connect_timeout, remaining))
    if transport is not None:
        with httpx.Client(transport=transport, follow_redirects=False, trust_env=False) as client:
            response, raw = _send(client, method, url, address, headers, raw_body, extensions, timeout,
                                  deadline, request.timeout, max_response_bytes)
    else:
        client = (clients or shared_pool()).client(url)
        response, raw = _send(client, method, url, address, headers, raw_body, extensions, timeout,
                              deadline, request.timeout, max_response_bytes)
    return ActionResponse(status_code=response.status_code,
                          headers={name.lower(): value for name, value in response.headers.items()},
                          body=_json_of(raw), text=_text_of(raw, response))
