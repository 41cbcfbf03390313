"""Term-frequency adjustment: in the unsupervised model, agreeing on a common name weighs
less than agreeing on a rare one; the tables travel with the model."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from linker.models import FellegiSunter
from linker.models.fellegi_sunter import fellegi_sunter_from_manifest
from linker.prepare.sources import SourceTable
from linker.runs import run
from linker.settings import Settings


def _people() -> pd.DataFrame:
    """400 people, a fifth of them called Jean; two duplicated pairs, one Jean, one rare."""
    rng = np.random.default_rng(5)
    given = [f"name{i:03d}" for i in range(400)]
    for i in range(0, 400, 5):
        given[i] = "jean"
    rows = [
        [
            f"r{i:03d}",
            given[i],
            f"family{i:03d}",
            f"{1 + i % 28:02d}/{1 + i % 12:02d}/19{50 + i % 50}",
        ]
        for i in range(400)
    ]
    rng.shuffle(rows)
    # two duplicates that agree on the given name and the date only (the family name differs)
    rows.append(["dup_jean", "jean", "other", rows[[r[1] for r in rows].index("jean")][3]])
    rare = next(r for r in rows if r[1] != "jean")
    rows.append(["dup_rare", rare[1], "other", rare[3]])
    return pd.DataFrame(rows, columns=["record_id", "given_name", "family_name", "dob"])


def _scores() -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _people()
    table = SourceTable("people", frame, pd.Series(np.arange(2, len(frame) + 2)))
    result = run([table], Settings(model="unsupervised"))
    return frame, result.scores(explain=True)


def test_agreeing_on_a_rare_name_weighs_more_than_on_a_common_one() -> None:
    frame, scores = _scores()
    by_id = frame.set_index("record_id")

    def score_of(record: str) -> float:
        partner = by_id.index[
            (by_id["given_name"] == by_id.loc[record, "given_name"])
            & (by_id["dob"] == by_id.loc[record, "dob"])
            & (by_id.index != record)
        ][0]
        pair = scores[
            ((scores["left_id"] == record) & (scores["right_id"] == partner))
            | ((scores["left_id"] == partner) & (scores["right_id"] == record))
        ]
        return float(json.loads(pair["explanation"].iloc[0])["logit"])

    assert score_of("dup_rare") > score_of("dup_jean") + 1.0


def test_explanations_add_up_to_the_adjusted_logit() -> None:
    _, scores = _scores()
    for text, probability in zip(scores["explanation"], scores["match_probability"], strict=True):
        explanation = json.loads(text)
        total = explanation["base"] + sum(
            f["contribution"] for f in explanation["features"].values()
        )
        assert np.isclose(total, explanation["logit"])
        assert np.isclose(1 / (1 + np.exp(-total)), probability, atol=1e-9)


def test_the_tables_round_trip_with_the_manifest() -> None:
    frame = _people()
    table = SourceTable("people", frame, pd.Series(np.arange(2, len(frame) + 2)))
    model = run([table], Settings(model="unsupervised")).outcome.model
    assert isinstance(model, FellegiSunter) and model.tf_
    again = fellegi_sunter_from_manifest(json.loads(json.dumps(model.to_manifest())))
    assert [t.to_dict() for t in again.tf_] == [t.to_dict() for t in model.tf_]


def test_exact_agreement_is_counted_over_every_pair_of_records() -> None:
    from linker.compare import Comparison
    from linker.models.term_frequencies import exact_agreement

    records = pd.DataFrame(
        {
            "source": ["a", "a", "a", "b", "b"],
            "city": ["lyon", "lyon", "nice", "lyon", None],
            # two equal full dates, two equal year-only dates (never the top level)
            "dob": [19800101.0, 19800102.0, 19800102.0, 19700000.0, 19700000.0],
            "emails": ["x@a.fr|y@b.fr", "y@b.fr", "z@c.fr", "x@a.fr|x@a.fr", None],
        }
    )
    city = Comparison("city", "jaro_winkler", (1.0, 0.9))
    assert exact_agreement(records, [city]) == (3.0, 6.0)  # lyon thrice: 3 of the 6 pairs
    assert exact_agreement(records, [city], link_only=True) == (2.0, 3.0)  # across a-b only
    dob = Comparison("dob", "date", (1.0, 0.5))
    assert exact_agreement(records, [dob]) == (1.0, 10.0)
    emails = Comparison("emails", "shared_item", (1.0,), identifier=True)
    assert exact_agreement(records, [emails]) == (2.0, 6.0)  # x twice, y twice: each item once
    crossed = Comparison("given_name", "jaro_winkler", (0.92,), right="family_name")
    assert exact_agreement(records, [crossed]) is None
    assert exact_agreement(records, [city, dob]) == (0.0, 6.0)  # no lyon pair of one full date


def test_the_kept_tuples_do_not_depend_on_row_order(monkeypatch) -> None:
    from linker.compare import Comparison
    from linker.models import term_frequencies
    from linker.models.term_frequencies import fit_term_frequencies, record_frequencies

    monkeypatch.setattr(term_frequencies, "KEPT_VALUES", 3)
    names = ["ann"] * 3 + ["eve", "dan", "cid", "bob"] * 2 + [f"solo{i}" for i in range(7)]
    comparisons = [Comparison("given_name", "jaro_winkler", (1.0, 0.9))]
    tables = []
    for seed in range(3):
        order = np.random.default_rng(seed).permutation(len(names))
        frame = pd.DataFrame({"given_name": np.array(names)[order]})
        (table,) = fit_term_frequencies(comparisons, [("given_name", [0])], frame)
        tables.append(table)
        frequencies = record_frequencies([table], frame, comparisons)[:, 0]
        expected = {"ann": 3 / 18, "bob": 2 / 18, "cid": 2 / 18}
        assert np.allclose(frequencies, [expected.get(n, 1 / 18) for n in frame["given_name"]])
    # ann, then two of the four names seen twice: the first by their text
    assert tables[0].table == {"ann": 3 / 18, "bob": 2 / 18, "cid": 2 / 18}
    assert tables[0] == tables[1] == tables[2]
    assert tables[0].agreement == (9 + 4 * 4 + 7) / 18**2


def test_a_tuple_is_looked_up_by_its_codes_as_by_its_text(monkeypatch) -> None:
    from linker.compare import Comparison
    from linker.models import term_frequencies
    from linker.models.term_frequencies import fit_term_frequencies, record_frequencies

    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "given_name": rng.choice([f"g{i}" for i in range(12)] + [None], 300),
            "dob": rng.choice([19800101, 19800102, 19900101, *range(20)], 300),
        }
    )
    comparisons = [
        Comparison("given_name", "jaro_winkler", (1.0, 0.9)),
        Comparison("dob", "exact", (1.0,)),
    ]
    tables = fit_term_frequencies(comparisons, [("person", [0, 1])], frame)
    assert [t.members for t in tables] == [(0,), (1,), (0, 1)]
    by_codes = record_frequencies(tables, frame, comparisons)
    monkeypatch.setattr(term_frequencies, "_MAX_MIXED_CODE", 0.0)  # by the tuples' text
    np.testing.assert_array_equal(record_frequencies(tables, frame, comparisons), by_codes)
    missing = frame["given_name"].isna().to_numpy()
    assert np.isnan(by_codes[missing][:, [0, 2]]).all() and not np.isnan(by_codes[:, 1]).any()
    counts = frame.dropna().groupby(["given_name", "dob"]).size()
    (given, dob), seen = counts.idxmax(), counts.max()
    row = ((frame["given_name"] == given) & (frame["dob"] == dob)).to_numpy().argmax()
    assert seen > 1 and by_codes[row, 2] == seen / (~missing).sum()


def test_a_query_record_is_looked_up_even_without_the_field() -> None:
    from linker.compare import Comparison
    from linker.models.term_frequencies import TermFrequencies, record_frequencies

    # fewer records than tuples in the table (one query record): looked up by their text
    table = TermFrequencies(0, (0,), {f"n{i}": 0.01 for i in range(50)}, 0.001, 0.02)
    comparisons = [Comparison("given_name", "jaro_winkler", (1.0,))]
    for names, expected in [(["n7"], [0.01]), (["zz"], [0.001]), ([None], [np.nan])]:
        frame = pd.DataFrame({"given_name": pd.Series(names, dtype=object)})
        found = record_frequencies([table], frame, comparisons)[:, 0]
        np.testing.assert_array_equal(found, expected)
