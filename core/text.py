"""Text from strangers, made safe to show and to export.

- `clean_text`: drops control characters (C0/C1, except that whitespace is collapsed), format
  characters — bidi overrides and isolates (U+202A–202E, U+2066–2069), zero-width characters
  (U+200B–200D, U+2060, U+FEFF), soft hyphens — surrogates, private-use and unassigned code
  points. A name shown to an owner cannot then reorder or hide what surrounds it.
- `csv_cell`: a value that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR at
  the start) gets a leading apostrophe (the OWASP "CSV injection" advice); plain numbers such as
  a normalised phone `+79991234567` stay as they are.
"""

from __future__ import annotations

import re
import unicodedata

_DROP = {"Cc", "Cf", "Cs", "Co", "Cn"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")  # a phone «+7999…», a sum: harmless


def clean_text(text: str | None) -> str:
    """Unsafe characters removed and whitespace runs collapsed to single spaces."""
    kept = "".join(
        " " if ch.isspace() else ch
        for ch in (text or "")
        if ch.isspace() or unicodedata.category(ch) not in _DROP
    )
    return " ".join(kept.split())


def csv_cell(value):
    if (
        isinstance(value, str)
        and value.startswith(_FORMULA_START)
        and not _PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value
