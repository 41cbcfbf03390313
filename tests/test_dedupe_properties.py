"""A dedupe run never fails with an internal error, whatever short file it is given: hand-written
files that crashed it, then random ones (hypothesis) for every entity type. A clear
``LinkerError`` for input that cannot be used is a fine answer; any other exception is not."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linker.cli import main as linker
from linker.errors import LinkerError
from linker.prepare.sources import SourceTable
from linker.runs import run
from linker.settings import Settings


@pytest.fixture
def no_trained_models(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKER_HOME", str(tmp_path / "home"))


@pytest.mark.usefixtures("no_trained_models")
@pytest.mark.parametrize(
    "names",
    [
        ["N.V.", "SA", "B.V.", "GMBH"],  # names that are only a legal form
        ["AKZO NOBEL", "* AKZO NOBEL N.V.", "DSM N V"],  # a legal form on one side only
        ["SARL", "SARL", "DUPONT SARL", "MARTIN SAS"],
    ],
)
def test_company_names_with_and_without_legal_forms_dedupe(
    tmp_path: Path, names: list[str]
) -> None:
    source = tmp_path / "companies.csv"
    rows = [f'{i},"{name}"' for i, name in enumerate(names, start=1)]
    source.write_text("\n".join(["record_id,name", *rows]) + "\n", encoding="utf-8")
    out = tmp_path / "out.csv"
    argv = ["dedupe", str(source), "--entity", "company", "--out", str(out), "--quiet"]
    assert linker(argv) == 0
    result = pd.read_csv(out, dtype=str)
    assert sorted(result["record_id"]) == sorted(str(i) for i in range(1, len(names) + 1))


# Values that other people's files hold: names, legal forms, punctuation, empty and
# one-character values, odd unicode, digits, phones, IBANs, dates.
_VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-",
            "*",
            ".",
            "a",
            "Z",
            "0",
            "N.V.",
            "SA",
            "B.V.",
            "GMBH",
            "S.A.R.L.",
            "Ets",
            "AKZO NOBEL",
            "* AKZO NOBEL N.V.",
            "DSM N V",
            "Jean Dupont",
            "DUPONT, Jean",
            "Abu Ahmed; Hamoudi",
            "Мария",
            "محمد",
            "ß",
            "İ",
            "\u200b",
            "\u00a0",
            "😀",
            "1980",
            "12/03/1980",
            "31/02/1990",
            "06 12 34 56 78, 07 98 76 54 32",
            "555-0142",
            "+",
            "FR76 3000 6000 0112 3456 7890 189",
            "FR76 3000 6XXX XXXX XXXX XXXX 189",
            "a@b.fr",
            "123456789",
            "|",
            ",",
        ]
    ),
    st.text(max_size=6),
    st.text(alphabet="0123456789 +-./", max_size=12),
)

_COLUMNS = {
    "person": ["given_name", "family_name", "date_of_birth", "phones", "aliases"],
    "company": ["name", "trade_name", "legal_form", "registration_id", "phones"],
    "account": ["iban", "holder_name", "bank_name", "bic", "account_number"],
}


def _rows(width: int) -> st.SearchStrategy[list[list[str]]]:
    return st.lists(st.lists(_VALUES, min_size=width, max_size=width), min_size=1, max_size=12)


def _dedupes_or_says_why(entity: str, columns: list[str], rows: list[list[str]]) -> None:
    ids = [str(i) for i in range(1, len(rows) + 1)]
    frame = pd.DataFrame([[i, *row] for i, row in zip(ids, rows, strict=True)], dtype=object)
    frame.columns = ["record_id", *columns]
    frame = frame.replace({"": None})
    table = SourceTable("t", frame, pd.Series(np.arange(2, len(frame) + 2)))
    try:
        result = run([table], Settings(entity=entity, model="unsupervised"))
    except LinkerError:
        return
    assert sorted(result.result["record_id"]) == sorted(ids)


@pytest.mark.parametrize("entity", sorted(_COLUMNS))
@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,  # no unseeded randomness: the same files every run
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_random_short_files_never_fail_with_an_internal_error(
    entity: str, data: st.DataObject
) -> None:
    columns = _COLUMNS[entity]
    chosen = data.draw(
        st.lists(st.sampled_from(columns), min_size=1, max_size=len(columns), unique=True)
    )
    _dedupes_or_says_why(entity, chosen, data.draw(_rows(len(chosen))))
