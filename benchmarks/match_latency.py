"""Latency of ``POST /v1/match`` and of a 100-name ``POST /v1/screenings``, closed loop.

    python -m benchmarks.match_latency [--persons 10000] [--queries 300] [--screenings 10]
                                       [--db PATH] [--out FILE]

**Store**: ``linker.synth.generate_people(N, seed=42)`` (French-style people with typos,
swapped names, date errors; 40% duplicates) in one source ``synth`` (its columns mapped onto
the canonical fields: ``surname`` -> ``family_name``, ``date_of_birth`` -> ``dob``...), then
the first linkage run through the store (``linker.linkage.resolve_identities``: it fits and
activates the version and resolves every record). Loading and that run are timed and
reported. With ``--db`` the SQLite file is kept, and reused when it already holds the records
and an active version (a file holding another number of records is refused).

**Queries**: records drawn (seeded) from the store, as the envelope of ``POST /v1/match``:
a third as stored, a third with a typo in the family name, a third with the given and family
names of two different stored people (someone the store probably does not know). One client
sends them one after another (closed loop) through the Flask test client in this process:
the app, the matcher and SQLite as served, without HTTP. Reported: p50, p99 and max latency,
errors (any status but 200), and how often a stored record's own identity came first.

**Screening**: ``--screenings`` requests of 100 names each (full name and date of birth of
drawn records, some with a typo), p50 and p99.

**Splink** (``--splink``): in the same run, Splink 4 (DuckDB, 2 threads) trained on the same
records with the benchmark's Splink model for these people (``benchmarks.splink_settings``,
trained as ``benchmarks.splink_runner`` trains it, term-frequency tables computed), then
``linker.inference.find_matches_to_new_records`` for each of the same queries (cleaned by the
same SQL as its input, blocked by its prediction rules), one after another. Reported: its p50
and p99, and linker's p50 and p99 as a ratio of Splink's (below 1: linker is faster).

Not done here: HTTP, load and repeated runs. ``benchmarks.match_load`` serves the same store
under gunicorn and measures the same requests at a fixed open-loop rate and with 16 closed-loop
clients, the median of 3 runs, beside the same Splink matching; ``stored_store``, ``queries``
and ``splink_matcher`` are shared with it. Both take the 200,000 and 1,000,000 person stores of
the issue (``--persons``; keep them with ``--db``: a store holding the N people is reused).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import func, select

from api import create_app
from linker.linkage import resolve_identities
from linker.store import RecordIn, Source, Store
from linker.store.schema import records
from linker.synth import generate_people

SOURCE = "synth"
GENERATOR = "linker.synth.generate_people(N, seed=42)"
MAPPING = {
    "surname": "family_name",
    "date_of_birth": "dob",
    "phone": "phones",
    "email": "emails",
}
CANONICAL = {"given_name", "family_name", "dob", "sex", "address", "city", "postcode", "phones"}


def put_people(store: Store, people: pd.DataFrame) -> None:
    """Generated people (``generate_people``) into the store's source ``SOURCE``, created if
    new, in one unit of work (missing values left out of the payload)."""
    columns = [c for c in people.columns if c != "record_id"]
    rows = [
        RecordIn(str(rid), {c: v for c, v in zip(columns, values, strict=True) if pd.notna(v)})
        for rid, *values in people[["record_id", *columns]].itertuples(index=False)
    ]
    with store.unit_of_work() as uow:
        uow.put_source(Source(SOURCE, agency="bench", entity_type="person", column_mapping=MAPPING))
        uow.upsert_records(SOURCE, rows)


def load_store(store: Store, persons: int) -> dict[str, float]:
    """The generated people into the store and the first linkage run; seconds of each."""
    records, _ = generate_people(persons, seed=42)
    started = time.perf_counter()
    put_people(store, records)
    loaded = time.perf_counter()
    report = resolve_identities(store, "person")
    linked = time.perf_counter()
    print(report.describe())
    return {"load_seconds": loaded - started, "linkage_seconds": linked - loaded}


def stored_store(path: Path, persons: int) -> tuple[Store, dict[str, Any]]:
    """The SQLite store at ``path`` holding the ``persons`` generated people, linked: loaded
    now (``load_store``, timed; the times kept beside it in ``PATH.load.json``) when the file
    is new or empty, reused when it already holds them and an active version (with the kept
    times); a file holding another number of records is refused."""
    store = Store.open(f"sqlite:///{path}", check=False)
    store.upgrade()
    figures: dict[str, Any] = {"persons": persons, "generator": GENERATOR}
    with store.read() as reader:
        have = reader.connection.execute(
            select(func.count()).select_from(records).where(records.c.source == SOURCE)
        ).scalar_one()
        active = reader.active_model_version("person") is not None
    timings = path.with_name(f"{path.name}.load.json")  # how long the kept store took to load
    if have == 0:
        figures.update({k: round(v, 1) for k, v in load_store(store, persons).items()})
        timings.write_text(json.dumps(figures))
    elif have == persons and active:
        figures["reused"] = str(path)
        if timings.exists():
            kept = json.loads(timings.read_text())
            figures.update({k: kept[k] for k in ("load_seconds", "linkage_seconds") if k in kept})
    else:
        store.close()
        raise SystemExit(
            f"{path} holds {have} records of {SOURCE!r} (asked for {persons}"
            f"{'' if active else ', and no active version'}): delete it or pass another --db"
        )
    return store, figures


def canonical(raw: dict[str, Any]) -> dict[str, str]:
    fields = {MAPPING.get(k, k): v for k, v in raw.items() if v}
    return {k: str(v) for k, v in fields.items() if k in CANONICAL}


def typo(text: str, rng: random.Random) -> str:
    if len(text) < 4:
        return text
    at = rng.randrange(1, len(text) - 2)
    return text[:at] + text[at + 1] + text[at] + text[at + 2 :]


Pool = tuple[list[Any], dict[tuple[str, str], str]]  # stored records, their identities


def stored_pool(store: Store) -> Pool:
    """Every stored record of the source and its identity (what ``queries`` draws from)."""
    with store.read() as reader:
        stored = reader.records(SOURCE)
        owners = reader.identities_of_records([(r.source, r.record_id) for r in stored])
    return stored, owners


def queries(
    store: Store, count: int, rng: random.Random, pool: Pool | None = None
) -> list[tuple[str, dict[str, str], Any]]:
    """``(kind, fields, identity expected or None)`` of each query (drawn from ``pool``,
    default: the store's ``stored_pool``, read now)."""
    stored, owners = stored_pool(store) if pool is None else pool
    picked = rng.sample(stored, min(count * 2, len(stored)))
    out: list[tuple[str, dict[str, str], Any]] = []
    for n in range(count):
        record = picked[n % len(picked)]
        fields = canonical(record.raw)
        expected = owners.get((record.source, record.record_id))
        kind = ("stored", "typo", "unknown")[n % 3]
        if kind == "typo" and fields.get("family_name"):
            fields["family_name"] = typo(fields["family_name"], rng)
        elif kind == "unknown":
            other = canonical(picked[-1 - n % len(picked)].raw)
            fields = {
                "given_name": fields.get("given_name", "ZEBULON"),
                "family_name": other.get("family_name", "QWERTY"),
            }
            expected = None
        out.append((kind, fields, expected))
    return out


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(latencies: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(1000 * statistics.median(latencies), 1),
        "p99_ms": round(1000 * percentile(latencies, 0.99), 1),
        "max_ms": round(1000 * max(latencies), 1),
    }


SPLINK_OF = {"family_name": "surname", "dob": "date_of_birth", "phones": "phone"}


def splink_latency(persons: int, asked: list[tuple[str, dict[str, str], Any]]) -> dict[str, Any]:
    """Splink's one-record matching of the same queries over the same records (the module
    docstring): its training time and per-query latency."""
    match_one, trained = splink_matcher(persons)
    return {**splink_queries(match_one, asked), "train_seconds": round(trained, 1)}


def splink_queries(
    match_one: Callable[[dict[str, str]], None], asked: list[tuple[str, dict[str, str], Any]]
) -> dict[str, Any]:
    """Each query through ``match_one`` (``splink_matcher``), one after another: latency."""
    latencies: list[float] = []
    errors = 0
    for _, fields, _ in asked:
        started = time.perf_counter()
        try:
            match_one(fields)
        except Exception as exc:  # a failed query is counted, and the loop goes on
            errors += 1
            print(f"splink query failed: {type(exc).__name__}: {exc}")
        latencies.append(time.perf_counter() - started)
    return {**summary(latencies), "requests": len(latencies), "errors": errors}


def splink_matcher(persons: int) -> tuple[Callable[[dict[str, str]], None], float]:
    """Splink trained on the generated people (the module docstring), as the function that
    matches one query's canonical fields (``find_matches_to_new_records``, its result fetched),
    and the seconds training and term-frequency tables took."""
    import duckdb
    from splink import DuckDBAPI, Linker

    from benchmarks.splink_runner import THREADS, prepare_table, train
    from benchmarks.splink_settings import SYNTH_COLUMNS, model_for

    records, _ = generate_people(persons, seed=42)
    con = duckdb.connect()
    con.execute(f"set threads to {THREADS}")
    con.register("records_df", records.astype(object))
    con.execute("create table input_records_raw as select * from records_df")
    con.unregister("records_df")
    model = model_for("synth", "dedupe_only")
    prepare_table(con, "input_records", model, list(records.columns))
    linker = Linker(
        "input_records",
        model.settings,
        db_api=DuckDBAPI(connection=con),
        set_up_basic_logging=False,
    )
    started = time.perf_counter()
    train(linker, model)
    for column in ("given_name", "surname", "city", "postcode"):
        linker.table_management.compute_tf_table(column)
    trained = time.perf_counter() - started
    rules: list[Any] = list(model.settings.blocking_rules_to_generate_predictions)

    def match_one(fields: dict[str, str]) -> None:
        row: dict[str, Any] = {"record_id": "query"}
        for name, value in fields.items():
            row[SPLINK_OF.get(name, name)] = value.split("|")[0]
        frame = pd.DataFrame([{c: row.get(c) for c in ("record_id", *SYNTH_COLUMNS)}], dtype=object)
        con.execute("drop table if exists query")
        con.register("query_df", frame)
        con.execute("create or replace table query_raw as select * from query_df")
        con.unregister("query_df")
        prepare_table(con, "query", model, list(frame.columns))
        found = linker.inference.find_matches_to_new_records(
            "query", blocking_rules=rules, match_weight_threshold=-4
        )
        found.as_pandas_dataframe()  # type: ignore[no-untyped-call]

    return match_one, trained


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--persons", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--screenings", type=int, default=10)
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (kept, reused)")
    parser.add_argument("--out", type=Path, default=None, help="write the figures as JSON")
    parser.add_argument("--splink", action="store_true", help="Splink's one-record matching too")
    args = parser.parse_args(argv)
    directory = tempfile.TemporaryDirectory(prefix="linker-match-bench-")
    store, figures = stored_store(args.db or Path(directory.name) / "store.db", args.persons)
    client = create_app({"TESTING": False}, store=store).test_client()
    rng = random.Random(7)
    pool = stored_pool(store)  # read once: a million records take a while
    asked = queries(store, args.queries, rng, pool)
    client.post("/v1/match", json={"entity_type": "person", "fields": asked[0][1]})  # warm
    latencies: list[float] = []
    errors = 0
    first_right: dict[str, list[bool]] = {"stored": [], "typo": []}
    for kind, fields, expected in asked:
        started = time.perf_counter()
        response = client.post("/v1/match", json={"entity_type": "person", "fields": fields})
        latencies.append(time.perf_counter() - started)
        if response.status_code != 200:
            errors += 1
            continue
        candidates = response.get_json()["candidates"]
        if kind in first_right and expected is not None:
            first_right[kind].append(bool(candidates) and candidates[0]["identity_id"] == expected)
    figures["match"] = {**summary(latencies), "requests": len(latencies), "errors": errors}
    for kind, hits in first_right.items():
        figures["match"][f"{kind}_identity_first"] = round(sum(hits) / max(len(hits), 1), 3)

    screening: list[float] = []
    screening_errors = 0
    for n in range(args.screenings):
        names = []
        for k, (_, fields, _) in enumerate(queries(store, 100, random.Random(100 + n), pool)):
            full = " ".join(fields.get(f, "") for f in ("given_name", "family_name")).strip()
            names.append({"key": f"n{k}", "full_name": full or "X", "dob": fields.get("dob")})
        started = time.perf_counter()
        response = client.post("/v1/screenings", json={"names": names})
        screening.append(time.perf_counter() - started)
        screening_errors += response.status_code != 200
    figures["screening_100"] = {
        **summary(screening),
        "requests": len(screening),
        "errors": screening_errors,
    }
    if args.splink:
        splink = splink_latency(args.persons, asked)
        figures["splink_find_matches"] = splink
        figures["linker_over_splink"] = {
            "p50": round(figures["match"]["p50_ms"] / splink["p50_ms"], 3),
            "p99": round(figures["match"]["p99_ms"] / splink["p99_ms"], 3),
        }
    print(json.dumps(figures, indent=2))
    if args.out:
        args.out.write_text(json.dumps(figures, indent=2))
    store.close()
    directory.cleanup()
    return figures


if __name__ == "__main__":
    main()
