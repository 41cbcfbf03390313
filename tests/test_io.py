"""Tests of linker.io: reading CSV and Parquet tables, and writing outputs atomically."""

from __future__ import annotations

import datetime
import os
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from linker.errors import InputError
from linker.io import REJECT_COLUMNS, atomic_path, read_table, write_csv, write_outputs


def write(path: Path, content: str | bytes, encoding: str = "utf-8") -> Path:
    path.write_bytes(content.encode(encoding) if isinstance(content, str) else content)
    return path


PEOPLE = (
    "record_id,first_name,surname,dob\n"
    "007,Albin,Abadie,1950-01-01\n"
    "0100, Bertille ,Brissac,\n"
    "1e3,Casimir,,1954-03-07\n"
)


# --- CSV ------------------------------------------------------------------------------------


def test_csv_values_are_strings_and_ids_are_kept(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "p.csv", PEOPLE), "record_id")
    assert table.format == "csv"
    assert table.encoding == "UTF-8"
    assert table.delimiter == ","
    assert table.name == str(tmp_path / "p.csv")
    assert list(table.frame.columns) == ["record_id", "first_name", "surname", "dob"]
    assert table.frame["record_id"].tolist() == ["007", "0100", "1e3"]
    assert table.frame["first_name"].tolist() == ["Albin", "Bertille", "Casimir"]  # stripped
    assert table.frame["surname"].tolist() == ["Abadie", "Brissac", None]  # empty is missing
    assert table.frame["dob"].tolist() == ["1950-01-01", None, "1954-03-07"]
    assert all(table.frame[c].dtype == object for c in table.frame)
    assert table.rows.tolist() == [2, 3, 4]  # header is row 1
    assert table.rejects.empty
    assert list(table.rejects.columns) == REJECT_COLUMNS
    assert table.describe().endswith("CSV, UTF-8, comma-separated, 3 rows")


def test_semicolon_cp1252(tmp_path: Path) -> None:
    text = "record_id;prénom;nom\r\nA1;Élodie;Bérénger\r\nA2;Zoë;O'Hara, Jr\r\n"
    table = read_table(write(tmp_path / "p.csv", text, "cp1252"), "record_id")
    assert table.encoding == "cp1252"
    assert table.delimiter == ";"
    assert list(table.frame.columns) == ["record_id", "prénom", "nom"]
    assert table.frame["prénom"].tolist() == ["Élodie", "Zoë"]
    assert table.frame["nom"].tolist() == ["Bérénger", "O'Hara, Jr"]  # no \r, comma kept
    assert "cp1252, semicolon-separated, 2 rows" in table.describe()


def test_utf8_with_bom_and_accents(tmp_path: Path) -> None:
    text = "record_id,prénom\nA1,Élodie\nA2,Łucja\n"
    table = read_table(write(tmp_path / "p.csv", text, "utf-8-sig"), "record_id")
    assert table.encoding == "UTF-8"
    assert list(table.frame.columns) == ["record_id", "prénom"]  # no BOM in the first name
    assert table.frame["prénom"].tolist() == ["Élodie", "Łucja"]


def test_quoted_fields_and_blank_lines(tmp_path: Path) -> None:
    text = (
        "record_id,name,address\n"
        "\n"
        'A1,"Abadie, Albin","12 rue des Lilas\nBat. C"\n'
        "   \n"
        'A2,"Brissac ""Titi"" Bertille",\n'
        ",,\n"
    )
    table = read_table(write(tmp_path / "p.csv", text), "record_id")
    assert table.frame["record_id"].tolist() == ["A1", "A2"]
    assert table.frame["name"].tolist() == ["Abadie, Albin", 'Brissac "Titi" Bertille']
    assert table.frame["address"].tolist() == ["12 rue des Lilas\nBat. C", None]
    # A record spanning two lines is numbered by the line where it ends.
    assert table.rows.tolist() == [4, 6]
    assert table.rejects.empty


def test_rows_with_the_wrong_number_of_fields_are_kept_and_noted(tmp_path: Path) -> None:
    text = (
        "record_id,first_name,surname\n"
        "A1,Albin,Abadie\n"
        "A2,Bertille,Brissac,extra\n"
        "A3,Casimir\n"
        "A4,Delphine,Dufourcq\n"
    )
    table = read_table(write(tmp_path / "p.csv", text), "record_id")
    assert table.frame["record_id"].tolist() == ["A1", "A2", "A3", "A4"]
    assert table.frame["surname"].tolist() == ["Abadie", "Brissac", None, "Dufourcq"]
    assert table.rows.tolist() == [2, 3, 4, 5]
    rejects = table.rejects
    assert list(rejects.columns) == REJECT_COLUMNS
    assert rejects["row"].tolist() == [3, 4]
    assert rejects["column"].tolist() == ["", ""]
    assert rejects["file"].tolist() == [str(tmp_path / "p.csv")] * 2
    assert rejects["value"].tolist() == ["A2,Bertille,Brissac,extra", "A3,Casimir"]
    assert rejects["reason"].tolist() == [
        "expected 3 fields, found 4; row kept, 1 extra cell(s) dropped",
        "expected 3 fields, found 2; row kept, missing cells empty",
    ]


def test_semicolon_rejects_keep_the_delimiter(tmp_path: Path) -> None:
    text = "record_id;first_name\nA1;Albin\nA2;Bertille;x\n"
    table = read_table(write(tmp_path / "p.csv", text), "record_id")
    assert table.rejects["value"].tolist() == ["A2;Bertille;x"]


def test_parquet_magic_wins_over_the_suffix(tmp_path: Path) -> None:
    path = tmp_path / "export.dat"
    pd.DataFrame({"record_id": ["007"], "first_name": ["Albin"]}).to_parquet(path)
    table = read_table(path, "record_id")
    assert table.format == "parquet"
    assert table.frame["record_id"].tolist() == ["007"]


def test_another_id_column(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "p.csv", "nir,first_name\n001,Albin\n"), "nir")
    assert table.frame["nir"].tolist() == ["001"]


# --- Parquet --------------------------------------------------------------------------------


def test_parquet_columns_become_text(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    table = pa.table(
        {
            "record_id": pa.array(["007", "008", "009"]),
            "phone": pa.array([612345678, None, 698765432], pa.int64()),
            "dob": pa.array([datetime.date(1990, 1, 2), None, datetime.date(1980, 5, 6)]),
            "seen": pa.array(
                [datetime.datetime(1990, 1, 2), None, datetime.datetime(1990, 1, 2, 3, 4)]
            ),
            "phones": pa.array([["0612345678", "0798765432"], None, []]),
            "score": pa.array([1.5, None, 2.0]),
            "flag": pa.array([True, None, False]),
            "name": pa.array(["Élodie", None, ""]),
        }
    )
    pq.write_table(table, path)

    read = read_table(path, "record_id")
    assert read.format == "parquet"
    assert read.encoding is None and read.delimiter is None
    assert read.describe().endswith("Parquet, 3 rows")
    assert read.rows.tolist() == [1, 2, 3]  # no header row in Parquet
    assert read.rejects.empty
    frame = read.frame
    assert all(frame[c].dtype == object for c in frame)
    assert frame.to_dict("records") == [
        {
            "record_id": "007",
            "phone": "612345678",
            "dob": "1990-01-02",
            "seen": "1990-01-02",
            "phones": "0612345678|0798765432",
            "score": "1.5",
            "flag": "True",
            "name": "Élodie",
        },
        {
            "record_id": "008",
            "phone": None,  # not "nan" nor "<NA>"
            "dob": None,
            "seen": None,  # not "NaT"
            "phones": None,
            "score": None,
            "flag": None,
            "name": None,
        },
        {
            "record_id": "009",
            "phone": "698765432",  # not 698765432.0 although the column has a null
            "dob": "1980-05-06",
            "seen": "1990-01-02T03:04:00",
            "phones": None,  # an empty list is missing
            "score": "2.0",
            "flag": "False",
            "name": "",
        },
    ]


def test_parquet_integer_ids(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"record_id": [7, 8], "first_name": ["Albin", "Bertille"]}).to_parquet(path)
    assert read_table(path, "record_id").frame["record_id"].tolist() == ["7", "8"]


def test_parquet_duplicate_ids_name_the_rows(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"record_id": ["a", "b", "a"], "first_name": ["x", "y", "z"]}).to_parquet(path)
    with pytest.raises(InputError) as info:
        read_table(path, "record_id")
    assert info.value.row == 3
    assert "rows [1, 3]" in str(info.value)


def test_parquet_without_id_column_has_no_row(tmp_path: Path) -> None:
    path = tmp_path / "p.parquet"
    pd.DataFrame({"id": ["a"], "first_name": ["x"]}).to_parquet(path)
    with pytest.raises(InputError) as info:
        read_table(path, "record_id")
    assert info.value.row is None
    assert info.value.column == "record_id"


# --- file-level problems --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "words", "row", "column"),
    [
        ("empty.csv", b"", "file is empty", None, None),
        ("blank.csv", b" \r\n\t\n", "file is empty", None, None),
        ("binary.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", None, None),
        ("latin.csv", b"record_id,name\nA1,\x81\x8d\xc3\n", "neither UTF-8 nor cp1252", None, None),
        ("prose.csv", b"Dear colleague\nhere is the list\n", "not a table", None, None),
        ("one.csv", b"record_id\nA1\n", "not a table", None, None),
        ("trailing.csv", b"record_id,name,\nA1,x,\n", "header column 3 has no name", 1, None),
        ("gap.csv", b"record_id,,name\nA1,,x\n", "header column 2 has no name", 1, None),
        ("dupcol.csv", b"record_id,name,name\nA1,x,y\n", "duplicate column names", 1, None),
        ("header.csv", b"record_id,name\n", "no records after the header", None, None),
        ("noid.csv", b"id,name\nA1,x\n", "no id column", 1, "record_id"),
        ("emptyid.csv", b"record_id,name\nA1,x\n ,y\n,z\n", "2 record(s) have an empty id", 3,
         "record_id"),
        ("dupid.csv", b"record_id,name\n007,x\n7,y\n007,z\n", "duplicate id '007' on rows [2, 4]",
         4, "record_id"),
        ("bad.parquet", b"PAR1 not really PAR1", "not a readable Parquet file", None, None),
    ],
)  # fmt: skip
def test_unusable_files_raise_input_error(
    tmp_path: Path, name: str, content: bytes, words: str, row: int | None, column: str | None
) -> None:
    path = write(tmp_path / name, content)
    with pytest.raises(InputError) as info:
        read_table(path, "record_id")
    error = info.value
    assert words in str(error)
    assert error.file == str(path)
    assert str(error).startswith(f"file {path}")
    assert error.row == row
    assert error.column == column
    assert "\n" not in str(error)


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_table(tmp_path / "nowhere.csv", "record_id")
    with pytest.raises(InputError, match="is a directory"):
        read_table(tmp_path, "record_id")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path / "p.csv", PEOPLE)
    path.chmod(0)
    try:
        with pytest.raises(InputError, match="cannot read"):
            read_table(path, "record_id")
    finally:
        path.chmod(0o644)


# --- atomic writes --------------------------------------------------------------------------


def test_atomic_path_renames_on_success(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path
        assert tmp != target
        assert tmp.name.startswith(".out.csv.") and tmp.name.endswith(".tmp")
        tmp.write_text("done\n")
        assert not target.exists()
    assert target.read_text() == "done\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_path_leaves_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_atomic_path_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = write(tmp_path / "out.csv", "old\n")
    with pytest.raises(KeyboardInterrupt), atomic_path(target) as tmp:
        tmp.write_text("new")
        raise KeyboardInterrupt
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_path_replaces_an_old_file(tmp_path: Path) -> None:
    target = write(tmp_path / "out.csv", "old\n")
    with atomic_path(target) as tmp:
        tmp.write_text("new\n")
    assert target.read_text() == "new\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_atomic_path_makes_missing_directories(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "out.json"
    with atomic_path(target) as tmp:
        tmp.write_text("{}")
    assert target.read_text() == "{}"


def test_atomic_path_when_nothing_is_written(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    with atomic_path(target):
        pass
    assert target.exists() and target.read_bytes() == b""


def test_outputs_get_the_usual_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        target = tmp_path / "out.csv"
        with atomic_path(target) as tmp:
            tmp.write_text("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE(target.stat().st_mode) == 0o644  # not mkstemp's private 0600


def test_write_csv(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    target = tmp_path / "out" / "clusters.csv"
    frame = pd.DataFrame({"record_id": ["007", "Élodie"], "cluster_id": ["007", "007"]})
    write_csv(frame, target)
    assert target.read_bytes() == "record_id,cluster_id\n007,007\nÉlodie,007\n".encode()
    assert [p.name for p in target.parent.iterdir()] == ["clusters.csv"]


def test_outputs_ending_in_parquet_are_parquet(tmp_path: Path) -> None:
    clusters = pd.DataFrame({"record_id": ["007", "Élodie"], "cluster_id": ["007", "007"]})
    scores = pd.DataFrame({"left_id": ["007"], "right_id": ["Élodie"], "match_probability": [0.25]})
    write_outputs({tmp_path / "c.parquet": clusters, tmp_path / "s.PQ": scores})
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "c.parquet"), clusters)
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "s.PQ"), scores)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.parquet", "s.PQ"]


def test_a_failed_parquet_output_leaves_no_output(tmp_path: Path) -> None:
    good = pd.DataFrame({"record_id": ["a"], "cluster_id": ["a"]})
    mixed = pd.DataFrame({"record_id": ["a", 7]})  # pyarrow refuses a str/int column
    with pytest.raises(pa.ArrowException):
        write_outputs({tmp_path / "good.csv": good, tmp_path / "bad.parquet": mixed})
    assert list(tmp_path.iterdir()) == []
