"""The inputs of a run and how their columns are used: each source table is mapped onto the
fields of one entity type (``plan_columns``), then prepared and stacked (``prepare_sources``)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from linker.errors import InputError
from linker.prepare.columns import check_column_names, map_columns
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
    """How each input column is used: mapped to a canonical field, generic, or not at all."""

    mapping: dict[str, dict[str, str]]
    generic: dict[str, str]
    unused: dict[str, list[str]]

    def describe(self) -> list[str]:
        lines = []
        for source, mapping in self.mapping.items():
            mapped = ", ".join(f"{c} -> {f}" for c, f in mapping.items()) or "nothing"
            lines.append(f"{source}: mapped {mapped}")
        for column, kind in self.generic.items():
            lines.append(f"generic: {column} compared as {kind}")
        for source, columns in self.unused.items():
            if columns:
                lines.append(f"{source}: not compared {', '.join(columns)}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {"mapping": self.mapping, "generic": self.generic, "unused": self.unused}

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
    """Map each table's columns onto the fields of ``entity``; columns left unmapped in every
    table are compared generically.

    An override ``col=ignore`` means the same as ``col`` in ``ignore``.
    """
    check_column_names([*overrides, *ignore], {t.name: list(t.frame.columns) for t in tables})
    ignore = ignore | {c for c, f in overrides.items() if f == "ignore"}
    mapping = {
        t.name: map_columns(
            list(t.frame.columns),
            id_column=id_column,
            overrides=overrides,
            ignore=ignore,
            entity=entity,
        )
        for t in tables
    }
    leftovers = [
        [c for c in t.frame.columns if c not in (id_column, *ignore) and c not in mapping[t.name]]
        for t in tables
    ]
    shared = [c for c in leftovers[0] if all(c in rest for rest in leftovers[1:])]
    generic = {
        c: guess_generic_kind(pd.concat([t.frame[c] for t in tables], ignore_index=True))
        for c in shared
    }
    unused = {
        t.name: sorted(set(rest) - set(shared)) for t, rest in zip(tables, leftovers, strict=True)
    }
    return ColumnPlan(mapping, generic, unused)


def prepare_sources(
    tables: list[SourceTable],
    plan: ColumnPlan,
    id_column: str,
    options: PrepareOptions,
    progress: Callable[..., Iterable[Any]] | None = None,
) -> PreparedRecords:
    """Prepare each table with the plan and stack them into one records frame."""
    parts = [
        prepare_records(
            t.frame,
            source=t.name,
            id_column=id_column,
            mapping=plan.mapping[t.name],
            generic=plan.generic,
            options=options,
            rows=t.rows,
            progress=progress,
        )
        for t in tables
    ]
    prepared = stack_records(parts)
    if not prepared.fields and not prepared.generic:
        raise InputError(
            "no column to compare: every column is ignored or maps to nothing; map some to a "
            "field or stop ignoring them",
            setting="mapping",
        )
    return prepared
