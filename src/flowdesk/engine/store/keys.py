"""The installation's master key and what is derived from it (encryption, signing)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_FILE = "flowdesk.key"


def load_master_key(configured: str | None, key_file: Path | None = None) -> bytes:
    """``configured`` (FLOWDESK_SECRET_KEY) or the key file, created on first use."""
    if configured:
        return configured.encode()
    path = key_file or Path.cwd() / KEY_FILE
    if path.exists():
        return path.read_bytes().strip()
    key = secrets.token_urlsafe(48).encode()
    # Only this user may read it: it decrypts every stored secret.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
    return key


def derive(master: bytes, purpose: str) -> bytes:
    """A separate 32-byte key per purpose (HKDF-SHA256, RFC 5869), so one leaked derivative
    exposes neither the master key nor any other derivative."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode("utf-8")).derive(master)


def _storage_key(master: bytes) -> bytes:
    # Secrets stored before keys were derived with HKDF are sealed with this key; it stays so
    # they can still be opened (a HMAC-SHA256 keyed by the master key is a sound KDF for one purpose).
    return hmac.new(master, b"secret-storage", hashlib.sha256).digest()


class SecretBox:
    """Authenticated encryption (Fernet) for values at rest."""

    def __init__(self, master: bytes):
        self._fernet = Fernet(base64.urlsafe_b64encode(_storage_key(master)))

    def seal(self, plaintext: str) -> bytes:
        return self._fernet.encrypt(plaintext.encode())

    def open(self, ciphertext: bytes) -> str:
        try:
            return self._fernet.decrypt(ciphertext).decode()
        except InvalidToken as exc:
            raise ValueError("stored secret cannot be decrypted with this FLOWDESK_SECRET_KEY") from exc
