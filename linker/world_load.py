"""Loading a generated world directory into the store: its sources, records and relations.

Each service's file of each entity type becomes one source (``fiu-persons``, ``police-accounts``
...) of that service's agency; every row is stored as received, keyed by its record id. The
services' relations are stored under the source of the record they start from, with the
world's kind mapped onto the store's relation types (``holder_of`` -> ``holds_account``,
``director_of`` -> ``directs_company``, family kinds -> ``family``, ``transfer``); kinds the
store has no type for (network membership, shared cases) are counted and left out. Loading the
same world again changes nothing (idempotent upserts). Everything is one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from linker.errors import InputError
from linker.io import read_table
from linker.store import RecordIn, Relation, Source, Store
from linker.world_input import ENTITY_FILES, SERVICES, is_world_dir

__all__ = ["RELATION_TYPES", "WorldLoad", "load_world", "source_name"]

Say = Callable[[str], None]

RELATION_TYPES: dict[str, str] = {
    "holder_of": "holds_account",
    "director_of": "directs_company",
    "transfer": "transfer",
    "father_of": "family",
    "brothers": "family",
    "siblings": "family",
    "twins": "family",
    "cousins": "family",
}


def _silent(message: str) -> None:
    pass


def source_name(service: str, entity_type: str) -> str:
    """The store's source of one service's file of an entity type: ``fiu-persons``."""
    return f"{service}-{Path(ENTITY_FILES[entity_type]).stem}"


@dataclass
class WorldLoad:
    """What loading a world stored."""

    inserted: Counter[str] = field(default_factory=Counter)  # by entity type
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    relations: int = 0
    skipped_relations: Counter[str] = field(default_factory=Counter)  # by world kind

    def describe(self) -> str:
        counts = ", ".join(
            f"{entity} {self.inserted[entity]:,} new, {self.updated[entity]:,} changed, "
            f"{self.unchanged[entity]:,} unchanged"
            for entity in ENTITY_FILES
        )
        skipped = sum(self.skipped_relations.values())
        kinds = ", ".join(sorted(self.skipped_relations))
        return f"records: {counts}; relations: {self.relations:,} stored" + (
            f", {skipped:,} of kinds the store has no type for ({kinds})" if skipped else ""
        )


def load_world(store: Store, path: Path, say: Say = _silent) -> WorldLoad:
    """Store the sources, records and relations of the world at ``path`` (one transaction)."""
    if not is_world_dir(path):
        raise InputError("not a world directory (no world.json, fiu/ or police/)", file=str(path))
    report = WorldLoad()
    source_of: dict[str, str] = {}
    with store.unit_of_work() as uow:
        for service in SERVICES:
            for entity_type, file_name in ENTITY_FILES.items():
                table = read_table(path / service / file_name, "record_id")
                name = source_name(service, entity_type)
                uow.put_source(Source(name, agency=service, entity_type=entity_type))
                frame = table.frame
                columns = [c for c in frame.columns if c != "record_id"]
                rows = [
                    RecordIn(str(values[0]), dict(zip(columns, values[1:], strict=True)))
                    for values in frame[["record_id", *columns]].itertuples(index=False)
                ]
                upserted = uow.upsert_records(name, rows)
                report.inserted[entity_type] += len(upserted.inserted)
                report.updated[entity_type] += len(upserted.updated)
                report.unchanged[entity_type] += len(upserted.unchanged)
                source_of.update(dict.fromkeys((r.record_id for r in rows), name))
                say(f"{name}: {len(rows):,} records")
        for service in SERVICES:
            relations: dict[str, list[Relation]] = {}
            table = read_table(path / service / "relations.csv", None, allow_no_records=True)
            for a, b, kind in table.frame[["record_id_a", "record_id_b", "kind"]].itertuples(
                index=False
            ):
                kind = str(kind)
                if kind not in RELATION_TYPES:
                    report.skipped_relations[kind.split(":")[0]] += 1
                    continue
                for rid in (a, b):
                    if rid not in source_of:
                        raise InputError(
                            f"relation {kind} names record {rid!r}, which no file of the "
                            "world holds",
                            file=str(path / service / "relations.csv"),
                        )
                relation = Relation(
                    f"{a}:{kind}:{b}",
                    RELATION_TYPES[kind],
                    (source_of[a], str(a)),
                    (source_of[b], str(b)),
                    attributes={"kind": kind},
                )
                relations.setdefault(source_of[a], []).append(relation)
            for name, rows_of in sorted(relations.items()):
                report.relations += uow.put_relations(name, rows_of)
    return report
