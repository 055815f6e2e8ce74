"""API keys: who may call the API, in which role and for which part of the customs hierarchy.

Keys live in ``$RISKGRAPH_HOME/keys.json`` as SHA-256 hashes only; the secret is printed once at
creation and cannot be recovered. A plain hash (not a password KDF) is enough because the secret is
256 random bits, and it keeps the check on the scoring path to one dictionary lookup. The server
re-reads the file when it changes, so a created or revoked key takes effect without a restart.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from graph.errors import RiskGraphError
from graph.home import KEYS
from graph.reference import department_code, jurisdiction, resolve_office

__all__ = ["ROLES", "ApiKey", "KeyError_", "KeyStore", "read_key_file"]

ROLES = ("clearance-system", "investigator", "auditor", "analyst", "admin")
PREFIX = "rg_"
RECHECK_SECONDS = 1.0


class KeyError_(RiskGraphError, ValueError):
    """A key request a user can fix (unknown role, jurisdiction, key id)."""

    status, code = 422, "invalid_request"


@dataclass(frozen=True)
class ApiKey:
    id: str
    name: str
    role: str
    jurisdiction: str | None  # CustomsOffice code; None = the whole country
    hash: str
    created: str
    revoked: str | None = None

    @property
    def districts(self) -> frozenset[str] | None:
        """District codes this key may see; None when it is not limited."""
        if self.jurisdiction is None or self.jurisdiction == department_code():
            return None
        return frozenset(jurisdiction(self.jurisdiction))

    def public(self) -> dict:
        return {k: v for k, v in asdict(self).items() if k != "hash"}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class KeyStore:
    def __init__(self, home: Path) -> None:
        self.path = Path(home) / KEYS
        self._by_hash: dict[str, ApiKey] = {}
        self._seen: tuple[int, int] | None = None
        self._checked = 0.0

    def create(self, role: str, jurisdiction_name: str | None = None, name: str = "") -> tuple[ApiKey, str]:
        """A new key; returns it with its secret (shown once)."""
        if role not in ROLES:
            raise KeyError_(f"role {role!r}: choose one of {', '.join(ROLES)}")
        office = None
        if jurisdiction_name:
            found = resolve_office(jurisdiction_name)
            if found is None:
                raise KeyError_(f"jurisdiction {jurisdiction_name!r}: not a customs office of the hierarchy")
            office = found.code
        if role == "analyst" and office is None:
            raise KeyError_("an analyst key needs --jurisdiction (its parameter sub-centre, or the department)")
        if role == "analyst" and resolve_office(office).level == "post":
            raise KeyError_("an analyst key belongs to the department, a sub-centre or a district, not a post")
        key_id = secrets.token_hex(4)
        secret = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(key_id, name or role, role, office, _digest(secret), _now())
        with self._locked() as keys:
            keys.append(asdict(key))
        return key, secret

    def revoke(self, key_id: str) -> ApiKey:
        with self._locked() as keys:
            for entry in keys:
                if entry["id"] == key_id and not entry.get("revoked"):
                    entry["revoked"] = _now()
                    return ApiKey(**entry)
        raise KeyError_(f"no active key {key_id!r} (see `riskgraph keys list`)")

    def merge(self, entries: list[dict]) -> None:
        """Add the keys of ``entries`` (a backup's) that this store lacks, and keep every revocation of either:
        a restore never revives a revoked key nor drops one made since."""
        with self._locked() as keys:
            mine = {entry["id"]: entry for entry in keys}
            for entry in entries:
                if entry["id"] not in mine:
                    keys.append(mine.setdefault(entry["id"], dict(entry)))
                elif entry.get("revoked") and not mine[entry["id"]].get("revoked"):
                    mine[entry["id"]]["revoked"] = entry["revoked"]

    def list(self) -> list[ApiKey]:
        return [ApiKey(**entry) for entry in self._read()]

    def lookup(self, secret: str) -> ApiKey | None:
        """The active key with this secret, or None.

        A known key is re-checked against the file at most once a second (a revocation takes effect
        within that); an unknown one at once, so a key works as soon as it is created.
        """
        digest, now = _digest(secret), time.monotonic()
        if digest not in self._by_hash or now - self._checked > RECHECK_SECONDS:
            self._checked = now
            self._reload()
        return self._by_hash.get(digest)

    def _reload(self) -> None:
        try:
            stat = self.path.stat()
            seen = (stat.st_mtime_ns, stat.st_size)
        except FileNotFoundError:
            seen = None
        if seen != self._seen:
            self._by_hash = {k.hash: k for k in self.list() if not k.revoked}
            self._seen = seen

    def _read(self) -> list[dict]:
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return []

    @contextmanager
    def _locked(self):
        """Read-modify-write under a file lock, replaced atomically, readable by its owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with os.fdopen(os.open(self.path.with_suffix(".lock"), os.O_WRONLY | os.O_CREAT, 0o600), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            keys = self._read()
            yield keys
            tmp = self.path.with_suffix(".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as out:
                json.dump(keys, out, indent=1)
            os.replace(tmp, self.path)


def read_key_file(path: Path) -> list[dict]:
    """The entries of a key file, each checked to be a key; :class:`KeyError_` saying what is wrong otherwise
    (a restore refuses such a file before it changes anything)."""
    try:
        entries = json.loads(Path(path).read_text())
        if not isinstance(entries, list):
            raise TypeError("not a list of keys")
        for entry in entries:
            key = ApiKey(**entry)
            if key.role not in ROLES or not (isinstance(key.id, str) and isinstance(key.hash, str) and key.hash):
                raise ValueError(f"key {key.id!r}: not a valid key")
    except (ValueError, TypeError) as exc:  # JSONDecodeError is a ValueError; a missing field a TypeError
        raise KeyError_(f"{path}: {exc}") from None
    return entries


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
