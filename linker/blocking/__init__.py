"""Blocking: key rules chosen from the data, and candidate pairs from them."""

from linker.blocking.pairs import BlockingResult, block_pairs, candidate_pairs
from linker.blocking.rules import (
    BlockingOptions,
    BlockingRule,
    KeyCodes,
    choose_rules,
    key_fields,
)

__all__ = [
    "BlockingOptions",
    "BlockingResult",
    "BlockingRule",
    "KeyCodes",
    "block_pairs",
    "candidate_pairs",
    "choose_rules",
    "key_fields",
]
