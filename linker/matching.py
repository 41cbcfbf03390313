"""One-record matching: a record that is not stored, against every record that is.

``match_record(store, entity_type, fields)`` answers the identities a record most likely
belongs to, best first, each with its score, its band and why it scored that; ``match_records``
does the same for many records at once (name screening), with one preparation and one scoring
for all of them. There is no second matcher: everything is the batch path's, under the active
linkage model version unchanged (``linker.linkage_model``):

1. **Prepare** the query records as a linkage run prepares stored ones: the version's settings
   as run (column plan, preparation options), through ``linker.prepare``.
2. **Candidates** through the blocking-key index: the query's keys under the version's rules
   (``linker.linkage.block_keys_of``, the keys a run writes), and the stored records sharing
   one (``linker.store.candidates``). A key whose block is larger than the rules' maximum
   block size is left out, as explained there; the store is never re-blocked.
3. **Score** each query against its candidates with the version's comparisons and model, as
   ``linker.pair_scorer.PairScorer`` scores the pairs clustering asks for (``compare_pairs``
   on ``(low, high)`` positions; Fellegi-Sunter with the low record's term frequencies; no
   score where the two records share no compared field); the features are kept to explain
   the pairs answered. The queries and their candidates are prepared together, as an
   incremental run prepares the records it covers, so population figures (a name's rarity)
   are those of that set; a column no record of the set has (aliases' forms) is missing for
   all of them, as it is for a stored record without the field. The queries' own part of that
   preparation is the one step 2 made (a table is prepared alone, then stacked), unless
   their candidates changed how the queries' columns are used.
   A person query with a full name but no given or family name, under a version whose
   comparisons read given and family names (stored records hold them split), is also read as
   each split of its words into a given name and a family name (``name_readings``): such a
   version may block only on keys made of the split names (``names_sorted_ph & dob`` at
   200,000 persons), which a full name alone does not make. Each reading finds and scores
   its own candidates; the query keeps each identity's best score over its readings.
4. **Group by identity**: an identity scores its best member's score; the band is the
   version's (``match`` from ``t_match``, ``review`` from ``t_review``, else ``no_match``);
   the explanation is that best pair's per-feature contributions
   (``linker.models.explanations``). A candidate record that no run has resolved yet holds no
   identity and is not answered.

Only the query and its candidates are prepared, never the store: one record against a million
stored costs a few indexed reads and the preparation of a few hundred records.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, cast

import numpy as np
import pandas as pd

from linker.compare import Comparison, compare_pairs
from linker.errors import InputError, ModelError
from linker.io import LIST_SEPARATOR
from linker.linkage import KEY_JOIN, block_keys_of, source_tables
from linker.linkage_model import LinkageModel
from linker.models import FellegiSunter, PairClassifier, levels_of
from linker.models.explanations import explain_pairs
from linker.models.fellegi_sunter import fellegi_sunter_from_manifest
from linker.pipeline import in_canonical_order
from linker.prepare.columns import ENTITY_FIELDS
from linker.prepare.records import PreparedRecords
from linker.prepare.sources import (
    ColumnPlan,
    SourceTable,
    plan_columns,
    prepare_table,
    stack_prepared,
)
from linker.settings import Settings
from linker.store import Reader, Source, Store
from linker.store.candidates import (
    active_version_id,
    candidates_by_key,
    members_of,
    owners_of,
    records_of,
)

__all__ = [
    "DEFAULT_LIMIT",
    "Candidate",
    "MatchResult",
    "Matcher",
    "match_record",
    "match_records",
    "matcher_for",
]

DEFAULT_LIMIT = 5
READINGS = 4  # splits of a full name into given and family names tried, at most
SPLIT_NAMES = ("given_name", "family_name")
QUERY_SOURCE = "\x1equery"  # the queries' source in the frame: no stored source is named so
BAND = {"match": "match", "review": "review", "non_match": "no_match"}
RecordRef = tuple[str, str]


@dataclass(frozen=True)
class Candidate:
    """An identity a query may belong to."""

    identity_id: str
    score: float  # its best member's match probability with the query
    band: str  # match, review or no_match
    explanation: dict[str, Any]  # of the best pair: logit, base, per-feature contributions
    best: RecordRef  # the member that scored best (the pair explained)
    members: tuple[RecordRef, ...]  # every record of the identity


@dataclass(frozen=True)
class MatchResult:
    """One query's candidates (best first) and what found them."""

    model_version: str
    candidates: tuple[Candidate, ...]
    compared: int = 0  # stored records the query was scored against
    oversized_keys: int = 0  # of the query's keys, those left out for their block's size


@dataclass(frozen=True)
class _Version:
    """An active version, loaded once: what scoring needs from it."""

    id: str
    linkage: LinkageModel
    model: FellegiSunter | PairClassifier
    comparisons: list[Comparison]

    @property
    def columns(self) -> list[str]:
        """The prepared columns the comparisons read."""
        read = (col for c in self.comparisons for col in (c.left, c.right or c.left))
        return list(dict.fromkeys(read))

    @property
    def settings(self) -> Settings:
        return self.linkage.settings


class Matcher:
    """Matches query records against one store; keeps the versions it loaded (a version never
    changes) and checks, on each call, which one is active."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._versions: dict[str, _Version] = {}
        self._lock = threading.Lock()

    def match(
        self, entity_type: str, fields: Mapping[str, Any], *, limit: int = DEFAULT_LIMIT
    ) -> MatchResult:
        """The identities ``fields`` (canonical fields of ``entity_type``) may belong to."""
        return self.match_many(entity_type, [fields], limit=limit)[0]

    def match_many(
        self,
        entity_type: str,
        queries: Sequence[Mapping[str, Any]],
        *,
        limit: int = DEFAULT_LIMIT,
    ) -> list[MatchResult]:
        """``match`` for each query, in order: one preparation and one scoring for all."""
        if limit < 1:
            raise InputError(f"the number of candidates asked for must be at least 1, got {limit}")
        checked = [_checked_fields(entity_type, fields, n) for n, fields in enumerate(queries)]
        with self.store.read() as reader:
            version = self._active(reader, entity_type)
            if not checked:
                return []
            sources = [s for s in reader.sources() if s.entity_type == entity_type]
            return _Run(reader, version, sources, checked, limit).results()

    def _active(self, reader: Reader, entity_type: str) -> _Version:
        version_id = active_version_id(reader.connection, entity_type)
        if version_id is None:
            raise ModelError(
                f"no linkage model version of {entity_type} records: run a linkage first"
            )
        with self._lock:
            loaded = self._versions.get(version_id)
        if loaded is None:
            manifest = reader.model_version(version_id).manifest
            loaded = _load(version_id, LinkageModel.from_dict(manifest))
            with self._lock:
                self._versions[version_id] = loaded
        return loaded


_MATCHERS: weakref.WeakKeyDictionary[Store, Matcher] = weakref.WeakKeyDictionary()
_MATCHERS_LOCK = threading.Lock()


def matcher_for(store: Store) -> Matcher:
    """The store's matcher (one per store, kept as long as the store is)."""
    with _MATCHERS_LOCK:
        matcher = _MATCHERS.get(store)
        if matcher is None:
            matcher = _MATCHERS[store] = Matcher(store)
        return matcher


def match_record(
    store: Store, entity_type: str, fields: Mapping[str, Any], *, limit: int = DEFAULT_LIMIT
) -> MatchResult:
    """The identities of ``store`` that the record ``fields`` may belong to (module
    docstring); ``ModelError`` when the entity type has no active linkage model version."""
    return matcher_for(store).match(entity_type, fields, limit=limit)


def match_records(
    store: Store,
    entity_type: str,
    queries: Sequence[Mapping[str, Any]],
    *,
    limit: int = DEFAULT_LIMIT,
) -> list[MatchResult]:
    """``match_record`` for many records, in order, prepared and scored together."""
    return matcher_for(store).match_many(entity_type, queries, limit=limit)


# --- one call's work -----------------------------------------------------------------------


class _Run:
    """Matching a batch of query rows under one version, inside one read of the store."""

    def __init__(
        self,
        reader: Reader,
        version: _Version,
        sources: list[Source],
        queries: list[dict[str, str | None]],
        limit: int,
    ) -> None:
        self.reader, self.version, self.sources, self.limit = reader, version, sources, limit
        self.id_column = version.settings.id_column
        self.queries = len(queries)
        split = version.settings.entity == "person" and set(SPLIT_NAMES) <= set(version.columns)
        self.rows = []
        self.query_of: list[int] = []  # the query each row reads
        for n, fields in enumerate(queries):
            readings = name_readings(fields) if split else []
            for r, reading in enumerate([fields, *readings]):
                self.rows.append(
                    {self.id_column: f"{QUERY_SOURCE}{KEY_JOIN}{n:06d}.{r}", **reading}
                )
                self.query_of.append(n)
        self._queries_alone: pd.DataFrame | None = None  # the queries prepared without others
        # the queries' own part and the plan it was prepared under (``_prepared_part``)
        self._query_part: tuple[tuple[dict[str, str], dict[str, str]], PreparedRecords] | None
        self._query_part = None

    def results(self) -> list[MatchResult]:
        query_ids = [str(row[self.id_column]) for row in self.rows]
        found = self._candidates(query_ids)
        wanted = sorted({ref for refs, _ in found.values() for ref in refs})
        stored = [r for r in records_of(self.reader.connection, wanted) if r.erased_at is None]
        # No candidate: the queries alone, as ``_candidates`` prepared them already.
        frame = (
            self._prepare(source_tables(stored, self.sources, self.id_column))
            if stored or self._queries_alone is None
            else self._queries_alone
        )
        position = {str(rid): at for at, rid in enumerate(frame[self.id_column].astype(str))}
        # the run ids ``source_tables`` gives the stored records
        run_id = {(r.source, r.record_id): f"{r.source}{KEY_JOIN}{r.record_id}" for r in stored}
        left: list[int] = []
        right: list[int] = []
        owner: list[tuple[int, RecordRef]] = []  # (query number, candidate) of each pair
        oversized = [0] * self.queries
        for row, query_id in enumerate(query_ids):
            n = self.query_of[row]
            oversized[n] = max(oversized[n], found.get(query_id, ((), 0))[1])
            if query_id not in position:
                continue
            for ref in found.get(query_id, ((), 0))[0]:
                at = position.get(run_id.get(ref, ""))
                if at is not None:
                    left.append(position[query_id])
                    right.append(at)
                    owner.append((n, ref))
        a, b = np.asarray(left, np.int64), np.asarray(right, np.int64)
        low, high = np.minimum(a, b), np.maximum(a, b)  # each pair as the scorer orders it
        features, frequencies, scores = self._score(frame, low, high)
        identities = owners_of(self.reader.connection, {ref for _, ref in owner})
        best: list[dict[str, tuple[float, int]]] = [{} for _ in range(self.queries)]
        compared: list[set[RecordRef]] = [set() for _ in range(self.queries)]
        for pair, ((n, ref), score) in enumerate(zip(owner, scores.tolist(), strict=True)):
            compared[n].add(ref)
            identity = identities.get(ref)
            if identity is None or np.isnan(score):
                continue
            held = best[n].get(identity)
            if held is None or score > held[0]:
                best[n][identity] = (score, pair)
        chosen = [
            sorted(by_identity.items(), key=lambda item: (-item[1][0], item[0]))[: self.limit]
            for by_identity in best
        ]
        shown = sorted({pair for picks in chosen for _, (_, pair) in picks})
        explanations = self._explain(features, frequencies, shown)
        members = members_of(
            self.reader.connection, {identity for picks in chosen for identity, _ in picks}
        )
        picked = np.asarray([score for picks in chosen for _, (score, _) in picks], float)
        band_of = iter(self.version.linkage.bands(picked).tolist())
        results = []
        for n, picks in enumerate(chosen):
            candidates = tuple(
                Candidate(
                    identity_id=identity,
                    score=float(score),
                    band=BAND[next(band_of)],
                    explanation=explanations[pair],
                    best=owner[pair][1],
                    members=tuple(members.get(identity, ())),
                )
                for identity, (score, pair) in picks
            )
            results.append(MatchResult(self.version.id, candidates, len(compared[n]), oversized[n]))
        return results

    def _candidates(self, query_ids: list[str]) -> dict[str, tuple[list[RecordRef], int]]:
        """Each query's candidate records (through the key index) and how many of its keys
        were left out for the size of their block."""
        settings = self.version.settings
        if not settings.rules or not self.sources:
            return {}
        frame = self._queries_alone = self._prepare([])
        refs = {q: (QUERY_SOURCE, q) for q in frame[self.id_column].astype(str)}
        keys = block_keys_of(frame, list(settings.rules), refs)
        looked_up = candidates_by_key(
            self.reader.connection,
            {key for held in keys.values() for key in held},
            sources=[s.name for s in self.sources],
            max_block_size=settings.blocking.max_block_size,
        )
        out: dict[str, tuple[list[RecordRef], int]] = {}
        for (_, query_id), held in keys.items():
            found = {ref for key in held for ref in looked_up.by_key.get(key, ())}
            out[query_id] = (sorted(found), sum(key in looked_up.oversized for key in held))
        return out

    def _prepare(self, stored_tables: list[SourceTable]) -> pd.DataFrame:
        """The prepared frame of the stored tables and the queries (last), in canonical
        order, as a run under the version's settings prepares them."""
        settings = self.version.settings
        query = pd.DataFrame(self.rows, dtype=object)
        query = query.astype(object).where(query.notna(), cast(Any, None))
        tables = [
            *stored_tables,
            SourceTable(QUERY_SOURCE, query, pd.Series(np.arange(1, len(query) + 1))),
        ]
        plan = plan_columns(
            tables,
            settings.id_column,
            dict(settings.mapping),
            set(settings.ignore),
            settings.entity,
        )
        # Stacking writes into the frames it is given: the kept queries' part goes in a copy.
        parts = [self._prepared_part(t, plan) for t in tables]
        kept = None if self._query_part is None else self._query_part[1]
        prepared = stack_prepared(
            [replace(part, frame=part.frame.copy()) if part is kept else part for part in parts]
        )
        frame = in_canonical_order(prepared).frame.reset_index(drop=True)
        for column in self.version.columns:
            if column not in frame:
                frame[column] = pd.Series(None, index=frame.index, dtype=object)
        return frame

    def _prepared_part(self, table: SourceTable, plan: ColumnPlan) -> PreparedRecords:
        """``table`` prepared alone under ``plan`` (``prepare_sources`` prepares each table
        alone, then stacks them). The queries' part is kept: ``_candidates`` prepares them
        alone for their keys, and ``results`` with their candidates; a table's preparation
        depends on its own rows and its plan only (rarities are the stack's), so when the plan
        of the queries is the same, so is their part, and it is not prepared a second time."""
        settings = self.version.settings
        mapping, generic = plan.mapping[table.name], plan.generic
        if table.name == QUERY_SOURCE and self._query_part is not None:
            (kept_mapping, kept_generic), part = self._query_part
            if (kept_mapping, kept_generic) == (mapping, generic):
                return part
        part = prepare_table(table, plan, settings.id_column, settings.prepare)
        if table.name == QUERY_SOURCE:
            self._query_part = (dict(mapping), dict(generic)), part
        return part

    def _score(
        self, frame: pd.DataFrame, low: np.ndarray, high: np.ndarray
    ) -> tuple[pd.DataFrame, np.ndarray | None, np.ndarray]:
        """The features, term frequencies (Fellegi-Sunter's, of each pair's low record; else
        None) and match probability of each pair ``(low, high)`` of positions."""
        model, comparisons = self.version.model, self.version.comparisons
        features = compare_pairs(frame, low, high, comparisons)
        if not len(low):
            return features, None, np.empty(0)
        frequencies = None
        if isinstance(model, FellegiSunter):
            used, inverse = np.unique(low, return_inverse=True)
            frequencies = model.pair_frequencies(frame.iloc[used], inverse)
            probability = model.predict_proba_levels(levels_of(features, comparisons), frequencies)
        else:
            probability = model.predict_proba(features)
        compared = features.notna().to_numpy().any(axis=1)
        return features, frequencies, np.where(compared, probability, np.nan)

    def _explain(
        self, features: pd.DataFrame, frequencies: np.ndarray | None, pairs: list[int]
    ) -> dict[int, dict[str, Any]]:
        """The explanation of each pair at ``pairs`` (positions in ``features``)."""
        if not pairs:
            return {}
        chosen = features.iloc[pairs].reset_index(drop=True)
        texts = explain_pairs(
            self.version.model, chosen, None if frequencies is None else frequencies[pairs]
        )
        return {p: json.loads(text) for p, text in zip(pairs, texts, strict=True)}


def _load(version_id: str, linkage: LinkageModel) -> _Version:
    """The version's scoring model and comparisons, as the batch path reads them
    (``linker.pipeline.comparisons_and_model``): a fitted Fellegi-Sunter model's own
    comparisons, or the settings' for the trained classifier (its files checked unchanged)."""
    if linkage.fellegi_sunter is not None:
        fitted = fellegi_sunter_from_manifest(dict(linkage.fellegi_sunter))
        # Each table as a Series, once: ``Series.map`` of a dict turns it into that Series
        # on every call (milliseconds per table, per request); the lookups are the same.
        fitted.tf_ = [
            replace(tf, table=cast(Any, pd.Series(tf.table, dtype="float64"))) for tf in fitted.tf_
        ]
        return _Version(version_id, linkage, fitted, list(fitted.comparisons))
    assert linkage.trained is not None  # a LinkageModel holds exactly one of the two
    classifier = PairClassifier.load(linkage.trained.checked())
    comparisons = list(linkage.settings.comparisons or ())
    if not comparisons:
        raise ModelError("the linkage model version names no comparisons for its classifier")
    return _Version(version_id, linkage, classifier, comparisons)


def name_readings(fields: Mapping[str, str | None]) -> list[dict[str, str | None]]:
    """``fields`` with its full name split into a given name and a family name at each
    boundary between its words (the first ``READINGS``), when it has a full name of two words
    or more and neither a given nor a family name; else none. Given first is enough: names
    are compared in either order."""
    full = fields.get("full_name")
    if not full or any(fields.get(name) for name in SPLIT_NAMES):
        return []
    words = full.replace(",", " ").split()
    return [
        {**fields, "given_name": " ".join(words[:cut]), "family_name": " ".join(words[cut:])}
        for cut in range(1, min(len(words), READINGS + 1))
    ]


def _checked_fields(
    entity_type: str, fields: Mapping[str, Any], number: int
) -> dict[str, str | None]:
    """A query's canonical fields (an unknown one is an ``InputError`` naming it), each
    written as a CSV cell holds it: lists joined by ``|``, blanks missing."""
    if entity_type not in ENTITY_FIELDS:
        raise InputError(f"unknown entity type {entity_type!r}; known: {', '.join(ENTITY_FIELDS)}")
    known = ENTITY_FIELDS[entity_type]
    unknown = sorted(set(fields) - set(known))
    if unknown:
        raise InputError(
            f"query {number + 1}: not canonical field(s) of a {entity_type} record: "
            f"{', '.join(unknown)} (known: {', '.join(known)})"
        )
    row: dict[str, str | None] = {}
    for name, value in fields.items():
        if isinstance(value, list | tuple):
            items = [str(v).strip() for v in value if v is not None and str(v).strip()]
            row[name] = LIST_SEPARATOR.join(items) or None
        else:
            row[name] = None if value is None else (str(value).strip() or None)
    return row
