"""``linker db upgrade`` and ``linker db current`` on the configured database."""

from __future__ import annotations

from pathlib import Path

import pytest

from linker.cli import main
from linker.store import head_revision


def test_db_upgrade_then_current(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'linker.db'}"
    monkeypatch.setenv("LINKER_DATABASE_URL", url)
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out == (
        f"database: {url}\nrevision: none (latest is {head_revision()}: run linker db upgrade)\n"
    )
    assert main(["db", "upgrade"]) == 0
    assert capsys.readouterr().out == f"database: {url}\nrevision: {head_revision()} (latest)\n"
    assert main(["db", "current"]) == 0
    assert capsys.readouterr().out == f"database: {url}\nrevision: {head_revision()} (latest)\n"


def test_db_upgrade_hides_the_password_when_it_fails(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LINKER_DATABASE_URL", "postgresql://app:s3cret@127.0.0.1:1/linker")
    assert main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "cannot open the database postgresql+psycopg://app:***@127.0.0.1:1/linker" in err
    assert "s3cret" not in err


def test_the_default_database_is_in_linker_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("LINKER_DATABASE_URL", raising=False)
    monkeypatch.setenv("LINKER_HOME", str(tmp_path / "home"))
    assert main(["db", "upgrade"]) == 0
    assert (tmp_path / "home" / "linker.db").is_file()
    assert f"sqlite:///{tmp_path / 'home' / 'linker.db'}" in capsys.readouterr().out
