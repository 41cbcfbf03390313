"""Clustering scored pairs into entities, guarded against chaining through weak links.

Plain connected components over the pairs above the threshold would let one record that
matches several people (a bare first name, "Jean" and nothing else) glue their clusters
together. So inside every component of more than two records (and every one that holds a
cannot-link pair) the links are replayed from the strongest down (Kruskal's order, ties by
record position), and two groups A and B are joined only if the pairs between them support it:

- no pair across them is a cannot-link: a given pair (a reviewer's), hard evidence from the
  records (``RecordFacts``), or soft evidence on a pair that was never scored;
- no scored pair across them is a clear non-match (below ``cannot_link_below``);
- **average linkage**: the mean match probability of the pairs A x B (all of them, or a sample
  of ``sample_pairs`` chosen from the groups' positions when there are more) is at least the
  threshold. A pair blocking never scored is scored on demand by ``score_unscored``; one it
  calls uninformative (NaN: the records share no compared field), or any unscored pair when
  there is no ``score_unscored``, is left out of the mean.

Why the mean probability: each pair weighs at most 1, so one poor record of a person (typos,
a missing name) cannot veto a merge that its other pairs support, while a record that matches
two people matches only a minority of the pairs between their groups; and, bounded, it lets most
merges be decided before anything is scored (unscored pairs count 0 for a lower bound, 1 for
an upper bound). Components are independent, so they are replayed side by side: the pairs that
every waiting merge needs are scored together, in one call per round.
Components of one or two records need no replay.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from contextlib import suppress
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

Scorer = Callable[[np.ndarray, np.ndarray], np.ndarray]
SAMPLE_PAIRS = 2_000  # pairs between two groups that a merge reads, at most
_Request = tuple[np.ndarray, np.ndarray]
_COUNTS = (  # what a replay counts, in the run's statistics
    "merges",
    "merges_refused_reviewer",  # a given cannot-link pair across the groups
    "merges_refused_cannot_link",  # the records' evidence (RecordFacts)
    "merges_refused_clear_non_match",  # a scored pair below cannot_link_below
    "merges_refused_weak_support",  # the mean probability below the threshold
    "merges_sampled",
    "pairs_scored_on_demand",
    "pairs_uninformative",  # scored on demand, nothing to compare (NaN)
)


@dataclass(frozen=True)
class RecordFacts:
    """Cannot-link evidence between any two records (``linker.cannot_link.PersonFacts``):
    ``kinds`` per record (two records of one kind give the same evidence with any record;
    kind 0 gives none) and ``evidence(left, right) -> (hard, either)`` for pairs of
    positions: hard keeps them apart always, either (soft) when the pair was never scored."""

    kinds: np.ndarray
    evidence: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


@dataclass
class Clustering:
    """A cluster label (0..k-1) per record position, and what the replay did."""

    labels: np.ndarray
    stats: dict[str, int] = field(default_factory=dict)


def cluster_pairs(
    n_records: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    *,
    threshold: float,
    cannot_link_below: float = 0.01,
    cannot_link: tuple[np.ndarray, np.ndarray] | None = None,
    facts: RecordFacts | None = None,
    score_unscored: Scorer | None = None,
    sample_pairs: int = SAMPLE_PAIRS,
) -> np.ndarray:
    """A cluster label (0..k-1) per record position; every record gets one.

    ``cannot_link`` holds pairs of record positions that must end in different clusters;
    ``score_unscored(left, right)`` gives the probabilities of pairs that are not among the
    given ones (NaN: nothing to compare). ``cluster_records`` also says what it did.
    """
    return cluster_records(
        n_records,
        left,
        right,
        probability,
        threshold=threshold,
        cannot_link_below=cannot_link_below,
        cannot_link=cannot_link,
        facts=facts,
        score_unscored=score_unscored,
        sample_pairs=sample_pairs,
    ).labels


def cluster_records(
    n_records: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    *,
    threshold: float,
    cannot_link_below: float = 0.01,
    cannot_link: tuple[np.ndarray, np.ndarray] | None = None,
    facts: RecordFacts | None = None,
    score_unscored: Scorer | None = None,
    sample_pairs: int = SAMPLE_PAIRS,
) -> Clustering:
    """``cluster_pairs`` with its statistics (merges made and refused, and why; pairs scored
    on demand; the largest cluster)."""
    left = np.asarray(left, dtype=np.int64)
    right = np.asarray(right, dtype=np.int64)
    strong = probability >= threshold
    labels = _components(n_records, left[strong], right[strong])
    sizes = np.bincount(labels, minlength=1)
    replayed = sizes[labels] > 2
    # Only cannot-link pairs inside one component matter; their components are replayed too.
    apart_left = apart_right = np.empty(0, dtype=np.int64)
    if cannot_link is not None:
        inside = labels[cannot_link[0]] == labels[cannot_link[1]]
        apart_left, apart_right = cannot_link[0][inside], cannot_link[1][inside]
        replayed |= np.isin(labels, labels[apart_left])
    hard = np.zeros(len(left), dtype=bool)
    if facts is not None:
        hard[strong] = facts.evidence(left[strong], right[strong])[0]
        replayed |= np.isin(labels, labels[left[hard]])
    stats = {
        "replayed_records": int(replayed.sum()),
        "components_replayed": 0,
        "matches_refused_hard_evidence": int(hard.sum()),
        **dict.fromkeys(_COUNTS, 0),
    }
    if not replayed.any():
        return Clustering(_renumber(labels), {**stats, **_tally(labels)})

    inside = replayed[left] & (labels[left] == labels[right])
    low, high = np.minimum(left, right)[inside], np.maximum(left, right)[inside]
    weak = probability[inside] < cannot_link_below
    replay = _Replay(
        n_records,
        dict(zip((low * n_records + high).tolist(), probability[inside].tolist(), strict=True)),
        _adjacency(low[weak], high[weak]),
        _adjacency(apart_left, apart_right),
        facts,
        score_unscored,
        threshold,
        sample_pairs,
    )
    if facts is not None:  # the evidence of the kinds of the scored pairs, read at once
        replay.read_evidence(facts.kinds[low], facts.kinds[high])
    # The links to replay, component by component, strongest first, ties by position.
    first, second = np.minimum(left, right), np.maximum(left, right)
    links = np.flatnonzero(strong & inside)
    links = links[
        np.lexsort((second[links], first[links], -probability[links], labels[left[links]]))
    ]
    starts = np.flatnonzero(np.diff(labels[left[links]], prepend=-1))
    pieces = np.split(links, starts[1:]) if len(links) else []
    replays = [
        replay.component(left[part].tolist(), right[part].tolist(), hard[part].tolist())
        for part in pieces
    ]
    _run_side_by_side(replays, score_unscored)
    # Records outside replayed components keep their component; replayed ones take their root.
    combined = labels.copy()
    positions = np.flatnonzero(replayed)
    combined[positions] = [replay.find(i) + n_records for i in positions.tolist()]
    stats.update(replay.counts)
    stats["components_replayed"] = len(pieces)
    return Clustering(_renumber(combined), {**stats, **_tally(combined)})


def _tally(labels: np.ndarray) -> dict[str, int]:
    sizes = np.bincount(_renumber(labels)) if len(labels) else np.zeros(1, dtype=np.int64)
    return {"clusters": int(len(sizes) if len(labels) else 0), "largest_cluster": int(sizes.max())}


def _run_side_by_side(
    replays: list[Generator[_Request, np.ndarray, None]], score: Scorer | None
) -> None:
    """Run the replays of independent components, each until it waits for pairs to be
    scored; score the pairs of every waiting replay in one call; repeat until all end."""
    waiting: list[tuple[Generator[_Request, np.ndarray, None], _Request]] = []
    for replay in replays:
        request = next(replay, None)
        if request is not None:
            waiting.append((replay, request))
    while waiting:
        assert score is not None  # a replay asks only when it can be answered
        lefts, rights = zip(*(request for _, request in waiting), strict=True)
        scores = score(np.concatenate(lefts), np.concatenate(rights))
        bounds = np.cumsum([0, *(len(part) for part in lefts)])
        still: list[tuple[Generator[_Request, np.ndarray, None], _Request]] = []
        for (replay, _), start, end in zip(waiting, bounds[:-1], bounds[1:], strict=True):
            with suppress(StopIteration):  # the replay ended
                still.append((replay, replay.send(scores[start:end])))
        waiting = still


class _Replay:
    """Kruskal's replay with average-linkage support, over all replayed components (they
    share the union-find; each component's links run in their own generator)."""

    def __init__(
        self,
        n_records: int,
        scored: dict[int, float],
        weak: dict[int, set[int]],
        apart: dict[int, set[int]],
        facts: RecordFacts | None,
        score: Scorer | None,
        threshold: float,
        sample_pairs: int,
    ) -> None:
        self.n = n_records
        self.scored = scored  # pair key (low * n + high) -> probability, given pairs
        self.on_demand: dict[int, float] = {}  # pair key -> probability (NaN: uninformative)
        self.weak, self.apart = weak, apart
        self.facts, self.score = facts, score
        self.threshold, self.sample_pairs = threshold, sample_pairs
        self.parent: dict[int, int] = {}
        self.members: dict[int, list[int]] = {}
        self.sets: dict[int, set[int]] = {}
        self.kinds: dict[int, dict[int, list[int]]] = {}  # root -> kind -> its members
        self.evidence: dict[tuple[int, int], tuple[bool, bool]] = {}  # kinds -> hard, either
        self.representative = np.empty(0, dtype=np.int64)  # kind -> a record of that kind
        if facts is not None:
            kinds, first = np.unique(facts.kinds, return_index=True)
            self.representative = np.zeros(int(kinds.max(initial=0)) + 1, dtype=np.int64)
            self.representative[kinds] = first
        self.counts = dict.fromkeys(_COUNTS, 0)

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent.get(root, root) != root:
            root = parent[root]
        while x != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def component(
        self, left: list[int], right: list[int], hard: list[bool]
    ) -> Generator[_Request, np.ndarray, None]:
        # Group pairs refused, with their sizes: a root keeps its id as its group grows.
        refused: set[tuple[int, int, int, int]] = set()
        for a, b, is_hard in zip(left, right, hard, strict=True):
            root_a, root_b = sorted((self.find(a), self.find(b)))
            if root_a == root_b:
                continue
            groups = (root_a, root_b, len(self._group(root_a)), len(self._group(root_b)))
            if groups in refused:
                continue
            if groups[2] == groups[3] == 1:  # two records: the link is the only pair
                reason = "cannot_link" if is_hard else self._apart(root_a, [root_b])
            else:
                link = min(a, b) * self.n + max(a, b)
                reason = yield from self._verdict(root_a, root_b, link)
            if reason is None:
                self._merge(root_a, root_b)
            else:
                self.counts[f"merges_refused_{reason}"] += 1
                refused.add(groups)

    def _group(self, root: int) -> list[int]:
        return self.members.get(root, [root])

    def _merge(self, root_a: int, root_b: int) -> None:
        if len(self._group(root_a)) < len(self._group(root_b)):
            root_a, root_b = root_b, root_a
        self.counts["merges"] += 1
        self.parent[root_b] = root_a
        members = self.members.setdefault(root_a, [root_a])
        members.extend(self.members.pop(root_b, [root_b]))
        self.sets.pop(root_a, None)
        self.sets.pop(root_b, None)
        kinds = self.kinds.setdefault(root_a, self._kinds_of(root_a))
        for kind, records in self.kinds.pop(root_b, self._kinds_of(root_b)).items():
            kinds.setdefault(kind, []).extend(records)

    def _kinds_of(self, root: int) -> dict[int, list[int]]:
        if self.facts is None:
            return {}
        kind = int(self.facts.kinds[root])
        return {kind: [root]} if kind else {}

    def _set(self, root: int) -> set[int]:
        if root not in self.sets:
            self.sets[root] = set(self._group(root))
        return self.sets[root]

    def _apart(self, root_a: int, group_b: list[int]) -> str | None:
        """A given cannot-link or a clear non-match across the groups."""
        for reason, adjacency in (("reviewer", self.apart), ("clear_non_match", self.weak)):
            if adjacency and any(
                not adjacency[x].isdisjoint(self._set(root_a)) for x in group_b if x in adjacency
            ):
                return reason
        return None

    def _verdict(
        self, root_a: int, root_b: int, link: int
    ) -> Generator[_Request, np.ndarray, str | None]:
        """Why the groups of ``root_a`` and ``root_b``, which the pair ``link`` (a key) joins,
        must stay apart (None: merge them)."""
        if len(self._group(root_a)) < len(self._group(root_b)):
            root_a, root_b = root_b, root_a
        reason = self._apart(root_a, self._group(root_b))
        if reason is None and self._cannot_link(root_a, root_b):
            reason = "cannot_link"
        if reason is not None:
            return reason
        keys = self._cross_keys(root_a, root_b, link)
        total, known, unknown = 0.0, 0, []
        for key in keys:
            p = self.scored.get(key)
            if p is None:
                p = self.on_demand.get(key)
            if p is None:
                unknown.append(key)
            elif p == p:  # not NaN
                total += p
                known += 1
        if unknown and self.score is not None:
            # Unscored pairs count 0 for a lower bound of the mean, 1 for an upper bound.
            if total >= self.threshold * (known + len(unknown)):
                return None
            if total + len(unknown) < self.threshold * (known + len(unknown)):
                return "weak_support"
            pairs = np.array(unknown, dtype=np.int64)
            scores = yield (pairs // self.n, pairs % self.n)
            self.counts["pairs_scored_on_demand"] += len(pairs)
            self.on_demand.update(zip(unknown, scores.tolist(), strict=True))
            informative = ~np.isnan(scores)
            self.counts["pairs_uninformative"] += int((~informative).sum())
            total += float(scores[informative].sum())
            known += int(informative.sum())
        return None if known == 0 or total >= self.threshold * known else "weak_support"

    def _cross_keys(self, root_a: int, root_b: int, link: int) -> list[int]:
        """The keys of the pairs across the groups: all, or a sample drawn from the groups'
        positions (not from any state that the order of the input rows could change) with
        the ``link`` that joins them."""
        group_a, group_b, n = self._group(root_a), self._group(root_b), self.n
        if len(group_a) * len(group_b) <= self.sample_pairs:
            return [x * n + y if x < y else y * n + x for x in group_a for y in group_b]
        self.counts["merges_sampled"] += 1
        a, b = np.sort(group_a), np.sort(group_b)
        seed = [int(a[0]), int(b[0]), len(a), len(b)]
        chosen = np.random.default_rng(seed).choice(len(a) * len(b), self.sample_pairs, False)
        x, y = a[chosen // len(b)], b[chosen % len(b)]
        return list(dict.fromkeys([link, *(np.minimum(x, y) * n + np.maximum(x, y)).tolist()]))

    def read_evidence(self, kinds_l: np.ndarray, kinds_r: np.ndarray) -> None:
        """Read the evidence between the pairs of kinds (0 left out) in one call."""
        both = (kinds_l > 0) & (kinds_r > 0)
        first, second = np.minimum(kinds_l, kinds_r)[both], np.maximum(kinds_l, kinds_r)[both]
        pairs = np.unique(np.stack([first, second], axis=1), axis=0)
        self._read_evidence([(int(p), int(q)) for p, q in pairs.tolist()])

    def _read_evidence(self, pairs: list[tuple[int, int]]) -> None:
        if self.facts is None or not pairs:
            return
        first = self.representative[np.array([p for p, _ in pairs], dtype=np.int64)]
        second = self.representative[np.array([q for _, q in pairs], dtype=np.int64)]
        hard, either = self.facts.evidence(first, second)
        self.evidence.update(
            zip(pairs, zip(hard.tolist(), either.tolist(), strict=True), strict=True)
        )

    def _cannot_link(self, root_a: int, root_b: int) -> bool:
        """Hard evidence between any two records of the groups, or soft evidence between
        two that were never scored: read once per pair of kinds, for every pair of records."""
        kinds_a = self.kinds.get(root_a) or self._kinds_of(root_a)
        kinds_b = self.kinds.get(root_b) or self._kinds_of(root_b)
        if not kinds_a or not kinds_b or self.facts is None:
            return False
        pairs = [(min(p, q), max(p, q)) for p in kinds_a for q in kinds_b]
        missing = [pair for pair in dict.fromkeys(pairs) if pair not in self.evidence]
        self._read_evidence(missing)
        n = self.n
        for (p, q), pair in zip(((p, q) for p in kinds_a for q in kinds_b), pairs, strict=True):
            hard_pair, either = self.evidence[pair]
            if hard_pair:
                return True
            if either and any(  # soft: only a pair that was never scored
                (x * n + y if x < y else y * n + x) not in self.scored
                for x in kinds_a[p]
                for y in kinds_b[q]
            ):
                return True
        return False


def _components(n_records: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected component of each record over the links ``(left, right)``, labelled by its
    smallest record position: each link hooks the larger of its two roots under the smaller,
    then every record jumps to its root, until every link joins one root (numpy only; scipy's
    import alone cost a 100k run a twentieth of its time)."""
    parent = np.arange(n_records)
    left, right = np.asarray(left, dtype=np.int64), np.asarray(right, dtype=np.int64)
    while True:
        a, b = parent[left], parent[right]
        if np.array_equal(a, b):
            return parent
        np.minimum.at(parent, np.maximum(a, b), np.minimum(a, b))
        while not np.array_equal(grand := parent[parent], parent):
            parent = grand


def _adjacency(left: np.ndarray, right: np.ndarray) -> dict[int, set[int]]:
    adjacency: dict[int, set[int]] = {}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        adjacency.setdefault(a, set()).add(b)
        adjacency.setdefault(b, set()).add(a)
    return adjacency


def _renumber(labels: np.ndarray) -> np.ndarray:
    _, dense = np.unique(labels, return_inverse=True)
    return dense.astype(np.int64)


def name_clusters(ids: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Each record's cluster named by the smallest id (as a string) among its members."""
    # Through integer ranks: a group-min over strings is slow.
    order = np.argsort(ids, kind="stable")
    rank = np.empty(len(ids), dtype=np.int64)
    rank[order] = np.arange(len(ids))
    smallest = pd.Series(rank).groupby(labels).transform("min").to_numpy()
    return np.asarray(ids[order][smallest])


def greedy_one_to_one(left_ids: np.ndarray, right_ids: np.ndarray) -> list[int]:
    """Positions of the pairs kept when each record may have one partner: pairs come best
    first, and a pair is kept when neither of its records is used yet."""
    used_left: set[object] = set()
    used_right: set[object] = set()
    keep = []
    for i, (a, b) in enumerate(zip(left_ids, right_ids, strict=True)):
        if a not in used_left and b not in used_right:
            used_left.add(a)
            used_right.add(b)
            keep.append(i)
    return keep
