"""The inputs of a run and how their columns are used: each source table is mapped onto the
fields of one entity type (``plan_columns``), then prepared and stacked (``prepare_sources``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from linker.errors import InputError
from linker.prepare.columns import check_column_names, guess_mapping
from linker.prepare.derived import find_derived
from linker.prepare.records import (
    PreparedRecords,
    PrepareOptions,
    guess_generic_kind,
    prepare_records,
    stack_records,
)


@dataclass
class SourceTable:
    """One input: its name, raw string frame, file row numbers and the rows reading
    rejected."""

    name: str
    frame: pd.DataFrame
    rows: pd.Series
    rejects: pd.DataFrame | None = None  # what reading the table kept out (linker.io)


@dataclass
class ColumnPlan:
    """How each input column is used: mapped to a canonical field, generic, folded (derived
    from other columns of its table, see ``linker.prepare.derived``) or not at all."""

    mapping: dict[str, dict[str, str]]
    generic: dict[str, str]
    unused: dict[str, list[str]]
    # source -> column -> how it is derived ("copy of full_name", "= given + family")
    folded: dict[str, dict[str, str]] = field(default_factory=dict)
    # source -> column -> why it is mapped ("name", "override", "values: 96% dates")
    reasons: dict[str, dict[str, str]] = field(default_factory=dict)
    # source -> what the mapping saw and did not use, and how countries normalise
    notes: dict[str, list[str]] = field(default_factory=dict)

    def describe(self) -> list[str]:
        lines = []
        for source, mapping in self.mapping.items():
            why = self.reasons.get(source, {})
            mapped = (
                ", ".join(
                    f"{c} -> {f}" + (f" ({why[c]})" if c in why else "") for c, f in mapping.items()
                )
                or "nothing"
            )
            lines.append(f"{source}: mapped {mapped}")
            lines.extend(f"{source}: {note}" for note in self.notes.get(source, []))
            if self.folded.get(source):
                folded = ", ".join(f"{c} ({how})" for c, how in self.folded[source].items())
                lines.append(f"{source}: folded {folded}")
        for column, kind in self.generic.items():
            lines.append(f"generic: {column} compared as {kind}")
        for source, columns in self.unused.items():
            if columns:
                lines.append(f"{source}: not compared {', '.join(columns)}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "mapping": self.mapping,
            "generic": self.generic,
            "unused": self.unused,
            "folded": self.folded,
            "reasons": self.reasons,
            "notes": self.notes,
        }

    @property
    def fields(self) -> list[str]:
        """The canonical fields that some source maps to."""
        return sorted({f for mapping in self.mapping.values() for f in mapping.values()})


def plan_columns(
    tables: list[SourceTable],
    id_column: str,
    overrides: dict[str, str],
    ignore: set[str],
    entity: str = "person",
) -> ColumnPlan:
    """Map each table's columns onto the fields of ``entity`` (by name, else by value:
    ``guess_mapping``); columns left unmapped in every table are compared generically; columns
    derived from others of their table are folded.

    An override ``col=ignore`` means the same as ``col`` in ``ignore``. A column the override
    maps is never folded. Folding is decided per table (``find_derived``) and kept only where
    it agrees across tables: a column is folded only if what it feeds (its canonical field, or
    its name when generic) is folded in every table that has it, so two tables always compare
    the same fields.
    """
    check_column_names([*overrides, *ignore], {t.name: list(t.frame.columns) for t in tables})
    ignore = ignore | {c for c, f in overrides.items() if f == "ignore"}
    guessed = {
        t.name: guess_mapping(
            t.frame, id_column=id_column, overrides=overrides, ignore=ignore, entity=entity
        )
        for t in tables
    }
    mapping = {name: g.fields for name, g in guessed.items()}
    leftovers = [
        [c for c in t.frame.columns if c not in (id_column, *ignore) and c not in mapping[t.name]]
        for t in tables
    ]
    shared = [c for c in leftovers[0] if all(c in rest for rest in leftovers[1:])]
    unused = {
        t.name: sorted(set(rest) - set(shared)) for t, rest in zip(tables, leftovers, strict=True)
    }
    folded = _fold_derived(tables, id_column, mapping, shared, set(overrides) - ignore)
    for t in tables:
        mapping[t.name] = {c: f for c, f in mapping[t.name].items() if c not in folded[t.name]}
    generic = {
        c: guess_generic_kind(pd.concat([t.frame[c] for t in tables], ignore_index=True))
        for c in shared
        if c not in folded[tables[0].name]
    }
    reasons = {s: {c: g.reasons[c] for c in mapping[s]} for s, g in guessed.items()}
    notes = {s: g.notes for s, g in guessed.items() if g.notes}
    return ColumnPlan(
        mapping, generic, unused, {s: f for s, f in folded.items() if f}, reasons, notes
    )


def _fold_derived(
    tables: list[SourceTable],
    id_column: str,
    mapping: dict[str, dict[str, str]],
    shared: list[str],
    protected: set[str],
) -> dict[str, dict[str, str]]:
    """The columns of each table to fold, agreed across tables (see ``plan_columns``)."""

    def key(table: SourceTable, column: str) -> str:
        mapped = mapping[table.name].get(column)
        return f"field {mapped}" if mapped else f"column {column}"

    found = {}
    for t in tables:
        compared = [c for c in t.frame.columns if c in mapping[t.name] or c in shared]
        found[t.name] = find_derived(
            t.frame, compared, id_column=id_column, mapped=set(mapping[t.name]), protected=protected
        )
    compared_keys = {
        t.name: {key(t, c) for c in t.frame.columns if c in mapping[t.name] or c in shared}
        for t in tables
    }
    folded_keys = {t.name: {key(t, c) for c in found[t.name]} for t in tables}

    def agreed(k: str) -> bool:
        return all(k in folded_keys[t.name] for t in tables if k in compared_keys[t.name])

    return {
        t.name: {c: how for c, how in found[t.name].items() if agreed(key(t, c))} for t in tables
    }


def prepare_sources(
    tables: list[SourceTable],
    plan: ColumnPlan,
    id_column: str,
    options: PrepareOptions,
    progress: Callable[..., Iterable[Any]] | None = None,
) -> PreparedRecords:
    """Prepare each table with the plan and stack them into one records frame."""
    return stack_prepared([prepare_table(t, plan, id_column, options, progress) for t in tables])


def prepare_table(
    table: SourceTable,
    plan: ColumnPlan,
    id_column: str,
    options: PrepareOptions,
    progress: Callable[..., Iterable[Any]] | None = None,
) -> PreparedRecords:
    """One table prepared alone with the plan: it depends on its own rows and plan only."""
    return prepare_records(
        table.frame,
        source=table.name,
        id_column=id_column,
        mapping=plan.mapping[table.name],
        generic=plan.generic,
        options=options,
        rows=table.rows,
        progress=progress,
    )


def stack_prepared(parts: list[PreparedRecords]) -> PreparedRecords:
    """The prepared tables stacked into one records frame (rarities are the stack's); an
    error when no column is left to compare."""
    prepared = stack_records(parts)
    if not prepared.fields and not prepared.generic:
        raise InputError(
            "no column to compare: every column is ignored or maps to nothing; map some to a "
            "field or stop ignoring them",
            setting="mapping",
        )
    return prepared
