"""SQL lives in `.sql` files beside the repositories (issue 12): every named query loads with
aiosql's asyncpg adapter, every query a repository calls exists (and every query is called),
and no other Python module holds SQL text — so the rule cannot silently regress."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from core.db import SCHEMA_MARK, TenantQueries, queries

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "pool", "bots", "sales", "master")
SQL_FILES = sorted(p for package in PACKAGES for p in (ROOT / package).rglob("*.sql"))

# Python files that may hold SQL text, and why.
MAY_HOLD_SQL = {
    "core/migrations.py": "the migrations runner: version table, advisory lock, search_path",
    "core/rotation.py": "key rotation, generic over the fixed ENCRYPTED_COLUMNS (quoted names)",
    "sandbox/localservers.py": "creates the local test server's role and database",
    "scripts/demo.py": "the demo reports connections from pg_stat_activity",
}
NOT_SCANNED = {"tests", "sql", "bench"}  # bench seeds data like the tests do

# A statement, not a word: an upper-case keyword (the house style) followed by its clause.
SQL_TEXT = re.compile(
    r"\b(SELECT\s+[\w*(].*\bFROM\b|SELECT\s+(now|nextval|count|coalesce|EXISTS|platform\.)"
    r"|INSERT\s+INTO|UPDATE\s+[\w.\"{}]+\s+(\w+\s+)?SET\b|DELETE\s+FROM"
    r"|(CREATE|ALTER|DROP)\s+(TABLE|SCHEMA|ROLE|INDEX)|SET\s+(LOCAL\s+)?(search_path|ROLE))",
    re.S,
)
CALLED = re.compile(r"\b(?:Q|self\.q)\.([a-z_][a-z0-9_]*)\b")


def load(sql_file: Path):
    module_file = str(sql_file.with_suffix(".py"))
    if SCHEMA_MARK in sql_file.read_text(encoding="utf-8"):
        return TenantQueries(module_file).for_client("client_001")
    return queries(module_file)


def query_names(loaded) -> set[str]:
    return {name for name in loaded.available_queries if not name.endswith("_cursor")}


def test_there_is_a_sql_file_per_repository():
    names = {str(p.relative_to(ROOT)) for p in SQL_FILES}
    assert {
        "bots/repository.sql",
        "core/platform_repo.sql",
        "master/repository.sql",
        "sales/repository.sql",
        "sales/retention_repo.sql",
    } <= names


@pytest.mark.parametrize("sql_file", SQL_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_named_query_loads_and_is_the_one_its_repository_calls(sql_file: Path):
    module = sql_file.with_suffix(".py")
    assert module.exists(), f"{sql_file.name} has no repository module beside it"
    defined = query_names(load(sql_file))
    assert defined
    called = set(CALLED.findall(module.read_text(encoding="utf-8")))
    assert called - defined == set(), "called but not in the .sql file"
    assert defined - called == set(), "named queries nobody calls"


def test_a_tenant_file_gets_the_quoted_schema_and_refuses_a_bad_client_id():
    tenant = TenantQueries(str(ROOT / "bots" / "repository.py"))
    sql = tenant.for_client("client_042").busy.sql
    assert '"client_042".bookings' in sql and SCHEMA_MARK not in sql and "$1" in sql
    assert '"client_007".bookings' in tenant.for_client("client_007").busy.sql
    with pytest.raises(ValueError):
        tenant.for_client('client_001"; DROP SCHEMA platform; --')


def test_tenant_queries_name_every_table_with_the_schema_mark():
    """A table named without `{schema}.` would resolve through the connection's search_path:
    the tenant's own schema as role `client_NNN`, but nothing (or the wrong one) elsewhere."""
    table_ref = re.compile(r"\b(?:FROM|JOIN|INTO|UPDATE)\s+(?!\{schema\}\.)([a-z_][\w.]*)")
    for sql_file in SQL_FILES:
        text = sql_file.read_text(encoding="utf-8")
        if SCHEMA_MARK not in text:
            continue
        ctes = set(re.findall(r"\b([a-z_]\w*) AS \(", text))
        assert set(table_ref.findall(text)) <= ctes, sql_file.name


def strings(tree: ast.AST):
    """String constants and f-strings, without docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            yield (
                node.lineno,
                "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values),
            )
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docstrings
        ):
            yield node.lineno, node.value


def test_no_python_module_outside_the_allow_list_holds_sql():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT)
        top = relative.parts[0]  # hidden: virtualenvs (.venv, .venv-ansible), .git, .run
        if top.startswith(".") or top in NOT_SCANNED or str(relative) in MAY_HOLD_SQL:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        found += [f"{relative}:{line}" for line, text in strings(tree) if SQL_TEXT.search(text)]
    assert found == [], "SQL belongs in the .sql file beside a repository"


def test_the_scan_sees_sql_in_a_string_and_an_f_string():
    code = 'a = "SELECT id FROM platform.orders"\nb = f"UPDATE {s}.bookings SET x = 1"\n'
    assert [line for line, text in strings(ast.parse(code)) if SQL_TEXT.search(text)] == [1, 2]
    assert not SQL_TEXT.search("Select a tariff from the list")


def test_the_allow_list_names_files_that_exist():
    assert all((ROOT / name).exists() for name in MAY_HOLD_SQL)
