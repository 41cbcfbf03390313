"""The synthetic person generator: deterministic, complete truth, realistic duplicates."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from linker.synth import generate_people
from linker.synth.people import RECORD_COLUMNS, main

N = 5000


@pytest.fixture(scope="module")
def people() -> tuple[pd.DataFrame, pd.DataFrame]:
    return generate_people(N, seed=7)


def test_same_seed_gives_identical_frames(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, truth = generate_people(N, seed=7)
    pd.testing.assert_frame_equal(records, people[0])
    pd.testing.assert_frame_equal(truth, people[1])


def test_different_seed_differs(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, _ = generate_people(N, seed=8)
    assert not records.equals(people[0])
    assert (records["surname"] != people[0]["surname"]).mean() > 0.5


def test_cli_writes_identical_bytes(tmp_path: Path) -> None:
    paths = []
    for run in ("a", "b"):
        out, truth = tmp_path / f"{run}.csv", tmp_path / f"{run}_truth.csv"
        args = ["--records", "300", "--seed", "3", "--out", str(out), "--truth", str(truth)]
        assert main(args) == 0
        paths.append((out, truth))
    assert paths[0][0].read_bytes() == paths[1][0].read_bytes()
    assert paths[0][1].read_bytes() == paths[1][1].read_bytes()
    assert len(pd.read_csv(paths[0][0], dtype=str)) == 300


@pytest.mark.parametrize("n", [0, 1, 2, 10, 999])
def test_sizes(n: int) -> None:
    records, truth = generate_people(n, seed=1)
    assert list(records.columns) == list(RECORD_COLUMNS)
    assert list(truth.columns) == ["record_id", "entity_id"]
    assert len(records) == len(truth) == n


def test_columns_are_well_formed(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, _ = people
    assert records["record_id"].str.fullmatch(r"r\d{7}").all()
    assert records["record_id"].is_unique
    dob = records["date_of_birth"].dropna()
    assert dob.str.fullmatch(r"\d\d/\d\d/\d{4}").all()
    assert set(records["sex"].dropna()) == {"M", "F"}
    assert records["postcode"].dropna().str.fullmatch(r"\d{5}").all()
    assert records["email"].dropna().str.contains("@").all()
    phones = records["phone"].dropna()
    assert phones.str.startswith("+33").any() and phones.str.startswith("0033").any()
    assert phones.str.contains(" ").any() and phones.str.fullmatch(r"0\d{9}").any()
    for column, share in records.drop(columns="record_id").isna().mean().items():
        assert 0.02 < share < 0.2, column


def test_truth_covers_every_record_once(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, truth = people
    assert truth["record_id"].is_unique
    assert set(truth["record_id"]) == set(records["record_id"])
    assert truth["entity_id"].notna().all()


@pytest.mark.parametrize("rate", [0.0, 0.2, 0.4, 0.6])
def test_duplicates_at_configured_rate(rate: float) -> None:
    _, truth = generate_people(N, seed=2, duplicate_rate=rate)
    n_entities = truth["entity_id"].nunique()
    assert n_entities == N - round(N * rate)
    sizes = truth["entity_id"].value_counts()
    if rate:
        assert sizes.max() >= 3
        assert (sizes == 2).sum() > (sizes == 4).sum()  # skewed: one copy is most common


def test_rows_are_shuffled(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    _, truth = people
    entity_numbers = truth["entity_id"].str[1:].astype(int)
    assert not entity_numbers.is_monotonic_increasing
    # duplicates are spread through the file, not appended at the end
    duplicated = truth["entity_id"].duplicated(keep=False)
    assert duplicated.iloc[: N // 2].mean() > 0.2


def _pairs_with_original(people: tuple[pd.DataFrame, pd.DataFrame]) -> pd.DataFrame:
    records, truth = people
    frame = records.merge(truth, on="record_id")
    first = frame.drop_duplicates("entity_id")
    others = frame[~frame["record_id"].isin(first["record_id"])]
    return others.merge(first, on="entity_id", suffixes=("", "_first"))


def test_duplicates_really_differ(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    pairs = _pairs_with_original(people)
    fields = [c for c in RECORD_COLUMNS if c != "record_id"]
    differs = pd.DataFrame(
        {f: pairs[f].fillna("") != pairs[f + "_first"].fillna("") for f in fields}
    )
    assert differs.any(axis=1).mean() > 0.8
    both = pairs["given_name"].notna() & pairs["given_name_first"].notna()
    changed_names = (pairs["given_name"] != pairs["given_name_first"])[both].mean()
    assert 0.1 < changed_names < 0.6
    same_person_same_name = (pairs["surname"] == pairs["surname_first"]).mean()
    assert same_person_same_name > 0.5


def test_damage_kinds_present(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    pairs = _pairs_with_original(people)
    swapped = (pairs["given_name"] == pairs["surname_first"]) & (
        pairs["surname"] == pairs["given_name_first"]
    )
    assert swapped.sum() > 0
    placeholder = pairs["date_of_birth"].str.startswith("01/01/") & ~pairs[
        "date_of_birth_first"
    ].fillna("").str.startswith("01/01/")
    assert placeholder.sum() > 0
    abbreviated = pairs["address"].fillna("").str.contains(r"\b(?:av\.|bd|r\.|imp\.)\s")
    assert abbreviated.sum() > 0


def test_common_names_are_shared(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, truth = people
    frame = records.merge(truth, on="record_id").drop_duplicates("entity_id")
    per_name = frame.groupby(["given_name", "surname"])["entity_id"].nunique()
    assert per_name.max() >= 3
    top = records["surname"].value_counts(normalize=True)
    assert top.iloc[0] > 5 * top.median()


def test_no_whitespace_padding(people: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    records, _ = people
    for column in RECORD_COLUMNS:
        values = records[column].dropna()
        assert not values.map(lambda v: bool(re.match(r"^\s|\s$", v))).any(), column


def test_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="duplicate_rate"):
        generate_people(10, seed=1, duplicate_rate=1.0)
    with pytest.raises(ValueError, match="n_records"):
        generate_people(-1, seed=1)
