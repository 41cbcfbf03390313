"""Vectorised comparators and the per-entity feature sets."""

from linker.compare.comparators import COMPARATORS
from linker.compare.entities import (
    account_comparisons,
    company_comparisons,
    entity_comparisons,
)
from linker.compare.features import Comparison, compare_pairs, person_comparisons

__all__ = [
    "COMPARATORS",
    "Comparison",
    "account_comparisons",
    "company_comparisons",
    "compare_pairs",
    "entity_comparisons",
    "person_comparisons",
]
