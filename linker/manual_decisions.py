"""What reviewers decided by hand, as constraints every later linkage run keeps.

A manual split (``linker.identity_edits``) says its parts are different people; a manual merge
says its identities are one. A linkage run that covers those records afterwards clusters them
by their scores, so without these constraints it would undo the decision the next time it ran.
``manual_decisions`` reads the manual events of an entity type in order (an undone change
counts for nothing; a later change overrides an earlier one on the same records) into:

- ``apart``: pairs of records that must not share a cluster, given to the run's clustering as
  cannot-links (``linker.runs.run``'s ``distinct``, hard evidence);
- ``together``: groups of records that must share one, joined after clustering (``join``),
  unless joining would put an ``apart`` pair together.

Records erased or no longer covered by a run simply drop out: a constraint binds only the
records present.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations, pairwise
from typing import Any

RecordRef = tuple[str, str]


@dataclass(frozen=True)
class ManualDecisions:
    """Pairs kept apart and groups kept together by manual changes still in force."""

    apart: frozenset[frozenset[RecordRef]] = frozenset()
    together: tuple[frozenset[RecordRef], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.apart or self.together)

    def apart_among(self, present: Collection[RecordRef]) -> list[tuple[RecordRef, RecordRef]]:
        """The ``apart`` pairs whose two records are both ``present``, sorted."""
        pairs = (tuple(sorted(pair)) for pair in self.apart if pair <= set(present))
        return sorted((a, b) for a, b in pairs)

    def join(self, clusters: Sequence[Sequence[RecordRef]]) -> list[list[RecordRef]]:
        """``clusters`` with those holding records of one ``together`` group joined (in the
        order of their first cluster), except where that would join an ``apart`` pair."""
        cluster_of = {ref: c for c, members in enumerate(clusters) for ref in members}
        parent = list(range(len(clusters)))

        def root(c: int) -> int:
            while parent[c] != c:
                parent[c] = parent[parent[c]]
                c = parent[c]
            return c

        members: dict[int, set[RecordRef]] = {c: set(m) for c, m in enumerate(clusters)}
        for group in self.together:
            present = sorted(ref for ref in group if ref in cluster_of)
            for a, b in pairwise(present):
                x, y = root(cluster_of[a]), root(cluster_of[b])
                if x == y or self._kept_apart(members[x], members[y]):
                    continue
                x, y = min(x, y), max(x, y)
                parent[y] = x
                members[x] |= members.pop(y)
        joined: dict[int, list[RecordRef]] = {}
        for c, cluster in enumerate(clusters):
            joined.setdefault(root(c), []).extend(cluster)
        return list(joined.values())

    def _kept_apart(self, left: set[RecordRef], right: set[RecordRef]) -> bool:
        if not self.apart:
            return False
        return any(frozenset((a, b)) in self.apart for a in left for b in right)


def manual_decisions(events: Iterable[Any]) -> ManualDecisions:
    """The decisions in force after ``events`` (the store's manual events of one entity type,
    oldest first: ``Reader.manual_events``)."""
    listed = list(events)
    undone = {int(e.details["undoes"]) for e in listed if e.kind == "undo"}
    apart: set[frozenset[RecordRef]] = set()
    together: list[set[RecordRef]] = []
    for event in listed:
        if event.kind not in ("split", "merge") or event.seq in undone:
            continue
        parts = _parts(event.details)
        if event.kind == "split":
            for one, other in combinations(parts, 2):
                apart.update(frozenset((a, b)) for a in one for b in other)
            together = [piece for group in together for piece in _cut(group, parts)]
        else:
            union = set().union(*parts)
            apart = {pair for pair in apart if not pair <= union}
            touching = [group for group in together if group & union]
            together = [group for group in together if not group & union]
            together.append(union.union(*touching))
    return ManualDecisions(frozenset(apart), tuple(frozenset(g) for g in together))


def _parts(details: Mapping[str, Any]) -> list[set[RecordRef]]:
    """The record groups of a manual split or merge: the kept one, then each moved one."""
    groups = [details["kept"], *details["moved"].values()]
    return [{(str(source), str(record_id)) for source, record_id in group} for group in groups]


def _cut(group: set[RecordRef], parts: list[set[RecordRef]]) -> list[set[RecordRef]]:
    """``group`` cut along a split's ``parts``: its records in each part, and those in none
    together; pieces of one record bind nothing and are dropped."""
    pieces = [group & part for part in parts]
    pieces.append(group - set().union(*parts))
    return [piece for piece in pieces if len(piece) > 1]
