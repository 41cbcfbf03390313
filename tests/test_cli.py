"""End-to-end tests of the ``linker`` command, run in-process through ``linker.cli.main``.

The fixtures are small hand-made person files (made-up names): three people written three
ways each, plus twenty distinct people. They are built in code so every test starts from the
same rows and can alter a cell or two.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from linker import cli
from linker.settings import DEFAULT_THRESHOLD

HEADER = ["record_id", "first_name", "surname", "dob", "phone", "city"]

# Three people, each written three ways: A as entered, B upper-cased with a day-first date and
# an international phone, C with a typo in the first name, a lower-case surname and a compact
# phone.
DUPLICATED = [
    ("Mathurin", "Kerbrat", "1971-03-14", "06 12 34 56 78", "Quimper"),
    ("Gwladys", "Vasseur", "1985-11-02", "07 98 76 54 32", "Amiens"),
    ("Anselme", "Pelletier", "1962-07-23", "06 55 44 33 22", "Limoges"),
]
DISTINCT_FIRST = [
    "Albin", "Bertille", "Casimir", "Delphine", "Eustache", "Fabienne", "Gaspard", "Hortense",
    "Isidore", "Josiane", "Lazare", "Mireille", "Narcisse", "Odile", "Prosper", "Quitterie",
    "Romuald", "Solange", "Tancrede", "Ursule",
]  # fmt: skip
DISTINCT_LAST = [
    "Abadie", "Brissac", "Courtade", "Dufourcq", "Escarra", "Fargues", "Gimbert", "Hourcade",
    "Irigoin", "Jauzion", "Lacoste", "Mazerolles", "Navarrot", "Ospital", "Peyrusse",
    "Quintaa", "Rieutord", "Sarrail", "Tauziet", "Urrutia",
]  # fmt: skip
CITIES = ["Lyon", "Nantes", "Lille", "Rennes", "Dijon", "Tours", "Brest", "Metz", "Nancy", "Reims"]


def variant(person: tuple[str, str, str, str, str], form: str) -> list[str]:
    """One way (A, B or C) of writing a duplicated person: first_name..city."""
    first, last, dob, phone, city = person
    year, month, day = dob.split("-")
    if form == "A":
        return [first, last, dob, phone, city]
    if form == "B":
        return [
            first.upper(),
            last,
            f"{day}/{month}/{year}",
            "+33" + phone.replace(" ", "")[1:],
            city,
        ]
    typo = first[:-1] + ("a" if first[-1] == "e" else "e")
    return [typo, last.lower(), dob, phone.replace(" ", ""), city]


def distinct(k: int) -> list[str]:
    """The k-th distinct person (0..19): first_name..city."""
    dob = f"{1950 + 2 * k}-{k % 12 + 1:02d}-{3 * k % 27 + 1:02d}"
    phone = f"01 {40 + k:02d} {10 + k:02d} {20 + k:02d} {30 + k:02d}"
    return [DISTINCT_FIRST[k], DISTINCT_LAST[k], dob, phone, CITIES[k % 10]]


def people_rows() -> list[list[str]]:
    """29 rows: P0A..P2C (3 people x 3 variants) then D00..D19."""
    rows = [
        [f"P{i}{form}", *variant(person, form)]
        for i, person in enumerate(DUPLICATED)
        for form in "ABC"
    ]
    rows += [[f"D{k:02d}", *distinct(k)] for k in range(20)]
    return rows


def expected_groups(ids: list[str]) -> dict[str, str]:
    """The true person of each id: P1B -> P1, D07 -> D07."""
    return {i: i[:2] if i.startswith("P") else i for i in ids}


def write_rows(
    path: Path,
    rows: list[list[str]],
    header: list[str] = HEADER,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8",
) -> Path:
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header_of(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def clusters_by_id(path: Path) -> dict[str, str]:
    return {row["record_id"]: row["cluster_id"] for row in read_rows(path)}


def members(clusters: dict[str, str]) -> list[set[str]]:
    groups: dict[str, set[str]] = defaultdict(set)
    for record, cluster in clusters.items():
        groups[cluster].add(record)
    return sorted(groups.values(), key=min)


@pytest.fixture(autouse=True)
def linker_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No trained model: runs use the unsupervised model whatever the machine holds."""
    home = tmp_path / "home"
    monkeypatch.setenv("LINKER_HOME", str(home))
    return home


@pytest.fixture
def out_dir(tmp_path: Path) -> Path:
    directory = tmp_path / "out"
    directory.mkdir()
    return directory


@pytest.fixture
def people(tmp_path: Path) -> Path:
    return write_rows(tmp_path / "people.csv", people_rows())


def outputs(directory: Path) -> list[str]:
    options = {
        "--out": "clusters.csv",
        "--scores": "scores.csv",
        "--stats": "stats.json",
        "--rejects": "rejects.csv",
    }
    return [part for option, name in options.items() for part in (option, str(directory / name))]


def run(*args: str | Path) -> int:
    return cli.main([str(a) for a in args])


# --- file-level problems: exit 2, one line naming the problem, no output at all -----------


def _write(path: Path, content: bytes) -> Path:
    path.write_bytes(content)
    return path


def _people_bytes() -> bytes:
    lines = [",".join(HEADER)] + [",".join(row) for row in people_rows()]
    return ("\n".join(lines) + "\n").encode()


def _bad_missing_id(d: Path) -> list[str]:
    rows = [",".join(["id", *HEADER[1:]])] + [",".join(r) for r in people_rows()]
    return [str(_write(d / "bad.csv", "\n".join(rows).encode()))]


def _bad_duplicate_id(d: Path) -> list[str]:
    rows = people_rows()
    rows[4][0] = "007"
    rows[9][0] = "007"
    return [str(write_rows(d / "bad.csv", rows))]


def _bad_empty_id(d: Path) -> list[str]:
    rows = people_rows()
    rows[2][0] = ""
    return [str(write_rows(d / "bad.csv", rows))]


def _bad_empty(d: Path) -> list[str]:
    return [str(_write(d / "bad.csv", b""))]


def _bad_blank(d: Path) -> list[str]:
    return [str(_write(d / "bad.csv", b"  \n\n  \n"))]


def _bad_header_only(d: Path) -> list[str]:
    return [str(_write(d / "bad.csv", (",".join(HEADER) + "\n").encode()))]


def _bad_binary(d: Path) -> list[str]:
    return [str(_write(d / "bad.csv", b"PK\x03\x04\x00\x00\x08\x00" + bytes(range(256))))]


def _bad_missing_file(d: Path) -> list[str]:
    return [str(d / "bad.csv")]


def _bad_directory(d: Path) -> list[str]:
    (d / "bad.csv").mkdir()
    return [str(d / "bad.csv")]


def _bad_not_a_table(d: Path) -> list[str]:
    return [str(_write(d / "bad.csv", b"Dear colleague\nplease find the list attached\n"))]


def _bad_encoding(d: Path) -> list[str]:
    # 0x81 is invalid UTF-8 here and undefined in cp1252.
    return [str(_write(d / "bad.csv", _people_bytes().replace(b"Lyon", b"Ly\x81on")))]


def _bad_duplicate_columns(d: Path) -> list[str]:
    rows = [",".join([*HEADER[:-1], "surname"])] + [",".join(r) for r in people_rows()]
    return [str(_write(d / "bad.csv", "\n".join(rows).encode()))]


def _bad_trailing_delimiter(d: Path) -> list[str]:
    lines = [",".join(HEADER) + ","] + [",".join(r) + "," for r in people_rows()]
    return [str(_write(d / "bad.csv", "\n".join(lines).encode()))]


def _bad_parquet(d: Path) -> list[str]:
    return [str(_write(d / "bad.parquet", b"PAR1 this is not really parquet PAR1"))]


def _good(d: Path) -> list[str]:
    return [str(write_rows(d / "good.csv", people_rows()))]


def _bad_right_of_link(d: Path) -> list[str]:
    rows = people_rows()
    rows[5][0] = rows[6][0]
    return [str(write_rows(d / "good.csv", people_rows())), str(write_rows(d / "bad.csv", rows))]


BAD_INPUTS = [
    # (case, files, extra options, words the message must contain)
    ("missing id column", _bad_missing_id, [], ["bad.csv", "no id column", "record_id"]),
    ("duplicate ids", _bad_duplicate_id, [], ["bad.csv", "duplicate id", "'007'", "row 11"]),
    ("empty id", _bad_empty_id, [], ["bad.csv", "empty id", "row 4", "record_id"]),
    ("empty file", _bad_empty, [], ["bad.csv", "empty"]),
    ("blank file", _bad_blank, [], ["bad.csv", "empty"]),
    ("header only", _bad_header_only, [], ["bad.csv", "no records"]),
    ("binary file", _bad_binary, [], ["bad.csv", "binary"]),
    ("missing file", _bad_missing_file, [], ["bad.csv", "no such file"]),
    ("directory", _bad_directory, [], ["bad.csv", "directory"]),
    ("not a table", _bad_not_a_table, [], ["bad.csv", "not a table"]),
    ("unknown encoding", _bad_encoding, [], ["bad.csv", "UTF-8", "cp1252"]),
    ("duplicate columns", _bad_duplicate_columns, [], ["bad.csv", "duplicate column", "surname"]),
    ("unnamed column", _bad_trailing_delimiter, [], ["bad.csv", "row 1", "column 7 has no name"]),
    ("corrupt parquet", _bad_parquet, [], ["bad.parquet", "Parquet"]),
    ("--id-column absent", _good, ["--id-column", "nin"], ["good.csv", "no id column", "'nin'"]),
    ("--map unknown field", _good, ["--map", "city=shoe_size"], ["unknown field", "shoe_size"]),
    ("--map bad item", _good, ["--map", "city"], ["--map", "'city'", "column=field"]),
    ("--map unknown column", _good, ["--map", "town=city"], ["good.csv", "no column", "town"]),
    ("--ignore unknown column", _good, ["--ignore", "shoe"], ["good.csv", "no column", "shoe"]),
    (
        "nothing to compare",
        _good,
        ["--ignore", "first_name,surname,dob,phone,city"],
        ["no column to compare"],
    ),
    ("threshold out of range", _good, ["--threshold", "1.5"], ["threshold", "1.5"]),
    ("--model unknown", _good, ["--model", "nonsense"], ["--model", "nonsense", "unsupervised"]),
    ("bad right file of a link", _bad_right_of_link, [], ["bad.csv", "duplicate id", "'P2A'"]),
]


@pytest.mark.parametrize(
    ("make_files", "options", "words"),
    [pytest.param(make, options, words, id=case) for case, make, options, words in BAD_INPUTS],
)
def test_unusable_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path,
    out_dir: Path,
    capsys: pytest.CaptureFixture[str],
    make_files: Callable[[Path], list[str]],
    options: list[str],
    words: list[str],
) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    files = make_files(inputs)
    before = sorted(p.name for p in inputs.iterdir())
    command = "link" if len(files) == 2 else "dedupe"

    status = run(command, *files, *outputs(out_dir), *options, "--quiet")

    assert status == 2
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("linker: error: ")
    assert "Traceback" not in err
    for word in words:
        assert word in lines[0]
    assert list(out_dir.iterdir()) == []  # no --out, --scores, --stats, --rejects, temp file
    assert sorted(p.name for p in inputs.iterdir()) == before


def test_file_error_message_is_shown_without_quiet(
    tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write_rows(tmp_path / "bad.csv", [["007", "Albin", "Abadie", "", "", ""]] * 2)
    assert run("dedupe", bad, *outputs(out_dir)) == 2
    err = capsys.readouterr().err
    assert "linker: error:" in err and "duplicate id '007'" in err
    assert list(out_dir.iterdir()) == []


def test_trained_model_missing_exits_2_and_says_to_train(
    people: Path, out_dir: Path, linker_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = run("dedupe", people, *outputs(out_dir), "--model", "trained", "--quiet")
    assert status == 2
    err = capsys.readouterr().err
    assert "linker train" in err
    assert str(linker_home) in err
    assert "Traceback" not in err
    assert list(out_dir.iterdir()) == []


def test_internal_error_exits_1_without_traceback(
    people: Path,
    out_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "run", broken)
    assert run("dedupe", people, *outputs(out_dir), "--quiet") == 1
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError" in err and "boom" in err
    assert "--debug" in err
    assert "Traceback" not in err
    assert list(out_dir.iterdir()) == []

    assert run("dedupe", people, *outputs(out_dir), "--quiet", "--debug") == 1
    assert "Traceback" in capsys.readouterr().err


# --- dedupe ---------------------------------------------------------------------------------


def test_dedupe_clusters_every_record_and_finds_the_duplicates(
    people: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run("dedupe", people, *outputs(out_dir)) == 0
    clusters_path = out_dir / "clusters.csv"
    assert header_of(clusters_path) == ["record_id", "cluster_id"]
    clusters = clusters_by_id(clusters_path)
    ids = [row[0] for row in people_rows()]
    assert sorted(clusters) == sorted(ids)  # singletons included, each record once
    assert len(read_rows(clusters_path)) == len(ids)

    truth = expected_groups(ids)
    found = members(clusters)
    wanted = members(truth)
    assert found == wanted
    # A cluster is named after one of its records, the smallest id.
    for group in found:
        assert {clusters[i] for i in group} == {min(group)}

    err = capsys.readouterr().err
    assert "CSV, UTF-8, comma-separated" in err
    assert "23 clusters from 29 records" in err


def test_dedupe_scores_and_stats(people: Path, out_dir: Path) -> None:
    assert run("dedupe", people, *outputs(out_dir), "--quiet") == 0
    scores_path = out_dir / "scores.csv"
    assert header_of(scores_path) == ["left_id", "right_id", "match_probability"]
    scores = read_rows(scores_path)
    assert scores
    ids = {row[0] for row in people_rows()}
    for row in scores:
        assert row["left_id"] < row["right_id"]
        assert {row["left_id"], row["right_id"]} <= ids
        assert 0.0 <= float(row["match_probability"]) <= 1.0
    pairs = [(row["left_id"], row["right_id"]) for row in scores]
    assert len(pairs) == len(set(pairs))
    # Every true duplicate pair is a candidate and scores above the threshold.
    probability = {(r["left_id"], r["right_id"]): float(r["match_probability"]) for r in scores}
    for i in range(3):
        for a, b in [("A", "B"), ("A", "C"), ("B", "C")]:
            assert probability[(f"P{i}{a}", f"P{i}{b}")] >= DEFAULT_THRESHOLD

    stats = json.loads((out_dir / "stats.json").read_text())
    for key in ("candidates", "blocking", "model", "timings", "rejects", "columns", "threshold"):
        assert key in stats
    assert stats["candidates"] == len(scores)
    assert stats["rejects"] == 0
    assert stats["threshold"] == DEFAULT_THRESHOLD
    assert stats["model"]["kind"] == "unsupervised"
    blocking = stats["blocking"]
    assert isinstance(blocking["pairs_per_rule"], dict) and blocking["pairs_per_rule"]
    assert all(isinstance(n, int) for n in blocking["pairs_per_rule"].values())
    assert "capped_blocks" in blocking
    assert isinstance(stats["timings"], dict) and stats["timings"]
    assert list(stats["inputs"].values()) == [29]
    mapping = stats["columns"]["mapping"][str(people)]
    assert mapping == {
        "first_name": "given_name",
        "surname": "family_name",
        "dob": "dob",
        "phone": "phones",
        "city": "city",
    }
    assert read_rows(out_dir / "rejects.csv") == []
    assert header_of(out_dir / "rejects.csv") == ["file", "row", "column", "value", "reason"]


def test_dedupe_without_optional_outputs_writes_only_out(people: Path, out_dir: Path) -> None:
    assert run("dedupe", people, "--out", out_dir / "clusters.csv", "--quiet") == 0
    assert [p.name for p in out_dir.iterdir()] == ["clusters.csv"]


def test_out_in_a_missing_directory_is_an_error(
    people: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "new" / "deeper" / "clusters.csv"
    assert run("dedupe", people, "--out", target, "--quiet") == 2
    assert f"{tmp_path / 'new' / 'deeper'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()


def test_ids_are_kept_as_written(tmp_path: Path, out_dir: Path) -> None:
    rows = people_rows()
    new_ids = ["007", "0007", "7", "1e3", "00.50", " 042", "P-001", "id 9", "0x1F"]
    for row, new_id in zip(rows, new_ids, strict=False):
        row[0] = new_id
    path = write_rows(tmp_path / "ids.csv", rows)
    assert run("dedupe", path, *outputs(out_dir), "--quiet") == 0
    clusters = clusters_by_id(out_dir / "clusters.csv")
    # Surrounding spaces are trimmed like in any other cell; everything else is kept.
    kept = [i.strip() for i in new_ids]
    assert set(kept) <= set(clusters)
    assert len(clusters) == 29
    # 007, 0007 and 7 are the three variants of one person: one cluster, named "0007".
    assert {clusters["007"], clusters["0007"], clusters["7"]} == {"0007"}
    for row in read_rows(out_dir / "scores.csv"):
        assert row["left_id"] < row["right_id"]


def test_custom_id_column_keeps_output_headers(tmp_path: Path, out_dir: Path) -> None:
    path = write_rows(tmp_path / "people.csv", people_rows(), ["nir", *HEADER[1:]])
    assert run("dedupe", path, *outputs(out_dir), "--id-column", "nir", "--quiet") == 0
    assert header_of(out_dir / "clusters.csv") == ["record_id", "cluster_id"]
    assert header_of(out_dir / "scores.csv") == ["left_id", "right_id", "match_probability"]
    assert len(clusters_by_id(out_dir / "clusters.csv")) == 29


def test_dedupe_is_deterministic(people: Path, tmp_path: Path) -> None:
    contents = []
    for attempt in ("one", "two"):
        directory = tmp_path / attempt
        directory.mkdir()
        assert run("dedupe", people, *outputs(directory), "--quiet") == 0
        contents.append(
            [(directory / name).read_bytes() for name in ("clusters.csv", "scores.csv")]
        )
    assert contents[0] == contents[1]


def test_cluster_ids_do_not_depend_on_row_order(tmp_path: Path, out_dir: Path) -> None:
    forward = write_rows(tmp_path / "forward.csv", people_rows())
    backward = write_rows(tmp_path / "backward.csv", people_rows()[::-1])
    assert run("dedupe", forward, "--out", out_dir / "f.csv", "--quiet") == 0
    assert run("dedupe", backward, "--out", out_dir / "b.csv", "--quiet") == 0
    assert clusters_by_id(out_dir / "f.csv") == clusters_by_id(out_dir / "b.csv")


def test_help_shows_the_default_threshold(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("dedupe", "link"):
        with pytest.raises(SystemExit) as exit_info:
            cli.main([command, "--help"])
        assert exit_info.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        assert f"(default {DEFAULT_THRESHOLD})" in text
        assert "--threshold" in text


def test_threshold_option_changes_the_result(people: Path, out_dir: Path) -> None:
    assert run("dedupe", people, *outputs(out_dir), "--threshold", "0.999999999", "--quiet") == 0
    clusters = clusters_by_id(out_dir / "clusters.csv")
    assert len(clusters) == 29
    stats = json.loads((out_dir / "stats.json").read_text())
    assert stats["threshold"] == 0.999999999


# --- row-level problems ---------------------------------------------------------------------


def test_bad_dates_and_phones_are_rejected_and_the_rows_kept(
    tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = people_rows()
    by_id = {row[0]: row for row in rows}
    by_id["D03"][3] = "31/02/1956"  # impossible day
    by_id["D05"][3] = "sometime"  # not a date
    by_id["D07"][4] = "12"  # too short to be a phone
    by_id["D09"][4] = "ask reception"  # not a phone at all
    by_id["P1C"][4] = "0798"  # a duplicate with a broken phone still clusters
    by_id["P2B"][4] = "+33655443322|999"  # a list: the good phone is kept, the bad one listed
    path = write_rows(tmp_path / "messy.csv", rows)
    row_of = {row[0]: position + 2 for position, row in enumerate(rows)}  # header is row 1

    assert run("dedupe", path, *outputs(out_dir)) == 0
    assert "6 value(s) rejected" in capsys.readouterr().err

    rejects = read_rows(out_dir / "rejects.csv")
    found = {(r["file"], int(r["row"]), r["column"], r["value"]): r["reason"] for r in rejects}
    name = str(path)
    assert set(found) == {
        (name, row_of["D03"], "dob", "31/02/1956"),
        (name, row_of["D05"], "dob", "sometime"),
        (name, row_of["D07"], "phone", "12"),
        (name, row_of["D09"], "phone", "ask reception"),
        (name, row_of["P1C"], "phone", "0798"),
        (name, row_of["P2B"], "phone", "+33655443322|999"),
    }
    assert "no day 31 in month 2" in found[(name, row_of["D03"], "dob", "31/02/1956")]
    assert "unrecognised date" in found[(name, row_of["D05"], "dob", "sometime")]
    assert "not a possible phone number" in found[(name, row_of["D07"], "phone", "12")]
    assert "not a phone number" in found[(name, row_of["D09"], "phone", "ask reception")]
    assert "'999'" in found[(name, row_of["P2B"], "phone", "+33655443322|999")]

    clusters = clusters_by_id(out_dir / "clusters.csv")
    assert sorted(clusters) == sorted(row_of)
    assert members(clusters) == members(expected_groups(list(row_of)))

    stats = json.loads((out_dir / "stats.json").read_text())
    assert stats["rejects"] == 6
    assert stats["rejects_by_column"] == {"dob": 2, "phone": 4}


def test_rejects_are_counted_even_without_the_rejects_file(
    tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = people_rows()
    rows[12][3] = "99/99/1999"
    path = write_rows(tmp_path / "messy.csv", rows)
    stats_path = out_dir / "stats.json"
    assert run("dedupe", path, "--out", out_dir / "c.csv", "--stats", stats_path) == 0
    err = capsys.readouterr().err
    assert "1 value(s) rejected" in err and "(list them with --rejects)" in err
    assert json.loads(stats_path.read_text())["rejects"] == 1


def test_row_with_wrong_number_of_fields_is_rejected_and_the_rest_kept(
    tmp_path: Path, out_dir: Path
) -> None:
    lines = [",".join(HEADER)] + [",".join(row) for row in people_rows()]
    lines.insert(5, "X99,Zephirin,Ortolan,1990-01-02,06 00 00 00 01,Lyon,extra")  # row 6
    lines.insert(9, "X98,Yolande")  # row 10
    path = _write(tmp_path / "ragged.csv", ("\n".join(lines) + "\n").encode())

    assert run("dedupe", path, *outputs(out_dir), "--quiet") == 0
    rejects = read_rows(out_dir / "rejects.csv")
    assert [(r["row"], r["column"]) for r in rejects] == [("6", ""), ("10", "")]
    assert "expected 6 fields, found 7; row kept" in rejects[0]["reason"]
    assert "expected 6 fields, found 2; row kept" in rejects[1]["reason"]
    assert rejects[0]["value"].startswith("X99,Zephirin")
    assert all(r["file"] == str(path) for r in rejects)

    # Both rows are kept with their valid cells.
    clusters = clusters_by_id(out_dir / "clusters.csv")
    assert sorted(clusters) == sorted([row[0] for row in people_rows()] + ["X98", "X99"])
    assert json.loads((out_dir / "stats.json").read_text())["rejects"] == 2


# --- encodings and formats ------------------------------------------------------------------


def test_semicolon_cp1252_file_is_detected_and_accents_survive(
    tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rows = people_rows()
    rows[9][1:3] = ["Élodie", "Bérénger"]  # D00
    rows[10][3] = "né en 52"  # D01: an accented value that ends up in the rejects
    rows.append(["D20", "Elodie", "Berenger", rows[9][3], rows[9][4].replace(" ", ""), "Lyon"])
    path = write_rows(tmp_path / "agence.csv", rows, delimiter=";", encoding="cp1252")
    assert "Élodie".encode("cp1252") in path.read_bytes()

    assert run("dedupe", path, *outputs(out_dir)) == 0
    err = capsys.readouterr().err
    assert "CSV, cp1252, semicolon-separated, 30 rows" in err

    rejects = read_rows(out_dir / "rejects.csv")
    assert [(r["column"], r["value"]) for r in rejects] == [("dob", "né en 52")]
    clusters = clusters_by_id(out_dir / "clusters.csv")
    assert len(clusters) == 30
    # The accented and unaccented spellings of one person end up together.
    assert clusters["D20"] == clusters["D00"] == "D00"


def test_semicolon_utf8_with_bom(
    tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bom.csv"
    write_rows(path, people_rows(), delimiter=";", encoding="utf-8-sig")
    assert run("dedupe", path, *outputs(out_dir)) == 0
    assert "CSV, UTF-8, semicolon-separated, 29 rows" in capsys.readouterr().err
    assert len(clusters_by_id(out_dir / "clusters.csv")) == 29


def test_parquet_input(tmp_path: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.DataFrame(people_rows(), columns=HEADER)
    frame.loc[0, "record_id"] = "007"
    # Phones as a list column; one malformed date to see Parquet row numbers in the rejects.
    phones = [[phone] for phone in frame["phone"]]
    phones[1].append("06 11 22 33 44")
    frame["phone"] = phones
    frame.loc[12, "dob"] = "32/13/1960"
    path = tmp_path / "people.parquet"
    frame.to_parquet(path, index=False)

    assert run("dedupe", path, *outputs(out_dir)) == 0
    assert "Parquet, 29 rows" in capsys.readouterr().err
    clusters = clusters_by_id(out_dir / "clusters.csv")
    ids = ["007", *(row[0] for row in people_rows()[1:])]
    assert sorted(clusters) == sorted(ids)
    assert clusters["007"] == clusters["P0B"] == clusters["P0C"] == "007"
    truth = expected_groups(ids)
    truth["007"] = "P0"
    assert members(clusters) == members(truth)
    rejects = read_rows(out_dir / "rejects.csv")
    assert [(r["row"], r["column"], r["value"]) for r in rejects] == [("13", "dob", "32/13/1960")]


# --- column mapping -------------------------------------------------------------------------


def test_map_and_ignore_take_effect(tmp_path: Path, out_dir: Path) -> None:
    header = ["record_id", "first_name", "surname", "dob", "tel_perso", "city"]
    path = write_rows(tmp_path / "people.csv", people_rows(), header)

    assert run("dedupe", path, *outputs(out_dir), "--quiet") == 0
    columns = json.loads((out_dir / "stats.json").read_text())["columns"]
    # A header that names no field: the column is mapped by its values (phone numbers).
    assert columns["mapping"][str(path)]["tel_perso"] == "phones"
    assert columns["reasons"][str(path)]["tel_perso"] == "values: 100% phones"
    assert columns["mapping"][str(path)]["city"] == "city"

    options = ["--map", "tel_perso=phones,surname=father_name", "--ignore", "city", "--quiet"]
    assert run("dedupe", path, *outputs(out_dir), *options) == 0
    stats = json.loads((out_dir / "stats.json").read_text())
    mapping = stats["columns"]["mapping"][str(path)]
    assert mapping == {
        "first_name": "given_name",
        "surname": "father_name",
        "dob": "dob",
        "tel_perso": "phones",
    }
    assert stats["columns"]["generic"] == {}
    assert "city" not in json.dumps(stats["columns"])
    assert not any("city" in name for name in stats["comparisons"])
    assert not any("city" in rule for rule in stats["blocking"]["pairs_per_rule"])
    assert len(clusters_by_id(out_dir / "clusters.csv")) == 29


def test_map_to_ignore_drops_a_column(people: Path, out_dir: Path) -> None:
    assert run("dedupe", people, *outputs(out_dir), "--map", "phone=ignore", "--quiet") == 0
    columns = json.loads((out_dir / "stats.json").read_text())["columns"]
    assert "phone" not in columns["mapping"][str(people)]
    assert "phone" not in columns["generic"]


# --- link -----------------------------------------------------------------------------------


@pytest.fixture
def left_right(tmp_path: Path) -> tuple[Path, Path]:
    """LEFT: variant A of the three duplicated people + D00..D13 (ids L-...).
    RIGHT: variants B and C of them + D00..D05 written differently + D14..D19 (ids R-...).
    """
    left = [[f"L-P{i}", *variant(p, "A")] for i, p in enumerate(DUPLICATED)]
    left += [[f"L-D{k:02d}", *distinct(k)] for k in range(14)]
    right = [[f"R-P{i}{f}", *variant(p, f)] for i, p in enumerate(DUPLICATED) for f in "BC"]
    for k in range(6):
        first, last, dob, phone, city = distinct(k)
        year, month, day = dob.split("-")
        right.append(
            [
                f"R-D{k:02d}",
                first.upper(),
                last,
                f"{day}/{month}/{year}",
                phone.replace(" ", ""),
                city,
            ]
        )
    right += [[f"R-D{k:02d}", *distinct(k)] for k in range(14, 20)]
    return (
        write_rows(tmp_path / "left.csv", left),
        write_rows(tmp_path / "right.csv", right[::-1]),
    )


def expected_link_pairs() -> set[tuple[str, str]]:
    pairs = {(f"L-P{i}", f"R-P{i}{f}") for i in range(3) for f in "BC"}
    return pairs | {(f"L-D{k:02d}", f"R-D{k:02d}") for k in range(6)}


def test_link_pairs_come_from_the_right_files(left_right: tuple[Path, Path], out_dir: Path) -> None:
    left, right = left_right
    assert run("link", left, right, *outputs(out_dir), "--quiet") == 0
    pairs_path = out_dir / "clusters.csv"
    assert header_of(pairs_path) == ["left_id", "right_id", "match_probability"]
    rows = read_rows(pairs_path)
    assert {(r["left_id"], r["right_id"]) for r in rows} == expected_link_pairs()
    assert len(rows) == len(expected_link_pairs())
    for row in rows:
        assert float(row["match_probability"]) >= DEFAULT_THRESHOLD
    # The scores are every candidate, all across the two files, left id from LEFT.
    scores = read_rows(out_dir / "scores.csv")
    assert header_of(out_dir / "scores.csv") == ["left_id", "right_id", "match_probability"]
    assert scores and len(scores) >= len(rows)
    assert all(r["left_id"].startswith("L-") and r["right_id"].startswith("R-") for r in scores)
    stats = json.loads((out_dir / "stats.json").read_text())
    assert stats["candidates"] == len(scores)
    assert stats["inputs"] == {str(left): 17, str(right): 18}


def test_link_swapping_the_files_swaps_the_columns(
    left_right: tuple[Path, Path], out_dir: Path
) -> None:
    left, right = left_right
    assert run("link", right, left, "--out", out_dir / "pairs.csv", "--quiet") == 0
    rows = read_rows(out_dir / "pairs.csv")
    assert {(r["right_id"], r["left_id"]) for r in rows} == expected_link_pairs()


def test_link_with_same_ids_in_both_files(tmp_path: Path, out_dir: Path) -> None:
    rows = people_rows()
    left = write_rows(tmp_path / "left.csv", [rows[0], *rows[9:19]])
    # Ids are per file: P0A on the right is the record written as P0B in the fixture.
    right = write_rows(tmp_path / "right.csv", [["P0A", *rows[1][1:]], *rows[19:]])
    assert run("link", left, right, "--out", out_dir / "pairs.csv", "--quiet") == 0
    assert [(r["left_id"], r["right_id"]) for r in read_rows(out_dir / "pairs.csv")] == [
        ("P0A", "P0A")
    ]


def test_one_to_one_keeps_at_most_one_partner(left_right: tuple[Path, Path], out_dir: Path) -> None:
    left, right = left_right
    assert run("link", left, right, "--out", out_dir / "all.csv", "--quiet") == 0
    everything = read_rows(out_dir / "all.csv")
    assert len({r["left_id"] for r in everything}) < len(everything)  # some have two partners

    assert run("link", left, right, "--out", out_dir / "one.csv", "--one-to-one", "--quiet") == 0
    rows = read_rows(out_dir / "one.csv")
    lefts = [r["left_id"] for r in rows]
    rights = [r["right_id"] for r in rows]
    assert len(set(lefts)) == len(lefts)
    assert len(set(rights)) == len(rights)
    assert set(lefts) == {r["left_id"] for r in everything}  # nobody loses every partner
    assert {(a, b) for a, b in zip(lefts, rights, strict=True)} <= expected_link_pairs()


def test_link_is_deterministic(left_right: tuple[Path, Path], tmp_path: Path) -> None:
    left, right = left_right
    contents = []
    for attempt in ("one", "two"):
        directory = tmp_path / attempt
        directory.mkdir()
        assert run("link", left, right, *outputs(directory), "--one-to-one", "--quiet") == 0
        contents.append([(directory / n).read_bytes() for n in ("clusters.csv", "scores.csv")])
    assert contents[0] == contents[1]


def test_link_with_different_formats(tmp_path: Path, out_dir: Path) -> None:
    """A semicolon cp1252 CSV linked to a Parquet file."""
    rows = people_rows()
    left = write_rows(tmp_path / "left.csv", rows[:15], delimiter=";", encoding="cp1252")
    right = tmp_path / "right.parquet"
    pd.DataFrame([rows[1], rows[5], *rows[15:]], columns=HEADER).to_parquet(right, index=False)
    assert run("link", left, right, "--out", out_dir / "pairs.csv", "--quiet") == 0
    pairs = {(r["left_id"], r["right_id"]) for r in read_rows(out_dir / "pairs.csv")}
    # P0B is on both sides under the same id; P1C on the right matches P1A and P1B on the left.
    assert pairs == {
        ("P0A", "P0B"),
        ("P0B", "P0B"),
        ("P0C", "P0B"),
        ("P1A", "P1C"),
        ("P1B", "P1C"),
        ("P1C", "P1C"),
    }


def test_link_a_file_with_itself(people: Path, out_dir: Path) -> None:
    """Both sides are told apart although they have the same name: each record finds itself."""
    assert run("link", people, people, "--out", out_dir / "pairs.csv", "--quiet") == 0
    pairs = {(r["left_id"], r["right_id"]) for r in read_rows(out_dir / "pairs.csv")}
    ids = [row[0] for row in people_rows()]
    assert {(i, i) for i in ids} <= pairs
    truth = expected_groups(ids)
    assert all(truth[a] == truth[b] for a, b in pairs)
    assert len(pairs) == 29 + 3 * 6


def test_unwritable_output_exits_2_and_leaves_no_output(
    people: Path, out_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = out_dir / "not_a_dir"
    blocker.write_text("a file where a folder should be")
    code = run(
        "dedupe",
        people,
        "--out",
        out_dir / "clusters.csv",
        "--stats",
        out_dir / "stats.json",
        "--scores",
        blocker / "scores.csv",
        "--quiet",
    )
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot write --scores" in err and f"{blocker} is a file, not a directory" in err
    assert sorted(p.name for p in out_dir.iterdir()) == ["not_a_dir"]


def test_map_may_name_a_column_of_one_input_only(tmp_path: Path, out_dir: Path) -> None:
    rows = people_rows()
    left = write_rows(tmp_path / "left.csv", rows)
    header = ["given" if c == "first_name" else c for c in HEADER]
    right = write_rows(tmp_path / "right.csv", rows, header)
    code = run(
        "link",
        left,
        right,
        "--out",
        out_dir / "pairs.csv",
        "--map",
        "given=given_name",
        "--stats",
        out_dir / "stats.json",
        "--quiet",
    )
    assert code == 0
    stats = json.loads((out_dir / "stats.json").read_text())
    assert stats["columns"]["mapping"][str(right)]["given"] == "given_name"


def test_a_closed_pipe_ends_quietly() -> None:
    """``linker generate --sample-pairs 20 | head -1``: no traceback, no internal error."""
    linker = Path(sys.executable).parent / "linker"
    pipeline = subprocess.run(
        f"{linker} generate --sample-pairs 20 --seed 7 | head -1",
        shell=True,
        capture_output=True,
        text=True,
        check=True,
    )
    assert pipeline.stdout.startswith("p")
    assert pipeline.stderr == ""
