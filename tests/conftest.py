"""Settings for the whole test session.

``LINKER_HOME`` is pinned to a fresh temporary directory before any test module is imported, so
no test reads (or overwrites) the model that ``linker train`` left in a user's data directory:
``--model auto`` means the unsupervised model unless a test installs one. Tests that need a
trained model get it from a fixture: ``default_person_model`` below, or one that trains into
the test's own directory (``--model-dir``) or its own ``LINKER_HOME`` (``monkeypatch.setenv``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SESSION_HOME = tempfile.mkdtemp(prefix="linker-home-")
os.environ["LINKER_HOME"] = SESSION_HOME


def pytest_unconfigure() -> None:
    """Remove the session's ``LINKER_HOME`` (whatever a test trained into it)."""
    shutil.rmtree(SESSION_HOME, ignore_errors=True)


@pytest.fixture
def session_home() -> Path:
    """The session's ``LINKER_HOME``, as pinned before the tests were imported."""
    return Path(SESSION_HOME)


@pytest.fixture(scope="session")
def default_person_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``LINKER_HOME`` holding the default person model, trained once per session from the
    committed training data as ``linker train`` trains it (a minute or two): a test that needs
    it sets ``LINKER_HOME`` to this directory (``monkeypatch.setenv``)."""
    from linker import cli

    home = tmp_path_factory.mktemp("trained-home")
    assert cli.main(["train", "--model-dir", str(home / "models" / "person"), "--quiet"]) == 0
    return home
