"""Named admin tokens: who is acting, for the audit log, and what they may do.

Tokens come from ``NAVPLUGIN_ADMIN_TOKENS`` as ``name:token[:role]`` entries
(role ``admin``, the default, or ``read`` for a read-only view), plus the
single legacy ``NAVPLUGIN_ADMIN_TOKEN``, named ``admin``. A presented token
is compared with every configured one in constant time, so neither the
answer nor its timing tells which token came close.
"""
from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

LOGGER = logging.getLogger(__name__)

ROLES = ("admin", "read")
MIN_TOKEN_LENGTH = 16
MAX_NAME_LENGTH = 64  # what the audit log's actor column holds  # shorter tokens are accepted but logged as weak


@dataclass(frozen=True, slots=True)
class Admin:
    name: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True, slots=True)
class _Token:
    admin: Admin
    secret: bytes


class AdminTokens:
    def __init__(self, tokens: list[_Token]) -> None:
        self._tokens = tokens

    @classmethod
    def from_settings(cls, named: str | None, single: str | None) -> "AdminTokens":
        tokens: list[_Token] = []
        for entry in filter(None, (part.strip() for part in (named or "").split(","))):
            name, sep, rest = entry.partition(":")
            secret, _, role = rest.partition(":")
            role = role.strip() or "admin"
            if not sep or not name.strip() or not secret.strip():
                raise ValueError(f"NAVPLUGIN_ADMIN_TOKENS: expected name:token[:role], got {entry.split(':')[0]!r}:…")
            if len(name.strip()) > MAX_NAME_LENGTH:
                raise ValueError(f"NAVPLUGIN_ADMIN_TOKENS: name {name.strip()[:20]!r}… is longer than "
                                 f"{MAX_NAME_LENGTH} characters")
            if role not in ROLES:
                raise ValueError(f"NAVPLUGIN_ADMIN_TOKENS: role of {name!r} must be one of {', '.join(ROLES)}")
            tokens.append(_Token(Admin(name.strip(), role), secret.strip().encode()))
        if single:
            tokens.append(_Token(Admin("admin", "admin"), single.strip().encode()))
        names = [t.admin.name for t in tokens]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise ValueError(f"NAVPLUGIN_ADMIN_TOKENS: names must be unique, {', '.join(duplicated)} repeated")
        for token in tokens:
            if len(token.secret) < MIN_TOKEN_LENGTH:
                LOGGER.warning("admin token %r is shorter than %s characters", token.admin.name, MIN_TOKEN_LENGTH)
        return cls(tokens)

    def __bool__(self) -> bool:
        return bool(self._tokens)

    def authenticate(self, presented: str) -> Admin | None:
        """The admin a token belongs to, or None; every configured token is compared."""
        candidate = presented.encode()
        found = None
        for token in self._tokens:
            if hmac.compare_digest(candidate, token.secret) and found is None:
                found = token.admin
        return found
