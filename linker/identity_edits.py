"""Manual changes to identities: an analyst's split, merge, and the undo of either.

A linkage run decides identities from the scores (``linker.linkage``); a person who knows
better (two records are one man, one identity holds two brothers) changes them by hand here.
Each change is one event in the identity feed, written in the caller's unit of work through
``UnitOfWork.apply_identity_changes`` (so the store checks it whole), with ``"manual": true``
in its details and no model version (no model decided it):

- ``split_manually``: the members in groups; the largest group keeps the id (tie: the group
  holding the smallest member key, as in ``linker.identities``), every other group gets a new
  id. Members named in no group form one more group together.
- ``merge_manually``: the identity with the most members survives (tie: the one created
  first, then the smaller id); the others become ``merged`` into it (the API answers 308).
- ``undo_manual``: the ``undo`` event of a manual split (its parts merge back into the id that
  was kept; their ids point to it) or of a manual merge (each absorbed group comes back, under
  a new id, and the absorbed id now points there: an id, once merged, is never active again,
  but it leads to its records). Refused when the identities changed since the change.

Later linkage runs keep these decisions until they are undone: ``linker.manual_decisions``
reads the manual events into cannot-links (a split's parts) and joined clusters (a merge's
identities) that every run applies. A run computing while a manual change is written notices
(an event it did not see) and fails without writing.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from linker.errors import InputError, LinkerError
from linker.identities import new_identity_id
from linker.store import EventIn, Identity, IdentityChanges, NotFoundError, Reader, UnitOfWork

__all__ = [
    "IDENTITY_KEY_VARIABLE",
    "EditConflict",
    "EditError",
    "ManualChange",
    "merge_manually",
    "split_manually",
    "undo_manual",
]

RecordRef = tuple[str, str]
# The deployment's secret for new identity ids: the one linkage runs use (linker.linkage).
IDENTITY_KEY_VARIABLE = "LINKER_IDENTITY_KEY"


class EditError(InputError):
    """A manual change asked for something wrong; ``where`` locates it in the request
    (``("parts", 1, 0)``: the first record of the second group)."""

    def __init__(self, message: str, where: Sequence[str | int] = ()) -> None:
        self.where = tuple(where)
        super().__init__(message)


class EditConflict(LinkerError):
    """The change cannot be made on the identities as they are now (changed since, not a
    manual change, not active)."""


@dataclass(frozen=True)
class ManualChange:
    """What a manual change wrote: its event's seq and kind, and the ids it touched (the
    kept or surviving one first)."""

    seq: int
    kind: str
    identity_ids: tuple[str, ...]


def split_manually(
    uow: UnitOfWork,
    identity_id: str,
    groups: Sequence[Sequence[RecordRef]],
    *,
    key: bytes | None = None,
) -> ManualChange:
    """Split an active identity into ``groups`` of its members (see the module docstring)."""
    seen_seq = uow.last_event_seq()
    identity = _active(uow, identity_id)
    owned = set(identity.members)
    seen: dict[RecordRef, tuple[int, int]] = {}
    parts: list[list[RecordRef]] = []
    for g, group in enumerate(groups):
        if not group:
            raise EditError("a group needs at least one record", ("parts", g))
        for r, member in enumerate(group):
            if member not in owned:
                raise EditError(f"not a member of identity {identity_id!r}", ("parts", g, r))
            if member in seen:
                first = seen[member]
                raise EditError(
                    f"already in group {first[0]} (position {first[1]})", ("parts", g, r)
                )
            seen[member] = (g, r)
        parts.append(sorted(set(group)))
    rest = sorted(owned - set(seen))
    if rest:
        parts.append(rest)
    if len(parts) < 2:
        raise EditError(
            f"a split needs at least two groups; these hold every one of the {len(owned)} "
            "members in one",
            ("parts",),
        )
    # The largest group keeps the id; tie: the group with the smallest member key.
    kept = min(range(len(parts)), key=lambda i: (-len(parts[i]), parts[i][0]))
    key = _key(key)
    taken: set[str] = set()
    new_parts: dict[str, list[RecordRef]] = {}
    for i, part in enumerate(parts):
        if i != kept:
            new_id = _new_id(uow, identity.entity_type, part[0], key, taken)
            new_parts[new_id] = part
    event = EventIn(
        "split",
        (identity_id, *new_parts),
        {
            "manual": True,
            "kept": _listed(parts[kept]),
            "moved": {new_id: _listed(part) for new_id, part in new_parts.items()},
        },
    )
    owners: dict[RecordRef, str | None] = {
        member: new_id for new_id, part in new_parts.items() for member in part
    }
    changes = IdentityChanges((event,), dict.fromkeys(new_parts, 0), owners)
    seq = _apply(uow, identity.entity_type, changes, seen_seq)
    return ManualChange(seq, "split", (identity_id, *new_parts))


def merge_manually(uow: UnitOfWork, identity_ids: Sequence[str]) -> ManualChange:
    """Merge active identities of one entity type into the one with the most members."""
    seen_seq = uow.last_event_seq()
    found: list[Identity] = []
    for i, identity_id in enumerate(identity_ids):
        if identity_id in identity_ids[:i]:
            raise EditError("named twice", ("identity_ids", i))
        try:
            identity = uow.identity(identity_id)
        except NotFoundError:
            raise EditError("no such identity", ("identity_ids", i)) from None
        if identity.status != "active":
            into = f" into {identity.merged_into!r}" if identity.merged_into else ""
            raise EditError(f"identity is {identity.status}{into}, not active", ("identity_ids", i))
        if found and identity.entity_type != found[0].entity_type:
            raise EditError(
                f"its entity type is {identity.entity_type}, the first one's "
                f"{found[0].entity_type}: only identities of one type merge",
                ("identity_ids", i),
            )
        found.append(identity)
    if len(found) < 2:
        raise EditError("a merge needs at least two identities", ("identity_ids",))
    survivor = min(found, key=lambda x: (-len(x.members), x.created_seq, x.id))
    absorbed = [x for x in found if x.id != survivor.id]
    event = EventIn(
        "merge",
        (survivor.id, *(x.id for x in absorbed)),
        {
            "manual": True,
            "survivor": survivor.id,
            "kept": _listed(survivor.members),
            "moved": {x.id: _listed(x.members) for x in absorbed},
        },
    )
    owners: dict[RecordRef, str | None] = {m: survivor.id for x in absorbed for m in x.members}
    merged = {x.id: survivor.id for x in absorbed}
    changes = IdentityChanges((event,), {}, owners, merged)
    seq = _apply(uow, survivor.entity_type, changes, seen_seq)
    return ManualChange(seq, "merge", (survivor.id, *merged))


def undo_manual(uow: UnitOfWork, seq: int, *, key: bytes | None = None) -> ManualChange:
    """Write the ``undo`` event of the manual split or merge ``seq`` (module docstring)."""
    seen_seq = uow.last_event_seq()
    events = uow.events_since(seq - 1, limit=1)
    if not events or events[0].seq != seq:
        raise NotFoundError(f"no identity event {seq}")
    event = events[0]
    details: Mapping[str, Any] = event.details
    if event.kind not in ("split", "merge") or not details.get("manual"):
        what = "a linkage run's" if event.kind != "undo" else "an undo"
        raise EditConflict(
            f"event {seq} is {what} {event.kind}, not a manual split or merge; only manual "
            "changes are undone (change a run's decision with a manual split or merge)"
        )
    kept_id = event.identity_ids[0]
    kept = _refs(details["kept"])
    moved = {other: _refs(members) for other, members in details["moved"].items()}
    survivor = _unchanged(uow, seq, kept_id)
    if event.kind == "split":
        for other, members in moved.items():
            now = _unchanged(uow, seq, other)
            if set(now.members) != set(members):
                raise _changed(seq, other)
        if set(survivor.members) != set(kept):
            raise _changed(seq, kept_id)
        owners: dict[RecordRef, str | None] = {m: kept_id for ms in moved.values() for m in ms}
        undo = EventIn(
            "undo",
            (kept_id, *moved),
            {"undoes": seq, "undone": "split", "moved": {kept_id: _listed(sorted(owners))}},
        )
        changes = IdentityChanges((undo,), {}, owners, dict.fromkeys(moved, kept_id))
        undo_seq = _apply(uow, survivor.entity_type, changes, seen_seq)
        return ManualChange(undo_seq, "undo", (kept_id, *moved))
    expected = set(kept).union(*map(set, moved.values()))
    if set(survivor.members) != expected:
        raise _changed(seq, kept_id)
    for other in moved:
        absorbed = uow.identity(other)
        if absorbed.status != "merged" or absorbed.merged_into != kept_id:
            raise _changed(seq, other)
    key = _key(key)
    taken: set[str] = set()
    restored = {
        _new_id(uow, survivor.entity_type, min(members), key, taken): (other, members)
        for other, members in moved.items()
    }
    undo = EventIn(
        "undo",
        (kept_id, *restored, *moved),
        {
            "undoes": seq,
            "undone": "merge",
            "restored": {new_id: _listed(sorted(ms)) for new_id, (_, ms) in restored.items()},
            "formerly": {new_id: other for new_id, (other, _) in restored.items()},
        },
    )
    owners = {m: new_id for new_id, (_, ms) in restored.items() for m in ms}
    repointed = {other: new_id for new_id, (other, _) in restored.items()}
    changes = IdentityChanges((undo,), dict.fromkeys(restored, 0), owners, repointed)
    undo_seq = _apply(uow, survivor.entity_type, changes, seen_seq)
    return ManualChange(undo_seq, "undo", (kept_id, *restored, *moved))


def _apply(uow: UnitOfWork, entity_type: str, changes: IdentityChanges, seen_seq: int) -> int:
    """Write ``changes`` (one event, no model version) and return its seq, unless another
    change was written since ``seen_seq`` was read: then ``EditConflict``, and the caller's
    unit of work rolls back. The change was decided from reads made before the store's event
    lock was taken (on PostgreSQL); once the write holds it, every event committed before is
    visible, so a concurrent change to the same identities cannot slip in unnoticed."""
    (seq,) = uow.apply_identity_changes(entity_type, changes, None)
    others = [e.seq for e in uow.events_since(seen_seq, limit=2) if e.seq != seq]
    if others:
        raise EditConflict(
            f"identities changed while this change was being made (event {others[0]}); "
            "nothing was written: read them again and retry"
        )
    return int(seq)


def _active(reader: Reader, identity_id: str) -> Identity:
    identity = reader.identity(identity_id)
    if identity.status != "active":
        into = f" into {identity.merged_into!r}" if identity.merged_into else ""
        raise EditConflict(f"identity {identity_id!r} is {identity.status}{into}, not active")
    return identity


def _unchanged(reader: Reader, seq: int, identity_id: str) -> Identity:
    identity = reader.identity(identity_id)
    if identity.status != "active":
        raise _changed(seq, identity_id)
    return identity


def _changed(seq: int, identity_id: str) -> EditConflict:
    return EditConflict(
        f"identity {identity_id!r} changed since event {seq} (undone already, or changed by a "
        "later linkage run or manual change); nothing was undone"
    )


def _new_id(
    reader: Reader, entity_type: str, smallest: RecordRef, key: bytes, taken: set[str]
) -> str:
    """A new identity id, as a linkage run makes one (``new_identity_id``), never issued
    before: each candidate is looked up in the store (no list of every id is read)."""
    while True:
        candidate = new_identity_id(entity_type, smallest, key=key, taken=taken)
        taken.add(candidate)
        try:
            reader.identity(candidate)
        except NotFoundError:
            return candidate


def _key(key: bytes | None) -> bytes:
    return os.environ.get(IDENTITY_KEY_VARIABLE, "").encode() if key is None else key


def _refs(listed: Iterable[Sequence[str]]) -> list[RecordRef]:
    return [(str(source), str(record_id)) for source, record_id in listed]


def _listed(refs: Iterable[RecordRef]) -> list[list[str]]:
    return [[source, record_id] for source, record_id in refs]
