"""A tenant's own identities: PostgreSQL role `client_NNN` and Redis ACL user `client_NNN`.

Database passwords are generated here, stored encrypted in `platform.tenant_credentials` (with
the token cipher) and never logged; Redis passwords are derived (`tenant_redis_password`).
PostgreSQL only ever receives a SCRAM-SHA-256 verifier of a password (`scram_verifier`), so the
plain password is not in the server's logs or catalogs either.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

import asyncpg

from core import platform_repo, redis_acl
from core.crypto import TokenCipher
from core.db import dsn_as
from core.keys import check_client_id

SCRAM_ITERATIONS = 4096  # PostgreSQL's own default (scram_iterations)
TENANT_DB_POOL_SIZE = 2  # connections per tenant bot; the role's CONNECTION LIMIT is 4


def new_password() -> str:
    return secrets.token_urlsafe(32)


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802 / 7677)."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", hashlib.sha256).digest()

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def tenant_dsn(platform_dsn: str, client_id: str, password: str) -> str:
    """The platform's DSN (host, port, database, options) with the tenant's role and password."""
    return dsn_as(platform_dsn, check_client_id(client_id), password)


def tenant_redis_password(cipher: TokenCipher, client_id: str) -> str:
    """The password of the tenant's Redis user: a keyed hash of its client id under the
    fingerprint key. Whoever activates or restores a tenant derives the same one, so no
    copy has to travel or be kept in step, and re-creating a user never locks out a running
    bot. (The holders of that key may decrypt every stored password anyway.)"""
    return cipher.fingerprint("redis-user:" + check_client_id(client_id))


async def tenant_db_password(conn: asyncpg.Connection, cipher: TokenCipher, client_id: str) -> str:
    """The stored password of role `client_NNN`, generated and stored on first use. Safe
    against a concurrent caller: the first stored value wins."""
    check_client_id(client_id)
    stored = await platform_repo.tenant_password(conn, client_id, cipher.encrypt(new_password()))
    return cipher.decrypt(stored)


async def ensure_tenant_role(conn: asyncpg.Connection, client_id: str, password: str) -> None:
    """Create or repair role `client_NNN` and hand it its schema (see 004_isolation.sql)."""
    await platform_repo.ensure_tenant_role(
        conn, check_client_id(client_id), scram_verifier(password)
    )


async def restore_tenant_redis_users(
    redis, cipher: TokenCipher, client_ids: list[str]
) -> list[str]:
    """Create the Redis users these tenants lack (e.g. Redis restarted without an aclfile);
    returns the client ids restored. Needs a Redis user that may run ACL."""
    return await redis_acl.restore_tenant_users(
        redis, {c: tenant_redis_password(cipher, c) for c in client_ids}
    )
