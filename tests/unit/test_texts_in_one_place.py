"""Every Russian text of the tenant bot lives in `bots/texts.py`, so wording changes in one place.

Scans the string constants of every module under `bots/` with `ast` (docstrings and comments
are not texts; f-string pieces are). Exceptions are listed below, each with its reason.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

BOTS = Path(__file__).resolve().parents[2] / "bots"
CYRILLIC = re.compile("[А-Яа-яЁё]")

# Modules allowed to hold Russian literals, and why. An entry that no longer needs to be here
# fails the test, so the list only shrinks.
ALLOWED_MODULES = {
    "texts.py": "the one place for texts",
}
# Module-level names whose literals are input vocabulary (what people may type), not texts.
ALLOWED_NAMES = {
    "parsing.py": {
        "_WEEKDAY_ALIASES",  # «пн», «понедельник», …
        "DAY_OFF_WORDS",  # «сб выходной»
        "NO_REMINDERS_WORDS",  # reminders: «нет»
        "ROUBLE_SIGNS",  # «1500р»
        "_LETTER",  # a name has at least one letter, Latin or Cyrillic
        "_ZONE_CITIES",  # a time zone by its city: «Москва», «Екатеринбург»
        "_MSK",  # «МСК+2»
        "_HOURS_WORDS",  # «с 9 до 18»
        "_YO",  # «ё» typed as «е»
    },
}


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _allowed_by_name(tree: ast.Module, names: set[str]) -> set[int]:
    found = set()
    for node in tree.body:
        targets = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign):
            targets = [node.target]
        if any(isinstance(t, ast.Name) and t.id in names for t in targets):
            found.update(id(n) for n in ast.walk(node))
    return found


def russian_literals(path: Path, allowed_names: set[str] = frozenset()) -> list[tuple[int, str]]:
    """(line, value) of each string constant with Cyrillic in it, but docstrings and the
    literals assigned to `allowed_names` at module level."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _docstrings(tree) | _allowed_by_name(tree, set(allowed_names))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skip
        and CYRILLIC.search(node.value)
    ]


def test_russian_texts_live_only_in_texts_py():
    found = []
    for path in sorted(BOTS.rglob("*.py")):
        name = path.relative_to(BOTS).as_posix()
        if name not in ALLOWED_MODULES:
            found += [
                f"bots/{name}:{line}: {value!r}"
                for line, value in russian_literals(path, ALLOWED_NAMES.get(name, set()))
            ]
    assert found == [], "move these texts to bots/texts.py:\n" + "\n".join(found)


def test_the_allow_lists_only_shrink():
    stale = [
        name
        for name in ALLOWED_MODULES
        if name != "texts.py" and (not (BOTS / name).exists() or not russian_literals(BOTS / name))
    ]
    for module, names in ALLOWED_NAMES.items():
        tree = ast.parse((BOTS / module).read_text(encoding="utf-8"))
        assigned = {
            t.id
            for node in tree.body
            if isinstance(node, ast.Assign)
            for t in node.targets
            if isinstance(t, ast.Name)
        }
        stale += [f"{module}: {name}" for name in names - assigned]
    assert stale == [], "no longer needed in the allow-lists: " + ", ".join(stale)


def test_the_scan_sees_f_strings_and_skips_docstrings(tmp_path):
    module = tmp_path / "sample.py"
    module.write_text(
        '"""Модуль."""\n'
        "WORDS = ('да',)\n"
        "def f(x):\n"
        '    """Функция."""\n'
        "    return f'Привет, {x}'  # комментарий\n",
        encoding="utf-8",
    )
    assert russian_literals(module) == [(2, "да"), (5, "Привет, ")]
    assert russian_literals(module, {"WORDS"}) == [(5, "Привет, ")]
