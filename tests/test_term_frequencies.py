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
