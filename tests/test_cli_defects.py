"""Defects a newcomer hit in the ``linker`` command on files we did not write (issue "Matching
that holds on files we did not write", items 5 and 6), each driven through ``cli.main`` with
small hand-written files (made-up names)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from linker import cli
from linker.io import CELL_LIMIT
from linker.progress import Heartbeat, show_progress

HEADER = "record_id,first_name,surname,dob,city"
ROWS = [
    "P1,Mathurin,Kerbrat,1971-03-14,Quimper",
    "P2,MATHURIN,Kerbrat,14/03/1971,Quimper",
    "P3,Gwladys,Vasseur,1985-11-02,Amiens",
    "P4,Gwladis,vasseur,1985-11-02,Amiens",
    "P5,Anselme,Pelletier,1962-07-23,Limoges",
    "P6,Albin,Abadie,1990-01-02,Lyon",
    "P7,Bertille,Brissac,1979-05-06,Nantes",
    "P8,Casimir,Courtade,1968-09-10,Lille",
]


def write(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def people(tmp_path: Path, name: str = "people.csv") -> Path:
    return write(tmp_path / name, [HEADER, *ROWS])


def dedupe(*args: object) -> int:
    return cli.main(["dedupe", *map(str, args), "--model", "unsupervised", "--quiet"])


def rows_of(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# --- 1. output paths checked before anything is written ----------------------------------


def test_out_equal_to_the_input_is_refused_and_the_input_kept(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = people(tmp_path)
    before = path.read_bytes()
    assert dedupe(path, "--out", path) == 2
    err = capsys.readouterr().err
    assert "--out" in err and err.count(str(path)) >= 2 and "overwrite the input" in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("other", ["--scores", "--stats", "--rejects"])
def test_out_equal_to_another_output_is_refused(
    tmp_path: Path, other: str, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    assert dedupe(people(tmp_path), "--out", out, other, out) == 2
    err = capsys.readouterr().err
    assert "--out" in err and other in err and "same file" in err
    assert not out.exists()


def test_scores_ending_in_a_slash_fails_before_out_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out.csv"
    with pytest.raises(SystemExit) as exit_:
        dedupe(people(tmp_path), "--out", out, "--scores", f"{tmp_path}/scores/")
    assert exit_.value.code == 2
    assert "not a directory" in capsys.readouterr().err
    assert not out.exists()


def test_scores_naming_a_directory_fails_before_out_is_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, scores = tmp_path / "out.csv", tmp_path / "scores"
    scores.mkdir()
    assert dedupe(people(tmp_path), "--out", out, "--scores", scores) == 2
    err = capsys.readouterr().err
    assert "--scores" in err and "is a directory" in err
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["people.csv", "scores"]


def test_missing_output_directory_is_named_not_created(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "no" / "such" / "c.csv"
    assert dedupe(people(tmp_path), "--out", out) == 2
    assert f"{tmp_path / 'no' / 'such'} does not exist" in capsys.readouterr().err
    assert not (tmp_path / "no").exists()


# --- 2. evaluate reads what dedupe reads -----------------------------------------------------


def test_evaluate_reads_cp1252_semicolon_truth_and_tab_clusters(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = write(
        tmp_path / "truth.csv",
        ["record_id;entity_id;note", "A1;E1;Hélène", "A2;E1;Gaëlle", "A3;E2;Noël"],
        encoding="cp1252",
    )
    clusters = write(tmp_path / "c.tsv", ["record_id\tcluster_id", "A1\tc1", "A2\tc1", "A3\tc2"])
    assert cli.main(["evaluate", "--truth", str(truth), "--clusters", str(clusters)]) == 0
    # One true pair (A1, A2), found; nothing else claimed.
    assert "cluster: precision 1.0000 recall 1.0000 f1 1.0000" in capsys.readouterr().out


@pytest.mark.parametrize("which", ["truth", "clusters"])
@pytest.mark.parametrize("content", [None, b"", b"  \n"], ids=["missing", "empty", "blank"])
def test_evaluate_names_a_missing_or_empty_file(
    tmp_path: Path, which: str, content: bytes | None, capsys: pytest.CaptureFixture[str]
) -> None:
    files = {
        "truth": write(tmp_path / "truth.csv", ["record_id,entity_id", "A1,E1", "A2,E1"]),
        "clusters": write(tmp_path / "c.csv", ["record_id,cluster_id", "A1,c1", "A2,c1"]),
    }
    broken = tmp_path / f"broken_{which}.csv"
    if content is not None:
        broken.write_bytes(content)
    files[which] = broken
    argv = ["evaluate", "--truth", str(files["truth"]), "--clusters", str(files["clusters"])]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert str(broken) in err
    assert ("no such file" if content is None else "file is empty") in err


def test_evaluate_warns_about_predicted_ids_missing_from_the_truth(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    truth = write(tmp_path / "truth.csv", ["record_id,entity_id", "A1,E1", "A2,E1"])
    pairs = write(tmp_path / "p.csv", ["left_id,right_id", "A1,A2", "B7,B8", "B9,A1"])
    assert cli.main(["evaluate", "--truth", str(truth), "--pairs", str(pairs)]) == 0
    err = capsys.readouterr().err
    assert "3 of 5 record id(s) are not in the truth" in err
    assert "'B7', 'B8', 'B9'" in err


# --- 3. phone region ------------------------------------------------------------------------


def test_unknown_phone_region_is_refused_with_a_hint(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "c.csv"
    with pytest.raises(SystemExit) as exit_:
        dedupe(people(tmp_path), "--out", out, "--region", "ZZ")
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert "unknown phone region 'ZZ'" in err and "ZA" in err and "ZW" in err
    assert not out.exists()


def test_known_phone_region_in_lower_case_is_accepted(tmp_path: Path) -> None:
    assert dedupe(people(tmp_path), "--out", tmp_path / "c.csv", "--region", "ma") == 0


# --- 4 and 5. one bad row does not cost the file ----------------------------------------------


def test_an_oversized_cell_rejects_its_row_only(tmp_path: Path) -> None:
    huge = "x" * (CELL_LIMIT + 10)  # over the csv module's default field limit
    lines = [HEADER, *ROWS[:3], f"P9,Zephirin,Ortolan,1990-01-02,{huge}", *ROWS[3:]]
    path = write(tmp_path / "big.csv", lines)
    out, rejects = tmp_path / "c.csv", tmp_path / "rejects.csv"
    assert dedupe(path, "--out", out, "--rejects", rejects) == 0
    assert sorted(r["record_id"] for r in rows_of(out)) == [f"P{i}" for i in range(1, 9)]
    (reject,) = rows_of(rejects)
    assert reject["row"] == "5" and reject["column"] == "city"
    assert f"cell of {CELL_LIMIT + 10} characters" in reject["reason"]
    assert "row skipped" in reject["reason"]


def test_ragged_rows_are_kept_with_their_valid_cells_and_counted(tmp_path: Path) -> None:
    lines = [HEADER, *ROWS]
    lines.insert(3, "P9,Zephirin,Ortolan,1990-01-02,Lyon,extra,more")  # row 4: two extra
    lines.insert(6, "P10,Yolande")  # row 7: three cells missing
    path = write(tmp_path / "ragged.csv", lines)
    out, rejects, stats = tmp_path / "c.csv", tmp_path / "r.csv", tmp_path / "s.json"
    assert dedupe(path, "--out", out, "--rejects", rejects, "--stats", stats) == 0
    ids = {r["record_id"] for r in rows_of(out)}
    assert ids == {f"P{i}" for i in range(1, 11)}
    notes = rows_of(rejects)
    assert [(r["row"], r["column"]) for r in notes] == [("4", ""), ("7", "")]
    assert "found 7; row kept, 2 extra cell(s) dropped" in notes[0]["reason"]
    assert "found 2; row kept, missing cells empty" in notes[1]["reason"]
    assert json.loads(stats.read_text())["rejects"] == 2


# --- 6. link with an id column per file -------------------------------------------------------


def test_link_reads_a_different_id_column_in_each_file(tmp_path: Path) -> None:
    left = write(
        tmp_path / "left.csv",
        ["client_no,first_name,surname,dob,city", *(r.replace("P", "L", 1) for r in ROWS)],
    )
    right = write(
        tmp_path / "right.csv",
        ["city,dob,surname,first_name,ref"]
        + [",".join(reversed(r.replace("P", "R", 1).split(","))) for r in ROWS[::2]],
    )
    out = tmp_path / "pairs.csv"
    argv = ["link", str(left), str(right), "--out", str(out), "--model", "unsupervised"]
    argv += ["--left-id-column", "client_no", "--right-id-column", "ref", "--quiet"]
    assert cli.main(argv) == 0
    found = {(r["left_id"], r["right_id"]) for r in rows_of(out)}
    # The right file holds P1, P3, P5, P7 exactly as the left writes them.
    assert {("L1", "R1"), ("L3", "R3"), ("L5", "R5"), ("L7", "R7")} <= found
    assert all(lid[0] == "L" and rid[0] == "R" for lid, rid in found)


def test_link_id_column_missing_from_one_file_names_that_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    left = people(tmp_path, "left.csv")
    right = people(tmp_path, "right.csv")
    argv = ["link", str(left), str(right), "--out", str(tmp_path / "p.csv")]
    assert cli.main([*argv, "--right-id-column", "ref"]) == 2
    err = capsys.readouterr().err
    assert f"file {right}" in err and "'ref'" in err


# --- 7. progress ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("quiet", "is_tty", "shown"),
    [(False, True, True), (True, True, False), (False, False, False), (True, False, False)],
)
def test_progress_shows_on_a_terminal_unless_quiet(quiet: bool, is_tty: bool, shown: bool) -> None:
    assert show_progress(quiet, is_tty) is shown


def test_progress_line_waits_for_a_couple_of_seconds_then_shows_stage_and_clock() -> None:
    now = [100.0]
    beat = Heartbeat(io.StringIO(), min_seconds=2.0, clock=lambda: now[0])
    assert beat.line(101.9) is None  # a quick run: no line at all
    assert beat.line(116.0) == "linker: starting, 16 s"  # one long step still shows the clock
    items = beat.progress(["a", "b", "c"], "compare", 3)
    next(iter(items))
    next(iter(items))
    assert beat.line(116.0) == "linker: compare 1/3, 16 s"


def test_progress_line_is_erased_when_the_run_ends() -> None:
    stream = io.StringIO()
    now = [0.0]
    with Heartbeat(stream, min_seconds=1.0, refresh_seconds=3600, clock=lambda: now[0]) as beat:
        now[0] = 5.0
        beat._draw()  # the background thread's redraw, done here to keep the test untimed
        beat.message("linker: model: unsupervised")
        beat._draw()
    text = stream.getvalue()
    assert "\rlinker: starting, 5 s" in text
    assert "linker: model: unsupervised\n" in text
    assert text.endswith("\r")  # the last line drawn is blanked out


# --- 8. compare-pairs for companies and accounts ----------------------------------------------


def scored_pairs(tmp_path: Path, entity: str, lines: list[str]) -> list[float]:
    pairs, out = write(tmp_path / f"{entity}.csv", lines), tmp_path / f"{entity}_scored.csv"
    argv = ["compare-pairs", str(pairs), "--entity", entity, "--out", str(out), "--quiet"]
    assert cli.main(argv) == 0
    return [float(r["match_probability"]) for r in rows_of(out)]


@pytest.fixture
def no_trained_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKER_HOME", str(tmp_path / "home"))


@pytest.mark.usefixtures("no_trained_models")
def test_compare_pairs_scores_company_names_with_legal_forms(tmp_path: Path) -> None:
    same, other = scored_pairs(
        tmp_path,
        "company",
        ["left_name,right_name", "AKZO NOBEL N.V.,Akzo Nobel NV", "DSM N V,AKZO NOBEL"],
    )
    assert same > 0.9
    assert other < 0.1


@pytest.mark.usefixtures("no_trained_models")
def test_compare_pairs_scores_accounts_by_iban_and_holder(tmp_path: Path) -> None:
    same, other = scored_pairs(
        tmp_path,
        "account",
        [
            "left_iban,right_iban,left_holder_name,right_holder_name",
            "FR76 3000 6000 0112 3456 7890 189,FR7630006000011234567890189,Jean Dupont,DUPONT Jean",
            "FR76 3000 6000 0112 3456 7890 189,DE89370400440532013000,Jean Dupont,Hans Muller",
        ],
    )
    assert same > 0.9
    assert other < 0.1


@pytest.mark.usefixtures("no_trained_models")
def test_compare_pairs_for_people_still_needs_a_trained_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = write(tmp_path / "p.csv", ["left_full_name,right_full_name", "Ana Lima,Anna Lima"])
    argv = ["compare-pairs", str(pairs), "--out", str(tmp_path / "s.csv")]
    assert cli.main(argv) == 2
    assert "trained model" in capsys.readouterr().err


# --- files with no column that can block ---------------------------------------------------


@pytest.mark.parametrize(
    ("entity", "lines"),
    [
        ("company", ["record_id,legal_form", "C1,SA", "C2,SA", "C3,B.V."]),
        ("account", ["record_id,bic", "A1,BNPAFRPP", "A2,BNPAFRPP"]),
    ],
)
def test_a_file_whose_columns_make_no_blocking_key_gives_one_cluster_per_record(
    tmp_path: Path, entity: str, lines: list[str]
) -> None:
    # A legal form or a bank code alone says nothing about which entity a record is: no rule
    # can be chosen, no pair is compared, and the run still ends with its output.
    path = write(tmp_path / "in.csv", lines)
    out = tmp_path / "out.csv"
    assert dedupe(path, "--entity", entity, "--out", out) == 0
    clusters = rows_of(out)
    assert len(clusters) == len(lines) - 1
    assert all(row["cluster_id"] == row["record_id"] for row in clusters)


def test_a_phone_kept_as_its_digits_is_said_and_listed_with_the_rejects(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # 555-0142 fits no French numbering plan: kept as a digits key, with a note the user sees.
    lines = [f"{HEADER},phone", *(f"{row},06 12 34 56 7{n}" for n, row in enumerate(ROWS))]
    lines[1] = f"{ROWS[0]},555-0142"
    path = write(tmp_path / "people.csv", lines)
    rejects = tmp_path / "rejects.csv"
    argv = ["dedupe", str(path), "--out", str(tmp_path / "o.csv"), "--rejects", str(rejects)]
    assert cli.main([*argv, "--model", "unsupervised"]) == 0
    assert "1 value(s) kept with a note (phone: 1)" in capsys.readouterr().err
    (noted,) = [r for r in rows_of(rejects) if r["reason"].startswith("kept: ")]
    assert (noted["row"], noted["column"], noted["value"]) == ("2", "phone", "555-0142")
