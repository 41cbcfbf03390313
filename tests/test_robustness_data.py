"""The robustness benchmark's data generator (benchmarks/robustness) and its scoring path."""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.robustness import dataset
from benchmarks.robustness.corrupt import FIELD_RATE, Context, corrupt_record, typo
from benchmarks.robustness.run import run_matrix, write_report
from benchmarks.robustness.schemas import SCHEMAS

SEED = 7
COLUMNS = {
    "S1": ["given_name", "family_name", "date_of_birth", "city", "email"],
    "S2": ["full_name", "date_of_birth"],
    "S3": ["given_name", "family_name", "date_of_birth"],
    "S4": ["given_name", "family_name", "full_name", "date_of_birth", "phone"],
    "S5": [
        "given_name",
        "family_name",
        "date_of_birth",
        "sex",
        "birth_place",
        "nationality",
        "address",
        "city",
        "phone",
    ],
    "S6": ["given_name", "family_name", "date_of_birth", "birth_place", "occupation"],
    "S7": ["given_name", "family_name", "full_name", "name_copy"],
}
_CACHE: dict[tuple[str, int, float], dataset.Generated] = {}


def generated(schema: str, size: int = 1500, d: float = 1.5) -> dataset.Generated:
    key = (schema, size, d)
    if key not in _CACHE:
        _CACHE[key] = dataset.generate(schema, size, d, SEED)
    return _CACHE[key]


def with_truth(schema: str, size: int = 1500, d: float = 1.5) -> pd.DataFrame:
    g = generated(schema, size, d)
    return g.records.merge(g.truth, on="record_id")


def test_deterministic_for_a_seed() -> None:
    first = dataset.generate("S5", 300, 1.5, SEED)
    again = dataset.generate("S5", 300, 1.5, SEED)
    pd.testing.assert_frame_equal(first.records, again.records)
    pd.testing.assert_frame_equal(first.truth, again.truth)
    other = dataset.generate("S5", 300, 1.5, SEED + 1)
    assert not first.records.equals(other.records)


@pytest.mark.parametrize("schema", sorted(COLUMNS))
def test_every_schema_has_its_columns_and_size(schema: str) -> None:
    g = generated(schema, 200, 0.3)
    assert list(g.records.columns) == ["record_id", *COLUMNS[schema]]
    assert list(SCHEMAS[schema].columns) == COLUMNS[schema]
    assert len(g.records) == 200 and g.records["record_id"].is_unique
    assert list(g.truth["record_id"]) == list(g.records["record_id"])


def test_s4_writes_the_full_name_only_on_about_30_percent() -> None:
    records = generated("S4").records
    full_only = (records["full_name"] != "") & (records["given_name"] == "")
    full_only &= records["family_name"] == ""
    split = (records["full_name"] == "") & (records["given_name"] != "")
    assert 0.25 < full_only.mean() < 0.35
    assert 0.55 < split.mean() < 0.75
    assert not ((records["full_name"] != "") & (records["given_name"] != "")).any()
    # Phone lists: 1-3 national numbers joined by one of the separators.
    numbers = records["phone"][records["phone"] != ""].str.split(r"\s*[|,;/]\s*", regex=True)
    assert numbers.map(len).between(1, 3).all()
    for separator in ("|", ", ", " / ", " ; "):
        assert records["phone"].str.contains(separator, regex=False).any()


def test_s6_dates_are_historic_and_a_third_year_only() -> None:
    frame = with_truth("S6")
    dates = frame["date_of_birth"]
    filled = dates != ""
    year_only = dates[filled].str.fullmatch(r"\d{4}")
    assert 0.28 < year_only.mean() < 0.42  # a third, and a few duplicates cut to the year
    assert dates[filled][~year_only].str.fullmatch(r"\d{2}/\d{2}/\d{4}").all()
    years = dates[filled].str[-4:].astype(int)
    # Originals are clean; a duplicate's digit may be one off (1845 -> 2845).
    assert years[frame.loc[filled, "role"] == "original"].between(1600, 1900).all()
    assert years.between(1600, 1900).mean() > 0.97


def _phones(value: str) -> frozenset[str]:
    return frozenset(re.split(r"\s*[|,;/]\s*", value)) if value else frozenset()


@pytest.mark.parametrize("schema", ["S1", "S5"])
def test_duplicates_differ_from_the_original_in_about_a_quarter_of_fields(schema: str) -> None:
    frame = with_truth(schema)
    columns = COLUMNS[schema]
    originals = frame[frame["role"] == "original"].set_index("entity_id")
    duplicates = frame[frame["role"] == "duplicate"]
    assert len(duplicates) > 500
    changed = []
    for column in columns:
        original = duplicates["entity_id"].map(originals[column])
        keep = original.notna()  # the original is in the file (it always comes first)
        if column == "phone":
            differs = duplicates[column].map(_phones) != original.map(_phones)
        else:
            differs = duplicates[column] != original
        changed.append(differs[keep].to_numpy())
    # An Arabic person's records differ in script on names too; leave them out.
    latin = (duplicates["locale"] != "ar_SA").to_numpy()
    share = np.stack(changed)[:, latin].mean()
    # 0.25 per field, a little more for a swap (two fields) and shared values (no change).
    assert FIELD_RATE - 0.03 < share < FIELD_RATE + 0.06
    assert (frame.loc[frame["role"] == "original", "corruptions"] == "").all()


def test_truth_has_one_plus_poisson_d_records_per_entity() -> None:
    for d in (0.3, 1.5):
        truth = generated("S3", 3000, d).truth
        per_entity = truth.groupby("entity_id").size()
        assert abs(per_entity.mean() - (1 + d)) < 0.15
        assert per_entity.min() == 1
        assert dataset.true_pair_count(truth) == int((per_entity * (per_entity - 1) // 2).sum())


def test_arabic_script_on_some_arabic_records() -> None:
    frame = with_truth("S3")
    arabic = frame[frame["locale"] == "ar_SA"]
    script = arabic["given_name"].str.contains(r"[\u0600-\u06ff]") | arabic[
        "family_name"
    ].str.contains(r"[\u0600-\u06ff]")
    assert 0.2 < script.mean() < 0.45
    assert (arabic["script"] == "arabic").sum() == script.sum()
    # Everyone else, and the other Arabic records, in Latin letters (Persian transliterated).
    others = frame[frame["locale"] != "ar_SA"]
    assert not others["family_name"].str.contains(r"[\u0600-\u06ff]").any()
    assert set(frame["locale"]) == {"fr_FR", "ar_SA", "tr_TR", "vi_VN", "ro_RO", "fa_IR"}


def test_corruptions_change_the_value() -> None:
    rng = np.random.default_rng(0)
    values = {"given_name": "Philippe", "family_name": "Dupont", "date_of_birth": "05/03/1980"}
    kinds = {"given_name": "given_name", "family_name": "family_name", "date_of_birth": "dob"}
    seen: set[str] = set()
    for _ in range(300):
        out = corrupt_record(values, kinds, rng, Context("fr_FR"), rate=1.0)
        assert len(out.applied) >= 1
        for applied in out.applied:
            seen.add(applied.split(":")[1])
    assert {"typo", "phonetic", "missing", "swap", "initial"} <= seen
    assert {"day_month_swap", "digit_off", "year_only"} <= seen
    assert typo("a", rng) is None


def test_scoring_path_end_to_end(tmp_path: Path) -> None:
    started = time.perf_counter()
    rows = run_matrix(["S3"], [10], [1.5], ["linker"], tmp_path, seed=SEED, timeout_s=60)
    if time.perf_counter() - started > 20:
        pytest.skip("linker took more than 20 s on 10 records here")
    (row,) = rows
    assert row.records == 10 and row.true_pairs > 0
    run = row.runs["linker"]
    assert run.status == "ok", run.status
    assert run.pairs is not None and run.bcubed is not None
    assert 0 <= run.pairs.f1 <= 1 and 0 <= run.bcubed.f1 <= 1
    table = write_report(rows, ["linker"], tmp_path, SEED)
    assert table.startswith("| schema | size | d | records | true pairs | linker P")
    assert (tmp_path / "robustness.md").exists() and (tmp_path / "robustness.json").exists()
