"""Stable identity ids: hand-worked runs for each rule, then properties over random runs."""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linker.errors import InputError
from linker.identities import (
    Assignment,
    Identity,
    IdentityEvent,
    RecordKey,
    assign_identities,
    new_identity_id,
    resolve,
)


def keys(*names: str) -> list[RecordKey]:
    return [("fiu", name) for name in names]


def run(
    previous: Iterable[Identity],
    clusters: Sequence[Iterable[RecordKey]],
    covered: Iterable[RecordKey] | None = None,
) -> Assignment:
    return assign_identities(
        list(previous),
        clusters,
        entity_type="person",
        covered=None if covered is None else set(covered),
    )


def first(*clusters: list[RecordKey]) -> Assignment:
    """A first run: every cluster is new."""
    return run([], clusters)


def test_a_first_run_creates_one_identity_per_cluster() -> None:
    result = first(keys("a", "b"), keys("c"))
    a, c = result.cluster_ids
    assert result.events == (IdentityEvent("create", a), IdentityEvent("create", c))
    assert [result.identities[x].members for x in (a, c)] == [set(keys("a", "b")), set(keys("c"))]
    assert [result.identities[x].created for x in (a, c)] == [1, 2]


def test_unchanged_clusters_keep_their_ids_and_make_no_event() -> None:
    before = first(keys("a", "b", "c"), keys("d"), keys("e", "f"))
    after = run(before.identities.values(), [keys("f", "e"), keys("d"), keys("c", "a", "b")])
    assert after.cluster_ids == tuple(reversed(before.cluster_ids))
    assert after.events == ()
    assert after.identities == before.identities


def test_a_merge_keeps_the_id_of_the_larger_identity() -> None:
    before = first(keys("a", "b"), keys("c", "d", "e"))  # the pair is older: size beats age
    pair, triple = before.cluster_ids
    after = run(before.identities.values(), [keys("a", "b", "c", "d", "e")])
    assert after.cluster_ids == (triple,)
    assert after.events == (IdentityEvent("merge", pair, (triple,), survivor=triple),)
    assert after.identities[pair] == Identity(pair, frozenset(), 1, "merged", triple)
    assert after.resolve(pair) == triple


def test_a_merge_of_equal_sizes_keeps_the_id_created_first() -> None:
    # "zzz" is older but sorts last, and its records sort last: only the age can pick it.
    previous = [
        Identity("aaa", frozenset(keys("a", "b")), created=2),
        Identity("zzz", frozenset(keys("y", "z")), created=1),
    ]
    after = run(previous, [keys("a", "b", "y", "z")])
    assert after.cluster_ids == ("zzz",)
    assert after.events == (IdentityEvent("merge", "aaa", ("zzz",), survivor="zzz"),)


def test_a_split_leaves_the_id_on_the_larger_part() -> None:
    previous = [Identity("x", frozenset(keys("a", "b", "c", "d", "e")), created=1)]
    after = run(previous, [keys("a", "b"), keys("c", "d", "e")])
    new, kept = after.cluster_ids
    assert kept == "x"
    assert new != "x"
    assert after.events == (IdentityEvent("split", "x", (new,)),)  # no separate create
    assert after.identities[new].created == 2


def test_a_split_into_equal_parts_leaves_the_id_on_the_smallest_member_key() -> None:
    previous = [Identity("x", frozenset(keys("a", "b", "c", "d")), created=1)]
    after = run(previous, [keys("d", "b"), keys("c", "a")])
    assert after.cluster_ids[1] == "x"


def test_an_id_follows_the_plurality_of_its_records() -> None:
    # x's records: three went into y's cluster, one stayed alone. The remnant does not inherit
    # x: x is merged into y (where most of its records are), the remnant gets a new id.
    previous = [
        Identity("x", frozenset(keys("a", "b", "c", "d")), created=1),
        Identity("y", frozenset(keys("e", "f", "g", "h", "i")), created=2),
    ]
    after = run(previous, [keys("a", "b", "c", "e", "f", "g", "h", "i"), keys("d")])
    merged_into, remnant = after.cluster_ids
    assert merged_into == "y"
    assert remnant not in ("x", "y")
    assert after.events == (
        IdentityEvent("merge", "x", tuple(sorted(("y", remnant))), survivor="y"),
    )


def test_equal_shares_in_a_merge_go_to_the_identity_that_had_more_members() -> None:
    # x had three records (one now erased), y two and is older: each brings two to the cluster.
    previous = [
        Identity("x", frozenset(keys("a", "b", "c")), created=2),
        Identity("y", frozenset(keys("d", "e")), created=1),
    ]
    after = run(previous, [keys("a", "b", "d", "e")])
    assert after.cluster_ids == ("x",)


@pytest.mark.parametrize(
    ("to_m", "to_z", "z_created", "survivor"),
    [
        (3, 2, 3, "m"),  # most of x's records went to m
        (2, 3, 3, "z"),
        (2, 2, 3, "m"),  # equal shares: the older identity, m (created 2)
        (2, 2, 1, "z"),
    ],
)
def test_a_scattered_identity_merges_into_the_one_holding_most_of_its_records(
    to_m: int, to_z: int, z_created: int, survivor: str
) -> None:
    x_records = keys(*(f"x{n}" for n in range(to_m + to_z)))
    m_records, z_records = keys(*(f"m{n}" for n in range(9))), keys(*(f"z{n}" for n in range(9)))
    previous = [
        Identity("x", frozenset(x_records), created=4),
        Identity("m", frozenset(m_records), created=2),
        Identity("z", frozenset(z_records), created=z_created),
    ]
    after = run(previous, [x_records[:to_m] + m_records, x_records[to_m:] + z_records])
    assert after.cluster_ids == ("m", "z")
    assert after.identities["x"].survivor == survivor
    assert after.events == (IdentityEvent("merge", "x", ("m", "z"), survivor=survivor),)


def test_records_moving_between_two_kept_identities_are_a_split() -> None:
    previous = [
        Identity("x", frozenset(keys("a", "b", "c")), created=1),
        Identity("y", frozenset(keys("d", "e")), created=2),
    ]
    after = run(previous, [keys("a", "d", "e"), keys("b", "c")])
    assert after.cluster_ids == ("y", "x")
    assert after.events == (IdentityEvent("split", "x", ("y",)),)


def test_an_identity_whose_records_are_all_erased_is_retired() -> None:
    before = first(keys("a", "b"), keys("c"))
    gone, kept = before.cluster_ids
    after = run(before.identities.values(), [keys("c")])
    assert after.events == (IdentityEvent("retire", gone),)
    assert after.identities[gone].status == "retired"
    assert after.resolve(gone) is None
    assert after.resolve(kept) == kept


def test_gaining_new_records_and_losing_erased_ones_keeps_the_id_without_event() -> None:
    before = first(keys("a", "b", "c"))
    (x,) = before.cluster_ids
    after = run(before.identities.values(), [keys("b", "c", "new")])
    assert after.cluster_ids == (x,)
    assert after.events == ()


def test_a_merge_chain_resolves_to_the_last_survivor() -> None:
    one = first(keys("a", "b"), keys("c"), keys(*"klmnopqrst"))
    pair, single, big = one.cluster_ids
    two = run(one.identities.values(), [keys("a", "b", "c"), keys(*"klmnopqrst")])
    assert two.identities[single].survivor == pair
    three = run(two.identities.values(), [keys("a", "b", "c", *"klmnopqrst")])
    assert three.identities[single].survivor == pair  # the stored pointer is not rewritten
    assert three.identities[pair].survivor == big
    assert [three.resolve(x) for x in (single, pair, big)] == [big, big, big]


def test_an_incremental_run_leaves_uncovered_records_in_their_identity() -> None:
    before = first(keys("a", "b", "c"), keys("d", "e"))
    x, y = before.cluster_ids
    # The run covered a new record and one of x's: the cluster takes x's id, x keeps b and c;
    # y, not covered at all, is untouched.
    after = run(before.identities.values(), [keys("a", "new")], covered=keys("a", "new"))
    assert after.cluster_ids == (x,)
    assert after.identities[x].members == set(keys("a", "b", "c", "new"))
    assert after.identities[y] == before.identities[y]
    assert after.events == ()


def test_an_incremental_run_that_moves_covered_records_splits_the_identity() -> None:
    before = first(keys("a", "b", "c"), keys("d", "e"))
    x, y = before.cluster_ids
    after = run(before.identities.values(), [keys("a", "d", "e")], covered=keys("a", "d", "e"))
    assert after.cluster_ids == (y,)
    assert after.identities[x].members == set(keys("b", "c"))
    assert after.events == (IdentityEvent("split", x, (y,)),)


def test_new_ids_are_hashes_that_do_not_contain_the_record_id() -> None:
    result = first([("police", "case-4711")])
    (x,) = result.cluster_ids
    assert "4711" not in x
    assert x == new_identity_id("person", ("police", "case-4711"))
    assert x != new_identity_id("company", ("police", "case-4711"))
    assert x != new_identity_id("person", ("police", "case-4711"), key=b"deployment secret")
    assert len(x) == 24


def test_a_new_id_never_reuses_an_issued_one() -> None:
    (x,) = first(keys("a")).cluster_ids
    # x was issued before (now retired); a new cluster whose hash is x must get another id.
    after = run([Identity(x, frozenset(), created=1, status="retired")], [keys("a")])
    assert after.cluster_ids[0] != x
    assert after.cluster_ids[0] == new_identity_id("person", keys("a")[0], taken={x})
    assert after.identities[x].status == "retired"


def test_an_incremental_run_given_only_its_identities_asks_which_other_ids_exist() -> None:
    (x,) = first(keys("a")).cluster_ids  # issued, then merged away: not among those given
    (y,) = first(keys("b")).cluster_ids
    asked: list[set[str]] = []

    def issued(ids: Iterable[str]) -> set[str]:
        asked.append(set(ids))
        return set(ids) & {x, y}

    after = assign_identities(
        [Identity(y, frozenset(keys("b")), created=2)],
        [keys("b"), keys("a")],
        entity_type="person",
        covered=set(keys("a", "b")),
        issued=issued,
    )
    assert after.cluster_ids[0] == y  # kept
    assert after.cluster_ids[1] not in {x, y}  # x's hash, but x was issued
    assert after.cluster_ids[1] == new_identity_id("person", keys("a")[0], taken={x})
    assert asked[0] == {x}  # the first attempts of the new clusters, in one question
    assert [e.kind for e in after.events] == ["create"]


def test_shuffled_clusters_and_members_give_the_same_ids_and_events() -> None:
    rng = random.Random(3)
    before = first(*(keys(*(f"r{n:03}" for n in range(s, s + 4))) for s in range(0, 400, 4)))
    # Erase three identities, re-cut the other records (plus new ones) at random: merges,
    # splits, creates and retires in one run.
    records = [r for ident in list(before.identities.values())[3:] for r in ident.members]
    records += keys(*(f"new{n}" for n in range(30)))
    rng.shuffle(records)
    clusters, start = [], 0
    while start < len(records):
        size = rng.randint(1, 7)
        clusters.append(records[start : start + size])
        start += size
    reference = run(before.identities.values(), clusters)
    assert {e.kind for e in reference.events} == {"create", "merge", "split", "retire"}
    for seed in range(3):
        shuffle = random.Random(seed)
        again = [shuffle.sample(c, len(c)) for c in clusters]
        order = shuffle.sample(range(len(again)), len(again))
        result = run(before.identities.values(), [again[i] for i in order])
        assert result.cluster_ids == tuple(reference.cluster_ids[i] for i in order)
        assert result.events == reference.events
        assert result.identities == reference.identities


def test_adding_one_percent_new_records_keeps_99_percent_of_ids() -> None:
    rng = random.Random(11)
    clusters, n = [], 0
    for _ in range(1_000):
        size = rng.randint(1, 5)
        clusters.append(keys(*(f"r{k}" for k in range(n, n + size))))
        n += size
    before = first(*clusters)
    grown = [list(c) for c in clusters]
    new = iter(keys(*(f"new{k}" for k in range(n // 100))))  # 1% of the records
    picks = rng.sample(range(1_000), 30)
    bridges = [(picks[i], picks[i + 1]) for i in range(0, 10, 2)]  # 5 records join 2 clusters
    joins = picks[10:]
    for left, right in bridges:
        grown[left] += [next(new), *grown[right]]
        grown[right] = []
    for i in joins:
        grown[i].append(next(new))
    after = run(before.identities.values(), [c for c in grown if c] + [[r] for r in new])
    kept = set(before.cluster_ids) & {x for x, i in after.identities.items() if i.status == "live"}
    # Each bridge merges two identities into one, retiring exactly one id: 1000 - 5 kept.
    assert len(kept) == 995
    assert len(kept) >= 0.99 * 1_000
    assert [e.kind for e in after.events].count("merge") == 5
    assert all(after.resolve(x) in kept for x in before.cluster_ids)


@pytest.mark.parametrize(
    ("previous", "clusters", "covered", "message"),
    [
        ([], [keys("a"), keys("a", "b")], None, "record ('fiu', 'a') is in clusters 0 and 1"),
        ([], [[]], None, "cluster 0 is empty"),
        ([], [keys("a", "b")], keys("a"), "('fiu', 'b') of cluster 0 is outside the records"),
        ([], [[("fiu", 7)]], None, "cluster 0: record key ('fiu', 7) is not a (source"),
        (
            [Identity("x", frozenset(keys("a")), 1), Identity("y", frozenset(keys("a")), 2)],
            [keys("a")],
            None,
            "record ('fiu', 'a') is in identities 'x' and 'y'",
        ),
        (
            [Identity("x", frozenset(), 1, "merged", "gone")],
            [keys("a")],
            None,
            "'x' is merged into 'gone', which is not among the previous",
        ),
    ],
)
def test_bad_input_says_what_is_wrong_and_where(
    previous: list[Identity],
    clusters: list[list[RecordKey]],
    covered: list[RecordKey] | None,
    message: str,
) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        run(previous, clusters, covered)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"members": frozenset(), "status": "live"}, "a live identity has members"),
        ({"status": "merged"}, "a merged identity names its survivor"),
        ({"status": "gone"}, "unknown status 'gone'"),
    ],
)
def test_an_inconsistent_identity_is_refused(fields: dict[str, object], message: str) -> None:
    values: dict[str, object] = {"members": frozenset(), "created": 1, **fields}
    with pytest.raises(InputError, match=message):
        Identity("x", **values)  # type: ignore[arg-type]


# Properties over random sequences of runs ---------------------------------------------------

RECORDS = keys(*(f"r{n}" for n in range(10)))


@st.composite
def runs(draw: st.DrawFn) -> tuple[list[list[RecordKey]], set[RecordKey] | None]:
    """One run: a random partition of a random subset of the records (those left out are erased
    or, in an incremental run, covered but erased); incremental runs cover a random subset."""
    covered = set(draw(st.sets(st.sampled_from(RECORDS)))) if draw(st.booleans()) else None
    pool = sorted(covered) if covered is not None else RECORDS
    labels = draw(st.lists(st.integers(-1, 3), min_size=len(pool), max_size=len(pool)))
    clusters: dict[int, list[RecordKey]] = {}
    for record, label in zip(pool, labels, strict=True):
        if label >= 0:
            clusters.setdefault(label, []).append(record)
    return list(clusters.values()), covered


def check_invariants(
    before: dict[str, Identity],
    clusters: list[list[RecordKey]],
    covered: set[RecordKey] | None,
    after: Assignment,
) -> None:
    live_before = {x: i for x, i in before.items() if i.status == "live"}
    live = {x: i for x, i in after.identities.items() if i.status == "live"}
    id_before = {r: x for x, i in live_before.items() for r in i.members}
    id_after: dict[RecordKey, str] = {}
    for x, ident in live.items():
        for r in ident.members:
            assert r not in id_after, f"{r} in two live identities"
            id_after[r] = x
    uncovered = {r for r in id_before if covered is not None and r not in covered}
    assert set(id_after) == {r for c in clusters for r in c} | uncovered
    for cluster, x in zip(clusters, after.cluster_ids, strict=True):
        assert {id_after[r] for r in cluster} == {x}
    for r in uncovered:
        assert id_after[r] == id_before[r]
    assert set(before) <= set(after.identities)
    # Events: at most one per id; every id change has its event.
    subjects = [e.identity_id for e in after.events]
    assert len(subjects) == len(set(subjects))
    event_of = {e.identity_id: e for e in after.events}
    for r in set(id_before) & set(id_after):
        if id_before[r] != id_after[r]:
            assert id_after[r] in event_of[id_before[r]].into
    for x in set(live_before) - set(live):
        status = after.identities[x].status
        assert event_of[x].kind == {"merged": "merge", "retired": "retire"}[status]
    receivers = {y for e in after.events for y in e.into}
    for x in set(live) - set(before):
        assert x in receivers or event_of[x].kind == "create"
    for x, ident in live_before.items():
        if ident.members in {frozenset(c) for c in clusters} and (
            covered is None or ident.members <= covered
        ):
            assert x in live
            assert x not in event_of
    for x, ident in after.identities.items():
        if ident.status == "merged" and x in live_before:
            assert ident.survivor in live  # merged in this run: points at a live identity
        target = after.resolve(x)
        assert target is None or target in live


@settings(max_examples=150, deadline=None)
@given(st.lists(runs(), min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_any_sequence_of_runs_keeps_the_invariants(
    sequence: list[tuple[list[list[RecordKey]], set[RecordKey] | None]], rnd: random.Random
) -> None:
    state: dict[str, Identity] = {}
    for clusters, covered in sequence:
        after = assign_identities(
            list(state.values()), clusters, entity_type="person", covered=covered
        )
        check_invariants(state, clusters, covered, after)
        shuffled = [rnd.sample(c, len(c)) for c in clusters]
        order = rnd.sample(range(len(clusters)), len(clusters))
        again = assign_identities(
            rnd.sample(list(state.values()), len(state)),
            [shuffled[i] for i in order],
            entity_type="person",
            covered=covered,
        )
        assert again.cluster_ids == tuple(after.cluster_ids[i] for i in order)
        assert again.events == after.events
        assert again.identities == after.identities
        state = dict(after.identities)


def test_resolve_refuses_a_merge_loop() -> None:
    loop = {
        "x": Identity("x", frozenset(), 1, "merged", "y"),
        "y": Identity("y", frozenset(), 2, "merged", "x"),
    }
    with pytest.raises(InputError, match="loops"):
        resolve(loop, "x")
