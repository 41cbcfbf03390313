"""Linkage runs through the store: stored records in, stable identities out.

``resolve_identities(store, entity_type)`` is the one linkage run of the service, for the
``linker resolve`` command, the ingest job and the API alike. It reads the records of every
source of the entity type from the store, runs them through ``linker.runs.run`` (the same
stages and code as ``linker dedupe``: there is no second matcher) under the active linkage
model version (``linker.linkage_model``), lets ``linker.identities`` decide which identity ids
the clusters carry, and writes the outcome in one unit of work: identities, members and their
events (each carrying the model version), the scored pairs of the match and review bands, the
blocking keys of the records and which content of each record was resolved.

- **Full** (``full=True``): every live record; a record no longer clustered (erased) leaves
  its identity.
- **Incremental** (the default): the records new, changed or erased since they were last
  resolved (``records.resolved_hash``), plus the stored records sharing a blocking key with
  them (the key index: no re-blocking of the store), plus every member of the identities those
  belong to, so that two identities a new record joins can merge and one it changes can split.
  Records outside that set keep their identities whatever happens.
- **Some records only** (``only``): an incremental run of those of the given records that are
  new, changed or erased, as for the one record of an API upsert; it needs an active version
  (it never fits one) and leaves every other record to resolve to a later run.
- **Versions.** The first run of an entity type, with no version yet, fits one on all records,
  stores and activates it. Later runs apply the active version unchanged. ``refit=True`` fits a
  new version on all records and stores it inactive (identities unchanged), unless ``activate``
  asks to switch to it at once; then the run's clusters become the identities.

Reading and computing happen outside the write transaction (a long run does not hold the
database's write lock); the write checks that no identity event was written meanwhile (another
linkage run) and fails, writing nothing, if one was.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from linker.blocking import BlockingRule
from linker.blocking.rules import is_list_key
from linker.errors import ConfigError, InputError
from linker.identities import Assignment, Identity, assign_identities
from linker.io import LIST_SEPARATOR
from linker.linkage_model import DEFAULT_T_REVIEW, LinkageModel
from linker.manual_decisions import ManualDecisions, manual_decisions
from linker.pipeline import in_canonical_order
from linker.prepare import PrepareOptions
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.runs import RunResult, run
from linker.settings import Settings
from linker.store import (
    EventIn,
    IdentityChanges,
    Reader,
    RunConflictError,
    ScoredPair,
    Source,
    Store,
    StoredRecord,
)
from linker.store import Identity as StoredIdentity

__all__ = [
    "IDENTITY_KEY_VARIABLE",
    "LinkageReport",
    "block_keys_of",
    "resolve_identities",
    "source_tables",
]

Say = Callable[[str], None]
RecordRef = tuple[str, str]
IDENTITY_KEY_VARIABLE = "LINKER_IDENTITY_KEY"  # the deployment's secret for new identity ids
KEY_JOIN = "\x1f"  # joins a rule's key values, and a source to a record id inside one run
NO_VERSION = "none"  # the report's version of a run that had nothing to fit a model on
STATUS = {"active": "live", "merged": "merged", "retired": "retired"}


def _silent(message: str) -> None:
    pass


@dataclass
class LinkageReport:
    """What one linkage run did."""

    entity_type: str
    mode: str  # full, incremental or refit
    model_version: str  # the version that scored the run
    fitted: bool = False  # the run fitted (and stored) that version
    activated: bool = False  # ... and it is now the active one
    records: int = 0  # records the run clustered (live ones among those it covered)
    to_resolve: int = 0  # new, changed or erased records since the last run
    identities: int = 0  # live identities of the covered records after the run
    # live identities before the run still live with the same id (incremental: those covered)
    kept: int = 0
    events: dict[str, int] = field(default_factory=dict)  # by kind
    pairs: int = 0  # scored pairs written (match and review bands; unchanged ones are kept)
    rejects: int = 0  # records preparation kept out (they hold no identity)
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)  # decide, write (seconds)
    written: bool = True  # False: nothing to resolve, or a refit stored only its version
    identities_changed: list[str] = field(default_factory=list)  # ids with an event, sorted

    def describe(self) -> str:
        """One or two lines for a person to read."""
        if self.mode == "refit" and not self.fitted:
            return f"{self.entity_type}: no candidate pair to fit a model version on yet"
        if self.mode == "refit" and not self.activated:
            return (
                f"{self.entity_type}: fitted {self.model_version} on {self.records:,} records, "
                f"not active; identities unchanged ({self.seconds:.1f} s)"
            )
        version = f"{self.model_version} ({'fitted, ' if self.fitted else ''}active)"
        if self.model_version == NO_VERSION:
            version = "no model version (no candidate pair to fit one on yet)"
        if not self.written:
            return f"{self.entity_type}: nothing new to resolve under {version}"
        events = ", ".join(f"{n:,} {kind}" for kind, n in sorted(self.events.items())) or "none"
        return (
            f"{self.entity_type}: {self.mode} run under {version}: {self.records:,} records "
            f"({self.to_resolve:,} new, changed or erased), {self.identities:,} identities, "
            f"{self.kept:,} kept; events: {events}; {self.pairs:,} pairs written; "
            f"{self.seconds:.1f} s"
            + (f"\n{self.rejects:,} record(s) kept out by preparation" if self.rejects else "")
        )


def resolve_identities(
    store: Store,
    entity_type: str,
    *,
    full: bool = False,
    refit: bool = False,
    activate: bool = False,
    settings: Settings | None = None,
    t_review: float = DEFAULT_T_REVIEW,
    key: bytes | None = None,
    only: Collection[RecordRef] | None = None,
    say: Say = _silent,
) -> LinkageReport:
    """One linkage run of ``entity_type`` through ``store`` (see the module docstring).

    ``settings`` are the base settings of a fit (the first run, or a refit: default
    ``Settings(entity=entity_type)``, the ``auto`` model); a version, once fitted, brings its
    own. ``key`` is the deployment's secret for new identity ids (default: the
    ``LINKER_IDENTITY_KEY`` environment variable, else none). ``only`` restricts an
    incremental run to those records (``(source, record_id)``). ``say`` hears the run's
    progress lines. Raises ``RunConflictError`` when another run wrote meanwhile.
    """
    started = time.perf_counter()
    key = os.environ.get(IDENTITY_KEY_VARIABLE, "").encode() if key is None else key
    with store.read() as reader:
        sources = _entity_sources(reader, entity_type)
        active = reader.active_model_version(entity_type)
        seen_seq = reader.last_event_seq()
        decisions = manual_decisions(reader.manual_events(entity_type))
        if only is not None and (active is None or full or refit):
            raise ConfigError(
                "a run of some records only is incremental, under an active model version"
                if active is not None
                else f"no active {entity_type} model version yet: a first linkage run fits one"
            )
        if active is None or refit:
            report = _fit(
                store,
                reader,
                sources,
                entity_type,
                settings,
                t_review,
                key,
                say,
                activate=activate or active is None,
                seen_seq=seen_seq,
                decisions=decisions,
            )
        else:
            model = LinkageModel.from_dict(active.manifest)
            if full:
                report = _full(
                    store, reader, sources, model, active.id, key, say, seen_seq, decisions
                )
            else:
                report = _incremental(
                    store, reader, sources, model, active.id, key, say, seen_seq, decisions, only
                )
    report.seconds = time.perf_counter() - started
    return report


# --- the three kinds of run -------------------------------------------------------------


def _fit(
    store: Store,
    reader: Reader,
    sources: list[Source],
    entity_type: str,
    settings: Settings | None,
    t_review: float,
    key: bytes,
    say: Say,
    *,
    activate: bool,
    seen_seq: int,
    decisions: ManualDecisions,
) -> LinkageReport:
    """Fit a version on every live record; store it, and when ``activate``, make it active
    and its clusters the identities."""
    base = settings or Settings(entity=entity_type)
    if base.entity != entity_type:
        raise ConfigError(f"settings for {base.entity} records given to a {entity_type} run")
    base = replace(base, job="dedupe", prepare=_prepare_options(base.prepare, sources, say))
    stored = _live_records(reader, sources)
    if not stored:
        raise InputError(
            f"no {entity_type} records in the store to fit a linkage model on; load some first"
        )
    result = _run_applied(stored, sources, base, say, decisions)
    if result.model_manifest is None and result.outcome.stats["model"].get("kind") != "trained":
        # No candidate pair to fit on (a handful of records): no version yet, every record its
        # own identity; the next run fits again, on whatever records there are then.
        say(f"{entity_type}: no candidate pair to fit a model on; no version stored yet")
        if not activate:
            return LinkageReport(
                entity_type, "refit", NO_VERSION, records=len(stored), written=False
            )
        decided = _Decided(
            entity_type, "full", None, None, result, stored, None, len(stored), decisions
        )
        return _write(store, decided, _previous(reader, entity_type), key, seen_seq)
    model = LinkageModel.from_run(
        result.settings, result.model_manifest, inputs=result.inputs, t_review=t_review
    )
    version_id = _new_version_id(reader, entity_type)
    if not activate:
        with store.unit_of_work() as uow:
            uow.add_model_version(version_id, entity_type, model.to_dict())
        return LinkageReport(
            entity_type, "refit", version_id, fitted=True, records=len(stored), written=False
        )
    mode = "refit" if reader.active_model_version(entity_type) is not None else "full"
    decided = _Decided(
        entity_type, mode, model, version_id, result, stored, None, len(stored), decisions
    )
    return _write(
        store,
        decided,
        _previous(reader, entity_type),
        key,
        seen_seq,
        new_version=True,
    )


def _full(
    store: Store,
    reader: Reader,
    sources: list[Source],
    model: LinkageModel,
    version_id: str,
    key: bytes,
    say: Say,
    seen_seq: int,
    decisions: ManualDecisions,
) -> LinkageReport:
    """Every live record under the active version."""
    stored = _live_records(reader, sources)
    with model.applied() as settings:
        result = _run_applied(stored, sources, settings, say, decisions) if stored else None
    decided = _Decided(
        model.entity_type, "full", model, version_id, result, stored, None, 0, decisions
    )
    decided.to_resolve = len(reader.records_to_resolve([s.name for s in sources]))
    return _write(store, decided, _previous(reader, model.entity_type), key, seen_seq)


def _incremental(
    store: Store,
    reader: Reader,
    sources: list[Source],
    model: LinkageModel,
    version_id: str,
    key: bytes,
    say: Say,
    seen_seq: int,
    decisions: ManualDecisions,
    only: Collection[RecordRef] | None = None,
) -> LinkageReport:
    """The records to resolve (of ``only``, when given), their candidates through the key
    index and their identities' members, under the active version."""
    names = [s.name for s in sources]
    if only is None:
        changed = reader.records_to_resolve(names)
    else:
        listed = reader.records_by_ref(sorted(r for r in only if r[0] in names))
        changed = [r for r in listed if _to_resolve(r)]
    if not changed:
        return LinkageReport(model.entity_type, "incremental", version_id, written=False)
    live_changed = [r for r in changed if r.erased_at is None]
    covered: set[RecordRef] = {(r.source, r.record_id) for r in changed}
    with model.applied() as settings:
        if live_changed and settings.rules:
            keys = block_keys_of(
                _prepared(live_changed, sources, settings),
                list(settings.rules),
                _refs(live_changed),
            )
            wanted = {pair for pairs in keys.values() for pair in pairs}
            covered.update(reader.records_by_block_keys(wanted, sources=names))
        # Only the identities holding a covered record can change: those are read, not all.
        owners = set(reader.identities_of_records(covered).values())
        previous = [_identity(x) for x in reader.identities_by_id(owners)]
        for identity in previous:
            covered.update(identity.members)
        stored = [r for r in reader.records_by_ref(sorted(covered)) if r.erased_at is None]
        say(
            f"incremental: {len(changed):,} record(s) to resolve, {len(covered):,} covered "
            "with their candidates and identities"
        )
        result = _run_applied(stored, sources, settings, say, decisions) if stored else None
    decided = _Decided(
        model.entity_type,
        "incremental",
        model,
        version_id,
        result,
        stored,
        covered,
        len(changed),
        decisions,
    )
    decided.resolved_changed = {(r.source, r.record_id): r.content_hash for r in changed}
    return _write(store, decided, previous, key, seen_seq, issued=reader.issued_ids)


def _to_resolve(record: StoredRecord) -> bool:
    """Whether no linkage run has resolved the record's content (``records_to_resolve``)."""
    if record.resolved_hash is None:
        return record.erased_at is None
    return record.resolved_hash != record.content_hash


def _run_applied(
    stored: Sequence[StoredRecord],
    sources: Sequence[Source],
    settings: Settings,
    say: Say,
    decisions: ManualDecisions,
) -> RunResult:
    """``run`` under a version's settings (a rule on a key column no record of this run has
    is skipped by the pipeline: it blocks nothing), the pairs reviewers split apart given to
    its clustering as cannot-links."""
    apart = decisions.apart_among({(r.source, r.record_id) for r in stored})
    distinct = pd.DataFrame(
        [(_run_id(*a), _run_id(*b)) for a, b in apart], columns=["left_id", "right_id"]
    )
    tables = source_tables(stored, sources, settings.id_column)
    return run(tables, settings, distinct=distinct if apart else None, say=say)


# --- writing a run's outcome -------------------------------------------------------------


@dataclass
class _Decided:
    """A computed run, before it is written."""

    entity_type: str
    mode: str
    model: LinkageModel | None  # None: no version yet (nothing to fit on)
    version_id: str | None
    result: RunResult | None  # None: no live record to cluster
    stored: list[StoredRecord]  # the live records the run clustered
    covered: set[RecordRef] | None  # None: a full run
    to_resolve: int
    decisions: ManualDecisions  # the reviewers' decisions the run kept
    resolved_changed: dict[RecordRef, str] = field(default_factory=dict)  # read to resolve


def _write(
    store: Store,
    decided: _Decided,
    previous: list[Identity],
    key: bytes,
    seen_seq: int,
    *,
    new_version: bool = False,
    issued: Callable[[Collection[str]], set[str]] | None = None,
) -> LinkageReport:
    """Decide the identities and write everything of the run in one unit of work.
    ``previous``: every identity of the entity type, or (an incremental run, with ``issued``
    telling which other ids exist) those holding its covered records."""
    started = time.perf_counter()
    model, result = decided.model, decided.result
    refs = _refs(decided.stored)
    clusters: list[list[RecordRef]] = []
    pairs: list[ScoredPair] = []
    keys: dict[RecordRef, list[tuple[str, str]]] = {}
    rejects = 0
    # A record already resolved at its content under this version keeps its keys and pairs:
    # a full run under the same version rewrites them only for the records that changed.
    fresh = {
        (r.source, r.record_id)
        for r in decided.stored
        if r.resolved_hash == r.content_hash and r.resolved_version == decided.version_id
    }
    stale_ids = {run_id for run_id, ref in refs.items() if ref not in fresh}
    if result is None:  # no rule blocks these records: each stands alone
        clusters = [[ref] for ref in refs.values()]
    else:
        clusters = decided.decisions.join(_clusters(result, refs))
        pairs = [] if model is None else _pairs(result, refs, model, stale_ids)
        rules = list(result.settings.rules or ())
        keys = block_keys_of(result.outcome.records.frame, rules, refs, only=stale_ids)
        rejects = len(result.rejects)
    assignment = assign_identities(
        previous,
        clusters,
        entity_type=decided.entity_type,
        covered=decided.covered,
        key=key,
        issued=issued,
    )
    changes = identity_changes(previous, assignment)
    stale = sorted(refs[run_id] for run_id in stale_ids)
    resolved = {**decided.resolved_changed}
    resolved.update(
        ((r.source, r.record_id), r.content_hash)
        for r in decided.stored
        if (r.source, r.record_id) not in fresh
    )
    by_source: dict[str, dict[str, list[tuple[str, str]]]] = {}
    for (source, record_id), pairs_of_record in keys.items():
        by_source.setdefault(source, {})[record_id] = pairs_of_record
    decided_at = time.perf_counter()
    with store.unit_of_work() as uow:
        if uow.last_event_seq() != seen_seq:
            raise RunConflictError(
                f"identities changed while this {decided.entity_type} linkage run was computing "
                "(another run wrote events); run it again"
            )
        if new_version and model is not None and decided.version_id is not None:
            uow.add_model_version(decided.version_id, decided.entity_type, model.to_dict())
            uow.activate_model_version(decided.version_id)
        uow.apply_identity_changes(decided.entity_type, changes, decided.version_id)
        if decided.version_id is not None:
            uow.forget_pairs(decided.version_id, sorted({*stale, *decided.resolved_changed}))
            uow.put_pairs(decided.version_id, pairs)
        for source, of_source in sorted(by_source.items()):
            uow.replace_block_keys(source, of_source)
        uow.mark_resolved(resolved, decided.version_id)
    old_live = {x.identity_id for x in previous if x.status == "live"}
    live_now = {x for x, ident in assignment.identities.items() if ident.status == "live"}
    touched = set(assignment.cluster_ids)
    return LinkageReport(
        decided.entity_type,
        decided.mode,
        decided.version_id or NO_VERSION,
        fitted=new_version,
        activated=True,
        records=len(decided.stored),
        to_resolve=decided.to_resolve,
        identities=len(touched),
        kept=len(old_live & live_now),
        events=dict(Counter(e.kind for e in assignment.events)),
        pairs=len(pairs),
        rejects=rejects,
        identities_changed=_identities_changed(previous, assignment, changes),
        timings={
            "decide": round(decided_at - started, 3),
            "write": round(time.perf_counter() - decided_at, 3),
        },
    )


def _identities_changed(
    previous: Iterable[Identity], assignment: Assignment, changes: IdentityChanges
) -> list[str]:
    """The ids a run changed, sorted: each with an event, and each a record joined or left."""
    old_owner = {r: x.identity_id for x in previous if x.status == "live" for r in x.members}
    ids = {x for e in assignment.events for x in (e.identity_id, *e.into, e.survivor) if x}
    for ref, owner in changes.owners.items():
        ids.update(x for x in (owner, old_owner.get(ref)) if x)
    return sorted(ids)


def identity_changes(previous: Iterable[Identity], assignment: Assignment) -> IdentityChanges:
    """The store's writes for ``assignment`` made from ``previous``: its events with the
    records each moved, the new ids and the event that made each, the records whose identity
    changed, the merged and retired ids."""
    old = {x.identity_id: x for x in previous}
    old_owner = {r: x.identity_id for x in old.values() if x.status == "live" for r in x.members}
    new_owner = {
        r: x.identity_id
        for x in assignment.identities.values()
        if x.status == "live"
        for r in x.members
    }
    owners = {
        r: new_owner.get(r)
        for r in sorted(set(old_owner) | set(new_owner))
        if new_owner.get(r) != old_owner.get(r)
    }
    events: list[EventIn] = []
    created: dict[str, int] = {}
    merged: dict[str, str] = {}
    retired: list[str] = []
    for event in assignment.events:
        x = event.identity_id
        position = len(events)
        if event.kind == "create":
            members = sorted(assignment.identities[x].members)
            events.append(EventIn("create", (x,), {"members": _listed(members)}))
            created.setdefault(x, position)
            continue
        moved = {
            holder: _listed(sorted(r for r in old[x].members if new_owner.get(r) == holder))
            for holder in event.into
        }
        if event.kind == "split":
            events.append(EventIn("split", (x, *event.into), {"moved": moved}))
        elif event.kind == "merge":
            survivor = event.survivor or ""
            others = tuple(h for h in event.into if h != survivor)
            events.append(
                EventIn(
                    "merge",
                    (survivor, x, *others),
                    {"absorbed": x, "survivor": survivor, "moved": moved},
                )
            )
            merged[x] = survivor
        else:
            events.append(EventIn("retire", (x,), {"released": _listed(sorted(old[x].members))}))
            retired.append(x)
        for holder in event.into:
            if holder not in old:
                created.setdefault(holder, position)
    return IdentityChanges(tuple(events), created, owners, merged, tuple(retired))


# --- records in, tables and keys out -----------------------------------------------------


def source_tables(
    stored: Sequence[StoredRecord], sources: Sequence[Source], id_column: str = "record_id"
) -> list[SourceTable]:
    """One table per source (sources by name, records by id: input order never counts) from
    the raw payloads, each column renamed by its source's column mapping (``ignore`` drops it).
    Values are strings, blanks missing, lists joined by ``|``. The ``id_column`` holds a key
    unique across sources (source and record id), which ``_refs`` reads back."""
    by_source: dict[str, list[StoredRecord]] = {}
    for record in stored:
        by_source.setdefault(record.source, []).append(record)
    known = {s.name: s for s in sources}
    tables = []
    for name in sorted(by_source):
        mapping = dict(known[name].column_mapping) if name in known else {}
        ordered = sorted(by_source[name], key=lambda r: r.record_id)
        payloads = [r.raw for r in ordered]
        columns: dict[str, list[str | None]] = {}
        for column in _raw_columns(ordered):
            target = mapping.get(column, column)
            if target in ("ignore", id_column):
                continue
            # two columns, one target: the later one's value, where a record has it
            earlier = columns.pop(target, None) or [None] * len(payloads)
            columns[target] = [
                _cell(raw[column]) if column in raw else before
                for raw, before in zip(payloads, earlier, strict=True)
            ]
        ids = [_run_id(r.source, r.record_id) for r in ordered]
        frame = pd.DataFrame({id_column: ids, **columns}, dtype=object)  # None where missing
        tables.append(SourceTable(name, frame, pd.Series(np.arange(1, len(frame) + 1))))
    return tables


def _raw_columns(stored: Sequence[StoredRecord]) -> list[str]:
    """The payloads' keys in order of first appearance (a key only later records have comes
    after those of the first)."""
    seen: dict[str, None] = {}
    for record in stored:
        for key in record.raw:
            if key not in seen:
                seen[key] = None
    return list(seen)


def block_keys_of(
    frame: pd.DataFrame,
    rules: Sequence[BlockingRule],
    refs: Mapping[str, RecordRef],
    only: Collection[str] | None = None,
) -> dict[RecordRef, list[tuple[str, str]]]:
    """Each record's blocking keys ``(rule name, value)`` under ``rules``, from a prepared
    frame: two records share a key exactly when the rule blocks them together (a list key
    gives one key per item; a rule of several keys joins their values). ``refs`` maps the
    frame's record ids to record refs; every record (of ``only``, when given: record ids)
    gets an entry, perhaps empty."""
    frame = frame.reset_index(drop=True)
    ids = frame["record_id"].astype(str).to_numpy()
    if only is not None:
        keep = pd.Index(ids).isin(pd.Index(list(only)))
        frame, ids = frame[keep].reset_index(drop=True), ids[keep]
    if len(frame) <= _FEW_RECORDS:
        return _block_keys_by_row(frame, rules, [refs[i] for i in ids])
    positions: list[np.ndarray] = []
    names: list[np.ndarray] = []
    values: list[np.ndarray] = []
    for rule in rules:
        if any(k not in frame for k in rule.keys):  # no record has it: no key either
            continue
        if len(rule.keys) == 1 and is_list_key(rule.keys[0]):
            items = frame[rule.keys[0]].dropna().astype(str).str.split(LIST_SEPARATOR).explode()
            items = items[items.notna() & (items != "")]
            where, found = items.index.to_numpy(), items.to_numpy(dtype=object)
        else:
            present = frame[list(rule.keys)].notna().all(axis=1).to_numpy()
            parts = frame.loc[present, list(rule.keys)].astype(str)
            joined = parts.iloc[:, 0]
            if len(rule.keys) > 1:
                others = cast(Any, [parts[c] for c in parts.columns[1:]])
                joined = joined.str.cat(others, sep=KEY_JOIN)
            where, found = np.flatnonzero(present), joined.to_numpy(dtype=object)
        positions.append(where.astype(np.int64))
        values.append(found)
        names.append(np.full(len(where), rule.name, dtype=object))
    out: dict[RecordRef, list[tuple[str, str]]] = {refs[i]: [] for i in ids}
    if positions:
        position = np.concatenate(positions)
        order = np.argsort(position, kind="stable")  # by record, rules in their order
        name, value = np.concatenate(names)[order], np.concatenate(values)[order]
        for at, n, v in zip(position[order].tolist(), name.tolist(), value.tolist(), strict=True):
            out[refs[ids[at]]].append((n, str(v)))
    return {ref: list(dict.fromkeys(keys)) for ref, keys in out.items()}


_FEW_RECORDS = 32  # at most this many records: their keys row by row, not column by column


def _block_keys_by_row(
    frame: pd.DataFrame, rules: Sequence[BlockingRule], refs: Sequence[RecordRef]
) -> dict[RecordRef, list[tuple[str, str]]]:
    """``block_keys_of`` for a few records (one match query): the same keys without a pandas
    operation per rule, which cost 40 ms a query under twenty rules."""
    usable = [rule for rule in rules if all(k in frame for k in rule.keys)]
    columns = list(dict.fromkeys(k for rule in usable for k in rule.keys))
    at = {column: n for n, column in enumerate(columns)}
    out: dict[RecordRef, list[tuple[str, str]]] = {ref: [] for ref in refs}
    for ref, row in zip(refs, frame[columns].to_numpy(dtype=object).tolist(), strict=True):
        keys = out[ref]
        for rule in usable:
            cells = [row[at[k]] for k in rule.keys]
            if any(cell is None or pd.isna(cell) for cell in cells):
                continue
            if len(rule.keys) == 1 and is_list_key(rule.keys[0]):
                keys += [(rule.name, item) for item in str(cells[0]).split(LIST_SEPARATOR) if item]
            else:
                keys.append((rule.name, KEY_JOIN.join(str(cell) for cell in cells)))
        out[ref] = list(dict.fromkeys(keys))
    return out


def _prepared(
    stored: Sequence[StoredRecord], sources: Sequence[Source], settings: Settings
) -> pd.DataFrame:
    """The prepared frame of ``stored`` as a run under ``settings`` prepares it (its blocking
    keys are then those of the run), without blocking or scoring them."""
    tables = source_tables(stored, sources, settings.id_column)
    plan = plan_columns(
        tables, settings.id_column, dict(settings.mapping), set(settings.ignore), settings.entity
    )
    prepared = prepare_sources(tables, plan, settings.id_column, settings.prepare)
    return in_canonical_order(prepared).frame


def _run_id(source: str, record_id: str) -> str:
    return f"{source}{KEY_JOIN}{record_id}"


def _refs(stored: Iterable[StoredRecord]) -> dict[str, RecordRef]:
    return {_run_id(r.source, r.record_id): (r.source, r.record_id) for r in stored}


def _cell(value: Any) -> str | None:
    if type(value) is str:  # the common case first: a linkage run reads millions
        return value.strip() or None
    if value is None:
        return None
    if isinstance(value, list | tuple):
        items = [str(v).strip() for v in value if v is not None and str(v).strip()]
        return LIST_SEPARATOR.join(items) or None
    if isinstance(value, float) and np.isnan(value):
        return None
    text = str(value).strip()
    return text or None


def _clusters(result: RunResult, refs: Mapping[str, RecordRef]) -> list[list[RecordRef]]:
    frame = result.result
    grouped: dict[str, list[RecordRef]] = {}
    for record_id, cluster_id in zip(
        frame["record_id"].astype(str), frame["cluster_id"].astype(str), strict=True
    ):
        grouped.setdefault(cluster_id, []).append(refs[record_id])
    return list(grouped.values())


def _pairs(
    result: RunResult,
    refs: Mapping[str, RecordRef],
    model: LinkageModel,
    stale: Collection[str],
) -> list[ScoredPair]:
    """The candidates scored at or above ``t_review`` (match and review bands) with at least
    one record among ``stale`` (run ids: the others' pairs are stored already)."""
    outcome = result.outcome
    ids = outcome.records.frame["record_id"].astype(str).to_numpy()
    is_stale = pd.Index(ids).isin(pd.Index(list(stale)))
    left, right = outcome.blocking.left, outcome.blocking.right
    keep = np.flatnonzero(
        (outcome.probability >= model.t_review) & (is_stale[left] | is_stale[right])
    )
    if not len(keep):
        return []
    left, right = ids[outcome.blocking.left[keep]], ids[outcome.blocking.right[keep]]
    scores = outcome.probability[keep]
    bands = model.bands(scores)
    return [
        ScoredPair(refs[a], refs[b], float(s), str(band))
        for a, b, s, band in zip(left, right, scores, bands, strict=True)
    ]


# --- reading the store --------------------------------------------------------------------


def _entity_sources(reader: Reader, entity_type: str) -> list[Source]:
    sources = [s for s in reader.sources() if s.entity_type == entity_type]
    if not sources:
        raise InputError(f"the store has no source of {entity_type} records")
    return sorted(sources, key=lambda s: s.name)


def _live_records(reader: Reader, sources: Sequence[Source]) -> list[StoredRecord]:
    return [r for s in sources for r in reader.records(s.name)]


def _previous(reader: Reader, entity_type: str) -> list[Identity]:
    """Every identity ever issued for the entity type, as ``linker.identities`` reads them."""
    return [_identity(x) for x in reader.all_identities(entity_type)]


def _identity(stored: StoredIdentity) -> Identity:
    return Identity(
        stored.id,
        frozenset(stored.members),
        stored.created_seq,
        STATUS[stored.status],  # type: ignore[arg-type]
        stored.merged_into,
    )


def _new_version_id(reader: Reader, entity_type: str) -> str:
    """``person-v1``, ``person-v2``...: the next free number of the entity type."""
    taken = {v.id for v in reader.model_versions()}
    number = len(reader.model_versions(entity_type)) + 1
    while f"{entity_type}-v{number}" in taken:
        number += 1
    return f"{entity_type}-v{number}"


def _prepare_options(
    options: PrepareOptions, sources: Sequence[Source], say: Say
) -> PrepareOptions:
    """The sources' default region and date order, when they state one: a run prepares all its
    records with one of each, so sources that disagree get the first one's (and a warning)."""
    for what, attribute, setting in (
        ("default region", "default_region", "region"),
        ("date order", "date_order", "date_order"),
    ):
        stated = {s.name: getattr(s, attribute) for s in sources if getattr(s, attribute)}
        if not stated:
            continue
        chosen = next(iter(stated.values()))
        if len(set(stated.values())) > 1:
            say(
                f"warning: the sources disagree on the {what} ({stated}); "
                f"the run prepares every record with {chosen}"
            )
        options = replace(options, **{setting: chosen})
    return options


def _listed(refs: Iterable[RecordRef]) -> list[list[str]]:
    return [[source, record_id] for source, record_id in refs]
