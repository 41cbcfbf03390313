"""Blocking: key rules chosen from the data, and candidate pairs from them."""

from linker.blocking.pairs import BlockingResult, block_pairs
from linker.blocking.rules import BlockingOptions, BlockingRule, choose_rules

__all__ = ["BlockingOptions", "BlockingResult", "BlockingRule", "block_pairs", "choose_rules"]
