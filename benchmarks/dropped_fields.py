"""How much a trained model leans on each field: the move of each pair's logit when one field
is dropped from every record of a held-out world, and the pair F1 without it.

    .venv/bin/python -m benchmarks.dropped_fields [--model DIR] [--seed 11] [--identities 600]

A model for which missing counts as evidence moves every pair one way when a field is absent
(the mean move of matches and of non-matches has one sign); one that lost only the field's
evidence moves matches down and non-matches up, and keeps its F1 from what is left.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from linker.explicit_pairs import ExplicitPairs, pair_features, read_labelled_pairs
from linker.models import PairClassifier
from linker.models.choice import default_model_dir
from linker.prepare import PrepareOptions
from linker.prepare.names import CHAIN_FIELDS
from linker.synth.training_pairs import entity_pairs, write_gzip_lines
from linker.synth.world import generate_world


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dropped_fields")
    parser.add_argument("--model", type=Path, default=default_model_dir("person"))
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--identities", type=int, default=600)
    args = parser.parse_args(argv)
    model = PairClassifier.load(args.model)
    with tempfile.TemporaryDirectory() as tmp:
        world = Path(tmp) / "world"
        generate_world(args.identities, args.seed, world)
        path = Path(tmp) / "pairs.jsonl.gz"
        write_gzip_lines(path, entity_pairs(world, "person", args.seed).lines)
        labelled = read_labelled_pairs(path)
    pairs, labels, weights = labelled.pairs, labelled.labels.astype(bool), labelled.weights
    options = PrepareOptions(name_features=True)
    full = model.logit(pair_features(pairs, options)[0])
    print(f"model {args.model}; world seed {args.seed}: {len(full)} labelled person pairs")
    print(f"pair F1 with every field: {f1_score(labels, full > 0, sample_weight=weights):.4f}\n")
    print(
        "| field dropped | pairs holding it | abs move p50 | p95 | max "
        "| mean move, matches | non-matches | pair F1 without it |"
    )
    print("|---|---|---|---|---|---|---|---|")
    names = {"record_id", "source", "aliases", "name_native", *CHAIN_FIELDS}
    moves = []
    for field in [c for c in pairs.records.columns if c not in names]:
        records = pairs.records.copy()
        records[field] = None
        dropped = ExplicitPairs(records, pairs.left, pairs.right)
        move = model.logit(pair_features(dropped, options)[0]) - full
        held = pairs.records[field].notna().to_numpy()
        holding = held[pairs.left] | held[pairs.right]
        size = np.abs(move[holding])
        moves.append(size)
        f1 = f1_score(labels, full + move > 0, sample_weight=weights)
        print(
            f"| {field} | {holding.sum()} | {np.percentile(size, 50):.2f} "
            f"| {np.percentile(size, 95):.2f} | {size.max():.2f} "
            f"| {move[holding & labels].mean():+.2f} | {move[holding & ~labels].mean():+.2f} "
            f"| {f1:.4f} |"
        )
    every = np.concatenate(moves)
    print(
        f"\nall fields: abs move p50 {np.percentile(every, 50):.2f}, "
        f"p95 {np.percentile(every, 95):.2f}, p99 {np.percentile(every, 99):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
