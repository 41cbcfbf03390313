"""``linker load``, ``resolve``, ``identities export`` and ``models`` on a SQLite store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linker.cli import main
from linker.store import Store
from linker.synth.world import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world") / "w"
    generate_world(40, 4, out)
    return out


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'linker.db'}"
    monkeypatch.setenv("LINKER_DATABASE_URL", url)
    assert main(["db", "upgrade"]) == 0
    return url


def test_load_resolve_export_and_models(
    world: Path, database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert main(["load", str(world), "--quiet"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"{world}: records: person ")
    assert "relations: " in lines[0]
    assert [line.split(":")[0] for line in lines[1:]] == ["person", "company", "account"]
    person, company, account = lines[1:]
    assert "full run under person-v1 (fitted, active)" in person
    assert "full run under account-v1 (fitted, active)" in account
    # two companies make no candidate pair: each its own identity, no version until a pair
    assert "full run under no model version" in company and "events: 2 create" in company
    store = Store.open(database)
    with store.read() as reader:
        sources = {s.name: (s.agency, s.entity_type) for s in reader.sources()}
        assert sources["fiu-persons"] == ("fiu", "person")
        assert sources["police-accounts"] == ("police", "account")
        people = len(reader.records("fiu-persons")) + len(reader.records("police-persons"))
        holds = reader.relations_of(
            [("fiu-persons", r.record_id) for r in reader.records("fiu-persons")],
            types=("holds_account",),
        )
        assert holds and holds[0][1].to_record[0] == "fiu-accounts"
    store.close()

    assert main(["load", str(world), "--quiet"]) == 0  # again: nothing new, nothing changes
    again = capsys.readouterr().out
    assert " 0 new, 0 changed" in again and "events: none" in again

    assert main(["resolve", "--entity", "person", "--quiet"]) == 0
    assert capsys.readouterr().out == "person: nothing new to resolve under person-v1 (active)\n"

    out = tmp_path / "identities.csv"
    assert main(["identities", "export", str(out), "--entity", "person"]) == 0
    assert capsys.readouterr().out.startswith(f"{out}: {people:,} records of ")
    exported = pd.read_csv(out, dtype=str)
    assert list(exported.columns) == ["identity_id", "source", "record_id", "status"]
    assert len(exported) == people and set(exported["status"]) == {"active"}
    assert set(exported["source"]) == {"fiu-persons", "police-persons"}

    assert main(["resolve", "--entity", "account", "--refit", "--quiet"]) == 0
    refit = capsys.readouterr().out.splitlines()
    assert refit[0].startswith("account: fitted account-v2 on ")
    assert refit[1] == "activate it with: linker models activate account-v2"
    assert main(["models", "list", "--entity", "account"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[:3] for line in listed] == [
        ["account-v1", "account", "active"],
        ["account-v2", "account", "inactive"],
    ]
    assert main(["models", "activate", "account-v2"]) == 0
    assert capsys.readouterr().out.startswith(
        "account-v2 is the active account model (was account-v1); "
    )
    assert main(["resolve", "--entity", "account", "--full", "--quiet"]) == 0
    assert "full run under account-v2 (active)" in capsys.readouterr().out


def test_bad_requests_exit_2_with_a_message(
    database: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    capsys.readouterr()
    assert main(["resolve"]) == 2
    assert "holds no source yet" in capsys.readouterr().err
    assert main(["resolve", "--activate"]) == 2
    assert "--activate goes with --refit" in capsys.readouterr().err
    assert main(["models", "activate", "person-v9"]) == 2
    assert "no model version 'person-v9'" in capsys.readouterr().err
    assert main(["load", str(tmp_path)]) == 2
    assert "not a world directory" in capsys.readouterr().err
    assert main(["models", "list"]) == 0
    assert capsys.readouterr().out.startswith("no model version yet")
