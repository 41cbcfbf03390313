import numpy as np
import pytest

from linker.cluster import _components, cluster_pairs


def groups(labels: np.ndarray) -> set[frozenset[int]]:
    out: dict[int, set[int]] = {}
    for position, label in enumerate(labels.tolist()):
        out.setdefault(label, set()).add(position)
    return {frozenset(g) for g in out.values()}


def run(n: int, edges: list[tuple[int, int, float]], **kwargs: object) -> set[frozenset[int]]:
    left = np.array([e[0] for e in edges])
    right = np.array([e[1] for e in edges])
    probability = np.array([e[2] for e in edges])
    return groups(cluster_pairs(n, left, right, probability, threshold=0.5, **kwargs))


def test_every_record_gets_a_cluster() -> None:
    assert run(4, [(0, 1, 0.9)]) == {frozenset({0, 1}), frozenset({2}), frozenset({3})}


def test_transitive_links_merge() -> None:
    assert run(3, [(0, 1, 0.9), (1, 2, 0.8), (0, 2, 0.4)]) == {frozenset({0, 1, 2})}


def test_no_chaining_through_a_weak_link_against_clear_non_matches() -> None:
    # 0-1 and 2-3 are strong; 1-2 barely passes, but 0-3 and 0-2 are clear non-matches.
    edges = [(0, 1, 0.99), (2, 3, 0.99), (1, 2, 0.6), (0, 3, 0.001), (0, 2, 0.002)]
    assert run(4, edges) == {frozenset({0, 1}), frozenset({2, 3})}


def test_explicit_cannot_link_splits() -> None:
    edges = [(0, 1, 0.99), (1, 2, 0.9)]
    cannot = (np.array([0]), np.array([2]))
    assert run(3, edges, cannot_link=cannot) == {frozenset({0, 1}), frozenset({2})}


def test_labels_do_not_depend_on_edge_order() -> None:
    edges = [(0, 1, 0.9), (2, 3, 0.8), (1, 2, 0.7)]
    assert run(5, edges) == run(5, edges[::-1])


@pytest.mark.parametrize("seed", range(5))
def test_components_match_a_plain_union_find(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    left, right = rng.integers(0, n, 250), rng.integers(0, n, 250)
    root = list(range(n))

    def find(x: int) -> int:
        while root[x] != x:
            x = root[x]
        return x

    for a, b in zip(left.tolist(), right.tolist(), strict=True):
        root[max(find(a), find(b))] = min(find(a), find(b))
    assert _components(n, left, right).tolist() == [find(x) for x in range(n)]
