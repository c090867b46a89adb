"""Re-encrypt every stored secret with the first key of `TOKEN_ENCRYPTION_KEY` (`rotate-key`).

`ENCRYPTED_COLUMNS` is the one list of columns that hold values encrypted with the token cipher;
a new encrypted column is one more line there. Such columns are named `*_encrypted`: a column of
that name in schema `platform` that is not in the list makes `rotate-key` refuse to run (and the
migrations test fail), so a forgotten line cannot leave secrets on an old key.

The run has two passes, both in batches of `batch_size` rows walked in key order:

1. **check** (read only): every value must decrypt with one of the keys. If any does not, the
   run stops before changing anything and reports those rows (table, column, key; never the
   value).
2. **rewrite**: a value that the first key alone decrypts is already current and left as is;
   any other is re-encrypted (`MultiFernet.rotate`) and written back with a compare-and-set,
   `UPDATE ... SET col = $new WHERE key = $k AND col = $old`, one small transaction per batch.
   A row that another writer changed meanwhile is not overwritten (counted as "changed
   meanwhile"; a re-run looks at it again).

So the run may be interrupted at any point and run again: a re-run re-encrypts only what is not
yet on the first key, and a second complete run changes nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import asyncpg

from core.crypto import TokenCipher, TokenCipherError
from core.db import affected_rows

_IDENT = re.compile(r"^[a-z_][a-z0-9_]*$")


@dataclass(frozen=True)
class EncryptedColumn:
    table: str  # schema-qualified: platform.tenant_bots
    key: str  # the table's primary key column (one column)
    column: str  # the encrypted column; NULL means "nothing stored"
    optional: bool = False  # the table may not exist yet (skipped when absent)

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"

    def quoted(self) -> tuple[str, str, str]:
        """(table, key, column) as quoted identifiers; each part checked against `_IDENT`."""
        parts = [*self.table.split("."), self.key, self.column]
        if len(parts) != 4 or not all(_IDENT.match(p) for p in parts):
            raise ValueError(f"bad encrypted column {self.name!r}")
        schema, table, key, column = (f'"{p}"' for p in parts)
        return f"{schema}.{table}", key, column


ENCRYPTED_COLUMNS: tuple[EncryptedColumn, ...] = (
    EncryptedColumn("platform.tenant_bots", "client_id", "token_encrypted"),
    EncryptedColumn("platform.orders", "id", "token_encrypted"),
    EncryptedColumn("platform.tenant_credentials", "client_id", "db_password_encrypted"),
)


class RotationError(Exception):
    pass


@dataclass
class ColumnReport:
    column: EncryptedColumn
    present: bool = True
    seen: int = 0
    reencrypted: int = 0
    current: int = 0
    changed_meanwhile: int = 0
    unreadable: list[str] = field(default_factory=list)  # key values, as text


@dataclass
class RotationReport:
    columns: list[ColumnReport]
    rewritten: bool = False  # False: the check found unreadable values and nothing was changed

    @property
    def unreadable(self) -> list[tuple[str, str]]:
        return [(c.column.name, key) for c in self.columns for key in c.unreadable]

    @property
    def changed_meanwhile(self) -> int:
        return sum(c.changed_meanwhile for c in self.columns)

    @property
    def complete(self) -> bool:
        """Everything readable was found on, or moved to, the first key."""
        return self.rewritten and not self.unreadable and not self.changed_meanwhile


async def unlisted_encrypted_columns(
    conn: asyncpg.Connection, columns: tuple[EncryptedColumn, ...] = ENCRYPTED_COLUMNS
) -> list[str]:
    """`platform.<table>.<column>` of every `*_encrypted` column missing from `columns`."""
    rows = await conn.fetch(
        """
        SELECT table_schema || '.' || table_name AS tbl, column_name AS col
          FROM information_schema.columns
         WHERE table_schema = 'platform' AND column_name LIKE '%\\_encrypted'
         ORDER BY 1, 2
        """
    )
    listed = {(c.table, c.column) for c in columns}
    return [f"{r['tbl']}.{r['col']}" for r in rows if (r["tbl"], r["col"]) not in listed]


async def _present(conn: asyncpg.Connection, col: EncryptedColumn) -> bool:
    return bool(
        await conn.fetchval(
            """
            SELECT EXISTS (SELECT 1 FROM pg_attribute
                            WHERE attrelid = to_regclass($1) AND attname = $2
                              AND NOT attisdropped)
            """,
            col.table,
            col.column,
        )
    )


async def _batches(conn: asyncpg.Connection, col: EncryptedColumn, batch_size: int):
    """Yield lists of (key, value) with a non-NULL value, in key order, `batch_size` at a time."""
    table, key, column = col.quoted()
    first = (
        f"SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL "
        f"ORDER BY {key} LIMIT $1"
    )
    after = (
        f"SELECT {key} AS k, {column} AS v FROM {table} WHERE {column} IS NOT NULL "
        f"AND {key} > $2 ORDER BY {key} LIMIT $1"
    )
    rows = await conn.fetch(first, batch_size)
    while rows:
        yield [(r["k"], r["v"]) for r in rows]
        if len(rows) < batch_size:
            return
        rows = await conn.fetch(after, batch_size, rows[-1]["k"])


def _readable(cipher: TokenCipher, value: str) -> bool:
    try:
        cipher.decrypt(value)
    except TokenCipherError:
        return False
    return True


async def rotate_keys(
    conn: asyncpg.Connection,
    cipher: TokenCipher,
    *,
    batch_size: int = 100,
    columns: tuple[EncryptedColumn, ...] = ENCRYPTED_COLUMNS,
    progress: Callable[[ColumnReport], None] | None = None,
) -> RotationReport:
    """Move every value of `columns` to the cipher's first key; see the module's docstring.

    `progress` is called after each committed batch of the rewrite pass with that column's
    running counts.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    unlisted = await unlisted_encrypted_columns(conn, columns)
    if unlisted:
        raise RotationError(
            f"{', '.join(unlisted)}: encrypted column(s) that rotate-key does not know; "
            "add them to ENCRYPTED_COLUMNS in core/rotation.py"
        )
    reports = [ColumnReport(col) for col in columns]
    for report in reports:
        report.present = await _present(conn, report.column)
        if not report.present and not report.column.optional:
            raise RotationError(
                f"{report.column.name} does not exist: is DATABASE_URL the Bot Pool database, "
                "and has `booking-pool migrate` run?"
            )

    # 1. check: nothing is changed unless every stored value is readable
    for report in reports:
        if not report.present:
            continue
        async for batch in _batches(conn, report.column, batch_size):
            report.unreadable.extend(str(k) for k, v in batch if not _readable(cipher, v))
    result = RotationReport(reports)
    if result.unreadable:
        return result

    # 2. rewrite, compare-and-set, one transaction per batch
    for report in reports:
        if not report.present:
            continue
        table, key, column = report.column.quoted()
        update = f"UPDATE {table} SET {column} = $3 WHERE {key} = $1 AND {column} = $2"
        async for batch in _batches(conn, report.column, batch_size):
            report.seen += len(batch)
            changes = []
            for k, value in batch:
                if cipher.on_primary_key(value):
                    report.current += 1
                    continue
                try:
                    changes.append((k, value, cipher.rotate(value)))
                except TokenCipherError:  # written by someone else since the check
                    report.unreadable.append(str(k))
            async with conn.transaction():
                for k, old, new in changes:
                    status = await conn.execute(update, k, old, new)
                    if affected_rows(status) == 1:
                        report.reencrypted += 1
                    else:
                        report.changed_meanwhile += 1
            if progress is not None:
                progress(report)
    result.rewritten = True
    return result
