"""A reviewer's "distinct" decisions (``linker dedupe --distinct PAIRS.csv``): each pair of
records is a hard cannot-link, whatever it scored, for every entity type.

Run through ``linker.cli.main`` on tiny hand-written files (made-up names and identifiers),
with the unsupervised model so that no trained model on the machine changes the scores.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from linker import cli

PEOPLE = [
    ["record_id", "first_name", "surname", "dob", "phone", "city"],
    # One person written twice, the same way.
    ["A1", "Mathurin", "Kerbrat", "1971-03-14", "06 12 34 56 78", "Quimper"],
    ["A2", "Mathurin", "Kerbrat", "1971-03-14", "06 12 34 56 78", "Quimper"],
    # A chain: V2 and V3 share nothing (never compared), each matches V1.
    ["V1", "Gwladys", "Vasseur", "1985-11-02", "07 98 76 54 32", "Amiens"],
    ["V2", "Gwladys", "Vasseur", "", "", "Amiens"],
    ["V3", "", "", "1985-11-02", "07 98 76 54 32", ""],
    # Other people, to give the unsupervised model non-matches.
    ["D1", "Albin", "Abadie", "1950-01-01", "01 40 10 20 30", "Lyon"],
    ["D2", "Bertille", "Brissac", "1952-02-04", "01 41 11 21 31", "Nantes"],
    ["D3", "Casimir", "Courtade", "1954-03-07", "01 42 12 22 32", "Lille"],
    ["D4", "Delphine", "Dufourcq", "1956-04-10", "01 43 13 23 33", "Rennes"],
    ["D5", "Eustache", "Escarra", "1958-05-13", "01 44 14 24 34", "Dijon"],
]
DECISIONS_HEADER = ["left_id", "right_id", "reviewer", "decided_at", "note"]


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


def decisions(path: Path, *pairs: tuple[str, str]) -> Path:
    """A reviewer's file: the pairs, with the columns a review tool adds."""
    rows = [[a, b, "reviewer 4", "2026-11-30T10:12:00", "twins, checked"] for a, b in pairs]
    return write_csv(path, [DECISIONS_HEADER, *rows])


def dedupe(records: Path, out_dir: Path, *options: str | Path) -> dict[str, str]:
    """Run ``linker dedupe``; the cluster of each record id."""
    out = out_dir / "clusters.csv"
    args = ["dedupe", records, "--out", out, "--model", "unsupervised", "--quiet", *options]
    assert cli.main([str(a) for a in args]) == 0
    with out.open(encoding="utf-8", newline="") as handle:
        return {row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)}


def clustering_stats(path: Path) -> dict[str, int]:
    stats: dict[str, int] = json.loads(path.read_text(encoding="utf-8"))["clustering"]
    return stats


@pytest.fixture
def people(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "people.csv", PEOPLE)


def test_a_distinct_decision_keeps_two_matching_records_apart(people: Path, tmp_path: Path) -> None:
    assert dedupe(people, tmp_path)["A2"] == "A1"  # the same person written twice

    stats = tmp_path / "stats.json"
    reviewed = decisions(tmp_path / "decisions.csv", ("A1", "A2"))
    clusters = dedupe(people, tmp_path, "--distinct", reviewed, "--stats", stats)

    assert clusters["A1"] == "A1" and clusters["A2"] == "A2"
    assert clusters["V2"] == clusters["V3"] == "V1"  # the other clusters are untouched
    counts = clustering_stats(stats)
    assert counts["cannot_link_reviewer"] == 1
    assert counts["reviewer_pairs_skipped"] == 0
    assert counts["matches_refused"] == 1


def test_a_distinct_decision_splits_a_chain(people: Path, tmp_path: Path) -> None:
    # V2 - V1 - V3: one cluster through V1, although V2 and V3 were never compared.
    clusters = dedupe(people, tmp_path)
    assert clusters["V2"] == clusters["V3"] == clusters["V1"]

    reviewed = decisions(tmp_path / "decisions.csv", ("V3", "V2"))
    clusters = dedupe(people, tmp_path, "--distinct", reviewed)

    assert clusters["V2"] != clusters["V3"]
    assert clusters["V1"] in (clusters["V2"], clusters["V3"])  # split, not dissolved


def test_rows_naming_no_pair_of_the_records_are_skipped_and_counted(
    people: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stats = tmp_path / "stats.json"
    reviewed = decisions(
        tmp_path / "decisions.csv",
        ("A1", "A2"),
        ("A2", "A1"),  # the same pair again, the other way round: applied once
        ("A1", "OLD-77"),  # a decision of another batch
        ("", "A2"),
        ("D1", "D1"),
    )
    out = tmp_path / "clusters.csv"
    args = ["dedupe", people, "--out", out, "--model", "unsupervised", "--stats", stats]
    assert cli.main([*map(str, args), "--distinct", str(reviewed)]) == 0

    counts = clustering_stats(stats)
    assert counts["cannot_link_reviewer"] == 1
    assert counts["reviewer_pairs_skipped"] == 3
    err = capsys.readouterr().err
    assert f"linker: {reviewed}: 1 reviewer pair(s) kept apart; 3 row(s) skipped" in err
    with out.open(encoding="utf-8", newline="") as handle:
        clusters = {row["record_id"]: row["cluster_id"] for row in csv.DictReader(handle)}
    assert clusters["A1"] != clusters["A2"]  # what was valid is used


def test_a_file_without_decisions_changes_nothing(people: Path, tmp_path: Path) -> None:
    stats = tmp_path / "stats.json"
    empty = decisions(tmp_path / "decisions.csv")
    clusters = dedupe(people, tmp_path, "--distinct", empty, "--stats", stats)
    assert clusters == dedupe(people, tmp_path)
    assert clustering_stats(stats)["cannot_link_reviewer"] == 0


@pytest.mark.parametrize(
    ("content", "words"),
    [
        pytest.param(None, ["decisions.csv", "no such file"], id="missing file"),
        pytest.param(
            "left_id,reviewer\nA1,reviewer 4\n",
            ["decisions.csv", "no column right_id", "left_id,right_id"],
            id="no right_id",
        ),
        pytest.param(
            "record_id_a,record_id_b\nA1,A2\n",
            ["decisions.csv", "no column left_id or right_id", "'record_id_a'"],
            id="other column names",
        ),
        pytest.param("", ["decisions.csv", "not a readable UTF-8 CSV"], id="empty file"),
    ],
)
def test_an_unusable_distinct_file_exits_2_and_writes_nothing(
    people: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    content: str | None,
    words: list[str],
) -> None:
    reviewed = tmp_path / "decisions.csv"
    if content is not None:
        reviewed.write_text(content, encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir()
    args = ["dedupe", people, "--out", out_dir / "clusters.csv", "--stats", out_dir / "s.json"]

    status = cli.main([*map(str, args), "--distinct", str(reviewed), "--quiet"])

    assert status == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("linker: error: ")
    for word in words:
        assert word in lines[0]
    assert list(out_dir.iterdir()) == []


ENTITIES = [
    # (entity, header, rows): K1 and K2 are one entity written twice, the others distinct.
    (
        "person",
        PEOPLE[0],
        [["K1", *PEOPLE[1][1:]], ["K2", *PEOPLE[2][1:]], *PEOPLE[6:]],
    ),
    (
        "company",
        ["record_id", "raison_sociale", "siren", "adresse", "ville", "telephone"],
        [
            ["K1", "SAS TRANSPORTS KERBRAT", "123456782", "12 rue de la Paix", "Quimper", ""],
            ["K2", "Transports Kerbrat S.A.S.", "123456782", "12 rue de la Paix", "Quimper", ""],
            ["K3", "SARL BOULANGERIE VASSEUR", "987654324", "3 place du Marche", "Amiens", ""],
            ["K4", "EURL GARAGE ABADIE", "111222337", "8 avenue Foch", "Lyon", ""],
            ["K5", "SCI LES LILAS", "444555668", "1 rue Nationale", "Lille", ""],
        ],
    ),
    (
        "account",
        ["record_id", "iban", "bic", "titulaire"],
        [
            ["K1", "FR7630004175558058079466708", "BNPAFRPP", "Mathurin Kerbrat"],
            ["K2", "FR76 3000 4175 5580 5807 9466 708", "BNPAFRPP", "KERBRAT MATHURIN"],
            ["K3", "FR1420041010050500013M02606", "PSSTFRPP", "Gwladys Vasseur"],
            ["K4", "DE89370400440532013000", "COBADEFF", "Albin Abadie"],
        ],
    ),
]


@pytest.mark.parametrize(
    ("entity", "header", "rows"), [pytest.param(*case, id=case[0]) for case in ENTITIES]
)
def test_distinct_decisions_apply_to_every_entity_type(
    tmp_path: Path, entity: str, header: list[str], rows: list[list[str]]
) -> None:
    records = write_csv(tmp_path / f"{entity}.csv", [header, *rows])
    assert dedupe(records, tmp_path, "--entity", entity)["K2"] == "K1"

    reviewed = decisions(tmp_path / "decisions.csv", ("K1", "K2"))
    clusters = dedupe(records, tmp_path, "--entity", entity, "--distinct", reviewed)
    assert clusters["K1"] == "K1" and clusters["K2"] == "K2"
