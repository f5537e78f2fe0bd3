"""Keep-alive HTTP clients for action calls, made once per process instead of once per call."""

from __future__ import annotations

import os
import ssl
import threading
from collections import OrderedDict
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx


class ClientPool:
    """Keep-alive HTTP clients for action calls, shared by every call of a process.

    Building an ``httpx.Client`` loads the whole CA bundle into a new SSL context (tens of ms
    of CPU), so clients are made once and reused, all with one SSL context. Requests go to the
    checked address, so connections are pooled per address; an https connection is also bound to
    the name its certificate was verified for, hence one client per TLS name: a connection
    verified for one name is never reused for another name on the same address. Responses cannot
    set cookies: one process model must not see another's.
    """

    def __init__(self, verify: ssl.SSLContext | None = None, max_clients: int = 32):
        self._verify = verify
        self._max_clients = max_clients
        self._clients: OrderedDict[tuple[str, str], httpx.Client] = OrderedDict()
        self._lock = threading.Lock()

    def client(self, url: httpx.URL) -> httpx.Client:
        """The client for ``url``: one for every http URL, one per host name for https."""
        key = (url.scheme, url.host if url.scheme == "https" else "")
        with self._lock:
            client = self._clients.get(key)
            if client is not None:
                self._clients.move_to_end(key)
                return client
            if self._verify is None:
                self._verify = ssl.create_default_context()
            # trust_env=False: proxy variables would send the call somewhere the guard never
            # judged, and .netrc would add credentials the process model never asked for.
            client = httpx.Client(verify=self._verify, follow_redirects=False, trust_env=False,
                                  cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])))
            self._clients[key] = client
            if len(self._clients) > self._max_clients:
                # Not closed: another thread may be mid-call on it; its sockets close when it is freed.
                self._clients.popitem(last=False)
            return client

    def close(self) -> None:
        """Close every client and its connections."""
        with self._lock:
            while self._clients:
                self._clients.popitem()[1].close()


_pool: ClientPool | None = None
_pool_pid = 0
_pool_lock = threading.Lock()


def shared_pool() -> ClientPool:
    """This process's client pool (a forked child gets its own: sockets are not shared)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = ClientPool(), os.getpid()
        return _pool
