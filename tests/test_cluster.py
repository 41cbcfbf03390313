import numpy as np
import pytest

from linker.cluster import RecordFacts, _components, cluster_pairs, cluster_records


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


def scorer_of(table: dict[tuple[int, int], float], calls: list[int]):  # type: ignore[no-untyped-def]
    """An on-demand scorer reading ``table`` (a pair not in it: uninformative, NaN)."""

    def score(left: np.ndarray, right: np.ndarray) -> np.ndarray:
        calls.append(len(left))
        pairs = zip(np.minimum(left, right).tolist(), np.maximum(left, right).tolist(), strict=True)
        return np.array([table.get(pair, np.nan) for pair in pairs])

    return score


def test_a_record_matching_two_people_does_not_chain_them() -> None:
    # People {0, 1} and {2, 3}; record 4 holds only their shared first name and matches all.
    edges = [(0, 1, 0.99), (2, 3, 0.99), (0, 4, 0.8), (1, 4, 0.8), (2, 4, 0.7), (3, 4, 0.7)]
    different = {(a, b): 1e-9 for a in (0, 1) for b in (2, 3)}  # never candidates
    calls: list[int] = []
    found = run(5, edges, score_unscored=scorer_of(different, calls))
    assert found == {frozenset({0, 1, 4}), frozenset({2, 3})}
    assert calls == [4]  # the four pairs across the people, in one call
    # Without a scorer the unscored pairs are unknown: the chain stands (the old behaviour).
    assert run(5, edges) == {frozenset({0, 1, 2, 3, 4})}


def test_a_pair_that_was_never_a_candidate_is_scored_and_supports_the_merge() -> None:
    # Five records of one person in a chain; 0-4 was never compared, and matches.
    edges = [(0, 1, 0.99), (1, 2, 0.98), (2, 3, 0.97), (3, 4, 0.96)]
    table = {(a, b): 0.9 for a in range(5) for b in range(a + 1, 5)}
    table[(0, 4)] = 0.2  # a poor pair: outweighed by the others
    calls: list[int] = []
    assert run(5, edges, score_unscored=scorer_of(table, calls)) == {frozenset(range(5))}


def test_uninformative_pairs_are_left_out() -> None:
    # 1 and 2 share no field (NaN): they neither support nor refuse the merge through 0.
    calls: list[int] = []
    found = run(3, [(0, 1, 0.9), (0, 2, 0.9)], score_unscored=scorer_of({}, calls))
    assert found == {frozenset({0, 1, 2})}
    assert calls == [1]


class Kinds:
    """Cannot-link facts: records of kind 1 and kind 2 hold hard evidence against each other."""

    def __init__(self, kinds: list[int]) -> None:
        self.kinds = np.array(kinds)

    def evidence(self, left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        hard = self.kinds[left] != self.kinds[right]
        return hard, hard


def test_hard_evidence_is_read_in_a_component_of_any_size() -> None:
    # A chain of 150 records: 0 and 149 were never compared and hold hard evidence.
    n = 150
    edges = [(i, i + 1, 0.99) for i in range(n - 1)]
    kinds = Kinds([1] + [0] * (n - 2) + [2])
    facts = RecordFacts(kinds.kinds, kinds.evidence)
    labels = cluster_pairs(
        n,
        np.array([e[0] for e in edges]),
        np.array([e[1] for e in edges]),
        np.array([e[2] for e in edges]),
        threshold=0.5,
        facts=facts,
    )
    assert labels[0] != labels[n - 1]
    assert len(set(labels.tolist())) == 2


def test_big_groups_read_a_sample_of_their_pairs() -> None:
    # Two groups of 60 (3,600 pairs across): a sample of 2,000 is scored, deterministically.
    left = np.concatenate([np.zeros(59), np.full(59, 60), [0]]).astype(int)
    right = np.concatenate([np.arange(1, 60), np.arange(61, 120), [60]])
    probability = np.concatenate([np.full(118, 0.99), [0.9]])
    calls: list[int] = []
    clustering = cluster_records(
        120,
        left,
        right,
        probability,
        threshold=0.5,
        score_unscored=scorer_of({}, calls),
    )
    assert clustering.stats["merges_sampled"] == 1
    assert max(calls) <= 2_000  # the last merge: a sample, not its 3,600 pairs
    assert len(set(clustering.labels.tolist())) == 1  # no informative pair against
