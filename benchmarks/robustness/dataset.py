"""One benchmark input: records of a schema, a size and a duplication rate, with the truth.

Each person gets ``1 + Poisson(d)`` records: the first written clean, every other one a
duplicate corrupted field by field (``corrupt.corrupt_record``). People are drawn until the
records reach ``size``; the last person's records are cut there. Rows are then shuffled and
numbered ``r000001``... in file order, so neither order nor id gives the entity away.

The truth (kept apart from the input) holds ``record_id, entity_id`` and, to inspect the data,
``locale``, ``script`` (latin / arabic), ``role`` (original / duplicate) and ``corruptions``
(``column:corruption`` joined by ``;``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.robustness.corrupt import corrupt_record
from benchmarks.robustness.people import PeopleFactory
from benchmarks.robustness.schemas import SCHEMAS, Schema, base_values, render
from benchmarks.run import _write

TRUTH_COLUMNS = ("record_id", "entity_id", "locale", "script", "role", "corruptions")


@dataclass(frozen=True)
class Generated:
    """The records (``record_id`` then the schema's columns) and the truth."""

    records: pd.DataFrame
    truth: pd.DataFrame


def _seed(seed: int, schema: Schema, d: float) -> np.random.SeedSequence:
    return np.random.SeedSequence([seed, int(schema.name[1:]), round(d * 1000)])


def _script(values: dict[str, str]) -> str:
    text = "".join(values.values())
    return "arabic" if any("\u0600" <= c <= "\u06ff" for c in text) else "latin"


def generate(schema_name: str, size: int, d: float, seed: int) -> Generated:
    """Records of ``schema_name`` until there are ``size``, each person having
    ``1 + Poisson(d)`` of them; deterministic for ``(schema, d, seed)`` (and a smaller size is
    the same people, cut earlier, before the shuffle)."""
    schema = SCHEMAS[schema_name]
    sequence = _seed(seed, schema, d)
    rng = np.random.default_rng(sequence)
    factory = PeopleFactory(int(sequence.generate_state(1)[0]), historic=schema.historic)
    rows: list[dict[str, str]] = []
    truth: list[dict[str, str]] = []
    entity = 0
    while len(rows) < size:
        entity += 1
        person = factory.person()
        for k in range(1 + int(rng.poisson(d))):
            values, context = base_values(schema, person, rng)
            applied: list[str] = []
            if k > 0:
                corrupted = corrupt_record(values, schema.corrupted, rng, context)
                values, applied = corrupted.values, corrupted.applied
            rows.append(render(schema, values, rng))
            truth.append(
                {
                    "entity_id": f"p{entity:06d}",
                    "locale": person.locale,
                    "script": _script(values),
                    "role": "duplicate" if k else "original",
                    "corruptions": ";".join(applied),
                }
            )
    order = rng.permutation(size)  # the first `size` rows, shuffled
    ids = [f"r{i + 1:06d}" for i in range(size)]
    records = pd.DataFrame([rows[i] for i in order], columns=list(schema.columns), dtype=str)
    records.insert(0, "record_id", ids)
    truth_frame = pd.DataFrame([truth[i] for i in order], columns=list(TRUTH_COLUMNS[1:]))
    truth_frame.insert(0, "record_id", ids)
    return Generated(records, truth_frame.astype(str))


def true_pair_count(truth: pd.DataFrame) -> int:
    """Pairs of records of one entity."""
    sizes = truth.groupby("entity_id").size().to_numpy(dtype=np.int64)
    return int((sizes * (sizes - 1) // 2).sum())


def write(generated: Generated, records_path: Path, truth_path: Path) -> None:
    """Write the records and the truth as CSV (empty cells for missing values)."""
    records_path.parent.mkdir(parents=True, exist_ok=True)
    _write(generated.records, records_path)
    _write(generated.truth, truth_path)
