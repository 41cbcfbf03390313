"""linker: find which records describe the same person, and group them into identities.

The public surface is listed in ``__all__``; everything else is internal.
"""

from linker.blocking import BlockingOptions, BlockingRule, block_pairs, choose_rules
from linker.cluster import cluster_pairs
from linker.compare import COMPARATORS, Comparison, compare_pairs, person_comparisons
from linker.errors import (
    ConfigError,
    IdempotencyConflictError,
    InputError,
    LeaseLostError,
    LinkerError,
    ModelError,
    NotFoundError,
    RunConflictError,
    StoreError,
    UnknownComparatorError,
)
from linker.models import FellegiSunter, PairClassifier
from linker.pipeline import dedupe, link, score_pairs
from linker.prepare import PrepareOptions
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.runs import RunResult, read_sources, run
from linker.settings import DEFAULT_THRESHOLD, Settings

__all__ = [
    "COMPARATORS",
    "DEFAULT_THRESHOLD",
    "BlockingOptions",
    "BlockingRule",
    "Comparison",
    "ConfigError",
    "FellegiSunter",
    "IdempotencyConflictError",
    "InputError",
    "LeaseLostError",
    "LinkerError",
    "ModelError",
    "NotFoundError",
    "PairClassifier",
    "PrepareOptions",
    "RunConflictError",
    "RunResult",
    "Settings",
    "SourceTable",
    "StoreError",
    "UnknownComparatorError",
    "block_pairs",
    "choose_rules",
    "cluster_pairs",
    "compare_pairs",
    "dedupe",
    "link",
    "person_comparisons",
    "plan_columns",
    "prepare_sources",
    "read_sources",
    "run",
    "score_pairs",
]
