"""Cannot-link evidence (different recorded sex, distant exact dates of birth) and what
clustering does with it."""

import numpy as np
import pandas as pd
import pytest

from linker.blocking import BlockingResult
from linker.cannot_link import PersonFacts, cannot_link_evidence
from linker.cluster import cluster_pairs
from linker.pipeline import Outcome, dedupe
from linker.prepare import PreparedRecords, PrepareOptions, prepare_records


def prepared(sexes: list[str | None], dobs: list[str | None]) -> PreparedRecords:
    """Records ``r0, r1...`` with a sex and a date of birth, prepared as a dedupe input is."""
    raw = pd.DataFrame(
        {"record_id": [f"r{i}" for i in range(len(sexes))], "sex": sexes, "dob": dobs},
        dtype=object,
    )
    return prepare_records(
        raw,
        source="test",
        id_column="record_id",
        mapping={"sex": "sex", "dob": "dob"},
        generic={},
        options=PrepareOptions(name_features=False),
    )


@pytest.mark.parametrize(
    ("sexes", "dobs", "sex", "dob"),
    [
        (["M", "F"], [None, None], True, False),
        (["homme", "femme"], [None, None], True, False),  # canonical forms are compared
        (["M", None], [None, None], False, False),  # one sex missing: nothing known
        (["M", "M"], [None, None], False, False),
        (["M|F", "F"], [None, None], False, False),  # a cell with both is no recorded sex
        ([None, None], ["1990-05-03", "1975-09-21"], False, True),  # 15 years, other day
        ([None, None], ["1990-05-03", "1979-11-30"], False, True),  # 11 years
        ([None, None], ["1990-05-03", "1980-09-21"], False, False),  # 10: two age disputes
        ([None, None], ["1990-05-03", "1983-09-21"], False, False),  # 7: a calendar shift
        ([None, None], ["1990-05-03", "1970-05-03"], False, False),  # year typo 1970/1990
        ([None, None], ["1990-05-03", "1970-03-05"], False, False),  # ... and day/month swap
        ([None, None], ["1990-05-03", "1975-01-01"], False, False),  # placeholder 01/01
        ([None, None], ["1990-05-03", "31/12/1960"], False, False),  # placeholder 31/12
        ([None, None], ["1990-05-03", "1960"], False, False),  # year only
        ([None, None], ["1990-05-03", "09/1960"], False, False),  # month precision
        ([None, None], ["1990-05-03", None], False, False),
        (["M", "F"], ["1990-05-03", "1960-09-21"], True, True),  # both: hard
    ],
)
def test_evidence(sexes: list[str | None], dobs: list[str | None], sex: bool, dob: bool) -> None:
    facts = PersonFacts.of(prepared(sexes, dobs).frame)
    evidence = cannot_link_evidence(facts, np.array([0]), np.array([1]))
    assert (bool(evidence.sex[0]), bool(evidence.dob[0])) == (sex, dob)
    assert bool(evidence.hard[0]) == (sex and dob)


def test_no_sex_or_date_column_gives_no_evidence() -> None:
    facts = PersonFacts.of(pd.DataFrame({"record_id": ["a", "b"]}))
    evidence = cannot_link_evidence(facts, np.array([0]), np.array([1]))
    assert not evidence.either.any()


def outcome(records: PreparedRecords, edges: list[tuple[int, int, float]]) -> Outcome:
    left = np.array([e[0] for e in edges])
    right = np.array([e[1] for e in edges])
    return Outcome(records, BlockingResult(left, right), np.array([e[2] for e in edges]))


def clusters(result: pd.DataFrame) -> set[frozenset[str]]:
    return {frozenset(group) for _, group in result.groupby("cluster_id")["record_id"]}


def test_chain_through_a_third_record_is_split_by_different_sex() -> None:
    # A-B and B-C match; A and C were never compared, but A is a man and C a woman.
    records = prepared(["M", None, "F"], [None, None, None])
    run = outcome(records, [(0, 1, 0.99), (1, 2, 0.9)])
    assert clusters(dedupe(run, 0.5)) == {frozenset({"r0", "r1"}), frozenset({"r2"})}
    assert run.stats["clustering"]["merges_refused_cannot_link"] == 1
    assert run.stats["clustering"]["matches_refused"] == 1


def test_the_score_decides_for_a_scored_pair_with_soft_evidence() -> None:
    # A and C were compared: the model weighed their sexes, so its verdict stands.
    records = prepared(["M", None, "F"], [None, None, None])
    run = outcome(records, [(0, 1, 0.99), (1, 2, 0.9), (0, 2, 0.3)])
    assert clusters(dedupe(run, 0.5)) == {frozenset({"r0", "r1", "r2"})}
    two = outcome(prepared(["M", "F"], [None, None]), [(0, 1, 0.9)])
    assert clusters(dedupe(two, 0.5)) == {frozenset({"r0", "r1"})}


def test_hard_evidence_refuses_even_a_matching_pair() -> None:
    records = prepared(["M", "F"], ["1990-05-03", "1960-09-21"])
    run = outcome(records, [(0, 1, 0.97)])
    assert clusters(dedupe(run, 0.5)) == {frozenset({"r0"}), frozenset({"r1"})}
    assert run.stats["clustering"]["matches_refused_hard_evidence"] == 1


def test_cannot_link_pair_in_a_component_of_two_is_split() -> None:
    labels = cluster_pairs(
        3,
        np.array([0]),
        np.array([1]),
        np.array([0.95]),
        threshold=0.5,
        cannot_link=(np.array([1]), np.array([0])),
    )
    assert len(set(labels.tolist())) == 3


def test_hard_evidence_splits_a_chain_of_more_than_a_hundred_records() -> None:
    # 0 (a man born 1990-05-03) and 119 (a woman born 1960-09-21) were never compared.
    n = 120
    sexes = ["M", *[None] * (n - 2), "F"]
    dobs = ["1990-05-03", *[None] * (n - 2), "1960-09-21"]
    run = outcome(prepared(sexes, dobs), [(i, i + 1, 0.99) for i in range(n - 1)])
    found = dedupe(run, 0.5).set_index("record_id")["cluster_id"]
    assert found["r0"] != found[f"r{n - 1}"]
    assert found.nunique() == 2
    assert run.stats["clustering"]["merges_refused_cannot_link"] >= 1
