"""Reading a *world directory*: the two services' files and the truth of a synthetic world.

Layout (fixed)::

    DIR/fiu/{persons,companies,accounts,relations}.csv
    DIR/police/{persons,companies,accounts,relations}.csv
    DIR/truth/records.csv         record_id,source,entity_type,entity_id,origin
    DIR/truth/relations.csv
    DIR/truth/hard_negatives.csv  record_id_a,record_id_b,kind
    DIR/world.json

Record ids are unique across both services, so the two files of one entity type can be stacked
into one dedupe job. Nothing here imports the generator (``linker.synth``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from linker.errors import ConfigError, InputError
from linker.io import Table, read_string_columns, read_table

__all__ = [
    "ENTITY_FILES",
    "ENTITY_TYPES",
    "SERVICES",
    "is_world_dir",
    "read_hard_negatives",
    "read_truth_records",
    "read_world_tables",
    "stack_world",
]

SERVICES: tuple[str, ...] = ("fiu", "police")
ENTITY_FILES: dict[str, str] = {
    "person": "persons.csv",
    "company": "companies.csv",
    "account": "accounts.csv",
}
ENTITY_TYPES: tuple[str, ...] = tuple(ENTITY_FILES)

TRUTH_COLUMNS: tuple[str, ...] = ("record_id", "source", "entity_type", "entity_id", "origin")
HARD_NEGATIVE_COLUMNS: tuple[str, ...] = ("record_id_a", "record_id_b", "kind")


def is_world_dir(path: Path) -> bool:
    """True when ``path`` is a directory that looks like a world (``world.json``, ``fiu/`` or
    ``police/`` in it). An incomplete world still counts, so that reading it names what is
    missing instead of complaining that a directory is not a CSV file."""
    path = Path(path)
    if not path.is_dir():
        return False
    return (path / "world.json").is_file() or any((path / s).is_dir() for s in SERVICES)


def _check_entity(entity: str) -> str:
    if entity not in ENTITY_FILES:
        raise ConfigError(
            f"unknown entity type {entity!r}; expected one of {', '.join(ENTITY_TYPES)}"
        )
    return entity


def _require_file(world: Path, relative: str) -> Path:
    path = Path(world) / relative
    if not path.is_file():
        raise InputError(
            f"incomplete world directory: missing {relative} "
            f"(expected fiu/, police/, truth/ and world.json)",
            file=str(world),
        )
    return path


def read_world_tables(path: Path, entity: str) -> list[tuple[str, Path]]:
    """The two services' files of one entity type: ``[("fiu", path), ("police", path)]``.

    Raises ``ConfigError`` for an unknown entity type and ``InputError`` naming the missing file
    when the layout is incomplete.
    """
    name = ENTITY_FILES[_check_entity(entity)]
    return [(service, _require_file(path, f"{service}/{name}")) for service in SERVICES]


def stack_world(path: Path, entity: str, id_column: str = "record_id") -> list[Table]:
    """Read both services' files of ``entity`` (fiu first, then police) with ``read_table``.

    The tables are meant to be two sources of one dedupe job: their record ids share one
    space, so an id found in both files raises ``InputError``.
    """
    tables = [read_table(file, id_column) for _, file in read_world_tables(path, entity)]
    fiu, police = tables
    shared = pd.Index(fiu.frame[id_column].astype(str)).intersection(
        pd.Index(police.frame[id_column].astype(str))
    )
    if len(shared):
        raise InputError(
            f"{len(shared)} record id(s) appear in both services' files, e.g. {shared[0]!r}; "
            "a world's record ids must be unique across fiu and police",
            file=police.name,
            column=id_column,
        )
    return tables


def _read_csv(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    """``columns`` of a truth file as strings, blank cells missing."""
    result: pd.DataFrame = read_string_columns(path, columns, path.name).replace("", np.nan)
    return result


def read_truth_records(path: Path) -> pd.DataFrame:
    """``truth/records.csv`` as strings (blank cells missing), checked: ids present and unique,
    ``source`` in fiu/police, ``entity_type`` in person/company/account."""
    file = _require_file(path, "truth/records.csv")
    frame = _read_csv(file, TRUTH_COLUMNS)
    ids = frame["record_id"]
    if ids.isna().any():
        row = int(np.flatnonzero(ids.isna().to_numpy())[0]) + 2
        raise InputError("blank record_id", file=str(file), row=row, column="record_id")
    duplicated = ids.duplicated()
    if duplicated.any():
        row = int(np.flatnonzero(duplicated.to_numpy())[0]) + 2
        raise InputError(
            f"record_id {ids[duplicated].iloc[0]!r} appears more than once",
            file=str(file),
            row=row,
            column="record_id",
        )
    for column, allowed in (("source", SERVICES), ("entity_type", ENTITY_TYPES)):
        bad = ~frame[column].isin(allowed)
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2
            raise InputError(
                f"{column} {frame[column][bad].iloc[0]!r} is not one of {', '.join(allowed)}",
                file=str(file),
                row=row,
                column=column,
            )
    return frame.reset_index(drop=True)


def read_hard_negatives(path: Path) -> pd.DataFrame:
    """``truth/hard_negatives.csv`` as strings: ``record_id_a, record_id_b, kind``."""
    file = _require_file(path, "truth/hard_negatives.csv")
    try:
        frame = _read_csv(file, HARD_NEGATIVE_COLUMNS)
    except InputError:
        if not file.read_bytes().strip():  # no hard negatives at all: an empty file is fine
            return pd.DataFrame(columns=list(HARD_NEGATIVE_COLUMNS), dtype=object)
        raise
    return frame.reset_index(drop=True)
