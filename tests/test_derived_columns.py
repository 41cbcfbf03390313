"""Columns derived from other columns of their table are folded: one comparison per piece of
evidence (linker.prepare.derived, through plan_columns)."""

import csv
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from linker.cli import main
from linker.prepare.derived import SAMPLE_ROWS
from linker.prepare.sources import ColumnPlan, SourceTable, plan_columns

PEOPLE = [
    ("Jean", "Dupont"),
    ("Marie", "Curie"),
    ("Élodie", "Martin-Roux"),
    ("Ahmed", "Ben Ali"),
    ("Paul", "O'Neil"),
    ("Zoé", "Durand"),
]


def table(rows: list[dict[str, str | None]], name: str = "people.csv") -> SourceTable:
    frame = pd.DataFrame(rows, dtype=object)
    frame.insert(0, "record_id", [f"r{i}" for i in range(len(frame))])
    return SourceTable(name, frame, pd.Series(np.arange(2, len(frame) + 2)))


def plan(*tables: SourceTable, overrides: dict[str, str] | None = None) -> ColumnPlan:
    return plan_columns(list(tables), "record_id", overrides or {}, set())


def test_a_copy_is_folded_and_the_mapped_column_kept() -> None:
    rows = [
        {"full_name": f"{g} {f}", "name_copy": f" {g.upper()}  {f.upper()}."} for g, f in PEOPLE
    ]
    result = plan(table(rows))
    assert result.folded == {"people.csv": {"name_copy": "copy of full_name"}}
    assert result.mapping["people.csv"] == {"full_name": "full_name"}
    assert "name_copy" not in result.generic


@pytest.mark.parametrize(
    "written",
    [
        "{given} {family}",
        "{family} {given}",
        "{FAMILY}, {given}",
        "{given}/{family}",
    ],
)
def test_a_full_name_made_of_the_split_names_is_folded(written: str) -> None:
    rows = [
        {
            "given_name": g,
            "family_name": f,
            "full_name": written.format(given=g, family=f, FAMILY=f.upper()),
        }
        for g, f in PEOPLE
    ]
    result = plan(table(rows))
    assert result.folded == {"people.csv": {"full_name": "= given_name + family_name"}}
    assert result.mapping["people.csv"] == {
        "given_name": "given_name",
        "family_name": "family_name",
    }
    assert result.fields == ["family_name", "given_name"]


def test_a_full_name_is_folded_where_some_rows_lack_the_family_name() -> None:
    # A given name alone where the family name is missing: the full name is that given name,
    # which adds nothing, on more rows than the screen's tolerance (here one in four).
    rows: list[dict[str, str | None]] = [
        {"given_name": g, "family_name": None if i % 4 == 0 else f}
        for i, (g, f) in enumerate(PEOPLE * 4)
    ]
    for row in rows:
        row["full_name"] = " ".join(v for v in (row["given_name"], row["family_name"]) if v)
    result = plan(table(rows))
    assert result.folded == {"people.csv": {"full_name": "= given_name + family_name"}}


def test_a_generic_first_and_surname_and_a_full_name_are_both_folded() -> None:
    rows = [
        {
            "first_name": g,
            "surname": f,
            "fullname": f"{g} {f}",
            "first_and_surname": f"{f.upper()} {g}",
        }
        for g, f in PEOPLE
    ]
    result = plan(table(rows))
    assert result.folded["people.csv"] == {
        "fullname": "= first_name + surname",
        "first_and_surname": "copy of fullname",
    }
    assert result.mapping["people.csv"] == {"first_name": "given_name", "surname": "family_name"}
    assert result.generic == {}


def test_generic_parts_of_a_mapped_full_name_are_folded() -> None:
    rows = [{"vorname": g, "nachname": f, "name": f"{g} {f}"} for g, f in PEOPLE]
    result = plan(table(rows))
    assert result.folded["people.csv"] == {
        "vorname": "part of name = vorname + nachname",
        "nachname": "part of name = vorname + nachname",
    }
    assert result.mapping["people.csv"] == {"name": "full_name"}
    assert result.generic == {}


def test_a_full_name_carrying_records_of_its_own_is_not_folded() -> None:
    # 3 of 10 records hold only a full name: there it is the only name.
    split = [{"given_name": g, "family_name": f, "full_name": f"{g} {f}"} for g, f in PEOPLE]
    split += [{"given_name": "Luc", "family_name": "Roy", "full_name": "Luc Roy"}]
    alone = [
        {"given_name": None, "family_name": None, "full_name": name}
        for name in ("Anna Weber", "Omar Said", "Ines Costa")
    ]
    result = plan(table(split + alone))
    assert result.folded == {}
    assert result.mapping["people.csv"]["full_name"] == "full_name"


def test_columns_that_differ_are_not_folded() -> None:
    rows = [
        {"given_name": g, "family_name": f, "nickname": nick, "city": city}
        for (g, f), nick, city in zip(
            PEOPLE,
            ["Jeannot", "Mimi", "Lolo", "Ahmed", "Polo", "Zozo"],
            ["Paris", "Lyon", "Nice", "Lille", "Metz", "Brest"],
            strict=True,
        )
    ]
    result = plan(table(rows))
    assert result.folded == {}
    assert set(result.generic) == {"nickname"}


def test_too_few_rows_with_all_present_decide_nothing() -> None:
    rows = [{"full_name": "Jean Dupont", "name_copy": "Jean Dupont"}] * 2
    rows += [{"full_name": "Marie Curie", "name_copy": None}]
    assert plan(table(rows)).folded == {}


def test_the_plan_names_what_was_folded() -> None:
    rows = [
        {"given_name": g, "family_name": f, "full_name": f"{g} {f}", "name_copy": f"{g} {f}"}
        for g, f in PEOPLE
    ]
    result = plan(table(rows))
    assert (
        "people.csv: folded full_name (= given_name + family_name), name_copy (copy of full_name)"
        in result.describe()
    )
    assert result.as_dict()["folded"] == {
        "people.csv": {"full_name": "= given_name + family_name", "name_copy": "copy of full_name"}
    }
    assert not any("name_copy" in line for line in result.describe() if "generic" in line)


@pytest.mark.parametrize(
    ("overrides", "folded"),
    [
        ({"full_name": "full_name"}, {"name_copy": "copy of full_name"}),
        ({"name_copy": "full_name"}, {"full_name": "copy of name_copy"}),
        ({"full_name": "full_name", "name_copy": "aliases"}, {}),
    ],
)
def test_a_column_the_user_maps_is_never_folded(
    overrides: dict[str, str], folded: dict[str, str]
) -> None:
    rows = [
        {"given_name": g, "family_name": f, "full_name": f"{g} {f}", "name_copy": f"{g} {f}"}
        for g, f in PEOPLE
    ]
    result = plan(table(rows), overrides=overrides)
    assert result.folded.get("people.csv", {}) == folded
    for column, field in overrides.items():
        assert result.mapping["people.csv"][column] == field


def test_the_plan_does_not_depend_on_the_order_of_rows() -> None:
    # More rows than the sample: half the records hold only a full name. A sample taken from
    # the top of the file would see only one half, and fold or keep by the file's order.
    n = SAMPLE_ROWS
    both = pd.DataFrame(
        {
            "record_id": [f"b{i}" for i in range(n)],
            "given_name": [f"given{i}" for i in range(n)],
            "family_name": [f"family{i % 97}" for i in range(n)],
        }
    )
    both["full_name"] = both["given_name"] + " " + both["family_name"]
    alone = pd.DataFrame(
        {"record_id": [f"a{i}" for i in range(n)], "full_name": [f"x{i} y{i}" for i in range(n)]}
    )
    frame = pd.concat([both, alone], ignore_index=True).astype(object)
    frame = frame.where(frame.notna(), None)
    orders = {
        "split first": frame,
        "full names first": frame.iloc[::-1],
        "shuffled": frame.sample(frac=1.0, random_state=7),
    }
    plans = {
        name: plan(SourceTable("people.csv", f.reset_index(drop=True), pd.Series(range(len(f)))))
        for name, f in orders.items()
    }
    assert {name: p.folded for name, p in plans.items()} == {name: {} for name in orders}
    assert len({json.dumps(p.as_dict(), sort_keys=True) for p in plans.values()}) == 1


def test_link_folds_a_field_only_where_every_table_folds_it() -> None:
    split = table(
        [{"given_name": g, "family_name": f, "full_name": f"{g} {f}"} for g, f in PEOPLE],
        "left.csv",
    )
    full_only = table([{"full_name": f"{f} {g}"} for g, f in PEOPLE], "right.csv")
    result = plan(split, full_only)
    assert result.folded == {}  # right.csv compares on full_name: left.csv must keep it
    assert result.mapping["left.csv"]["full_name"] == "full_name"

    also_split = table(
        [{"prenom": g, "nom": f, "nom_prenom": f"{f}, {g}"} for g, f in PEOPLE], "right.csv"
    )
    result = plan(split, also_split)
    assert result.folded == {
        "left.csv": {"full_name": "= given_name + family_name"},
        "right.csv": {"nom_prenom": "= prenom + nom"},
    }
    assert result.fields == ["family_name", "given_name"]


def test_detection_on_a_large_table_is_fast() -> None:
    n = 1_000_000
    given = np.array(["Jean", "Marie", "Élodie", "Ahmed", "Li", "Zoé"], dtype=object)
    family = np.array(["Dupont", "Martin", "Nguyen Van", "Smith", "Öztürk"], dtype=object)
    g, f = given[np.arange(n) % 6], family[np.arange(n) % 5]
    frame = pd.DataFrame(
        {
            "record_id": [f"r{i}" for i in range(n)],
            "given_name": g,
            "family_name": f,
            "full_name": g + " " + f,
            "city": np.array(["Paris", "Lyon", "Nice"], dtype=object)[np.arange(n) % 3],
        }
    )
    start = time.perf_counter()
    result = plan(SourceTable("big.csv", frame, pd.Series(np.arange(n))))
    assert time.perf_counter() - start < 2.0
    assert result.folded == {"big.csv": {"full_name": "= given_name + family_name"}}


HEADER = ["record_id", "first_name", "surname", "dob", "city", "first_and_surname"]
ROWS = [
    ("1", "Jean", "Dupont", "1980-01-02", "Paris", "DUPONT Jean"),
    ("2", "Jean", "Dupond", "1980-01-02", "Paris", "DUPOND Jean"),
    ("3", "Marie", "Curie", "1967-11-07", "Varsovie", "CURIE Marie"),
    ("4", "Marie", "Curie", "1967-11-07", "Varsovie", "CURIE, Marie"),
    ("5", "Ahmed", "Benali", "1990-05-05", "Lyon", "BENALI Ahmed"),
    ("6", "Élodie", "Martin", "1985-03-03", "Nice", "MARTIN Élodie"),
    ("7", "Elodie", "Martin", "1985-03-03", "Nice", "MARTIN Elodie"),
    ("8", "Paul", "Durand", "1970-12-12", "Lille", "DURAND Paul"),
]


def dedupe_stats(tmp_path: Path, rows: list[tuple[str, ...]]) -> dict[str, Any]:
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([HEADER, *rows])
    out, stats = tmp_path / "clusters.csv", tmp_path / "stats.json"
    args = ["dedupe", str(path), "--out", str(out), "--model", "unsupervised"]
    assert main([*args, "--stats", str(stats), "--quiet"]) == 0
    result: dict[str, Any] = json.loads(stats.read_text())
    return result


def test_a_run_compares_a_derived_column_once(tmp_path: Path) -> None:
    stats = dedupe_stats(tmp_path, ROWS)
    folded = stats["columns"]["folded"][str(tmp_path / "people.csv")]
    assert folded == {"first_and_surname": "= first_name + surname"}
    assert stats["columns"]["generic"] == {}
    assert not any("first_and_surname" in name for name in stats["comparisons"])
    assert any("given_name" in name for name in stats["comparisons"])


def test_a_run_compares_a_column_that_is_not_derived(tmp_path: Path) -> None:
    nicknames = ["Jeannot", "Jeannot", "Mimi", "Mimi", "Ahmed", "Lolo", "Lolo", "Polo"]
    rows = [(*row[:-1], nick) for row, nick in zip(ROWS, nicknames, strict=True)]
    stats = dedupe_stats(tmp_path, rows)
    assert stats["columns"]["folded"] == {}
    assert any("first_and_surname" in name for name in stats["comparisons"])
