"""Stable identity ids across linkage runs: the clusters of a run in, ids and events out.

A linkage run returns clusters of record keys ``(source, record_id)``; this module decides which
identity id each cluster carries, given the identities stored before the run, so that an id a
caller kept (a case file, a watch list) keeps meaning the same person, company or account. It is
pure: the store (``linker.store``) persists what it decides.

The rules, applied in this order:

1. **Matching.** Each cluster may take the id of an old (live) identity whose members it holds.
   Pairs (cluster, old identity) are taken greedily by the number of members they share, largest
   first; ties go to the old identity that had more members, then the one created first (then
   the smaller id), then the cluster whose smallest member key is smallest. One old id goes to
   at most one cluster and one cluster takes at most one old id; and a cluster takes an old id
   only if no other cluster holds more of that identity's members, so an id follows the
   plurality of its records rather than staying on a remnant.
   This gives the issue's rules as special cases: an unchanged identity keeps its id; on a
   merge the identity with more members keeps its id (tie: the one created first); on a split
   the larger part keeps it (tie: the part with the smallest member key). A cluster that takes
   parts of several old identities and splits others is the same rule, pair by pair.
2. **New ids.** A cluster left without an old id gets a new one, derived from the entity type and
   the cluster's smallest member key (see ``new_identity_id``), so neither the order of the
   clusters nor the order of their members changes it. New identities are numbered (``created``)
   after every existing one, in the order of their smallest member key.
3. **Old ids not taken.** An old identity whose records now all lie in other identities is
   ``merged`` into the one holding most of them (tie: created first, then the smaller id): the
   service answers 308 to it. One with no record left anywhere (all erased) is ``retired``: there
   is nothing to point to.
4. **Incremental runs** name the records they ``covered``; every cluster lies inside them, and a
   record outside them stays in its identity whatever happens: if a cluster takes that
   identity's id, the record joins it; otherwise the identity keeps its id with the uncovered
   records. So a run that wants two stored identities merged must cover all of their records.

Events say how ids changed, one per id at most, in the order the ids were created:
``split`` (a live id whose old records now also lie in other identities, named in ``into``),
``merge`` (a no longer live id; ``survivor`` answers for it, ``into`` lists every identity now
holding its records), ``retire`` and ``create`` (a new id made of records no identity held
before; a new id holding records of old identities is named in their split or merge event
instead). An identity that only gains new records or loses erased ones keeps its id and has no
event: the members table records that. Ids are never reused: a merged id stays reserved for
its 308, so new ids are checked against every id ever issued.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections import Counter
from collections.abc import Callable, Collection, Container, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from linker.errors import InputError

__all__ = [
    "Assignment",
    "Identity",
    "IdentityEvent",
    "RecordKey",
    "assign_identities",
    "new_identity_id",
    "resolve",
]

RecordKey = tuple[str, str]  # (source, record_id)
Status = Literal["live", "merged", "retired"]
EventKind = Literal["create", "merge", "split", "retire"]
STATUSES: tuple[Status, ...] = ("live", "merged", "retired")
ID_BYTES = 15  # 120 bits: 24 base32 characters, no padding


@dataclass(frozen=True)
class Identity:
    """One identity as stored: a live one holds records; a merged or retired one holds none
    (its records moved to ``survivor``, or were erased). ``created`` orders identities by age."""

    identity_id: str
    members: frozenset[RecordKey]
    created: int
    status: Status = "live"
    survivor: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", frozenset(self.members))
        where = f"identity {self.identity_id!r}"
        if self.status not in STATUSES:
            raise InputError(
                f"{where}: unknown status {self.status!r}; expected one of {', '.join(STATUSES)}"
            )
        if (self.status == "live") != bool(self.members):
            raise InputError(f"{where}: a live identity has members, a {self.status} one has none")
        if (self.status == "merged") != (self.survivor is not None):
            raise InputError(f"{where}: a merged identity names its survivor, no other does")
        for key in self.members:
            _check_key(key, where)


@dataclass(frozen=True)
class IdentityEvent:
    """One change of ids; the store numbers events in the order given."""

    kind: EventKind
    identity_id: str
    into: tuple[str, ...] = ()  # ids now holding some of its old records (itself excluded)
    survivor: str | None = None  # merge only: the id that answers for it


@dataclass(frozen=True)
class Assignment:
    """What a run decided: the id of each input cluster (in input order), every identity as it
    now is (live, merged and retired, oldest first) and the events, oldest id first."""

    cluster_ids: tuple[str, ...]
    identities: Mapping[str, Identity]
    events: tuple[IdentityEvent, ...]

    def resolve(self, identity_id: str) -> str | None:
        """The live id answering for ``identity_id`` (see ``resolve``)."""
        return resolve(self.identities, identity_id)


def assign_identities(
    previous: Iterable[Identity],
    clusters: Iterable[Iterable[RecordKey]],
    *,
    entity_type: str,
    covered: Collection[RecordKey] | None = None,
    key: bytes = b"",
    issued: Callable[[Collection[str]], set[str]] | None = None,
) -> Assignment:
    """Give each cluster of a run an identity id, following the rules in the module docstring.

    ``previous`` holds every identity ever issued for this entity type (merged and retired ones
    too: their ids stay reserved), or, with ``issued``, those the run can change: the live ones
    holding a ``covered`` record (with all their records covered), ``issued(ids)`` telling
    which other ids were ever issued. ``covered`` is None for a full run (every record not in a
    cluster was erased) or the records an incremental run covered; ``key`` is the deployment's
    secret for ``new_identity_id``.
    """
    if not entity_type:
        raise InputError("the entity type of a run must be named")
    old, old_of = _read_previous(previous)
    covered_set = None if covered is None else set(covered)
    groups = _read_clusters(clusters, covered_set)
    # Only the live identities holding a covered record can change; the rest are carried over.
    if covered_set is None:
        touched = {x for x, ident in old.items() if ident.status == "live"}
    else:
        touched = {old_of[r] for r in covered_set if r in old_of}
    pinned: dict[str, frozenset[RecordKey]] = {}
    if covered_set is not None:
        for x in touched:
            outside = old[x].members - covered_set
            if outside:
                pinned[x] = outside

    smallest = [min(group) for group in groups]
    id_of = _match(groups, smallest, old, old_of)
    needed = sorted(set(range(len(groups))) - set(id_of), key=smallest.__getitem__)
    taken = _Taken(set(old), issued)
    taken.ask({new_identity_id(entity_type, smallest[i], key=key) for i in needed})
    created = {x: ident.created for x, ident in old.items()}
    next_created = max(created.values(), default=0) + 1
    for i in needed:
        id_of[i] = new_identity_id(entity_type, smallest[i], key=key, taken=taken)
        taken.add(id_of[i])
        created[id_of[i]] = next_created
        next_created += 1

    now: dict[str, Identity] = {x: i for x, i in old.items() if x not in touched}
    for i, group in enumerate(groups):
        x = id_of[i]
        members = group | pinned.get(x, frozenset())
        unchanged = x in old and old[x].members == members
        now[x] = old[x] if unchanged else Identity(x, members, created[x])
    for x, members in pinned.items():
        if x not in now:
            now[x] = Identity(x, members, created[x])
    holder = {r: id_of[i] for i, group in enumerate(groups) for r in group}
    for x, members in pinned.items():
        holder.update(dict.fromkeys(members, x))

    events: list[IdentityEvent] = []
    for x in touched:
        ident = old[x]
        parts = Counter(holder[r] for r in ident.members if r in holder)
        others = tuple(sorted(set(parts) - {x}))
        if x in now:
            if others:
                events.append(IdentityEvent("split", x, others))
        elif parts:
            survivor = min(parts, key=lambda h: (-parts[h], created[h], h))
            now[x] = Identity(x, frozenset(), ident.created, "merged", survivor)
            events.append(IdentityEvent("merge", x, tuple(sorted(parts)), survivor))
        else:
            now[x] = Identity(x, frozenset(), ident.created, "retired")
            events.append(IdentityEvent("retire", x))
    for i, group in enumerate(groups):
        if id_of[i] not in old and not any(r in old_of for r in group):
            events.append(IdentityEvent("create", id_of[i]))

    events.sort(key=lambda e: (created[e.identity_id], e.identity_id))
    ordered = dict(sorted(now.items(), key=lambda item: (item[1].created, item[0])))
    return Assignment(tuple(id_of[i] for i in range(len(groups))), ordered, tuple(events))


class _Taken:
    """The ids a new one must differ from: those known (given, or issued in this run), and
    those ``issued`` says were ever issued, asked in batches (``ask``) or one at a time."""

    def __init__(self, known: set[str], issued: Callable[[Collection[str]], set[str]] | None):
        self.known, self.issued, self.asked = known, issued, set(known)

    def ask(self, ids: Collection[str]) -> None:
        unasked = set(ids) - self.asked
        if self.issued is not None and unasked:
            self.known |= self.issued(unasked)
        self.asked |= unasked

    def __contains__(self, identity_id: object) -> bool:
        if isinstance(identity_id, str):
            self.ask({identity_id})
        return identity_id in self.known

    def add(self, identity_id: str) -> None:
        self.known.add(identity_id)
        self.asked.add(identity_id)


def new_identity_id(
    entity_type: str, smallest: RecordKey, *, key: bytes = b"", taken: Container[str] = ()
) -> str:
    """The id of a new identity whose smallest member key is ``smallest``.

    An HMAC-SHA256 of the entity type, the key and an attempt number, cut to 120 bits and
    written in base32: the same cluster gets the same id whatever the input order, and the
    first attempt whose id is not ``taken`` wins, so an id is never issued twice. Why it reveals
    nothing: the id is a one-way digest, not the record id, so it carries no name, date or
    case number and cannot be read back; and with a secret ``key`` (a deployment's), someone
    holding a record id cannot even recompute the digest to confirm which record an identity
    was created from. Without a key that confirmation is possible, since record ids are
    guessable: deployments pass one.
    """
    attempt = 0
    while True:
        message = json.dumps([entity_type, smallest[0], smallest[1], attempt]).encode()
        digest = hmac.new(key, message, hashlib.sha256).digest()[:ID_BYTES]
        candidate = base64.b32encode(digest).decode("ascii").lower()
        if candidate not in taken:
            return candidate
        attempt += 1


def resolve(identities: Mapping[str, Identity], identity_id: str) -> str | None:
    """The live id that now holds the records of ``identity_id``, following merge chains (an id
    merged into one that merged again resolves to the last survivor); None when the chain ends
    in a retired identity (its records were erased). An id never issued raises ``KeyError``,
    as any mapping lookup does."""
    seen: set[str] = set()
    current = identities[identity_id]
    while current.survivor is not None:
        if current.identity_id in seen:
            raise InputError(f"identity {identity_id!r}: its merge chain loops through {seen}")
        seen.add(current.identity_id)
        current = identities[current.survivor]
    return current.identity_id if current.status == "live" else None


def _match(
    groups: list[frozenset[RecordKey]],
    smallest: list[RecordKey],
    old: Mapping[str, Identity],
    old_of: Mapping[RecordKey, str],
) -> dict[int, str]:
    """Cluster position -> old id, greedily by shared members (rule 1 of the module docstring)."""
    shared = Counter((i, old_of[r]) for i, group in enumerate(groups) for r in group if r in old_of)
    most: dict[str, int] = {}
    for (_, x), n in shared.items():
        most[x] = max(most.get(x, 0), n)
    ranked = sorted(
        shared.items(),
        key=lambda item: (
            -item[1],
            -len(old[item[0][1]].members),
            old[item[0][1]].created,
            item[0][1],
            smallest[item[0][0]],
        ),
    )
    id_of: dict[int, str] = {}
    claimed: set[str] = set()
    for (i, x), n in ranked:
        if i not in id_of and x not in claimed and n == most[x]:
            id_of[i] = x
            claimed.add(x)
    return id_of


def _read_previous(
    previous: Iterable[Identity],
) -> tuple[dict[str, Identity], dict[RecordKey, str]]:
    """The previous identities by id and the live id of each record, checked: ids unique, a
    record in one live identity, every survivor known."""
    old: dict[str, Identity] = {}
    owner: dict[RecordKey, str] = {}
    for ident in previous:
        if ident.identity_id in old:
            raise InputError(f"identity {ident.identity_id!r} is given twice")
        old[ident.identity_id] = ident
        for r in ident.members:
            if r in owner:
                raise InputError(
                    f"record {r!r} is in identities {owner[r]!r} and {ident.identity_id!r}; "
                    "a record belongs to one live identity"
                )
            owner[r] = ident.identity_id
    for ident in old.values():
        if ident.survivor is not None and ident.survivor not in old:
            raise InputError(
                f"identity {ident.identity_id!r} is merged into {ident.survivor!r}, "
                "which is not among the previous identities"
            )
    return old, owner


def _read_clusters(
    clusters: Iterable[Iterable[RecordKey]], covered: set[RecordKey] | None
) -> list[frozenset[RecordKey]]:
    """The clusters as sets, checked: none empty, a record in one cluster, inside ``covered``."""
    groups: list[frozenset[RecordKey]] = []
    seen: dict[RecordKey, int] = {}
    for i, cluster in enumerate(clusters):
        group = frozenset(cluster)
        if not group:
            raise InputError(f"cluster {i} is empty; a cluster holds at least one record")
        for r in group:
            _check_key(r, f"cluster {i}")
            if r in seen:
                raise InputError(
                    f"record {r!r} is in clusters {seen[r]} and {i}; a record belongs to one"
                )
            if covered is not None and r not in covered:
                raise InputError(
                    f"record {r!r} of cluster {i} is outside the records the run covered"
                )
            seen[r] = i
        groups.append(group)
    return groups


def _check_key(key: object, where: str) -> None:
    if not (
        isinstance(key, tuple)
        and len(key) == 2
        and isinstance(key[0], str)
        and isinstance(key[1], str)
    ):
        raise InputError(f"{where}: record key {key!r} is not a (source, record_id) pair of str")
