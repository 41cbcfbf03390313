"""The committed training pairs: reproducible bit for bit, labelled by the truth, drawn from
blocked candidates and planted hard negatives of the reserved training seed."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from linker.synth.training_pairs import (
    NON_MATCH_RATE,
    TRAINING_SEED,
    entity_pairs,
    write_training_pairs,
)
from linker.synth.world import generate_world
from linker.world_input import read_hard_negatives, read_truth_records

TRAINING_DATA = Path(__file__).resolve().parents[1] / "training_data"
MANIFEST = json.loads((TRAINING_DATA / "manifest.json").read_text())


def test_committed_files_match_their_manifest() -> None:
    assert MANIFEST["world_seed"] == TRAINING_SEED
    assert TRAINING_SEED not in (7, 11, 13)
    for name, entry in MANIFEST["files"].items():
        data = (TRAINING_DATA / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert len(data) < 5_000_000, f"{name} is too big to commit"


def test_regenerating_gives_the_same_bytes(tmp_path: Path) -> None:
    manifest = write_training_pairs(tmp_path, MANIFEST["world_seed"], MANIFEST["identities"])
    assert manifest == MANIFEST, "training_data/ is stale: run `make training-data` and commit"


@pytest.mark.parametrize("entity", ["person", "company", "account"])
def test_committed_pairs_are_well_formed(entity: str) -> None:
    pairs = pd.read_json(TRAINING_DATA / f"{entity}_pairs.jsonl.gz", lines=True)
    assert (pairs["entity_type"] == entity).all()
    assert ((pairs["label"] == 1) == (pairs["kind"] == "match")).all()
    sampled = pairs["kind"] == "blocked_non_match"
    assert (pairs.loc[sampled, "weight"] == 1 / NON_MATCH_RATE).all()
    assert (pairs.loc[~sampled, "weight"] == 1.0).all()
    selection = pairs["provenance"].map(lambda p: p["selection"])
    assert selection.isin(["blocked", "planted", "blocked+planted"]).all()
    assert (selection[sampled | (pairs["label"] == 1)] != "planted").all()
    ids = pairs["left"].map(lambda r: r["record_id"]) + pairs["right"].map(lambda r: r["record_id"])
    assert ids.is_unique


def test_labels_follow_the_truth_and_every_hard_negative_is_kept(tmp_path: Path) -> None:
    world = tmp_path / "world"
    generate_world(400, 5, world)
    truth = read_truth_records(world).set_index("record_id")["entity_id"]
    pair_set = entity_pairs(world, "person", 5)
    rows = [json.loads(line) for line in pair_set.lines]
    for row in rows:
        a, b = row["left"]["record_id"], row["right"]["record_id"]
        assert row["label"] == int(truth[a] == truth[b])
    found = {(r["left"]["record_id"], r["right"]["record_id"]) for r in rows}
    planted = read_hard_negatives(world)
    persons = planted["record_id_a"].str.startswith(("FP", "PP"))
    for a, b in planted.loc[persons, ["record_id_a", "record_id_b"]].itertuples(index=False):
        assert (min(a, b), max(a, b)) in found
    assert pair_set.counts["match"] > 0 and pair_set.counts["blocked_non_match"] > 0
