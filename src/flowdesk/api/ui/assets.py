"""The UI's static files under content-hashed names, cached for a year, and its favicon.

Every URL a page names carries the file's content hash in its name (``js/inbox.<hash>.js``), so
caches and proxies that ignore query strings still never serve a stale file. Our JavaScript modules
import each other by relative URL, so their imports are rewritten to the imported module's hashed
name too: a changed module changes the URL of every module that imports it. The current hashed
name may be cached for a year (immutable). The plain name (and the ``?v=<hash>`` URLs pages named
before) keep working: the plain name is cached briefly, an out-of-date hash revalidates.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from pathlib import Path

from flask import Response, abort, request, send_from_directory
from werkzeug.security import safe_join

STATIC = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600
# The plain name of a file: what a bookmark or an old integration names; its content may change.
PLAIN_MAX_AGE = 300
# ``name.<16 hex>.ext``: the file ``name.ext`` as of that hash.
_HASHED = re.compile(r"^(?P<stem>.+)\.(?P<hash>[0-9a-f]{16})(?P<ext>\.[A-Za-z0-9]+)$")
# `from "./x.js"` and `import("./x.js")` in our own modules (static/js): relative imports only.
_IMPORT = re.compile(r"""(\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)(["'])(\.{1,2}/[A-Za-z0-9_./-]+\.js)\2""")


class Assets:
    """Versions (content hashes) of the static files, and our modules with versioned imports;
    kept per file modification time, so an edited file gets a new version without a restart."""

    def __init__(self, folder: Path = STATIC):
        self.folder = folder
        self._modules: dict[tuple[str, float], tuple[bytes, str]] = {}

    def _path(self, filename: str) -> Path | None:
        joined = safe_join(str(self.folder), filename)
        return Path(joined) if joined and Path(joined).is_file() else None

    def body(self, filename: str, _seen: frozenset = frozenset()) -> tuple[bytes, str]:
        """The file as served and its version: a module of ours with each import versioned."""
        path = self._path(filename)
        if path is None:
            raise FileNotFoundError(filename)
        key = (filename, path.stat().st_mtime)
        if key not in self._modules:
            data = path.read_bytes()
            if filename.startswith("js/") and filename.endswith(".js") and filename not in _seen:
                data = self._versioned_imports(filename, data.decode(), _seen | {filename}).encode()
            self._modules[key] = (data, hashlib.sha256(data).hexdigest()[:16])
        return self._modules[key]

    def _versioned_imports(self, filename: str, source: str, seen: frozenset) -> str:
        def versioned(match: re.Match) -> str:
            target = posixpath.normpath(posixpath.join(posixpath.dirname(filename), match.group(3)))
            if target in seen or self._path(target) is None:
                return match.group(0)  # an import circle or a missing file: left as written
            _, version = self.body(target, seen)
            return f"{match.group(1)}{match.group(2)}{_with_hash(match.group(3), version)}{match.group(2)}"
        return _IMPORT.sub(versioned, source)

    def version(self, filename: str) -> str:
        return self.body(filename)[1]

    def hashed(self, filename: str) -> str:
        """``filename`` with its current content hash in the name: ``js/inbox.js`` -> ``js/inbox.<hash>.js``."""
        return _with_hash(filename, self.version(filename))

    def _unhashed(self, filename: str) -> tuple[str, str | None]:
        """The file a requested name stands for, and the hash the name carries (None: a plain name)."""
        match = _HASHED.match(filename)
        if match and self._path(match["stem"] + match["ext"]) is not None:
            return match["stem"] + match["ext"], match["hash"]
        return filename, None

    def serve(self, requested: str) -> Response:
        filename, named_hash = self._unhashed(requested)
        try:
            data, version = self.body(filename)
        except FileNotFoundError:
            abort(404)
        if filename.startswith("js/"):
            response = Response(data, mimetype="text/javascript")
            response.set_etag(version)
            response = response.make_conditional(request)
        else:
            response = send_from_directory(self.folder, filename, etag=version)
        response.cache_control.public = True
        if version in (named_hash, request.args.get("v")):
            response.cache_control.max_age = YEAR
            response.cache_control.immutable = True
        elif named_hash is None and "v" not in request.args:
            response.cache_control.max_age = PLAIN_MAX_AGE
        else:  # a page from before the file changed: today's file, checked again next time
            response.cache_control.public = False
            response.cache_control.no_cache = True
        return response


def _with_hash(filename: str, version: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    return f"{stem}.{version}.{ext}" if dot and "/" not in ext else f"{filename}.{version}"
