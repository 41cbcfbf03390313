"""Scored record pairs, each under the model version that scored it.

A pair is stored with its two records in a fixed order (the smaller ``(source, record_id)``
on the left), so scoring the same pair again under the same version replaces its score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, and_, delete, insert, or_, select, tuple_

from linker.errors import InputError
from linker.store.batches import chunks
from linker.store.schema import BANDS, pairs

RecordRef = tuple[str, str]


@dataclass(frozen=True)
class ScoredPair:
    """Two records, the match probability and its band (match, review or non_match)."""

    left: RecordRef
    right: RecordRef
    score: float
    band: str

    def __post_init__(self) -> None:
        if self.band not in BANDS:
            raise InputError(f"unknown band {self.band!r}; known: {', '.join(BANDS)}")
        if self.left == self.right:
            raise InputError(f"a pair needs two records, got {self.left} twice")
        if self.right < self.left:
            left, right = self.right, self.left
            object.__setattr__(self, "left", left)
            object.__setattr__(self, "right", right)


def put_pairs(
    conn: Connection, now: datetime, model_version_id: str, scored: Iterable[ScoredPair]
) -> int:
    """Store scored pairs under a model version, replacing earlier scores of the same pairs."""
    rows = {
        (pair.left, pair.right): {
            "model_version_id": model_version_id,
            "source_l": pair.left[0],
            "record_id_l": pair.left[1],
            "source_r": pair.right[0],
            "record_id_r": pair.right[1],
            "score": float(pair.score),
            "band": pair.band,
            "created_at": now,
        }
        for pair in scored
    }
    batch = list(rows.values())
    key = tuple_(pairs.c.source_l, pairs.c.record_id_l, pairs.c.source_r, pairs.c.record_id_r)
    for chunk in chunks(batch):
        conn.execute(
            delete(pairs).where(
                and_(
                    pairs.c.model_version_id == model_version_id,
                    key.in_(
                        [
                            (r["source_l"], r["record_id_l"], r["source_r"], r["record_id_r"])
                            for r in chunk
                        ]
                    ),
                )
            )
        )
        conn.execute(insert(pairs), chunk)
    return len(batch)


def forget_pairs(conn: Connection, model_version_id: str, refs: Iterable[RecordRef]) -> int:
    """Remove the pairs under a version that involve any of the records (a linkage run scores
    them again); returns how many went."""
    wanted = list(dict.fromkeys(refs))
    removed = 0
    for chunk in chunks(wanted):
        removed += conn.execute(
            delete(pairs).where(
                and_(
                    pairs.c.model_version_id == model_version_id,
                    or_(
                        tuple_(pairs.c.source_l, pairs.c.record_id_l).in_(chunk),
                        tuple_(pairs.c.source_r, pairs.c.record_id_r).in_(chunk),
                    ),
                )
            )
        ).rowcount
    return removed


def pairs_of(
    conn: Connection,
    model_version_id: str,
    refs: Iterable[RecordRef],
    *,
    bands: tuple[str, ...] = (),
) -> list[ScoredPair]:
    """The stored pairs under a version that involve any of the records."""
    wanted = list(dict.fromkeys(refs))
    found: dict[tuple[RecordRef, RecordRef], ScoredPair] = {}
    for chunk in chunks(wanted):
        query = select(pairs).where(
            and_(
                pairs.c.model_version_id == model_version_id,
                or_(
                    tuple_(pairs.c.source_l, pairs.c.record_id_l).in_(chunk),
                    tuple_(pairs.c.source_r, pairs.c.record_id_r).in_(chunk),
                ),
            )
        )
        if bands:
            query = query.where(pairs.c.band.in_(bands))
        for row in conn.execute(query):
            left, right = (row.source_l, row.record_id_l), (row.source_r, row.record_id_r)
            found[(left, right)] = ScoredPair(left, right, row.score, row.band)
    return [found[key] for key in sorted(found)]
