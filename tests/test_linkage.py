"""Linkage runs through the store (``linker.linkage``), on SQLite and PostgreSQL.

The issue's acceptance: the same batch twice changes nothing; linkage again on unchanged data
keeps every id; 1% new records keep at least 99% of the ids, each change with one event and
every merged id answering for a live one; shuffled input gives the same ids; and records
ingested in ten batches with an incremental run after each give the clusters of one full run
under the same model version. The records are a small generated world's people (both
services), so each test stays within a few seconds.
"""

from __future__ import annotations

import itertools
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import Engine

from linker.errors import ConfigError, InputError, ModelError
from linker.linkage import block_keys_of, resolve_identities, source_tables
from linker.linkage_model import LinkageModel, TrainedReference
from linker.settings import Settings
from linker.store import RecordIn, Source, Store, StoreError
from linker.synth.world import build_world
from tests.store.conftest import FakeClock, clock, engine_factory  # noqa: F401 (fixtures)

ENTITY = "person"
SOURCES = ("fiu-persons", "police-persons")
RecordRef = tuple[str, str]


@pytest.fixture
def db(engine_factory: Callable[[], Engine], clock: FakeClock) -> Store:  # noqa: F811
    """An upgraded, empty store of each backend (``tests/store/conftest.py``)."""
    made = Store(engine_factory(), clock=clock)
    made.upgrade()
    return made


@cache
def _people(identities: int = 150, seed: int = 5) -> dict[str, pd.DataFrame]:
    """Both services' person records of a small world, by source."""
    frames = build_world(identities, seed).frames
    return {SOURCES[0]: frames["fiu/persons"], SOURCES[1]: frames["police/persons"]}


@cache
def _fitted() -> tuple[str, dict[str, Any]]:
    """The version a first run fits on ``_people()``, fitted once for the module: the tests
    that are not about fitting adopt it and only apply it (much faster than fitting)."""
    with tempfile.TemporaryDirectory() as directory:
        fitting = _sqlite_store(Path(directory) / "fit.db")
        _ingest(fitting, _people())
        resolve_identities(fitting, ENTITY)
        with fitting.read() as reader:
            version = reader.active_model_version(ENTITY)
        fitting.close()
    assert version is not None
    return version.id, version.manifest


def _adopt(db: Store) -> str:
    """Store and activate the module's fitted version in ``db``; returns its id."""
    version_id, manifest = _fitted()
    with db.unit_of_work() as uow:
        uow.add_model_version(version_id, ENTITY, manifest)
        uow.activate_model_version(version_id)
    return version_id


def _resolved(db: Store, frames: dict[str, pd.DataFrame] | None = None) -> None:
    """``frames`` (default: every person) ingested and resolved under the fitted version."""
    _ingest(db, _people() if frames is None else frames)
    _adopt(db)
    resolve_identities(db, ENTITY, full=True)


def _rows(frame: pd.DataFrame) -> list[RecordIn]:
    columns = [c for c in frame.columns if c != "record_id"]
    return [
        RecordIn(str(rid), {c: (v or None) for c, v in zip(columns, values, strict=True)})
        for rid, *values in frame[["record_id", *columns]].itertuples(index=False)
    ]


def _ingest(db: Store, batches: dict[str, pd.DataFrame]) -> tuple[int, int]:
    """Upsert each source's rows; returns (changed, unchanged) record counts."""
    changed = unchanged = 0
    with db.unit_of_work() as uow:
        for name in SOURCES:
            uow.put_source(Source(name, agency=name.split("-")[0], entity_type=ENTITY))
        for name, frame in batches.items():
            report = uow.upsert_records(name, _rows(frame))
            changed += len(report.changed)
            unchanged += len(report.unchanged)
    return changed, unchanged


def _membership(db: Store) -> dict[RecordRef, str]:
    with db.read() as reader:
        return {r: x.id for x in reader.identities(ENTITY) for r in x.members}


def _clusters(membership: dict[RecordRef, str]) -> set[frozenset[RecordRef]]:
    grouped: dict[str, set[RecordRef]] = {}
    for ref, identity_id in membership.items():
        grouped.setdefault(identity_id, set()).add(ref)
    return {frozenset(g) for g in grouped.values()}


def _pairs(clusters: Iterable[frozenset[RecordRef]]) -> set[frozenset[RecordRef]]:
    return {frozenset(p) for c in clusters for p in itertools.combinations(sorted(c), 2)}


def _pair_f1(a: set[frozenset[RecordRef]], b: set[frozenset[RecordRef]]) -> float:
    if not a and not b:
        return 1.0
    return 2 * len(a & b) / (len(a) + len(b))


def _sqlite_store(path: Path) -> Store:
    other = Store.open(f"sqlite:///{path}", check=False)
    other.upgrade()
    return other


def test_the_first_run_fits_stores_and_activates_a_version(db: Store) -> None:
    _ingest(db, _people())
    report = resolve_identities(db, ENTITY)
    assert (report.mode, report.model_version, report.fitted) == ("full", "person-v1", True)
    records = sum(len(f) for f in _people().values())
    assert report.records == records
    with db.read() as reader:
        version = reader.active_model_version(ENTITY)
        assert version is not None and version.id == "person-v1"
        model = LinkageModel.from_dict(version.manifest)
        assert model.kind == "unsupervised"  # the session's LINKER_HOME holds no trained model
        assert model.settings.rules and model.settings.comparisons
        assert model.fellegi_sunter and model.fellegi_sunter["term_frequencies"]
        events = reader.events_since(0, limit=10_000)
        identities = reader.identities(ENTITY)
        assert {e.kind for e in events} == {"create"}
        assert {e.model_version_id for e in events} == {"person-v1"}
        assert len(events) == len(identities) == report.identities
        assert sum(len(x.members) for x in identities) == records
        # the match and review bands are stored, with the version's thresholds
        some = next(iter(identities[0].members))
        pairs = reader.pairs_of("person-v1", [r for x in identities for r in x.members])
        assert pairs and {p.band for p in pairs} <= {"match", "review"}
        assert all((p.score >= model.t_match) == (p.band == "match") for p in pairs)
        # the key index: the two records of a stored pair share a blocking key
        keys = reader.block_keys_of_records([p.left for p in pairs] + [p.right for p in pairs])
        assert all(keys[p.left] & keys[p.right] for p in pairs)
        assert pairs[0].right in reader.records_by_block_keys(keys[pairs[0].left])
        assert some in {r for x in identities for r in x.members}


def test_ingesting_the_same_batch_twice_changes_nothing(db: Store) -> None:
    _resolved(db)
    with db.read() as reader:
        seq = reader.last_event_seq()
    before = _membership(db)
    changed, unchanged = _ingest(db, _people())
    assert changed == 0 and unchanged == len(before)
    report = resolve_identities(db, ENTITY)
    assert not report.written and report.events == {}
    with db.read() as reader:
        assert reader.last_event_seq() == seq
    assert _membership(db) == before


def test_linkage_again_on_unchanged_data_keeps_every_id(db: Store) -> None:
    _resolved(db)
    before = _membership(db)
    with db.read() as reader:
        seq = reader.last_event_seq()
    report = resolve_identities(db, ENTITY, full=True)
    assert report.mode == "full" and report.events == {}
    assert report.kept == report.identities == len(set(before.values()))
    assert _membership(db) == before  # 100% of the ids kept
    with db.read() as reader:
        assert reader.last_event_seq() == seq


def test_one_percent_new_records_keep_the_ids_with_one_event_per_change(db: Store) -> None:
    people = _people()
    rng = np.random.default_rng(3)
    held: dict[str, pd.DataFrame] = {}
    first: dict[str, pd.DataFrame] = {}
    for name, frame in people.items():
        late = rng.random(len(frame)) < 0.01
        late[0] = True  # at least one new record per source
        held[name], first[name] = frame[late], frame[~late]
    _resolved(db, first)
    before = _membership(db)
    with db.read() as reader:
        seq = reader.last_event_seq()
        old_ids = {x.id for x in reader.identities(ENTITY, status=None)}
    _ingest(db, held)
    report = resolve_identities(db, ENTITY)
    assert report.mode == "incremental"
    assert report.to_resolve == sum(len(f) for f in held.values())
    after = _membership(db)
    assert set(after) == set(before) | {(n, str(r)) for n, f in held.items() for r in f.record_id}
    old_live = set(before.values())
    with db.read() as reader:
        live_now = {x.id for x in reader.identities(ENTITY)}
        events = reader.events_since(seq, limit=10_000)
        kept = old_live & live_now
        assert len(kept) >= 0.99 * len(old_live)
        # every change has exactly one event: each id is the subject of at most one
        subjects = Counter(
            e.identity_ids[1] if e.kind == "merge" else e.identity_ids[0] for e in events
        )
        assert all(n == 1 for n in subjects.values())
        for gone in old_live - live_now:  # an id no longer live: merged (or retired), once
            assert subjects[gone] == 1
            survivor = reader.surviving_identity(gone)
            assert reader.identity(survivor).status == "active"
        for new in live_now - old_ids:  # a new id is created, or named by a split or merge
            named = [e for e in events if new in e.identity_ids]
            assert len(named) == 1
        moved = {r for r, x in before.items() if after[r] != x}
        for ref in moved:  # a record changing identity is told by an event of its old id
            assert subjects[before[ref]] == 1
        assert {e.model_version_id for e in events} <= {"person-v1"}


def test_shuffled_input_gives_the_same_version_and_ids(db: Store, tmp_path: Path) -> None:
    _resolved(db)  # under the version fitted on the records in their generated order
    shuffled = _sqlite_store(tmp_path / "shuffled.db")
    rng = np.random.default_rng(11)
    frames = {n: f.iloc[rng.permutation(len(f))] for n, f in reversed(_people().items())}
    _ingest(shuffled, frames)
    resolve_identities(shuffled, ENTITY)  # fits its own
    with shuffled.read() as reader:
        version = reader.active_model_version(ENTITY)
    assert version is not None and (version.id, version.manifest) == _fitted()
    assert _membership(shuffled) == _membership(db)


def test_incremental_runs_over_ten_batches_equal_one_full_run(db: Store, tmp_path: Path) -> None:
    people = _people()
    batch_store = _sqlite_store(tmp_path / "batch.db")
    _resolved(batch_store)  # one full run
    version_id = _adopt(db)  # the same version, applied unchanged by every incremental run
    rng = np.random.default_rng(8)
    parts = {n: np.array_split(rng.permutation(len(f)), 10) for n, f in people.items()}
    for i in range(10):
        _ingest(db, {n: f.iloc[parts[n][i]] for n, f in people.items()})
        report = resolve_identities(db, ENTITY)
        assert report.mode == "incremental" and report.model_version == version_id
    incremental = _pairs(_clusters(_membership(db)))
    full = _pairs(_clusters(_membership(batch_store)))
    assert len(full) > 100
    assert _pair_f1(incremental, full) >= 0.999
    # ... and a full run on the incrementally built store agrees too
    resolve_identities(db, ENTITY, full=True)
    assert _pair_f1(_pairs(_clusters(_membership(db))), full) >= 0.999


def test_erased_records_leave_their_identity_or_retire_it(db: Store) -> None:
    _resolved(db)
    with db.read() as reader:
        identities = reader.identities(ENTITY)
        seq = reader.last_event_seq()
    pair = next(x for x in identities if len(x.members) == 2)
    single = next(x for x in identities if len(x.members) == 1)
    with db.unit_of_work() as uow:
        uow.erase_record(*pair.members[0])
        uow.erase_record(*single.members[0])
    report = resolve_identities(db, ENTITY)
    assert report.to_resolve == 2 and report.events == {"retire": 1}
    with db.read() as reader:
        assert reader.identity(pair.id).members == pair.members[1:]  # kept its id, no event
        assert reader.identity(single.id).status == "retired"
        (event,) = reader.events_since(seq)
        assert (event.kind, event.identity_ids) == ("retire", (single.id,))
    assert not resolve_identities(db, ENTITY).written  # the erasures are resolved


def test_a_changed_record_is_resolved_again(db: Store) -> None:
    _resolved(db)
    with db.read() as reader:
        pair = next(x for x in reader.identities(ENTITY) if len(x.members) == 2)
        record = reader.record(*pair.members[1])
    unlike = {key: None for key in record.raw} | {"given_name": "ZZYZX", "family_name": "QWERTY"}
    with db.unit_of_work() as uow:
        assert uow.upsert_records(record.source, [RecordIn(record.record_id, unlike)]).updated
    report = resolve_identities(db, ENTITY)
    assert report.to_resolve == 1 and report.events == {"split": 1}
    membership = _membership(db)
    assert membership[pair.members[0]] == pair.id  # a tie: the smallest record keeps the id
    assert membership[pair.members[1]] != pair.id


def test_a_refit_stores_an_inactive_version_until_it_is_activated(db: Store) -> None:
    _resolved(db, _people(60, 2))  # a smaller world: this test fits twice
    before = _membership(db)
    with db.read() as reader:
        seq = reader.last_event_seq()
    quick = Settings(entity=ENTITY, u_sample_pairs=5_000)  # a smaller u sample: a quicker fit
    report = resolve_identities(db, ENTITY, refit=True, settings=quick)
    assert (report.mode, report.model_version, report.fitted) == ("refit", "person-v2", True)
    assert "not active" in report.describe()
    with db.read() as reader:
        assert [(v.id, v.active) for v in reader.model_versions(ENTITY)] == [
            ("person-v1", True),
            ("person-v2", False),
        ]
    assert _membership(db) == before
    report = resolve_identities(db, ENTITY, refit=True, activate=True, settings=quick)
    assert report.model_version == "person-v3" and report.activated
    with db.read() as reader:
        active = reader.active_model_version(ENTITY)
        assert active is not None and active.id == "person-v3"
        assert {e.model_version_id for e in reader.events_since(seq)} <= {"person-v3"}
    assert set(_membership(db)) == set(before)  # the records' identities under person-v3


def test_a_run_needs_records_and_sources(db: Store) -> None:
    with pytest.raises(InputError, match="no source of person records"):
        resolve_identities(db, ENTITY)
    _ingest(db, {})
    with pytest.raises(InputError, match="no person records in the store"):
        resolve_identities(db, ENTITY)


def test_a_run_that_raced_another_writes_nothing(
    db: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    _resolved(db)
    _ingest(db, {SOURCES[0]: _people()[SOURCES[0]].assign(given_name="ZED")})
    from linker.identities import assign_identities as real

    def racing(*args: object, **kwargs: object) -> object:
        with db.unit_of_work() as uow:  # another run writes an event meanwhile
            uow.append_event("undo", ["nobody"], None)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("linker.linkage.assign_identities", racing)
    before = _membership(db)
    with pytest.raises(StoreError, match="identities changed while"):
        resolve_identities(db, ENTITY)
    assert _membership(db) == before
    with db.read() as reader:
        assert len(reader.records_to_resolve(list(SOURCES))) == len(_people()[SOURCES[0]])


# --- the pieces ---------------------------------------------------------------------------


def test_source_tables_follow_the_mapping_and_ignore_input_order() -> None:
    from datetime import UTC, datetime

    from linker.store import StoredRecord

    now = datetime(2026, 1, 1, tzinfo=UTC)

    def stored(source: str, rid: str, raw: dict[str, object]) -> StoredRecord:
        return StoredRecord(source, rid, dict(raw), None, "h", 1, now, now, None)

    records = [
        stored("b", "2", {"nom": " Dupont ", "tel": ["06 1", "07 2"], "x": 5, "record_id": "?"}),
        stored("a", "9", {"nom": "Martin", "tel": None, "junk": "y"}),
        stored("b", "1", {"nom": "", "tel": []}),
    ]
    sources = [
        Source("a", "fiu", ENTITY, column_mapping={"nom": "family_name", "junk": "ignore"}),
        Source("b", "police", ENTITY, column_mapping={"nom": "family_name", "tel": "phones"}),
    ]
    tables = source_tables(records, sources)
    assert [t.name for t in tables] == ["a", "b"]
    a, b = (t.frame for t in tables)
    assert a.to_dict("records") == [{"record_id": "a\x1f9", "family_name": "Martin", "tel": None}]
    assert b.to_dict("records") == [
        {"record_id": "b\x1f1", "family_name": None, "phones": None, "x": None},
        {"record_id": "b\x1f2", "family_name": "Dupont", "phones": "06 1|07 2", "x": "5"},
    ]
    assert source_tables(list(reversed(records)), sources)[1].frame.equals(b)


def test_block_keys_match_what_the_rules_block_together() -> None:
    from linker.blocking import BlockingRule

    frame = pd.DataFrame(
        {
            "record_id": ["s\x1f1", "s\x1f2", "s\x1f3"],
            "dob": ["1970-01-02", "1970-01-02", None],
            "family_name_ph": ["DPNT", "MRTN", "DPNT"],
            "phones": ["0611|0622", None, "0622"],
        }
    )
    refs = {"s\x1f1": ("s", "1"), "s\x1f2": ("s", "2"), "s\x1f3": ("s", "3")}
    rules = [BlockingRule(("dob", "family_name_ph")), BlockingRule(("phones",))]
    keys = block_keys_of(frame, rules, refs)
    assert keys == {
        ("s", "1"): [
            ("dob & family_name_ph", "1970-01-02\x1fDPNT"),
            ("phones", "0611"),
            ("phones", "0622"),
        ],
        ("s", "2"): [("dob & family_name_ph", "1970-01-02\x1fMRTN")],
        ("s", "3"): [("phones", "0622")],
    }


def test_a_few_records_get_the_keys_many_get() -> None:
    """A query of one record takes the row-by-row path (``_FEW_RECORDS``): the same keys as
    the column path gives the same record among many, whatever the key's type (dates are
    float codes, phones lists)."""
    from linker.blocking import BlockingRule, KeyCodes, choose_rules
    from linker.blocking.rules import BlockingOptions, key_columns
    from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
    from linker.synth import generate_people

    people, _ = generate_people(300, seed=5)
    settings = Settings(entity=ENTITY)
    table = SourceTable("s", people, pd.Series(np.arange(2, len(people) + 2)))
    plan = plan_columns([table], "record_id", {}, set(), ENTITY)
    frame = prepare_sources([table], plan, "record_id", settings.prepare).frame
    frame = frame.reset_index(drop=True)
    listed = frame["phones"].notna() & (frame.index % 3 == 0)
    frame.loc[listed, "phones"] += "|+33600000000"  # two phones: two keys
    refs = {str(i): ("s", str(i)) for i in frame["record_id"]}
    rules = choose_rules(frame, BlockingOptions(), KeyCodes(frame))
    rules += [BlockingRule((k,)) for k in key_columns(frame)]  # every key, lists included
    many = block_keys_of(frame, rules, refs)
    assert sum(map(len, many.values())) > len(frame)
    for at in range(0, len(frame), 7):
        one = frame.iloc[[at]]
        ref = refs[str(one["record_id"].iloc[0])]
        assert block_keys_of(one, rules, refs) == {ref: many[ref]}


def _model(**changes: object) -> LinkageModel:
    values: dict[str, object] = {
        "entity_type": ENTITY,
        "settings": Settings(entity=ENTITY),
        "trained": TrainedReference("/nowhere/manifest.json", "0" * 64),
    }
    values.update(changes)
    return LinkageModel(**values)  # type: ignore[arg-type]


def test_a_linkage_model_round_trips_through_json(db: Store) -> None:
    import json

    _resolved(db)
    with db.read() as reader:
        version = reader.active_model_version(ENTITY)
    assert version is not None
    model = LinkageModel.from_dict(version.manifest)
    again = LinkageModel.from_dict(json.loads(json.dumps(model.to_dict())))
    assert again == model
    assert list(model.bands(np.array([0.1, 0.2, 0.49, 0.5, 0.9]))) == [
        "non_match",
        "review",
        "review",
        "match",
        "match",
    ]
    with model.applied() as settings:
        assert Path(settings.model).is_file() and settings.threshold == model.t_match
    assert not Path(settings.model).exists()  # the temporary manifest is gone


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"t_match": 0.5, "t_review": 0.6}, "t_review < t_match"),
        ({"fellegi_sunter": {"kind": "unsupervised"}}, "exactly one of them"),
        ({"settings": Settings(entity="company")}, "settings for company records"),
        ({"settings": Settings(entity=ENTITY, job="link")}, "dedupe job"),
    ],
)
def test_a_linkage_model_refuses_what_cannot_be_applied(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        _model(**changes)


def test_a_linkage_model_refuses_foreign_json() -> None:
    with pytest.raises(ConfigError, match="not a linkage model"):
        LinkageModel.from_dict({"kind": "unsupervised"})
    data = _model().to_dict()
    with pytest.raises(ConfigError, match="format version"):
        LinkageModel.from_dict({**data, "format_version": 99})
    with pytest.raises(ConfigError, match="missing or malformed"):
        LinkageModel.from_dict({k: v for k, v in data.items() if k != "t_match"})


def test_a_trained_reference_refuses_a_model_changed_since(tmp_path: Path) -> None:
    from linker.linkage_model import trained_files_hash

    (tmp_path / "trees.npz").write_bytes(b"trees")
    manifest = tmp_path / "manifest.json"
    manifest.write_text('{"kind": "trained", "trees_file": "trees.npz"}')
    reference = TrainedReference(str(manifest), trained_files_hash(manifest))
    assert reference.checked() == manifest
    (tmp_path / "trees.npz").write_bytes(b"retrained")
    with pytest.raises(ModelError, match="changed since this linkage model was made"):
        reference.checked()
    manifest.unlink()
    with pytest.raises(ModelError, match="is gone"):
        reference.checked()


# --- the store's side of a run ---------------------------------------------------------------


def test_records_are_resolved_at_the_content_the_run_read(db: Store) -> None:
    _ingest(db, {SOURCES[0]: _people()[SOURCES[0]].head(3)})
    with db.read() as reader:
        first, second, third = reader.records_to_resolve(list(SOURCES))
    with db.unit_of_work() as uow:
        resolved = {(first.source, first.record_id): first.content_hash}
        stale = {(second.source, second.record_id): "0" * 64}  # changed since it was read
        assert uow.mark_resolved({**resolved, **stale}, None) == 1
    with db.read() as reader:
        left = reader.records_to_resolve(list(SOURCES))
        assert [r.record_id for r in left] == [second.record_id, third.record_id]
        assert reader.record(first.source, first.record_id).resolved_hash == first.content_hash
    with db.unit_of_work() as uow:
        uow.erase_record(first.source, first.record_id)  # erased after it was resolved
        uow.erase_record(third.source, third.record_id)  # erased before any run saw it
    with db.read() as reader:
        left = reader.records_to_resolve(list(SOURCES))
        assert [r.record_id for r in left] == [first.record_id, second.record_id]


def test_identity_changes_that_leave_an_identity_empty_are_refused(db: Store) -> None:
    from linker.store import EventIn, IdentityChanges

    _ingest(db, {SOURCES[0]: _people()[SOURCES[0]].head(2)})
    with db.read() as reader:
        a, b = ((r.source, r.record_id) for r in reader.records(SOURCES[0]))
    made = IdentityChanges(
        (EventIn("create", ("x1",), {"members": [list(a)]}),), {"x1": 0}, {a: "x1"}
    )
    with db.unit_of_work() as uow:
        assert len(uow.apply_identity_changes(ENTITY, made, None)) == 1
    emptied = IdentityChanges(
        (EventIn("create", ("x2",), {}),),
        {"x2": 0},
        {a: "x2"},  # x1 left with nothing
    )
    with (
        pytest.raises(StoreError, match="'x1' would be active with 0 record"),
        db.unit_of_work() as uow,
    ):
        uow.apply_identity_changes(ENTITY, emptied, None)
    with db.read() as reader:  # nothing of it was written
        assert reader.identities_of_records([a, b]) == {a: "x1"}
        assert reader.last_event_seq() == 1


def test_later_runs_keep_manual_splits_and_merges_until_undone(db: Store) -> None:
    from linker.identity_edits import merge_manually, split_manually, undo_manual

    _resolved(db)
    with db.read() as reader:
        identities = reader.identities(ENTITY)
    pair = next(x for x in identities if len(x.members) == 2)
    one, other = [x for x in identities if len(x.members) == 1][:2]
    with db.unit_of_work() as uow:
        split = split_manually(uow, pair.id, [[pair.members[1]]])
        merge = merge_manually(uow, [one.id, other.id])
    apart, together = pair.members, (*one.members, *other.members)
    for full in (True, False):
        with db.unit_of_work() as uow:  # touch the records so that an incremental run covers them
            for ref in (*apart, *together):
                record = uow.record(*ref)
                uow.upsert_records(ref[0], [RecordIn(ref[1], {**record.raw, "note": str(full)})])
        report = resolve_identities(db, ENTITY, full=full)
        assert report.events == {}, report
        membership = _membership(db)
        assert membership[apart[0]] != membership[apart[1]]
        assert membership[together[0]] == membership[together[1]]
    with db.unit_of_work() as uow:
        undo_manual(uow, split.seq)
    with db.unit_of_work() as uow:
        undo_manual(uow, merge.seq)
    resolve_identities(db, ENTITY, full=True)
    membership = _membership(db)
    assert membership[apart[0]] == membership[apart[1]]  # the scores decide again
    assert membership[together[0]] != membership[together[1]]


def test_manual_decisions_follow_the_order_of_the_changes() -> None:
    from types import SimpleNamespace

    from linker.manual_decisions import manual_decisions

    def event(seq: int, kind: str, kept: list[str], *moved: list[str], undoes: int = 0) -> Any:
        details = {"kept": [["s", r] for r in kept], "moved": {}}
        details["moved"] = {f"m{i}": [["s", r] for r in part] for i, part in enumerate(moved)}
        if kind == "undo":
            details = {"undoes": undoes}
        return SimpleNamespace(seq=seq, kind=kind, details=details)

    a, b, c, d = (("s", r) for r in "abcd")
    decisions = manual_decisions(
        [
            event(1, "merge", ["a", "b"], ["c"]),  # a, b, c together
            event(2, "split", ["a", "b"], ["c"]),  # ... then c apart again
            event(3, "split", ["d"], ["a"]),
            event(4, "undo", [], undoes=3),  # d and a: no decision
        ]
    )
    assert decisions.together == (frozenset({a, b}),)
    assert decisions.apart == {frozenset({a, c}), frozenset({b, c})}
    assert decisions.apart_among([a, c, d]) == [(a, c)]
    # joining: the clusters holding a and b become one, unless that joins an apart pair
    assert decisions.join([[a], [b, d], [c]]) == [[a, b, d], [c]]
    assert decisions.join([[a, c], [b]]) == [[a, c], [b]]
    # a member not in the run (erased, not covered) does not break the group
    three = manual_decisions([event(1, "merge", ["a"], ["b"], ["c"])])
    assert three.join([[a], [c], [d]]) == [[a, c], [d]]
