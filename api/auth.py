"""API keys and roles.

A key is shown once, as `cm_<key_id>_<secret>`; the store keeps only the SHA-256 of the secret (the secret is
32 random bytes, so a fast hash is enough — there is nothing to brute-force). Roles:
  admin       everything, including keys and the audit log
  officer     writes chain, enterprise, fund, project data (招商专员)
  park_admin  writes its own park's parcels and projects only (园区管委会, scoped by `park`)
  viewer      reads only
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from graph.store import ApiKeyRec, GraphStore

ROLES = ("admin", "officer", "park_admin", "viewer")


@dataclass(frozen=True)
class Principal:
    key_id: str
    name: str
    role: str
    park: str | None

    @property
    def actor(self) -> str:
        return f"{self.name}({self.key_id},{self.role}{',' + self.park if self.park else ''})"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(store: GraphStore, *, name: str, role: str, park: str | None = None) -> tuple[ApiKeyRec, str]:
    """Create a key; returns the record and the token to hand over (shown once)."""
    if role not in ROLES:
        raise ValueError(f"未知角色 {role!r}；可选: {', '.join(ROLES)}")
    if role == "park_admin" and not park:
        raise ValueError("park_admin 角色必须指定园区 --park")
    if role != "park_admin" and park:
        raise ValueError("只有 park_admin 角色可以指定园区")
    if park and store.get("Park", park) is None:
        raise ValueError(f"园区 {park!r} 不存在")
    key_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    rec = ApiKeyRec(
        key_id=key_id,
        name=name,
        role=role,
        park=park,
        secret_hash=_hash(secret),
        created_at=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
    )
    store.put_api_key(rec)
    return rec, f"cm_{key_id}_{secret}"


def authenticate(store: GraphStore, token: str) -> Principal | None:
    """The principal for a token, or None if unknown, malformed or revoked."""
    parts = token.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != "cm" or not parts[1] or not parts[2]:
        return None
    rec = store.get_api_key(parts[1])
    if rec is None or rec.revoked_at is not None:
        return None
    if not hmac.compare_digest(rec.secret_hash, _hash(parts[2])):
        return None
    return Principal(rec.key_id, rec.name, rec.role, rec.park)
