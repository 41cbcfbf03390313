"""The only module that knows the order of the stages.

prepare -> block -> compare -> score -> cluster. ``linker.prepare.sources`` maps and prepares
the input tables; ``score_pairs`` blocks, compares and scores; ``dedupe`` and ``link`` turn the
scores into clusters or matched pairs. Every stage is timed into the run's statistics. One run
from tables to result, for every caller, is ``linker.runs.run``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linker.blocking import (
    BlockingResult,
    BlockingRule,
    KeyCodes,
    block_pairs,
    choose_rules,
    key_fields,
)
from linker.blocking.rules import DATA_DEPENDENT_KEYS
from linker.cannot_link import PersonFacts
from linker.cluster import RecordFacts, cluster_records, greedy_one_to_one, name_clusters
from linker.compare import Comparison, compare_pairs, entity_comparisons
from linker.compare.features import EncodedColumn, encode_records, independent_comparisons
from linker.errors import ConfigError, InputError
from linker.models import FellegiSunter, PairClassifier, levels_of
from linker.models.choice import ModelChoice, choose_model, read_manifest
from linker.models.evidence import referee_vote
from linker.models.explanations import explain_pairs
from linker.models.fellegi_sunter import Session, fellegi_sunter_from_manifest
from linker.pair_scorer import PairScorer
from linker.prepare import PreparedRecords
from linker.progress import Progress, Timer, no_progress
from linker.settings import Settings

EM_SAMPLE_PAIRS = 500_000  # candidates that the EM sessions learn m from, at most
# Candidates that ``auto`` scores with the trained model to weigh it, at most: its features
# cost several times Fellegi-Sunter's, and a run that keeps the unsupervised model pays that
# only for them.
REFEREE_SAMPLE_PAIRS = 100_000


@dataclass
class Outcome:
    """A scored run: the records, candidate pairs, their probabilities and statistics."""

    records: PreparedRecords
    blocking: BlockingResult
    probability: np.ndarray
    stats: dict[str, Any] = field(default_factory=dict)
    # What scored the pairs, kept to explain them on request (None: the run cannot explain).
    comparisons: list[Comparison] = field(default_factory=list)
    model: FellegiSunter | PairClassifier | None = None
    rules: list[BlockingRule] = field(default_factory=list)  # the blocking rules applied
    # The compared columns encoded (``encode_records``), for pairs scored later (None: none).
    encoded: dict[str, EncodedColumn] | None = None

    def scores_frame(self, explain: bool = False, chunk_pairs: int = 400_000) -> pd.DataFrame:
        """``left_id, right_id, match_probability`` for every candidate pair, and with
        ``explain`` an ``explanation`` column (JSON, ``linker.models.explanations``)."""
        ids = self.records.frame["record_id"].to_numpy()
        scores = pd.DataFrame(
            {
                "left_id": ids[self.blocking.left],
                "right_id": ids[self.blocking.right],
                "match_probability": self.probability,
            }
        )
        if explain:
            scores["explanation"] = self.explanations(chunk_pairs)
        return scores

    def explanations(self, chunk_pairs: int = 400_000) -> list[str]:
        """Each candidate pair's explanation, in pair order: its features are compared again,
        chunk by chunk as for scoring, and split by the model that scored them."""
        if self.blocking.count == 0:
            return []
        if self.model is None:
            raise ConfigError(
                "this run kept no model to explain its scores: explanations need the local engine"
            )
        records = self.records.frame
        encoded = encode_records(records, self.comparisons)
        # every record's term frequencies once, indexed by each chunk's left records
        frequencies = (
            self.model.pair_frequencies(records, np.arange(len(records)))
            if isinstance(self.model, FellegiSunter)
            else None
        )
        out: list[str] = []
        for part in _chunks(self.blocking.count, chunk_pairs):
            left, right = self.blocking.left[part], self.blocking.right[part]
            features = compare_pairs(records, left, right, self.comparisons, encoded)
            chunk = None if frequencies is None else frequencies[left]
            out.extend(explain_pairs(self.model, features, chunk))
        return out


def in_canonical_order(prepared: PreparedRecords) -> PreparedRecords:
    """The records sorted by source (in input order) and then record id: every later stage
    works on positions, so its results no longer depend on the order of the input rows."""
    frame = prepared.frame
    source = pd.Categorical(frame["source"], categories=pd.unique(frame["source"]))
    order = np.lexsort((frame["record_id"].astype(str).to_numpy(), source.codes))
    if (order == np.arange(len(order))).all():
        return prepared
    return replace(prepared, frame=frame.iloc[order].reset_index(drop=True))


def total_pairs(records: pd.DataFrame, link_only: bool) -> int:
    """How many record pairs the job could compare: all pairs, or all across sources."""
    if not link_only:
        return len(records) * (len(records) - 1) // 2
    sizes = records["source"].value_counts().to_numpy(dtype=np.int64)
    return int((sizes.sum() ** 2 - (sizes**2).sum()) // 2)


def _random_pairs(
    records: pd.DataFrame, count: int, link_only: bool, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Distinct record pairs (across sources for a link job): every pair when there are no
    more than ``count``, else ``count`` drawn uniformly (positions are in canonical order, so
    the draw does not depend on the input's row order)."""
    n = len(records)
    sources = pd.factorize(records["source"])[0]
    if total_pairs(records, link_only) <= count:
        low, high = np.triu_indices(n, k=1)
        keep = sources[low] != sources[high] if link_only else np.ones(len(low), dtype=bool)
        return low[keep].astype(np.int64), high[keep].astype(np.int64)
    rng = np.random.default_rng(seed)
    if link_only:
        first, second = np.flatnonzero(sources == 0), np.flatnonzero(sources != 0)
        left = rng.choice(first, count)
        right = rng.choice(second, count)
    else:
        left = rng.integers(0, n, count)
        right = rng.integers(0, n, count)
    keep = left != right
    return np.minimum(left, right)[keep], np.maximum(left, right)[keep]


def em_sample(
    left: np.ndarray, right: np.ndarray, n_records: int, size: int = EM_SAMPLE_PAIRS
) -> np.ndarray:
    """Positions of the candidates that EM sessions learn m from: all of them up to ``size``,
    else those with the smallest hash of their record positions (the same choice on any
    engine, whatever the order the pairs come in)."""
    if len(left) <= size:
        return np.arange(len(left))
    hashed = pair_hash(left, right, n_records)
    return np.sort(np.argpartition(hashed, size)[:size])


def pair_hash(left: np.ndarray, right: np.ndarray, n_records: int) -> np.ndarray:
    """A fixed, well-spread signed 64-bit hash of each pair of positions (splitmix64's
    finaliser of ``left * n + right``)."""
    z = left.astype(np.uint64) * np.uint64(n_records) + right.astype(np.uint64)
    z = z + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.asarray(z ^ (z >> np.uint64(31))).view(np.int64)


def em_sessions(
    codes: KeyCodes,
    rules: list[BlockingRule],
    comparisons: list[Comparison],
    left: np.ndarray,
    right: np.ndarray,
    levels: np.ndarray,
) -> list[Session]:
    """One EM session per blocking rule: the pairs (of ``left``, ``right``, with their
    ``levels``) that the rule blocks together, with the comparison groups reading the columns
    its keys are built from (or named by them: ``key_fields``) held out."""
    sessions = []
    for rule in rules:
        fields = {f for key in rule.keys for f in key_fields(key)}
        held_out = frozenset(
            c.group or c.name for c in comparisons if {c.left, c.right or c.left, c.name} & fields
        )
        agree = codes.agree(rule, left, right)
        sessions.append(Session(rule.name, levels[agree], held_out))
    return sessions


def _chunks(count: int, size: int) -> list[slice]:
    """Slices of at most ``size`` pairs, all of (nearly) one size: no chunk's features take
    more memory than needed."""
    parts = max(1, -(-count // size))  # ceil(count / size)
    step = max(1, -(-count // parts))
    return [slice(start, min(start + step, count)) for start in range(0, max(count, 1), step)]


def blocking_rules(
    records: pd.DataFrame, settings: Settings, codes: KeyCodes
) -> list[BlockingRule]:
    """The settings' rules, checked against the records' key columns, or else rules chosen
    from the records within the blocking budget.

    A rule on a key that exists only when some record has the data (``DATA_DEPENDENT_KEYS``:
    ``name_forms_ph`` when one has an alias) blocks nothing where these records lack it and is
    skipped, so a small batch runs under a stored version's rules; any other missing key is a
    mistake in the rules and an error."""
    if settings.rules is None:
        return choose_rules(records, settings.blocking, codes)
    missing = {k for rule in settings.rules for k in rule.keys if k not in records}
    unknown = sorted(missing - DATA_DEPENDENT_KEYS)
    if unknown:
        raise ConfigError(
            f"blocking rules use key(s) {', '.join(unknown)} that these records do not have"
        )
    return [rule for rule in settings.rules if not set(rule.keys) & missing]


def score_pairs(
    prepared: PreparedRecords, settings: Settings, *, progress: Progress[Any] = no_progress
) -> Outcome:
    """Block, compare and score: the candidate pairs of ``prepared`` with probabilities."""
    timer = Timer()
    records = prepared.frame
    link_only = settings.link_only
    with timer.stage("block"):
        codes = KeyCodes(records)
        rules = blocking_rules(records, settings, codes)
        blocking = block_pairs(
            records, rules, settings.blocking, link_only=link_only, progress=progress, codes=codes
        )
    comparisons, model = comparisons_and_model(prepared, settings, weigh=True)

    encoded = encode_records(records, comparisons)

    def features_in_chunks(
        read: list[Comparison] = comparisons, pairs: np.ndarray | None = None
    ) -> Iterator[pd.DataFrame]:
        """The features of the candidates (or of those at positions ``pairs``), by chunk."""
        lefts, rights = blocking.left, blocking.right
        if pairs is not None:
            lefts, rights = lefts[pairs], rights[pairs]
        chunks = _chunks(len(lefts), settings.chunk_pairs)
        for part in progress(chunks, "compare", len(chunks)):
            yield compare_pairs(records, lefts[part], rights[part], read, encoded)

    unsupervised = _Unsupervised(records, codes, rules, blocking, encoded, settings)
    with timer.stage("compare_and_score"):
        scored: _Scored
        if model.weigh and model.path is not None:
            scored = _weigh_models(features_in_chunks, comparisons, model.path, unsupervised)
        elif model.kind == "trained" and model.path is not None:
            scored = _score_trained(features_in_chunks(), model.path, comparisons)
        else:
            # map, not a loop variable: a chunk's features are freed before the next is compared
            levels = np.concatenate(
                list(map(partial(levels_of, comparisons=comparisons), features_in_chunks()))
            )
            scored = unsupervised.score(levels, comparisons, model.path)
        scored.stats.setdefault("reason", model.reason)
    stats = run_stats(len(records), blocking, scored.comparisons, scored.stats, timer, "local")
    return Outcome(
        prepared,
        blocking,
        scored.probability,
        stats,
        scored.comparisons,
        scored.model,
        rules,
        encoded,
    )


@dataclass
class _Scored:
    """One model's scores of the candidates, its statistics and the comparisons it read."""

    probability: np.ndarray
    stats: dict[str, Any]
    model: FellegiSunter | PairClassifier | None
    comparisons: list[Comparison]


@dataclass
class _Unsupervised:
    """What fitting Fellegi-Sunter on a run's candidates needs beyond their levels."""

    records: pd.DataFrame
    codes: KeyCodes
    rules: list[BlockingRule]
    blocking: BlockingResult
    encoded: dict[str, EncodedColumn]
    settings: Settings

    def score(
        self, levels: np.ndarray, comparisons: list[Comparison], path: Path | None
    ) -> _Scored:
        """Fit (or apply the manifest at ``path``) on the candidates' ``levels`` and score."""
        left, right = self.blocking.left, self.blocking.right
        sample = em_sample(left, right, len(self.records))
        sessions = em_sessions(
            self.codes, self.rules, comparisons, left[sample], right[sample], levels[sample]
        )
        probability, stats, model = _score_unsupervised(
            levels, self.records, comparisons, self.encoded, self.settings, path, sessions, left
        )
        return _Scored(probability, stats, model, comparisons)


def _weigh_models(
    features: Callable[[list[Comparison], np.ndarray | None], Iterator[pd.DataFrame]],
    comparisons: list[Comparison],
    path: Path,
    unsupervised: _Unsupervised,
) -> _Scored:
    """Fit Fellegi-Sunter on the candidates, score them (at most ``REFEREE_SAMPLE_PAIRS`` of
    them, drawn by hash) with the trained model at ``path`` too, and keep the model the
    referee of the input favours (``linker.models.evidence``), which then scores every
    candidate; its statistics carry the referee's figures. ``features(read, pairs)``: the
    features ``read`` of the candidates at positions ``pairs`` (None: all), by chunk."""
    independent = independent_comparisons(comparisons)
    levels = np.concatenate(
        list(map(partial(levels_of, comparisons=independent), features(independent, None)))
    )
    fitted = unsupervised.score(levels, independent, None)
    blocking, settings = unsupervised.blocking, unsupervised.settings
    sample = em_sample(
        blocking.left, blocking.right, len(unsupervised.records), REFEREE_SAMPLE_PAIRS
    )
    everyone = len(sample) == blocking.count
    trained_model = PairClassifier.load(path)
    sampled = np.concatenate(
        list(map(trained_model.predict_proba, features(comparisons, None if everyone else sample)))
    )
    # The referee reads the fields as Fellegi-Sunter groups them (a name read jointly).
    fields = (
        fitted.model.joint_levels(levels[sample])
        if isinstance(fitted.model, FellegiSunter)
        else np.empty((len(sample), 0), dtype=np.int64)
    )
    evidence = referee_vote(sampled, fitted.probability[sample], fields, settings.threshold)
    if evidence.keeps_trained:
        probability = (
            sampled
            if everyone
            else np.concatenate(list(map(trained_model.predict_proba, features(comparisons, None))))
        )
        kept = _Scored(probability, _trained_stats(path, trained_model), trained_model, comparisons)
    else:
        kept = fitted
    kept.stats["evidence"] = {**evidence.as_dict(), "sampled_from": blocking.count}
    drawn = "" if everyone else f" (a sample of the {blocking.count:,} candidates, by hash)"
    kept.stats["reason"] = f"auto: {evidence.reason()}{drawn}"
    return kept


def run_stats(
    records: int,
    blocking: BlockingResult,
    comparisons: list[Comparison],
    model_stats: dict[str, Any],
    timer: Timer,
    engine: str,
) -> dict[str, Any]:
    """The statistics of a scored run, the same keys whichever engine scored it."""
    return {
        "records": records,
        "candidates": blocking.count,
        "blocking": blocking.stats(),
        "comparisons": [c.name for c in comparisons],
        "model": model_stats,
        "timings": timer.seconds,
        "engine": engine,
    }


def comparisons_and_model(
    prepared: PreparedRecords, settings: Settings, *, weigh: bool = False
) -> tuple[list[Comparison], ModelChoice]:
    """The model that scores this run and the comparisons it reads: a fitted Fellegi-Sunter
    model's own, else the settings', else those the fields allow (every feature for a trained
    model, only those Fellegi-Sunter can treat as independent for the unsupervised).

    An engine that can score with both models and weigh them (``weigh``) gets ``auto``'s
    trained candidate as it is (``ModelChoice.weigh``); any other keeps the unsupervised model,
    as ``auto`` does without evidence for the trained one."""
    model = choose_model(settings.model, prepared.fields, settings.entity)
    if model.weigh and not weigh:
        reason = (
            f"a trained model exists at {model.path}, but this engine scores with one model "
            "only and cannot weigh it against the unsupervised one"
        )
        model = ModelChoice("unsupervised", None, reason)
    if model.kind == "unsupervised" and model.path is not None:  # a fitted model's own
        comparisons = fellegi_sunter_from_manifest(read_manifest(model.path)).comparisons
        _check_columns(comparisons, prepared.frame.columns)
    elif settings.comparisons is not None:
        comparisons = list(settings.comparisons)
        _check_columns(comparisons, prepared.frame.columns)
    else:
        comparisons = entity_comparisons(
            settings.entity, prepared.fields, prepared.generic, prepared.frame.columns
        )
    if model.kind != "trained":
        comparisons = independent_comparisons(comparisons)
    return comparisons, model


def _check_columns(comparisons: list[Comparison], columns: pd.Index) -> None:
    for comparison in comparisons:
        for column in {comparison.left, comparison.right or comparison.left}:
            if column not in columns:
                raise ConfigError(
                    f"comparison {comparison.name} reads column {column!r}, which these "
                    "records do not have"
                )


def _score_trained(
    chunks: Iterator[pd.DataFrame], path: Path, comparisons: list[Comparison]
) -> _Scored:
    model = PairClassifier.load(path)
    probability = np.concatenate(list(map(model.predict_proba, chunks)))
    return _Scored(probability, _trained_stats(path, model), model, comparisons)


def _trained_stats(path: Path, model: PairClassifier) -> dict[str, Any]:
    return {"kind": "trained", "path": str(path), "metrics": model.metrics_}


def _score_unsupervised(
    levels: np.ndarray,
    records: pd.DataFrame,
    comparisons: list[Comparison],
    encoded: dict[str, EncodedColumn],
    settings: Settings,
    path: Path | None,
    sessions: list[Session],
    left: np.ndarray,
) -> tuple[np.ndarray, dict[str, Any], FellegiSunter | None]:
    """Fit Fellegi-Sunter on these candidates (or apply a fitted manifest) and score them."""
    if path is None and len(levels) == 0:
        note = {"kind": "unsupervised", "note": "no candidate pairs: nothing to fit"}
        return np.empty(0), note, None
    model, stats = fit_unsupervised(
        levels, records, comparisons, encoded, settings, path, sessions=sessions
    )
    frequencies = model.pair_frequencies(records, left, encoded)
    return model.predict_proba_levels(levels, frequencies), stats, model


def fit_unsupervised(
    levels: np.ndarray,
    records: pd.DataFrame,
    comparisons: list[Comparison],
    encoded: dict[str, EncodedColumn] | None,
    settings: Settings,
    path: Path | None,
    *,
    sessions: list[Session] | None = None,
) -> tuple[FellegiSunter, dict[str, Any]]:
    """The run's Fellegi-Sunter model and its statistics, computed once per run.

    The manifest at ``path`` is applied as is; otherwise u comes from random pairs of
    ``records``, m from the EM ``sessions`` (one per blocking rule, ``em_sessions``) and the
    match share from ``levels`` (every candidate's) over all the job's pairs. Public so that
    every engine fits the same way, on the driver, and ships the fitted model to its workers.
    """
    if path is not None:
        model = fellegi_sunter_from_manifest(read_manifest(path))
    else:
        left, right = _random_pairs(
            records, settings.u_sample_pairs, settings.link_only, settings.seed
        )
        random_levels = levels_of(
            compare_pairs(records, left, right, comparisons, encoded), comparisons
        )
        model = FellegiSunter(comparisons).fit(
            levels,
            random_levels,
            sessions=sessions,
            total_pairs=total_pairs(records, settings.link_only),
            records=records,
            link_only=settings.link_only,
            encoded=encoded,
        )
    stats = {
        "kind": "unsupervised",
        "path": str(path) if path else None,
        "em_iterations": model.n_iter_,
        "em_sessions": getattr(model, "sessions_", []),
        "warnings": getattr(model, "warnings_", []),
        "lambda": model.lambda_,
        "weights": model.weights_table(),
        "manifest": model.to_manifest(),
    }
    return model, stats


def dedupe(
    outcome: Outcome, threshold: float, distinct: pd.DataFrame | None = None
) -> pd.DataFrame:
    """``record_id, cluster_id`` for every record; a cluster is named by its smallest id.

    Two groups of records are joined only when the pairs between them support it
    (``linker.cluster``): on average they match, scored on demand with the run's model when
    blocking never made them candidates, and none is a cannot-link. Cannot-link evidence
    (``linker.cannot_link``) between any two records of a would-be cluster keeps them apart:
    hard evidence always, soft evidence when the pair was not scored (for a scored pair, the
    score decides). ``distinct`` holds ``left_id, right_id`` pairs that a reviewer said are
    different (``linker.io.read_id_pairs``): each is hard evidence, for any entity type; a
    row with an empty id, an id not among the records or one record twice is skipped. What it
    did is counted in ``outcome.stats["clustering"]``.
    """
    records = outcome.records.frame
    ids = records["record_id"].astype(str).to_numpy()
    left, right, probability = outcome.blocking.left, outcome.blocking.right, outcome.probability
    strong = probability >= threshold
    (reviewed_left, reviewed_right), counts = _reviewer_pairs(ids, distinct)
    scorer = (
        None
        if outcome.model is None
        else PairScorer(records, outcome.comparisons, outcome.model, encoded=outcome.encoded)
    )
    clustering = cluster_records(
        len(ids),
        left,
        right,
        probability,
        threshold=threshold,
        cannot_link=(reviewed_left, reviewed_right),
        facts=_cannot_link(records),
        score_unscored=scorer,
    )
    labels = clustering.labels
    counts.update(clustering.stats)
    counts["matches_refused"] = int((strong & (labels[left] != labels[right])).sum())
    outcome.stats["clustering"] = counts
    return pd.DataFrame({"record_id": ids, "cluster_id": name_clusters(ids, labels)})


def _reviewer_pairs(
    ids: np.ndarray, distinct: pd.DataFrame | None
) -> tuple[tuple[np.ndarray, np.ndarray], dict[str, int]]:
    """The record positions of the pairs in ``distinct`` (each pair once, in either order),
    and counts: pairs applied, rows skipped (an empty or unknown id, one record twice)."""
    if distinct is None or distinct.empty:  # no index of the ids (a second at 3M records)
        none = np.empty(0, dtype=np.int64)
        return (none, none), {"cannot_link_reviewer": 0, "reviewer_pairs_skipped": 0}
    index = pd.Index(ids)
    left, right = (
        index.get_indexer(pd.Index(distinct[column].fillna("").astype(str)))  # "": no id
        for column in ("left_id", "right_id")
    )
    valid = (left >= 0) & (right >= 0) & (left != right)
    pairs = np.unique(
        np.stack([np.minimum(left, right)[valid], np.maximum(left, right)[valid]], axis=1),
        axis=0,
    ).astype(np.int64)
    counts = {"cannot_link_reviewer": len(pairs), "reviewer_pairs_skipped": int((~valid).sum())}
    return (pairs[:, 0], pairs[:, 1]), counts


def _cannot_link(records: pd.DataFrame) -> RecordFacts | None:
    """The cannot-link evidence of person records, which clustering reads for every pair of
    records it would put in one cluster, scored or not: two people are often chained through a
    third record (a nameless one sharing their phones) without being candidates themselves."""
    if "sex" not in records and "dob" not in records:  # not people: no evidence to read
        return None
    facts = PersonFacts.of(records)
    return RecordFacts(facts.kinds(), facts.evidence)


def link(outcome: Outcome, threshold: float, one_to_one: bool) -> pd.DataFrame:
    """``left_id, right_id, match_probability`` of the pairs at or above ``threshold``."""
    scores = outcome.scores_frame()
    matches = scores[scores["match_probability"] >= threshold]
    matches = matches.sort_values(
        ["match_probability", "left_id", "right_id"], ascending=[False, True, True]
    )
    if one_to_one:
        keep = greedy_one_to_one(matches["left_id"].to_numpy(), matches["right_id"].to_numpy())
        matches = matches.iloc[keep]
    return matches.reset_index(drop=True)


def train_features(
    prepared: PreparedRecords, truth: pd.Series, settings: Settings
) -> tuple[pd.DataFrame, np.ndarray]:
    """Features and labels of the blocked candidate pairs, labelled by ``truth`` entities."""
    records = prepared.frame
    unknown = ~records["record_id"].isin(truth.index)
    if unknown.any():
        raise InputError(
            f"{int(unknown.sum())} record(s) have no entity in the truth file, "
            f"for example {records['record_id'][unknown].iloc[0]!r}"
        )
    codes = KeyCodes(records)
    rules = blocking_rules(records, settings, codes)
    blocking = block_pairs(records, rules, settings.blocking, codes=codes)
    comparisons = entity_comparisons(
        settings.entity, prepared.fields, prepared.generic, prepared.frame.columns
    )
    features = compare_pairs(records, blocking.left, blocking.right, comparisons)
    entity = truth.reindex(records["record_id"]).to_numpy()
    labels = (entity[blocking.left] == entity[blocking.right]).astype(int)
    return features, labels
