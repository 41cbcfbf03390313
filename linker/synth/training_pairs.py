"""Labelled record pairs for the trained model, drawn from a synthetic world.

A world of a reserved training seed is written to a temporary directory and each entity type
is blocked exactly as ``linker dedupe WORLD --entity TYPE`` blocks it. The pairs kept are

- every blocked candidate pair of one entity (label 1, kind ``match``);
- every planted hard negative (label 0, kind as planted: ``brothers``, ``near_name``...),
  whether blocking found it or not (``selection`` says which);
- a seeded sample of the other blocked candidate pairs (label 0, kind ``blocked_non_match``),
  each with ``weight`` = 1 / sampling rate so that a weighted model stays calibrated.

Random pairs are never drawn: they teach nothing a blocked pair does not. Beside them,
``person_name_pairs.jsonl.gz`` holds pairs of names alone (``linker.synth.world.name_pairs``). One
JSON object per line, gzip-compressed with a zero timestamp so that the same seed gives the
same bytes::

    python -m linker.synth.training_pairs --seed 101 --identities 3000 --out training_data
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linker.blocking import BlockingOptions, candidate_pairs
from linker.io import atomic_path
from linker.prepare import PrepareOptions
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.synth.world import GENERATOR_VERSION, generate_world
from linker.synth.world.name_pairs import name_pairs
from linker.world_input import ENTITY_TYPES, read_hard_negatives, read_truth_records, stack_world

TRAINING_SEED = 101  # 7, 11 and 13 are for demos, held-out tests and model selection
TRAINING_IDENTITIES = 3000
NON_MATCH_RATE = 0.2


@dataclass(frozen=True)
class PairSet:
    """The labelled pairs of one entity type and what they hold."""

    entity: str
    lines: list[str]
    counts: dict[str, int]


TRAINING_RULE_BUDGET = 20_000


def _records(world: Path, entity: str) -> pd.DataFrame:
    """Both services' records of ``entity`` as strings (empty for missing), indexed by id."""
    frames = [t.frame.assign(source=t.name) for t in stack_world(world, entity)]
    stacked = pd.concat(frames, ignore_index=True).fillna("")
    stacked["source"] = stacked["source"].map(lambda name: Path(name).parent.name)
    return stacked.set_index("record_id", drop=False)


def _blocked_pairs(world: Path, entity: str) -> pd.DataFrame:
    """``record_id_a, record_id_b`` of every candidate pair, blocked as ``linker dedupe``."""
    tables = [SourceTable(t.name, t.frame, t.rows) for t in stack_world(world, entity)]
    plan = plan_columns(tables, "record_id", {}, set(), entity)
    prepared = prepare_sources(tables, plan, "record_id", PrepareOptions(name_features=False))
    records = prepared.frame
    # The budget the training data was drawn with (training_data/PROVENANCE): its bytes and
    # the default model's reference scores stay as they are when the default budget moves.
    blocking = candidate_pairs(records, BlockingOptions(min_rule_budget=TRAINING_RULE_BUDGET))
    ids = records["record_id"].to_numpy()
    return pd.DataFrame({"record_id_a": ids[blocking.left], "record_id_b": ids[blocking.right]})


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Each pair once, smaller id first, sorted: the order of the file."""
    a, b = frame["record_id_a"].to_numpy(), frame["record_id_b"].to_numpy()
    low, high = np.where(a < b, a, b), np.where(a < b, b, a)
    out = frame.assign(record_id_a=low, record_id_b=high)
    return out.drop_duplicates(["record_id_a", "record_id_b"]).sort_values(
        ["record_id_a", "record_id_b"], ignore_index=True
    )


def _keep_non_match(a: str, b: str, seed: int) -> bool:
    """A seeded, order-free coin for one pair: the same pair gets the same answer whatever
    else the world holds."""
    digest = hashlib.sha256(f"{seed}:{a}:{b}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < NON_MATCH_RATE


def _fields(row: pd.Series) -> dict[str, str]:
    return {str(k): str(v) for k, v in row.items() if k != "source" and str(v) != ""}


def entity_pairs(world: Path, entity: str, seed: int) -> PairSet:
    """The labelled pairs of ``entity`` in the world under ``world`` (made with ``seed``)."""
    records = _records(world, entity)
    truth = read_truth_records(world).set_index("record_id")["entity_id"]
    planted = read_hard_negatives(world)
    planted = planted[
        planted["record_id_a"].isin(records.index) & planted["record_id_b"].isin(records.index)
    ]
    pairs = _ordered(_blocked_pairs(world, entity)).merge(
        _ordered(planted), on=["record_id_a", "record_id_b"], how="outer", indicator="found"
    )
    pairs["blocked"] = pairs["found"] != "right_only"
    pairs["planted"] = pairs["found"] != "left_only"
    same = (
        truth.reindex(pairs["record_id_a"]).to_numpy()
        == truth.reindex(pairs["record_id_b"]).to_numpy()
    )
    lines: list[str] = []
    counts: dict[str, int] = {}
    for (a, b, kind), is_blocked, is_planted, label in zip(
        pairs[["record_id_a", "record_id_b", "kind"]].itertuples(index=False),
        pairs["blocked"],
        pairs["planted"],
        same,
        strict=True,
    ):
        weight = 1.0
        if label:
            kind = "match"
        elif not is_planted:
            if not _keep_non_match(a, b, seed):
                continue
            kind, weight = "blocked_non_match", 1.0 / NON_MATCH_RATE
        left, right = records.loc[a], records.loc[b]
        pair: dict[str, Any] = {
            "entity_type": entity,
            "label": int(label),
            "kind": kind,
            "weight": weight,
            "left": _fields(left),
            "right": _fields(right),
            "provenance": {
                "world_seed": seed,
                "generator": GENERATOR_VERSION,
                "sources": [left["source"], right["source"]],
                "selection": "+".join(
                    s for s, on in (("blocked", is_blocked), ("planted", is_planted)) if on
                ),
            },
        }
        lines.append(json.dumps(pair, ensure_ascii=False, sort_keys=True))
        counts[kind] = counts.get(kind, 0) + 1
    return PairSet(entity, lines, dict(sorted(counts.items())))


def write_gzip_lines(path: Path, lines: list[str]) -> None:
    """``lines`` as gzip-compressed text with no timestamp or file name: reproducible bytes."""
    with (
        atomic_path(path) as temporary,
        open(temporary, "wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
    ):
        for line in lines:
            packed.write(line.encode() + b"\n")


def write_training_pairs(out: Path, seed: int, identities: int) -> dict[str, Any]:
    """Generate the world of ``seed`` and write ``{entity}_pairs.jsonl.gz`` and
    ``manifest.json`` under ``out``; returns the manifest."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as directory:
        world = Path(directory) / "world"
        generate_world(identities, seed, world)
        sets = [entity_pairs(world, entity, seed) for entity in ENTITY_TYPES]
    names, name_counts = name_pairs(seed, identities)
    lines = [json.dumps(pair, ensure_ascii=False, sort_keys=True) for pair in names]
    sets.append(PairSet("person_name", lines, name_counts))
    manifest: dict[str, Any] = {
        "world_seed": seed,
        "identities": identities,
        "generator": GENERATOR_VERSION,
        "non_match_sampling_rate": NON_MATCH_RATE,
        "files": {},
    }
    for pair_set in sets:
        name = f"{pair_set.entity}_pairs.jsonl.gz"
        write_gzip_lines(out / name, pair_set.lines)
        digest = hashlib.sha256((out / name).read_bytes()).hexdigest()
        manifest["files"][name] = {
            "pairs": len(pair_set.lines),
            "by_kind": pair_set.counts,
            "sha256": digest,
        }
    text = json.dumps(manifest, indent=2, sort_keys=True) + "\n"
    with atomic_path(out / "manifest.json") as temporary:
        temporary.write_text(text)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=TRAINING_SEED)
    parser.add_argument("--identities", type=int, default=TRAINING_IDENTITIES)
    parser.add_argument("--out", type=Path, default=Path("training_data"))
    args = parser.parse_args(argv)
    manifest = write_training_pairs(args.out, args.seed, args.identities)
    for name, entry in manifest["files"].items():
        print(f"{args.out / name}: {entry['pairs']} pairs {entry['by_kind']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
