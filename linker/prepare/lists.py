"""Cells holding several values: which separators split them, field by field.

Our own files join the values of a cell with ``|`` (``LIST_SEPARATOR``); other people's files
write lists with ``, ``, `` / `` or ``;`` too. ``|`` always splits. Any other separator splits a
piece of a cell only when *every* piece it would make can be an item of the field (a phone
has at least ``MIN_PHONE_DIGITS`` digits, an email an ``@``...), so a separator written inside
one value never splits it: ``06/12/34/56/78`` is one phone, ``Dupont, Jean <jd@x.fr>`` one
address. A comma never splits aliases (nor any other name): ``DUPONT, Jean`` is one name
written surname first, and nothing in the text tells it from a list of two.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from linker.io import LIST_SEPARATOR

MIN_PHONE_DIGITS = 6  # fewer digits than this cannot be a phone number of its own


@dataclass(frozen=True)
class Separator:
    """A list separator: its name as shown to users and the pattern it matches."""

    name: str
    pattern: re.Pattern[str]


SEMICOLON = Separator(";", re.compile(r"\s*;\s*"))
SPACED_SLASH = Separator(" / ", re.compile(r"\s+/\s+"))
COMMA = Separator(",", re.compile(r"\s*,\s*"))
SLASH = Separator("/", re.compile(r"/"))
_ANY_SEPARATOR = re.compile(r"[|;/,]")


def _digits(text: str) -> int:
    return sum(c.isdecimal() for c in text)


@dataclass(frozen=True)
class ListRule:
    """The separators besides ``|`` that may split a field's cells (tried in order), and
    what one item of the field looks like."""

    separators: tuple[Separator, ...]
    is_item: Callable[[str], bool]

    def describe(self) -> str:
        return " ".join(repr(s) for s in (LIST_SEPARATOR, *(s.name for s in self.separators)))


LIST_RULES: dict[str, ListRule] = {
    "phones": ListRule(
        (SEMICOLON, SPACED_SLASH, COMMA, SLASH), lambda v: _digits(v) >= MIN_PHONE_DIGITS
    ),
    "emails": ListRule((SEMICOLON, SPACED_SLASH, COMMA), lambda v: v.count("@") == 1),
    "documents": ListRule((SEMICOLON, SPACED_SLASH, COMMA), lambda v: _digits(v) > 0),
    "ibans": ListRule((SEMICOLON, SPACED_SLASH, COMMA), lambda v: _digits(v) > 0),
    "aliases": ListRule((SEMICOLON, SPACED_SLASH), lambda v: any(c.isalpha() for c in v)),
}


def split_cell(cell: str, rule: ListRule) -> tuple[list[str], set[str]]:
    """The stripped non-empty items of a cell, and the names of the separators that split it."""
    if not _ANY_SEPARATOR.search(cell):  # most cells hold one value
        return ([cell.strip()] if cell.strip() else []), set()
    seen: set[str] = set()
    items: list[str] = []
    parts = cell.split(LIST_SEPARATOR)
    if len(parts) > 1:
        seen.add(LIST_SEPARATOR)
    for part in parts:
        pieces = [part]
        for separator in rule.separators:
            split: list[str] = []
            for piece in pieces:
                found = [p for p in separator.pattern.split(piece) if p.strip()]
                if len(found) > 1 and all(rule.is_item(p) for p in found):
                    split.extend(found)
                    seen.add(separator.name)
                else:
                    split.append(piece)
            pieces = split
        items.extend(p.strip() for p in pieces if p.strip())
    return items, seen


def split_items(cell: str, rule: ListRule | None) -> list[str]:
    """The items of a cell: on ``|`` alone without a rule."""
    if rule is None:
        return [item.strip() for item in cell.split(LIST_SEPARATOR) if item.strip()]
    return split_cell(cell, rule)[0]


def describe_list_column(column: str, field: str, values: pd.Series) -> str | None:
    """``"phones read as a list ..."``: the separators that may split the column's cells and
    those its cells use (how many cells each), or None for a field that is not a list."""
    rule = LIST_RULES.get(field)
    if rule is None:
        return None
    counts: Counter[str] = Counter()
    cells = values.dropna().astype(str)
    cells = cells[cells.str.contains(_ANY_SEPARATOR)]  # most cells hold one value
    for cell, repeat in cells.value_counts().items():
        for name in split_cell(str(cell), rule)[1]:
            counts[name] += int(repeat)
    seen = (
        ", ".join(f"{name!r} in {n} cell{'s' * (n > 1)}" for name, n in counts.most_common())
        or "none"
    )
    return f"{column} -> {field} read as a list, split on {rule.describe()}; seen {seen}"
