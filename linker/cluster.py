"""Clustering scored pairs into entities, guarded against chaining through weak links.

Plain connected components over the pairs above the threshold would let one wrong link glue
two people's clusters together. So inside every component of more than two records the links
are replayed from the strongest down (Kruskal's order), and two groups are joined only if no
pair across them was scored as a clear non-match (below ``cannot_link_below``) and no explicit
cannot-link pair separates them. Components of one or two records need no replay.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components


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
    """A cluster label (0..k-1) per record position; every record gets one."""
    strong = probability >= threshold
    graph = coo_matrix(
        (np.ones(int(strong.sum())), (left[strong], right[strong])), shape=(n_records, n_records)
    )
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    big = sizes[labels] > 2
    if not big.any():
        return _renumber(labels)

    # Negative evidence inside big components: clear non-matches, plus explicit cannot-links.
    weak = (probability < cannot_link_below) & big[left] & (labels[left] == labels[right])
    neg_left, neg_right = [left[weak]], [right[weak]]
    if cannot_link is not None:
        neg_left.append(cannot_link[0])
        neg_right.append(cannot_link[1])
    negatives = _adjacency(np.concatenate(neg_left), np.concatenate(neg_right))

    replay = strong & big[left]
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
    # Records outside big components keep their component; replayed ones take their root.
    combined = labels.copy()
    replayed = np.flatnonzero(big)
    combined[replayed] = [find(i) + n_records for i in replayed.tolist()]
    return _renumber(combined)


def _adjacency(left: np.ndarray, right: np.ndarray) -> dict[int, set[int]]:
    adjacency: dict[int, set[int]] = {}
    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        adjacency.setdefault(a, set()).add(b)
        adjacency.setdefault(b, set()).add(a)
    return adjacency


def _renumber(labels: np.ndarray) -> np.ndarray:
    _, dense = np.unique(labels, return_inverse=True)
    return dense.astype(np.int64)
