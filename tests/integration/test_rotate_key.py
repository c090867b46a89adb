"""`booking-pool rotate-key` on a real PostgreSQL with the platform migrations applied."""

from __future__ import annotations

import asyncio
import os
import sys

import asyncpg
import pytest

from core.crypto import TokenCipher
from core.migrations import migrate_platform
from core.rotation import (
    ENCRYPTED_COLUMNS,
    EncryptedColumn,
    RotationError,
    rotate_keys,
    unlisted_encrypted_columns,
)

OLD = TokenCipher.generate_key()
NEW = TokenCipher.generate_key()
OLD_CIPHER = TokenCipher(OLD)
ROTATING = TokenCipher(f"{NEW},{OLD}", fingerprint_key=OLD)
NEW_ONLY = TokenCipher(NEW, fingerprint_key=OLD)


def token(n: int) -> str:
    return f"70000000{n:02d}:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDs{n:03d}"


class Stored:
    """What the test put in, by (table.column, key): the plain values."""

    def __init__(self) -> None:
        self.plain: dict[tuple[str, str], str | None] = {}


@pytest.fixture
async def conn(pg_dsn):
    connection = await asyncpg.connect(pg_dsn)
    await migrate_platform(connection)
    try:
        yield connection
    finally:
        await connection.close()


async def seed(conn, *, tenants: int = 5, credentials: bool = True) -> Stored:
    """Tenants with bots, orders (one without a token), database passwords: all under the OLD
    key, except tenant 1's bot, already under the NEW one."""
    stored = Stored()
    for n in range(1, tenants + 1):
        client = f"client_{n:03d}"
        await conn.execute(
            "INSERT INTO platform.tenants (client_id, company_name, admin_telegram_id)"
            " VALUES ($1, $2, 42)",
            client,
            f"Салон {n}",
        )
        cipher = ROTATING if n == 1 else OLD_CIPHER
        await conn.execute(
            "INSERT INTO platform.tenant_bots (client_id, bot_id, token_encrypted,"
            " token_fingerprint) VALUES ($1, $2, $3, $4)",
            client,
            7000000000 + n,
            cipher.encrypt(token(n)),
            OLD_CIPHER.fingerprint(token(n)),
        )
        stored.plain[("platform.tenant_bots.token_encrypted", client)] = token(n)
        order_token = token(50 + n) if n != 3 else None
        order_id = await conn.fetchval(
            "INSERT INTO platform.orders (kind, buyer_telegram_id, client_id, status,"
            " token_encrypted, token_fingerprint) VALUES ('new', 42, $1, 'active', $2, $3)"
            " RETURNING id",
            client,
            OLD_CIPHER.encrypt(order_token) if order_token else None,
            OLD_CIPHER.fingerprint(order_token) if order_token else None,
        )
        stored.plain[("platform.orders.token_encrypted", str(order_id))] = order_token
        if credentials:
            await conn.execute(
                "INSERT INTO platform.tenant_credentials (client_id, db_password_encrypted)"
                " VALUES ($1, $2)",
                client,
                OLD_CIPHER.encrypt(f"db-pw-{n}"),
            )
            stored.plain[("platform.tenant_credentials.db_password_encrypted", client)] = (
                f"db-pw-{n}"
            )
    return stored


async def snapshot(conn) -> dict[tuple[str, str], str | None]:
    """Every encrypted column's raw value, by (table.column, key)."""
    values = {}
    for col in ENCRYPTED_COLUMNS:
        if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", col.table):
            continue
        table, key, column = col.quoted()
        for row in await conn.fetch(f"SELECT {key} AS k, {column} AS v FROM {table}"):
            values[(col.name, str(row["k"]))] = row["v"]
    return values


def assert_all_on_new_key(values, stored: Stored) -> None:
    assert set(values) == set(stored.plain)
    for where, raw in values.items():
        if stored.plain[where] is None:
            assert raw is None, where
        else:
            assert NEW_ONLY.decrypt(raw) == stored.plain[where], where


async def run_cli(dsn: str, *args: str) -> tuple[int, str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "TOKEN_ENCRYPTION_KEY": f"{NEW},{OLD}",
        "TOKEN_FINGERPRINT_KEY": OLD,
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "pool.cli",
        "rotate-key",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    return proc.returncode, out.decode(), err.decode()


def assert_no_secret(text: str, stored: Stored, values) -> None:
    for secret in (OLD, NEW, *filter(None, stored.plain.values()), *filter(None, values.values())):
        assert secret not in text


async def test_rotate_key_moves_every_secret_to_the_new_key_and_a_rerun_changes_nothing(
    conn, pg_dsn
):
    stored = await seed(conn)
    before = await snapshot(conn)
    fingerprints = await conn.fetch(
        "SELECT client_id, token_fingerprint FROM platform.tenant_bots ORDER BY 1"
    )

    code, out, err = await run_cli(pg_dsn, "--batch-size", "2")

    assert code == 0, err
    assert "platform.tenant_bots.token_encrypted: 5 seen, 4 re-encrypted, 1 already current" in out
    assert "platform.orders.token_encrypted: 4 seen, 4 re-encrypted, 0 already current" in out
    assert (
        "platform.tenant_credentials.db_password_encrypted: 5 seen, 5 re-encrypted, "
        "0 already current" in out
    )
    assert "done: every stored secret is on the first key" in out
    after = await snapshot(conn)
    assert_all_on_new_key(after, stored)
    assert_no_secret(out + err, stored, {**before, **after})
    # the fingerprints were not touched, and the new cipher still finds the tokens by them
    assert (
        await conn.fetch("SELECT client_id, token_fingerprint FROM platform.tenant_bots ORDER BY 1")
        == fingerprints
    )
    assert NEW_ONLY.fingerprint(token(2)) == fingerprints[1]["token_fingerprint"]

    code, out, err = await run_cli(pg_dsn)
    assert code == 0, err
    assert "platform.tenant_bots.token_encrypted: 5 seen, 0 re-encrypted, 5 already current" in out
    assert await snapshot(conn) == after


async def test_an_interrupted_run_is_finished_by_a_rerun(conn):
    stored = await seed(conn, tenants=5)

    class Interrupted(Exception):
        pass

    def stop_after_first_batch(report):
        raise Interrupted

    with pytest.raises(Interrupted):
        await rotate_keys(conn, ROTATING, batch_size=2, progress=stop_after_first_batch)
    middle = await snapshot(conn)
    bots = {k: v for (name, k), v in middle.items() if name.startswith("platform.tenant_bots")}
    # the first batch (client_001 already current, client_002) was committed; nothing else moved
    assert NEW_ONLY.on_primary_key(bots["client_001"]) and NEW_ONLY.on_primary_key(
        bots["client_002"]
    )
    assert all(OLD_CIPHER.decrypt(bots[c]) for c in ("client_003", "client_004", "client_005"))
    untouched = [v for (name, _), v in middle.items() if "tenant_bots" not in name and v]
    assert untouched and not any(NEW_ONLY.on_primary_key(v) for v in untouched)

    report = await rotate_keys(conn, ROTATING, batch_size=2)
    assert report.complete
    bots_report = report.columns[0]
    assert (bots_report.seen, bots_report.reencrypted, bots_report.current) == (5, 3, 2)
    final = await snapshot(conn)
    assert_all_on_new_key(final, stored)
    # what the first run had already done stayed as it was
    assert final[("platform.tenant_bots.token_encrypted", "client_002")] == bots["client_002"]


async def test_a_foreign_ciphertext_is_reported_and_nothing_is_changed(conn, pg_dsn):
    stored = await seed(conn, tenants=3)
    foreign = TokenCipher(TokenCipher.generate_key()).encrypt("a token of another installation")
    order_id = await conn.fetchval(
        "UPDATE platform.orders SET token_encrypted = $1"
        " WHERE client_id = 'client_002' RETURNING id",
        foreign,
    )
    before = await snapshot(conn)

    code, out, err = await run_cli(pg_dsn, "--batch-size", "2")

    assert code == 1
    assert "1 stored value(s) cannot be decrypted with any key" in err
    assert "nothing was re-encrypted" in err
    assert f"platform.orders.token_encrypted  key {order_id}" in err
    assert "a token of another installation" not in out + err
    assert_no_secret(out + err, stored, before)
    assert await snapshot(conn) == before


async def test_every_encrypted_column_of_the_migrations_is_listed(conn):
    # a new `*_encrypted` column needs its line in core.rotation.ENCRYPTED_COLUMNS
    assert await unlisted_encrypted_columns(conn) == []
    for col in ENCRYPTED_COLUMNS:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM information_schema.columns"
                " WHERE table_schema || '.' || table_name = $1 AND column_name = $2",
                col.table,
                col.column,
            )
            == 1
            or col.optional
        ), col.name


async def test_an_unknown_encrypted_column_makes_it_refuse(conn):
    await seed(conn, tenants=2)
    await conn.execute("ALTER TABLE platform.tenants ADD COLUMN note_encrypted text")
    before = await snapshot(conn)
    with pytest.raises(
        RotationError, match=r"platform\.tenants\.note_encrypted: .*ENCRYPTED_COLUMNS"
    ):
        await rotate_keys(conn, ROTATING)
    assert await snapshot(conn) == before


async def test_an_optional_table_not_there_yet_is_skipped_a_required_one_is_an_error(conn):
    stored = await seed(conn, tenants=2)
    later = EncryptedColumn("platform.not_yet_created", "id", "secret_encrypted", optional=True)
    report = await rotate_keys(conn, ROTATING, columns=(*ENCRYPTED_COLUMNS, later))
    assert report.complete and not report.columns[-1].present
    assert_all_on_new_key(await snapshot(conn), stored)

    missing = EncryptedColumn("platform.not_yet_created", "id", "secret_encrypted")
    with pytest.raises(
        RotationError, match=r"platform\.not_yet_created\.secret_encrypted does not"
    ):
        await rotate_keys(conn, ROTATING, columns=(*ENCRYPTED_COLUMNS, missing))


async def test_a_concurrent_writer_is_never_overwritten(conn, pg_dsn):
    await seed(conn, tenants=3, credentials=False)
    writer = await asyncpg.connect(pg_dsn)
    written = ROTATING.encrypt(token(99))  # a service that already has the new key saves a token
    try:
        tx = writer.transaction()
        await tx.start()
        await writer.execute(
            "UPDATE platform.tenant_bots SET token_encrypted = $1 WHERE client_id = 'client_002'",
            written,
        )
        rotation = asyncio.create_task(rotate_keys(conn, ROTATING, batch_size=10))
        # rotate-key read the old value and now waits for the writer's row lock
        for _ in range(200):
            waiting = await writer.fetchval(
                "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> pg_backend_pid()"
            )
            if waiting:
                break
            await asyncio.sleep(0.05)
        assert waiting
        await tx.commit()
        report = await rotation
    finally:
        await writer.close()

    bots = report.columns[0]
    # client_001 was already current, client_003 re-encrypted, client_002 left to the writer
    assert (bots.seen, bots.current, bots.reencrypted, bots.changed_meanwhile) == (3, 1, 1, 1)
    assert not report.complete
    stored = await conn.fetchval(
        "SELECT token_encrypted FROM platform.tenant_bots WHERE client_id = 'client_002'"
    )
    assert stored == written
    again = await rotate_keys(conn, ROTATING)
    assert again.complete and again.columns[0].current == 3
