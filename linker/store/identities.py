"""Identities, their member records and the event log of every change to them.

Each change (create, merge, split, retire) is one function here that writes the rows and
exactly one event, in the caller's transaction. Event ``seq`` numbers are monotonic in commit
order: on PostgreSQL a transaction-scoped advisory lock serialises event writers, so a reader
paging with ``events_since(last_seq)`` never misses an event committed late with a lower seq
(a plain sequence would allow that); SQLite serialises writers anyway.

Which identity survives a merge or keeps its id in a split is decided by the caller
(``linker.identities``); the store records the decision and keeps a merged id pointing at its
survivor, chains flattened, so one lookup answers where a merged id went.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, text, update

from linker.errors import InputError
from linker.store.batches import chunks, pairs_in
from linker.store.errors import NotFoundError, StoreError
from linker.store.records import get_records
from linker.store.schema import ENTITY_TYPES, EVENT_KINDS, identities, identity_events
from linker.store.schema import identity_members as members

RecordRef = tuple[str, str]  # (source, record_id)
EVENT_LOCK = 7_301_015  # the advisory lock key of event writers (any constant of ours)


@dataclass(frozen=True)
class Identity:
    """One identity: ``merged_into`` is set when status is "merged"."""

    id: str
    entity_type: str
    status: str
    merged_into: str | None
    created_at: datetime
    created_seq: int
    members: tuple[RecordRef, ...]


@dataclass(frozen=True)
class IdentityEvent:
    """One change; ``identity_ids`` lists the ids involved, the surviving or kept one first."""

    seq: int
    kind: str
    identity_ids: tuple[str, ...]
    model_version_id: str | None
    details: dict[str, Any]
    at: datetime


def append_event(
    conn: Connection,
    now: datetime,
    kind: str,
    identity_ids: Sequence[str],
    model_version_id: str | None,
    details: Mapping[str, Any] | None = None,
) -> int:
    """Write one event and return its seq (the functions below call it; so may an undo)."""
    if kind not in EVENT_KINDS:
        raise InputError(f"unknown identity event kind {kind!r}; known: {', '.join(EVENT_KINDS)}")
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOCK})
    seq = conn.execute(
        insert(identity_events)
        .values(
            kind=kind,
            identity_ids=list(identity_ids),
            model_version_id=model_version_id,
            details=dict(details or {}),
            at=now,
        )
        .returning(identity_events.c.seq)
    ).scalar_one()
    return int(seq)


def create_identity(
    conn: Connection,
    now: datetime,
    identity_id: str,
    entity_type: str,
    records: Iterable[RecordRef],
    model_version_id: str | None,
) -> int:
    """A new active identity of these records (none may belong to another); returns the seq."""
    refs = _unique(records)
    if entity_type not in ENTITY_TYPES:
        raise InputError(
            f"identity {identity_id!r}: unknown entity type {entity_type!r}; "
            f"known: {', '.join(ENTITY_TYPES)}"
        )
    _check_free(conn, refs)
    seq = append_event(
        conn, now, "create", [identity_id], model_version_id, {"members": _listed(refs)}
    )
    _insert_identity(conn, now, identity_id, entity_type, seq)
    _add_members(conn, identity_id, refs)
    return seq


def merge_identities(
    conn: Connection,
    now: datetime,
    survivor_id: str,
    absorbed_ids: Sequence[str],
    model_version_id: str | None,
) -> int:
    """Move the members of ``absorbed_ids`` into the survivor; they point to it from now on."""
    survivor = _active(conn, survivor_id)
    absorbed = [_active(conn, other) for other in dict.fromkeys(absorbed_ids)]
    if not absorbed or survivor_id in absorbed_ids:
        raise InputError(f"merge into {survivor_id!r} needs other active identities to absorb")
    for other in absorbed:
        if other.entity_type != survivor.entity_type:
            raise InputError(
                f"cannot merge {other.id!r} ({other.entity_type}) into "
                f"{survivor_id!r} ({survivor.entity_type})"
            )
    ids = [other.id for other in absorbed]
    seq = append_event(
        conn,
        now,
        "merge",
        [survivor_id, *ids],
        model_version_id,
        {"moved": {other.id: _listed(other.members) for other in absorbed}},
    )
    conn.execute(
        update(members).where(members.c.identity_id.in_(ids)).values(identity_id=survivor_id)
    )
    # Ids merged into an absorbed one earlier now point straight at the survivor.
    conn.execute(
        update(identities)
        .where(identities.c.merged_into.in_(ids))
        .values(merged_into=survivor_id, updated_at=now)
    )
    conn.execute(
        update(identities)
        .where(identities.c.id.in_(ids))
        .values(status="merged", merged_into=survivor_id, updated_at=now)
    )
    conn.execute(update(identities).where(identities.c.id == survivor_id).values(updated_at=now))
    return seq


def split_identity(
    conn: Connection,
    now: datetime,
    identity_id: str,
    parts: Mapping[str, Iterable[RecordRef]],
    model_version_id: str | None,
) -> int:
    """Move some members of an identity into new identities, one per part (new id -> members).

    What is not in a part stays with ``identity_id``, which keeps its id.
    """
    kept = _active(conn, identity_id)
    owned = set(kept.members)
    moved = {new_id: _unique(refs) for new_id, refs in parts.items()}
    for new_id, refs in moved.items():
        strays = [ref for ref in refs if ref not in owned]
        if strays or not refs:
            raise InputError(
                f"split of {identity_id!r}: part {new_id!r} "
                + (f"has records not in it: {strays[:5]}" if strays else "is empty")
            )
    if owned <= {ref for refs in moved.values() for ref in refs}:
        raise InputError(
            f"split of {identity_id!r} would leave {identity_id!r} empty; the part that keeps "
            "the id stays out of the parts"
        )
    seq = append_event(
        conn,
        now,
        "split",
        [identity_id, *moved],
        model_version_id,
        {"moved": {new_id: _listed(refs) for new_id, refs in moved.items()}},
    )
    for new_id, refs in moved.items():
        _insert_identity(conn, now, new_id, kept.entity_type, seq)
        _set_owner(conn, new_id, refs)
    conn.execute(update(identities).where(identities.c.id == identity_id).values(updated_at=now))
    return seq


def retire_identity(
    conn: Connection, now: datetime, identity_id: str, model_version_id: str | None
) -> int:
    """End an identity (its records were erased or withdrawn); its members are released."""
    retired = _active(conn, identity_id)
    seq = append_event(
        conn, now, "retire", [identity_id], model_version_id, {"released": _listed(retired.members)}
    )
    conn.execute(members.delete().where(members.c.identity_id == identity_id))
    conn.execute(
        update(identities)
        .where(identities.c.id == identity_id)
        .values(status="retired", updated_at=now)
    )
    return seq


@dataclass(frozen=True)
class EventIn:
    """An event to write: its kind, the ids involved (surviving or kept one first), details."""

    kind: str
    identity_ids: tuple[str, ...]
    details: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class IdentityChanges:
    """What one linkage run changes, decided whole by ``linker.identities``.

    ``owners`` gives the new identity of each record that moves (None: it leaves every
    identity, e.g. it was erased); ``created`` names each new identity with the position in
    ``events`` of the event that made it (its create event, or the split or merge that gave
    it records of older identities); ``merged`` maps an absorbed id to its survivor;
    ``retired`` lists identities left with no record.
    """

    events: tuple[EventIn, ...]
    created: Mapping[str, int] = field(default_factory=dict)
    owners: Mapping[RecordRef, str | None] = field(default_factory=dict)
    merged: Mapping[str, str] = field(default_factory=dict)
    retired: tuple[str, ...] = ()


def apply_identity_changes(
    conn: Connection,
    now: datetime,
    entity_type: str,
    changes: IdentityChanges,
    model_version_id: str | None,
) -> list[int]:
    """Write a linkage run's decision: its events (one per changed id, in order), the new
    identities, the records that move, the merged and retired ids. Returns the events' seqs.

    ``create_identity``, ``merge_identities`` and the others each make one change between two
    named identities; a run's decision can move records between many at once (a record leaves
    one identity for another that keeps its id, with no split or merge of either: it gained or
    lost members only), so it is written here whole. What the functions above check is checked
    at the end for every identity the run touched: a live identity holds records, a merged or
    retired one none, and the transaction fails otherwise.
    """
    if entity_type not in ENTITY_TYPES:
        raise InputError(f"unknown entity type {entity_type!r}; known: {', '.join(ENTITY_TYPES)}")
    for new_id, position in changes.created.items():
        if not 0 <= position < len(changes.events):
            raise InputError(f"new identity {new_id!r} names event {position}, which is not given")
    # The identities the moved records leave are touched too: one may be left empty.
    left = set(identities_of_records(conn, changes.owners).values())
    seqs = _append_events(conn, now, changes.events, model_version_id)
    created = sorted(changes.created.items(), key=lambda item: item[1])
    for part in chunks(created):
        conn.execute(
            insert(identities),
            [
                {
                    "id": new_id,
                    "entity_type": entity_type,
                    "status": "active",
                    "merged_into": None,
                    "created_at": now,
                    "created_seq": seqs[position],
                    "updated_at": now,
                }
                for new_id, position in part
            ],
        )
    owners = list(changes.owners.items())
    for chunk in chunks(owners):
        conn.execute(
            members.delete().where(
                pairs_in(members.c.source, members.c.record_id, [ref for ref, _ in chunk])
            )
        )
        moved = [
            {"identity_id": owner, "source": ref[0], "record_id": ref[1]}
            for ref, owner in chunk
            if owner is not None
        ]
        if moved:
            conn.execute(insert(members), moved)
    for absorbed, survivor in changes.merged.items():
        # Ids merged into the absorbed one earlier now point straight at the survivor.
        conn.execute(
            update(identities)
            .where(identities.c.merged_into == absorbed)
            .values(merged_into=survivor, updated_at=now)
        )
        conn.execute(
            update(identities)
            .where(identities.c.id == absorbed)
            .values(status="merged", merged_into=survivor, updated_at=now)
        )
    for retired in changes.retired:
        conn.execute(
            update(identities)
            .where(identities.c.id == retired)
            .values(status="retired", updated_at=now)
        )
    touched = left | set(changes.created) | set(changes.merged) | set(changes.retired)
    touched |= {owner for owner in changes.owners.values() if owner is not None}
    touched |= {x for event in changes.events for x in event.identity_ids}
    _check_consistent(conn, sorted(touched), entity_type)
    return seqs


def _append_events(
    conn: Connection,
    now: datetime,
    events: Sequence[EventIn],
    model_version_id: str | None,
) -> list[int]:
    """Write many events, numbered in the order given (``append_event`` for a whole run: one
    lock, one statement per chunk)."""
    for event in events:
        if event.kind not in EVENT_KINDS:
            raise InputError(
                f"unknown identity event kind {event.kind!r}; known: {', '.join(EVENT_KINDS)}"
            )
    if not events:
        return []
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": EVENT_LOCK})
    seqs: list[int] = []
    statement = insert(identity_events).returning(
        identity_events.c.seq, sort_by_parameter_order=True
    )
    for chunk in chunks(events):
        rows = [
            {
                "kind": event.kind,
                "identity_ids": list(event.identity_ids),
                "model_version_id": model_version_id,
                "details": dict(event.details),
                "at": now,
            }
            for event in chunk
        ]
        seqs.extend(int(seq) for seq in conn.execute(statement, rows).scalars())
    return seqs


def _check_consistent(conn: Connection, ids: list[str], entity_type: str) -> None:
    """Every one of ``ids`` exists, is of ``entity_type``, holds records if and only if it is
    active, and a merged one points at an active survivor."""
    owned = _members_of(conn, ids)
    found: dict[str, Any] = {}
    for chunk in chunks(ids):
        found.update(
            (row.id, row)
            for row in conn.execute(select(identities).where(identities.c.id.in_(chunk)))
        )
    survivors = {row.merged_into for row in found.values() if row.merged_into is not None}
    status_of = {
        row.id: row.status
        for chunk in chunks(sorted(survivors))
        for row in conn.execute(
            select(identities.c.id, identities.c.status).where(identities.c.id.in_(chunk))
        )
    }
    for identity_id in ids:
        row = found.get(identity_id)
        if row is None:
            raise StoreError(f"identity {identity_id!r} is named by the run but not stored")
        if row.entity_type != entity_type:
            raise StoreError(
                f"identity {identity_id!r} is a {row.entity_type} identity, not {entity_type}"
            )
        if (row.status == "active") != bool(owned.get(identity_id)):
            held = len(owned.get(identity_id, ()))
            raise StoreError(
                f"identity {identity_id!r} would be {row.status} with {held} record(s); "
                "only an active identity holds records"
            )
        if row.merged_into is not None and status_of.get(row.merged_into) != "active":
            raise StoreError(
                f"identity {identity_id!r} would point at {row.merged_into!r}, which is not active"
            )


def get_identity(conn: Connection, identity_id: str) -> Identity:
    row = conn.execute(select(identities).where(identities.c.id == identity_id)).one_or_none()
    if row is None:
        raise NotFoundError(f"no identity {identity_id!r}")
    return _identity(row, _members_of(conn, [identity_id]).get(identity_id, ()))


def list_identities(
    conn: Connection,
    entity_type: str | None = None,
    *,
    status: str | None = "active",
    after: str | None = None,
    limit: int | None = None,
) -> list[Identity]:
    """Identities with their members, in id order; ``after`` pages on from an id."""
    query = select(identities).order_by(identities.c.id)
    if entity_type is not None:
        query = query.where(identities.c.entity_type == entity_type)
    if status is not None:
        query = query.where(identities.c.status == status)
    if after is not None:
        query = query.where(identities.c.id > after)
    if limit is not None:
        query = query.limit(limit)
    rows = conn.execute(query).all()
    owned = _members_of(conn, [row.id for row in rows])
    return [_identity(row, owned.get(row.id, ())) for row in rows]


def all_identities(conn: Connection, entity_type: str) -> list[Identity]:
    """Every identity of an entity type, whatever its status, with its members, in id order:
    what a linkage run decides from (two statements, however many identities)."""
    owned: dict[str, list[RecordRef]] = {}
    query = (
        select(members.c.identity_id, members.c.source, members.c.record_id)
        .join(identities, identities.c.id == members.c.identity_id)
        .where(identities.c.entity_type == entity_type)
        .order_by(members.c.source, members.c.record_id)
    )
    for identity_id, source, record_id in conn.execute(query).all():  # one fetch, not per row
        owned.setdefault(identity_id, []).append((source, record_id))
    c = identities.c
    rows = conn.execute(
        select(c.id, c.status, c.merged_into, c.created_at, c.created_seq)
        .where(c.entity_type == entity_type)
        .order_by(c.id)
    ).all()
    # unpacked by position: by name cost a quarter of reading 120,000 identities
    return [
        Identity(i, entity_type, status, merged, created_at, seq, tuple(owned.get(i, ())))
        for i, status, merged, created_at, seq in rows
    ]


def identities_by_id(conn: Connection, ids: Iterable[str]) -> list[Identity]:
    """The identities of ``ids`` that exist, with their members, in id order."""
    rows: list[Any] = []
    for chunk in chunks(sorted(set(ids))):
        rows += conn.execute(select(identities).where(identities.c.id.in_(chunk))).all()
    owned = _members_of(conn, [row.id for row in rows])
    return sorted((_identity(row, owned.get(row.id, ())) for row in rows), key=lambda x: x.id)


def issued_ids(conn: Connection, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` were ever issued (whatever their status now)."""
    found: set[str] = set()
    for chunk in chunks(sorted(set(ids))):
        found.update(
            conn.execute(select(identities.c.id).where(identities.c.id.in_(chunk))).scalars()
        )
    return found


def identities_of_records(conn: Connection, refs: Iterable[RecordRef]) -> dict[RecordRef, str]:
    """The identity id of each record that has one."""
    wanted = list(dict.fromkeys(refs))
    found: dict[RecordRef, str] = {}
    for chunk in chunks(wanted):
        query = select(members).where(pairs_in(members.c.source, members.c.record_id, chunk))
        found.update(((row.source, row.record_id), row.identity_id) for row in conn.execute(query))
    return found


def events_since(conn: Connection, seq: int = 0, *, limit: int = 1000) -> list[IdentityEvent]:
    """Events with a seq greater than ``seq``, oldest first, at most ``limit`` of them."""
    query = (
        select(identity_events)
        .where(identity_events.c.seq > seq)
        .order_by(identity_events.c.seq)
        .limit(limit)
    )
    return [_event(row) for row in conn.execute(query)]


def _event(row: Any) -> IdentityEvent:
    return IdentityEvent(
        seq=row.seq,
        kind=row.kind,
        identity_ids=tuple(row.identity_ids),
        model_version_id=row.model_version_id,
        details=row.details,
        at=row.at,
    )


def manual_events(conn: Connection, entity_type: str) -> list[IdentityEvent]:
    """The manual splits and merges of ``entity_type`` identities and the undo events, oldest
    first: the events no model version decided (``linker.identity_edits``)."""
    query = (
        select(identity_events)
        .where(
            identity_events.c.model_version_id.is_(None),
            identity_events.c.kind.in_(["split", "merge", "undo"]),
        )
        .order_by(identity_events.c.seq)
    )
    events = [_event(row) for row in conn.execute(query)]
    first_ids = sorted({e.identity_ids[0] for e in events})
    of_type = set(
        conn.execute(
            select(identities.c.id).where(
                identities.c.id.in_(first_ids), identities.c.entity_type == entity_type
            )
        ).scalars()
    )
    return [e for e in events if e.identity_ids[0] in of_type]


def last_event_seq(conn: Connection) -> int:
    """The seq of the latest event; 0 when there is none."""
    return int(conn.execute(select(func.coalesce(func.max(identity_events.c.seq), 0))).scalar_one())


def _insert_identity(
    conn: Connection, now: datetime, identity_id: str, entity_type: str, seq: int
) -> None:
    if conn.execute(select(identities.c.id).where(identities.c.id == identity_id)).first():
        raise StoreError(f"identity id {identity_id!r} is already taken")
    conn.execute(
        insert(identities).values(
            id=identity_id,
            entity_type=entity_type,
            status="active",
            merged_into=None,
            created_at=now,
            created_seq=seq,
            updated_at=now,
        )
    )


def _add_members(conn: Connection, identity_id: str, refs: list[RecordRef]) -> None:
    stored = {(record.source, record.record_id) for record in get_records(conn, refs)}
    unknown = [ref for ref in refs if ref not in stored]
    if unknown:
        raise NotFoundError(f"identity {identity_id!r}: records not stored: {unknown[:5]}")
    for chunk in chunks(refs):
        conn.execute(
            insert(members),
            [
                {"identity_id": identity_id, "source": source, "record_id": record_id}
                for source, record_id in chunk
            ],
        )


def _set_owner(conn: Connection, identity_id: str, refs: list[RecordRef]) -> None:
    for chunk in chunks(refs):
        conn.execute(
            update(members)
            .where(pairs_in(members.c.source, members.c.record_id, chunk))
            .values(identity_id=identity_id)
        )


def _check_free(conn: Connection, refs: list[RecordRef]) -> None:
    taken = identities_of_records(conn, refs)
    if taken:
        ref, owner = next(iter(taken.items()))
        raise StoreError(
            f"{len(taken)} record(s) already belong to an identity, e.g. {ref} to {owner!r}; "
            "merge or split identities instead"
        )


def _active(conn: Connection, identity_id: str) -> Identity:
    identity = get_identity(conn, identity_id)
    if identity.status != "active":
        raise StoreError(f"identity {identity_id!r} is {identity.status}, not active")
    return identity


def _members_of(conn: Connection, ids: list[str]) -> dict[str, tuple[RecordRef, ...]]:
    owned: dict[str, list[RecordRef]] = {}
    for chunk in chunks(ids):
        query = (
            select(members)
            .where(members.c.identity_id.in_(chunk))
            .order_by(members.c.source, members.c.record_id)
        )
        for row in conn.execute(query):
            owned.setdefault(row.identity_id, []).append((row.source, row.record_id))
    return {identity_id: tuple(refs) for identity_id, refs in owned.items()}


def _unique(refs: Iterable[RecordRef]) -> list[RecordRef]:
    return list(dict.fromkeys((str(source), str(record_id)) for source, record_id in refs))


def _listed(refs: Iterable[RecordRef]) -> list[list[str]]:
    return [[source, record_id] for source, record_id in refs]


def _identity(row: Any, owned: tuple[RecordRef, ...]) -> Identity:
    return Identity(
        id=row.id,
        entity_type=row.entity_type,
        status=row.status,
        merged_into=row.merged_into,
        created_at=row.created_at,
        created_seq=row.created_seq,
        members=owned,
    )


def surviving_identity(conn: Connection, identity_id: str) -> str:
    """The id that now answers for ``identity_id``: itself, or the survivor it was merged into."""
    identity = get_identity(conn, identity_id)
    return identity.merged_into if identity.merged_into is not None else identity.id
