"""Build a whole world in memory: truth first, then each service's records, ids and pairs.

``build_world(identities, seed)`` returns ``WorldTables``: one frame per service file, the
truth frames, and the ``Tally`` of every corruption decision. Everything is drawn from
``numpy.random.SeedSequence(seed)``: the same arguments always give the same frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from linker.synth.world.business import Business, Company, build_business
from linker.synth.world.business_records import (
    ACCOUNT_COLUMNS,
    COMPANY_COLUMNS,
    account_record,
    company_record,
)
from linker.synth.world.config import WorldConfig, load_config
from linker.synth.world.records import PERSON_COLUMNS, PersonRecords
from linker.synth.world.tally import Tally
from linker.synth.world.world import People, Person, build_people

GENERATOR_VERSION = "world-0.3"
SOURCES = ("fiu", "police")
KINDS = ("persons", "companies", "accounts")
_PREFIX = {
    ("fiu", "persons"): "FP",
    ("fiu", "companies"): "FC",
    ("fiu", "accounts"): "FA",
    ("police", "persons"): "PP",
    ("police", "companies"): "PC",
    ("police", "accounts"): "PA",
}
_ENTITY_TYPE = {"persons": "person", "companies": "company", "accounts": "account"}
_COLUMNS = {"persons": PERSON_COLUMNS, "companies": COMPANY_COLUMNS, "accounts": ACCOUNT_COLUMNS}
RELATION_COLUMNS = ("record_id_a", "record_id_b", "kind")
# Cumulative shares of identities with 0, 1, 2 (fiu) and 0..3 (police) person records.
_FIU_COUNTS = np.cumsum([0.35, 0.5])
_POLICE_COUNTS = np.cumsum([0.25, 0.45, 0.2])


@dataclass
class WorldTables:
    """Every file of a world as a frame, keyed ``"fiu/persons"``, ``"truth/records"``..."""

    seed: int
    identities: int
    config: WorldConfig
    frames: dict[str, pd.DataFrame]
    tally: Tally


@dataclass
class _Emitted:
    """Records of one (service, kind) before shuffling: (entity id, origin, fields)."""

    rows: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)  # final record id of row i, after shuffling


def _counts(rng: np.random.Generator, person: Person) -> tuple[int, int]:
    fiu = int(np.searchsorted(_FIU_COUNTS, rng.random(), side="right"))
    police = int(np.searchsorted(_POLICE_COUNTS, rng.random(), side="right"))
    if person.role == "migrant":  # witness on one side, transfer sender on the other
        fiu, police = max(fiu, 1), max(police, 1)
    return fiu, max(police, int(fiu == 0))


def _emit(
    people: People, business: Business, config: WorldConfig, rng: np.random.Generator
) -> tuple[dict[tuple[str, str], _Emitted], PersonRecords, list[tuple[int, int, str]]]:
    emitted = {key: _Emitted() for key in _PREFIX}
    writer = PersonRecords(config, rng, people.persons)
    transfers: list[tuple[int, int, str]] = []  # (sender fiu row, receiver fiu row, network)
    senders: dict[str, list[int]] = {}
    for person in people.persons:
        n_fiu, n_police = _counts(rng, person)
        for side, count in (("fiu", n_fiu), ("police", n_police)):
            rows = emitted[(side, "persons")].rows
            for _ in range(count):
                if side == "fiu" and person.role == "migrant" and person.network:
                    senders.setdefault(person.network, []).append(len(rows))
                rows.append((person.entity_id, person.origin, writer.emit(person, side, len(rows))))
    fiu_rows = emitted[("fiu", "persons")].rows
    for person in people.persons:
        if person.role == "hawaladar" and person.network and senders.get(person.network):
            for _ in range(int(rng.integers(1, 4))):
                record = writer.emit(person, "police", -1)  # a name typed by the sender
                for key in (
                    "dob",
                    "documents",
                    "ibans",
                    "father_name",
                    "mother_name",
                    "name_native",
                    "aliases",
                    "birth_place",
                    "nationality",
                    "address",
                    "postcode",
                    "country",
                    "emails",
                ):
                    record[key] = ""
                pool = senders[person.network]
                transfers.append((pool[int(rng.integers(len(pool)))], len(fiu_rows), "transfer"))
                fiu_rows.append((person.entity_id, person.origin, record))
    by_id: dict[str, Person | Company] = {p.entity_id: p for p in people.persons}
    by_id.update({c.entity_id: c for c in business.companies})
    for company in business.companies:
        fiu = rng.random() < 0.85
        for side, present in (("fiu", fiu), ("police", rng.random() < 0.5 or not fiu)):
            if present:
                emitted[(side, "companies")].rows.append(
                    (
                        company.entity_id,
                        "",
                        company_record(company, side, rng, config, writer.tally),
                    )
                )
    for account in business.accounts:
        fiu = rng.random() < 0.9
        police = rng.random() < (0.8 if account.mule else 0.3) or not fiu
        for side, present in (("fiu", fiu), ("police", police)):
            if present:
                holder = by_id[account.holders[0]]
                emitted[(side, "accounts")].rows.append(
                    (account.entity_id, "", account_record(account, side, rng, config, holder))
                )
    return emitted, writer, transfers


def _assign_ids(emitted: dict[tuple[str, str], _Emitted], rng: np.random.Generator) -> None:
    """Shuffle each file's rows (so an entity's records are not adjacent) and number them."""
    for key, block in emitted.items():
        order = rng.permutation(len(block.rows))
        block.ids = [""] * len(block.rows)
        for position, row in enumerate(order):
            block.ids[int(row)] = f"{_PREFIX[key]}{position + 1:07d}"


def _record_ids(emitted: dict[tuple[str, str], _Emitted]) -> dict[str, list[tuple[str, str]]]:
    """Entity id -> [(record id, source)] over both services."""
    out: dict[str, list[tuple[str, str]]] = {}
    for (source, _), block in emitted.items():
        for (entity, _, _), rid in zip(block.rows, block.ids, strict=True):
            out.setdefault(entity, []).append((rid, source))
    return out


def _negative_pairs(
    negatives: list[tuple[str, str, str]],
    records: dict[str, list[tuple[str, str]]],
    rng: np.random.Generator,
) -> list[tuple[str, str, str]]:
    """One record pair per entity-level hard negative, across services when possible."""
    pairs = []
    for a, b, kind in negatives:
        left, right = records.get(a), records.get(b)
        if not left or not right or a == b:
            continue
        rid_a, source_a = left[int(rng.integers(len(left)))]
        other = [r for r in right if r[1] != source_a] or right
        pairs.append((rid_a, other[int(rng.integers(len(other)))][0], kind))
    return pairs


def _service_relations(
    emitted: dict[tuple[str, str], _Emitted],
    business: Business,
    people: People,
    transfers: list[tuple[int, int, str]],
) -> dict[str, list[tuple[str, str, str]]]:
    """Links each service itself records: holders, directors, transfers, co-suspects."""
    out: dict[str, list[tuple[str, str, str]]] = {s: [] for s in SOURCES}
    for source in SOURCES:
        first: dict[str, str] = {}
        for kind in ("persons", "companies"):
            block = emitted[(source, kind)]
            for (entity, _, _), rid in zip(block.rows, block.ids, strict=True):
                first.setdefault(entity, rid)
        accounts = emitted[(source, "accounts")]
        by_account = {a.entity_id: a for a in business.accounts}
        for (entity, _, _), rid in zip(accounts.rows, accounts.ids, strict=True):
            for holder in by_account[entity].holders:
                if holder in first:
                    out[source].append((first[holder], rid, "holder_of"))
        for company in business.companies:
            for director in company.directors:
                if director in first and company.entity_id in first:
                    out[source].append((first[director], first[company.entity_id], "director_of"))
        if source == "police":
            organisers = {p.network: p.entity_id for p in people.persons if p.role == "organiser"}
            for person in people.persons:
                boss = organisers.get(person.network) if person.network else None
                if (
                    boss
                    and boss != person.entity_id
                    and boss in first
                    and person.entity_id in first
                ):
                    out[source].append((first[boss], first[person.entity_id], "same_case"))
    fiu_ids = emitted[("fiu", "persons")].ids
    out["fiu"].extend((fiu_ids[s], fiu_ids[r], kind) for s, r, kind in transfers)
    return out


def build_world(identities: int, seed: int, config: WorldConfig | None = None) -> WorldTables:
    """Every table of a world of ``identities`` people drawn from ``seed``."""
    config = load_config() if config is None else config
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(4)]
    people = build_people(identities, streams[0])
    business = build_business(people, streams[1])
    emitted, writer, transfers = _emit(people, business, config, streams[2])
    _assign_ids(emitted, streams[3])
    records = _record_ids(emitted)
    negatives = _negative_pairs(people.negatives + business.negatives, records, streams[3])
    police_people = emitted[("police", "persons")]
    for index, owner in writer.borrowed:
        if records.get(owner):
            negatives.append((police_people.ids[index], records[owner][0][0], "borrowed_passport"))
    frames: dict[str, pd.DataFrame] = {}
    truth = []
    for (source, kind), block in emitted.items():
        rows = sorted(zip(block.ids, block.rows, strict=True))
        frame = pd.DataFrame(
            [{"record_id": rid, **fields} for rid, (_, _, fields) in rows],
            columns=list(_COLUMNS[kind]),
        )
        frames[f"{source}/{kind}"] = frame.fillna("")
        truth += [
            (rid, source, _ENTITY_TYPE[kind], entity, origin) for rid, (entity, origin, _) in rows
        ]
    relations = _service_relations(emitted, business, people, transfers)
    for source in SOURCES:
        frames[f"{source}/relations"] = pd.DataFrame(
            relations[source], columns=list(RELATION_COLUMNS)
        )
    frames["truth/records"] = pd.DataFrame(
        truth, columns=["record_id", "source", "entity_type", "entity_id", "origin"]
    )
    frames["truth/relations"] = pd.DataFrame(
        people.relations + business.relations, columns=["entity_id_a", "entity_id_b", "kind"]
    )
    frames["truth/hard_negatives"] = pd.DataFrame(negatives, columns=list(RELATION_COLUMNS))
    return WorldTables(seed, identities, config, frames, writer.tally)


def stacked_persons(identities: int, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Both services' person records of a world in one frame (as ``linker dedupe WORLD
    --entity person`` stacks them), and their truth: ``record_id, entity_id``."""
    frames = build_world(identities, seed).frames
    persons = pd.concat([frames["fiu/persons"], frames["police/persons"]], ignore_index=True)
    known = frames["truth/records"]
    truth = known.loc[known["entity_type"] == "person", ["record_id", "entity_id"]]
    return persons, truth
