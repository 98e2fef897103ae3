"""Field encryption (AES-256-GCM) and blind indexes over a key ring that can be rotated.

A stored value looks like `cx1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`. The key id (8 hex
characters derived from the key) tells which key of the ring opens it, so rows written under an old
key stay readable while `cxloop keys rotate` moves them to the newest one. The prefix is also bound
into the authentication tag, so a value cannot be relabelled to another key unnoticed.

Keys come from `CXLOOP_ENCRYPTION_KEY` (base64 32-byte keys, newest first, comma-separated) or from a
key file (`CXLOOP_ENCRYPTION_KEY_FILE`, default `<data_dir>/keys/cxloop.keys`, one key per line,
newest first). Without either, a key file with one new key is created (mode 0600) on first use,
except in production on PostgreSQL: several processes and hosts must share one key, so it must be
provisioned on purpose.

Customer identifiers are found through a blind index made with a separate, dedicated index key
(an `index:<base64>` entry in the same key file or variable). Rotation never changes it: an
identifier always has exactly one index value, so a UNIQUE column over it still means "one
identifier, one row", and a lookup is one hash, not one per key in the ring.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from cxloop.config import Settings
from cxloop.errors import ConfigurationError, CxloopError

logger = logging.getLogger(__name__)

FORMAT_VERSION = "cx1"
KEY_BYTES = 32
_NONCE_BYTES = 12
_KEY_ID_CHARS = 8
INDEX_ENTRY = "index:"
INDEX_VERSION = "bi1"


class DecryptionError(CxloopError):
    """A stored value could not be opened: tampered with, truncated, or sealed by an unknown key."""

    code = "crypto.decrypt_failed"


def _derive(key: bytes, purpose: bytes) -> bytes:
    # Separate subkeys per use, so the blind-index key reveals nothing about the encryption key.
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"cxloop " + purpose).derive(key)


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"cxloop key id\x00" + key).hexdigest()[:_KEY_ID_CHARS]


class KeyRing:
    """The keys in use, newest first. The newest seals new values; every key opens old ones."""

    def __init__(self, keys: Sequence[bytes], index_key: bytes | None = None) -> None:
        if not keys:
            raise ConfigurationError("the encryption key ring is empty")
        for key in keys:
            if len(key) != KEY_BYTES:
                raise ConfigurationError(f"encryption keys are {KEY_BYTES} bytes; one has {len(key)}")
        self.keys = list(keys)
        self.key_ids = [key_id(k) for k in keys]
        if len(set(self.key_ids)) != len(self.key_ids):
            raise ConfigurationError("the encryption key ring lists the same key twice")
        pairs = list(zip(self.key_ids, keys, strict=True))
        self._aead = {kid: AESGCM(_derive(k, b"field encryption v1")) for kid, k in pairs}
        self._index = {kid: _derive(k, b"blind index v1") for kid, k in pairs}
        if index_key is not None and len(index_key) != KEY_BYTES:
            raise ConfigurationError(f"the index key is {KEY_BYTES} bytes; it has {len(index_key)}")
        self.index_key = index_key
        self._identifier_index = _derive(index_key, b"identifier index v1") if index_key else None

    @property
    def current_key_id(self) -> str:
        return self.key_ids[0]

    def prefix(self, kid: str | None = None) -> str:
        return f"{FORMAT_VERSION}:{kid or self.current_key_id}:"

    def encrypt(self, plaintext: str) -> str:
        kid = self.current_key_id
        header = self.prefix(kid)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._aead[kid].encrypt(nonce, plaintext.encode("utf-8"), header.encode())
        return header + base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")

    def decrypt(self, token: str) -> str:
        kid = self.key_id_of(token)
        if kid is None:
            raise DecryptionError("the value is not a cxloop ciphertext")
        aead = self._aead.get(kid)
        if aead is None:
            raise DecryptionError(f"the value was sealed with key {kid}, which is not in the key ring")
        body = token[len(self.prefix(kid)) :]
        try:
            raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
            return aead.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], self.prefix(kid).encode()).decode("utf-8")
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise DecryptionError(f"the value sealed with key {kid} failed authentication (altered?)") from None

    @staticmethod
    def key_id_of(token: str) -> str | None:
        """The key id of a ciphertext, or None for anything that is not one (plaintext, say)."""
        parts = token.split(":", 2)
        if len(parts) == 3 and parts[0] == FORMAT_VERSION and len(parts[1]) == _KEY_ID_CHARS:
            return parts[1]
        return None

    def blind_index(self, value: str, kid: str | None = None) -> str:
        """A keyed hash (HMAC-SHA256) of an already normalized identifier, for equality lookups
        without storing the identifier in clear. Prefixed with the key id, like ciphertexts."""
        kid = kid or self.current_key_id
        digest = hmac.new(self._index[kid], value.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{kid}:{digest}"

    def identifier_index(self, value: str) -> str:
        """The blind index of an identifier under the dedicated index key, which rotation keeps:
        `bi1:<index key id>:<hex>`. One identifier always gives the same string."""
        if self._identifier_index is None or self.index_key is None:
            raise ConfigurationError(
                "no blind-index key: add an `index:<base64 key>` entry (make one with `cxloop keys generate`) "
                "to CXLOOP_ENCRYPTION_KEY or the key file; every process must use the same one"
            )
        digest = hmac.new(self._identifier_index, value.encode("utf-8"), hashlib.sha256).hexdigest()
        return f"{INDEX_VERSION}:{key_id(self.index_key)}:{digest}"

    def blind_index_candidates(self, value: str) -> list[str]:
        """The index of `value` under every key: during a rotation, rows carry either."""
        return [self.blind_index(value, kid) for kid in self.key_ids]


def generate_key() -> bytes:
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


def parse_keys(text: str, origin: str) -> list[bytes]:
    """Keys from `text` (commas or lines; `#` starts a comment), or ConfigurationError naming the bad one."""
    return parse_key_source(text, origin)[0]


def parse_key_source(text: str, origin: str) -> tuple[list[bytes], bytes | None]:
    """The ring keys and the `index:` entry (None when absent) of a key file or variable."""
    keys: list[bytes] = []
    index_key: bytes | None = None
    entries = [part.strip() for line in text.splitlines() for part in line.split("#", 1)[0].split(",")]
    for position, entry in enumerate((e for e in entries if e), start=1):
        is_index = entry.startswith(INDEX_ENTRY)
        entry = entry.removeprefix(INDEX_ENTRY).strip()
        try:
            key = base64.b64decode(entry.replace("-", "+").replace("_", "/") + "=" * (-len(entry) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise ConfigurationError(f"{origin}: key {position} is not base64") from None
        if len(key) != KEY_BYTES:
            raise ConfigurationError(f"{origin}: key {position} decodes to {len(key)} bytes; keys are {KEY_BYTES}")
        if is_index:
            if index_key is not None:
                raise ConfigurationError(f"{origin} holds two index keys")
            index_key = key
        else:
            keys.append(key)
    if not keys:
        raise ConfigurationError(f"{origin} holds no key")
    return keys, index_key


def key_file_path(settings: Settings) -> Path:
    return settings.encryption_key_file or settings.data_dir / "keys" / "cxloop.keys"


def keys_from_environment(settings: Settings) -> bool:
    return bool(settings.encryption_key.strip())


def write_key_file(path: Path, keys: Sequence[bytes], index_key: bytes | None = None) -> None:
    """Replace the key file atomically, readable by its owner only. The index key, if any, is kept
    on its own `index:` line: rotation and retirement pass it through unchanged."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write("# cxloop field-encryption keys, newest first. Back this file up; losing it loses the data.\n")
        handle.writelines(f"{encode_key(k)}  # {key_id(k)}\n" for k in keys)
        if index_key is not None:
            handle.write(f"{INDEX_ENTRY}{encode_key(index_key)}  # blind index of identifiers, never rotated\n")
    os.replace(temporary, path)


_cache: dict[tuple[str, int, int, int], KeyRing] = {}
_cache_lock = threading.Lock()


def load_key_ring(settings: Settings) -> KeyRing:
    """The configured key ring. A key file is re-read when it changes, so a running server picks up
    a rotation without a restart."""
    if keys_from_environment(settings):
        return KeyRing(*parse_key_source(settings.encryption_key, "CXLOOP_ENCRYPTION_KEY"))
    path = key_file_path(settings)
    # Several processes on several hosts share the keys of a production PostgreSQL: never invent one there.
    may_create = not (settings.environment == "production" and not settings.is_embedded)
    with _cache_lock:
        if not path.exists():
            if not may_create:
                raise ConfigurationError(
                    "no encryption key: set CXLOOP_ENCRYPTION_KEY or CXLOOP_ENCRYPTION_KEY_FILE "
                    "(every cxloop process must share the same keys)"
                )
            write_key_file(path, [generate_key()], generate_key())
            logger.warning("created a new encryption key file at %s: back it up", path)
        stat = path.stat()
        if stat.st_mode & 0o077:
            logger.warning("the key file %s is readable by other users; chmod 600 it", path)
        cache_key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
        ring = _cache.get(cache_key)
        if ring is None:
            keys, index_key = parse_key_source(path.read_text(encoding="utf-8"), str(path))
            if index_key is None and may_create:
                # A key file from before identifiers were indexed: give it its index key once.
                index_key = generate_key()
                write_key_file(path, keys, index_key)
                logger.warning("added a blind-index key to %s: back it up", path)
                stat = path.stat()
                cache_key = (str(path), stat.st_ino, stat.st_mtime_ns, stat.st_size)
            ring = KeyRing(keys, index_key)
            _cache.clear()
            _cache[cache_key] = ring
        return ring
