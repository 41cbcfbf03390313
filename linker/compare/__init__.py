"""Vectorised comparators and the per-entity feature sets."""

from linker.compare.comparators import COMPARATORS
from linker.compare.features import Comparison, compare_pairs, person_comparisons

__all__ = ["COMPARATORS", "Comparison", "compare_pairs", "person_comparisons"]
