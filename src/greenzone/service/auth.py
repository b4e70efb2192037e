"""API tokens and roles: who may read or write which zone.

A token is 32 random bytes (``gz_`` + URL-safe base64), shown once when created; the database keeps only its
SHA-256 (a fast hash is enough for a secret of 256 random bits: nothing to guess from it). Each token holds a
role per zone: ``viewer`` (reads), ``operator`` (reads, schedule requests, actuals) or ``admin`` (also the
zone's audit log). A token has no access to a zone it holds no role on: it gets 404, as if the zone did not
exist, so that zone names are not disclosed.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, select

from greenzone.errors import GreenzoneError
from greenzone.service import db

__all__ = ["ROLES", "AccessError", "Caller", "authenticate", "create_token", "grant", "revoke"]

ROLES = ("viewer", "operator", "admin")
"""Roles in increasing order of what they allow."""


class AccessError(GreenzoneError):
    """A token is missing, unknown or revoked, or a role or zone named to the admin command does not exist."""

    exit_code = 2


@dataclass(frozen=True)
class Caller:
    """The token a request came with: its id, name and role by zone."""

    token_id: int
    name: str
    roles: dict[str, str]

    def allows(self, zone_id: str, role: str) -> bool:
        """Whether the caller holds ``role`` or a higher one on ``zone_id``."""
        held = self.roles.get(zone_id)
        return held is not None and ROLES.index(held) >= ROLES.index(role)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(engine: Engine, name: str) -> str:
    """A new token called ``name`` (unique); returns the token itself, which is stored only as its hash."""
    if not name or len(name) > 128:
        raise AccessError("token name: give 1 to 128 characters")
    token = "gz_" + secrets.token_urlsafe(32)
    with db.transaction(engine) as conn:
        if conn.execute(select(db.tokens.c.id).where(db.tokens.c.name == name)).first():
            raise AccessError(f"token name {name!r} is taken; choose another or revoke that one")
        conn.execute(
            db.tokens.insert().values(name=name, token_sha256=token_hash(token), created_at=db.now())
        )
        conn.execute(
            db.audit.insert().values(at=db.now(), token_name="admin", action="create_token", target=name)
        )
    return token


def _token_id(conn, name: str) -> int:
    row = conn.execute(select(db.tokens.c.id, db.tokens.c.revoked_at).where(db.tokens.c.name == name)).first()
    if row is None:
        raise AccessError(f"no token called {name!r}; 'greenzone serve-admin token-list' lists them")
    return int(row.id)


def grant(engine: Engine, name: str, zone_id: str, role: str) -> None:
    """Give token ``name`` ``role`` on zone ``zone_id`` (replacing the role it held there); ``role`` "none"
    takes the zone away."""
    if role not in (*ROLES, "none"):
        raise AccessError(f"role {role!r}: use one of {', '.join(ROLES)} (or none)")
    with db.transaction(engine) as conn:
        token_id = _token_id(conn, name)
        if conn.execute(select(db.zones.c.id).where(db.zones.c.id == zone_id)).first() is None:
            raise AccessError(f"no zone {zone_id!r}; add it with 'greenzone serve-admin zone-add'")
        conn.execute(
            db.grants.delete().where((db.grants.c.token_id == token_id) & (db.grants.c.zone_id == zone_id))
        )
        if role != "none":
            conn.execute(db.grants.insert().values(token_id=token_id, zone_id=zone_id, role=role))
        conn.execute(
            db.audit.insert().values(
                at=db.now(), token_name="admin", zone_id=zone_id, action="grant", target=f"{name}: {role}"
            )
        )


def revoke(engine: Engine, name: str) -> None:
    """Revoke token ``name``: every later request with it gets 401."""
    with db.transaction(engine) as conn:
        token_id = _token_id(conn, name)
        conn.execute(db.tokens.update().where(db.tokens.c.id == token_id).values(revoked_at=db.now()))
        conn.execute(
            db.audit.insert().values(at=db.now(), token_name="admin", action="revoke_token", target=name)
        )


def list_tokens(engine: Engine) -> list[dict]:
    """Every token's name, creation, revocation and roles (never the token)."""
    with engine.connect() as conn:
        rows = conn.execute(select(db.tokens).order_by(db.tokens.c.id)).all()
        roles = conn.execute(select(db.grants)).all()
    return [
        {
            "name": r.name,
            "created_at": r.created_at.isoformat(),
            "revoked_at": r.revoked_at.isoformat() if r.revoked_at else None,
            "roles": {g.zone_id: g.role for g in roles if g.token_id == r.id},
        }
        for r in rows
    ]


def authenticate(engine: Engine, authorization: str | None) -> Caller | None:
    """The caller of an ``Authorization: Bearer <token>`` header, or None (missing, unknown, revoked)."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or len(token) > 256:
        return None
    with engine.connect() as conn:
        row = conn.execute(
            select(db.tokens.c.id, db.tokens.c.name, db.tokens.c.revoked_at).where(
                db.tokens.c.token_sha256 == token_hash(token.strip())
            )
        ).first()
        if row is None or row.revoked_at is not None:
            return None
        roles = conn.execute(
            select(db.grants.c.zone_id, db.grants.c.role).where(db.grants.c.token_id == row.id)
        ).all()
    return Caller(int(row.id), row.name, {g.zone_id: g.role for g in roles})
