"""Clustering scored pairs into entities, guarded against chaining through weak links.

Plain connected components over the pairs above the threshold would let one wrong link glue
two people's clusters together. So inside every component of more than two records, and every
component that holds a cannot-link pair, the links are replayed from the strongest down
(Kruskal's order), and two groups are joined only if no pair across them was scored as a clear
non-match (below ``cannot_link_below``) and no cannot-link pair separates them. A cannot-link
pair is therefore never in one cluster, even when the pair itself scored as a match. Other
components of one or two records need no replay.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def cluster_pairs(
    n_records: int,
    left: np.ndarray,
    right: np.ndarray,
    probability: np.ndarray,
    *,
    threshold: float,
    cannot_link_below: float = 0.01,
    cannot_link: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """A cluster label (0..k-1) per record position; every record gets one.

    ``cannot_link`` holds pairs of record positions that must end in different clusters.
    """
    strong = probability >= threshold
    labels = _components(n_records, left[strong], right[strong])
    sizes = np.bincount(labels)
    replayed = sizes[labels] > 2
    # Only cannot-link pairs inside one component matter; their components are replayed too.
    cannot_left = cannot_right = np.empty(0, dtype=np.int64)
    if cannot_link is not None:
        inside = labels[cannot_link[0]] == labels[cannot_link[1]]
        cannot_left, cannot_right = cannot_link[0][inside], cannot_link[1][inside]
        replayed |= np.isin(labels, labels[cannot_left])
    if not replayed.any():
        return _renumber(labels)

    # Negative evidence inside replayed components: clear non-matches and cannot-links.
    weak = (probability < cannot_link_below) & replayed[left] & (labels[left] == labels[right])
    negatives = _adjacency(
        np.concatenate([left[weak], cannot_left]), np.concatenate([right[weak], cannot_right])
    )

    replay = strong & replayed[left]
    order = np.argsort(-probability[replay], kind="stable")
    parent = np.arange(n_records)
    members: dict[int, set[int]] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = int(parent[x])
        return x

    for a, b in zip(left[replay][order].tolist(), right[replay][order].tolist(), strict=True):
        root_a, root_b = find(a), find(b)
        if root_a == root_b:
            continue
        group_a = members.setdefault(root_a, {root_a})
        group_b = members.setdefault(root_b, {root_b})
        if len(group_a) < len(group_b):
            root_a, root_b, group_a, group_b = root_b, root_a, group_b, group_a
        if any(negatives.get(x, set()) & group_a for x in group_b):
            continue
        parent[root_b] = root_a
        group_a |= members.pop(root_b)
    # Records outside replayed components keep their component; replayed ones take their root.
    combined = labels.copy()
    positions = np.flatnonzero(replayed)
    combined[positions] = [find(i) + n_records for i in positions.tolist()]
    return _renumber(combined)


def pairs_within_components(
    n_records: int,
    left: np.ndarray,
    right: np.ndarray,
    strong: np.ndarray,
    *,
    max_size: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The pairs of records that the links ``strong`` put in one component, as ``(low, high,
    scored)``: every pair inside a component of up to ``max_size`` records, and the given pairs
    inside bigger ones; ``scored`` is the pair's position among the given pairs (``left``,
    ``right``), -1 for a pair that was not given. Only these pairs' cannot-link evidence can
    change a clustering.
    """
    labels = _components(n_records, left[strong], right[strong])
    sizes = np.bincount(labels)
    small = (sizes[labels] >= 2) & (sizes[labels] <= max_size)
    # Records of small components sorted by component; each pairs with those after it.
    order = np.flatnonzero(small)[np.argsort(labels[small], kind="stable")]
    component = labels[order]
    partners = np.searchsorted(component, component, side="right") - np.arange(len(order)) - 1
    first = np.repeat(np.arange(len(order)), partners)
    offset = np.arange(len(first)) - np.repeat(np.cumsum(partners) - partners, partners)
    low = np.minimum(order[first], order[first + 1 + offset])
    high = np.maximum(order[first], order[first + 1 + offset])
    # Find them among the given pairs inside small components (the links that made them).
    inside = np.flatnonzero((labels[left] == labels[right]) & small[left])
    inside_keys = np.minimum(left[inside], right[inside]) * n_records + np.maximum(
        left[inside], right[inside]
    )
    by_key = np.argsort(inside_keys)
    keys = low * n_records + high
    at = by_key[np.minimum(np.searchsorted(inside_keys, keys, sorter=by_key), len(inside) - 1)]
    scored = np.where(inside_keys[at] == keys, inside[at], -1)
    big = np.flatnonzero((labels[left] == labels[right]) & (sizes[labels[left]] > max_size))
    return (
        np.concatenate([low, np.minimum(left[big], right[big])]),
        np.concatenate([high, np.maximum(left[big], right[big])]),
        np.concatenate([scored, big]),
    )


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
