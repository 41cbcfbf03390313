"""Clustering resists chaining: a record that matches several people (a bare first name)
must not glue their clusters together, while a person's records still cluster when some of
their pairs were never candidates (``linker.cluster``: average linkage, pairs scored on demand
with the run's own model).

The records are hand-written and scored by ``linker.runs.run`` with the unsupervised model;
the links of the "Jean" records are then added at a matching probability, as a model fitted
on a file full of such records gave them (on a public 50k file they chained 500-700 people).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from linker.blocking import BlockingResult
from linker.pipeline import Outcome, dedupe
from linker.prepare.sources import SourceTable
from linker.runs import run
from linker.settings import Settings

GIVEN = ["Albin", "Bertille", "Casimir", "Delphine", "Eustache", "Firmin", "Gaspard", "Hortense"]
FAMILIES = [
    "Abadie", "Brissac", "Courtade", "Dufourcq", "Escarra", "Fabre", "Garrigue", "Hourcade",
    "Iribarne", "Jauregui", "Kerbrat", "Lacaze", "Marty", "Navarre", "Oyharcabal", "Pujol",
    "Quintana", "Rouquette", "Sabatier", "Tastet", "Urruty", "Vergez", "Wagner", "Xiberras",
    "Yturbide", "Zubiri", "Arrieta", "Bordenave", "Cazenave", "Darrigrand",
]  # fmt: skip
PEOPLE = len(FAMILIES)


def person(i: int, copy: int) -> dict[str, str]:
    return {
        "record_id": f"P{i:02d}{'abc'[copy]}",
        "first_name": GIVEN[i % len(GIVEN)],
        "surname": FAMILIES[i],
        "dob": f"19{70 + i % 9}-{1 + i % 12:02d}-{1 + (3 * i) % 27:02d}",  # no cannot-link
        "city": "Pau",
    }


@pytest.fixture(scope="module")
def scored() -> Outcome:
    """30 people of three records each, and 10 records holding the first name "Jean" only."""
    rows = [person(i, copy) for i in range(PEOPLE) for copy in range(3)]
    rows += [{"record_id": f"J{j}", "first_name": "Jean", "city": "Pau"} for j in range(10)]
    frame = pd.DataFrame(rows, dtype=object).fillna("")
    table = SourceTable("people.csv", frame, pd.Series(np.arange(2, len(frame) + 2)))
    return run([table], Settings(model="unsupervised")).outcome


def with_links(outcome: Outcome, links: list[tuple[str, str, float]], drop=()) -> Outcome:  # type: ignore[no-untyped-def]
    """The outcome with extra candidate pairs at a given probability, and without ``drop``."""
    position = {r: i for i, r in enumerate(outcome.records.frame["record_id"])}
    left, right = outcome.blocking.left, outcome.blocking.right
    dropped = {tuple(sorted((position[a], position[b]))) for a, b in drop}
    keep = np.array(
        [(min(a, b), max(a, b)) not in dropped for a, b in zip(left, right, strict=True)],
        dtype=bool,
    )
    extra_l = np.array([position[a] for a, _, _ in links], dtype=np.int64)
    extra_r = np.array([position[b] for _, b, _ in links], dtype=np.int64)
    blocking = BlockingResult(
        np.concatenate([left[keep], np.minimum(extra_l, extra_r)]),
        np.concatenate([right[keep], np.maximum(extra_l, extra_r)]),
    )
    probability = np.concatenate([outcome.probability[keep], [p for _, _, p in links]])
    return replace(outcome, blocking=blocking, probability=probability, stats={})


def clusters(result: pd.DataFrame) -> dict[str, str]:
    return dict(zip(result["record_id"], result["cluster_id"], strict=True))


def jean_links() -> list[tuple[str, str, float]]:
    """Each "Jean" record matches one record of each of several people."""
    return [
        (f"J{j}", f"P{(3 * j + k) % PEOPLE:02d}{'abc'[k % 3]}", 0.8 - 0.01 * k)
        for j in range(10)
        for k in range(6)
    ]


def test_records_holding_only_a_first_name_do_not_chain_people(scored: Outcome) -> None:
    chained = with_links(scored, jean_links())
    found = clusters(dedupe(chained, 0.5))
    sizes = pd.Series(found).value_counts()
    assert sizes.max() <= 4  # a person's three records, and a "Jean" at most
    for i in range(PEOPLE):  # each person's duplicates still cluster together
        assert found[f"P{i:02d}a"] == found[f"P{i:02d}b"] == found[f"P{i:02d}c"]
    stats = chained.stats["clustering"]
    assert stats["merges_refused_weak_support"] > 0
    assert stats["pairs_scored_on_demand"] > 0
    assert stats["largest_cluster"] == sizes.max()

    # Without the model, the unscored pairs between people are unknown: chains of people.
    blind = replace(chained, model=None)
    assert pd.Series(clusters(dedupe(blind, 0.5))).value_counts().max() >= 10


def test_a_pair_never_compared_is_scored_and_keeps_the_person_together(scored: Outcome) -> None:
    # P00a-P00c was never a candidate: the on-demand score supports the merge.
    apart = with_links(scored, [], drop=[("P00a", "P00c")])
    found = clusters(dedupe(apart, 0.5))
    assert found["P00a"] == found["P00b"] == found["P00c"]
    assert apart.stats["clustering"]["pairs_scored_on_demand"] >= 1
