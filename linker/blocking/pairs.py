"""Candidate pairs from blocking rules, each pair once, oversized blocks capped and reported.

Pairs are two integer arrays of record positions with ``left < right``. For a link job, pairs
inside one source are dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from linker.blocking.rules import BlockingOptions, BlockingRule, KeyCodes, choose_rules


@dataclass
class BlockingResult:
    """The candidate pairs and what each rule contributed."""

    left: np.ndarray
    right: np.ndarray
    pairs_per_rule: dict[str, int] = field(default_factory=dict)
    capped_blocks: list[dict[str, object]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.left)

    def stats(self) -> dict[str, object]:
        return {
            "rules": list(self.pairs_per_rule),
            "pairs_per_rule": self.pairs_per_rule,
            "capped_blocks": self.capped_blocks[:100],
            "capped_block_count": len(self.capped_blocks),
        }


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values; numpy 2's hash-based ``np.unique`` is far slower on int64.
    (A stable sort: it merges the sorted runs of a concatenation of sorted arrays.)"""
    values = np.sort(values, kind="stable")
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _pairs_in_blocks(
    positions: np.ndarray, codes: np.ndarray, options: BlockingOptions
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """All pairs inside each block (windowed in capped blocks); also the capped blocks, as the
    first record (by position) of each and its size."""
    in_order = bool(np.all(positions[1:] >= positions[:-1]))  # as KeyCodes gives them
    order = np.argsort(codes, kind="stable") if in_order else np.lexsort((positions, codes))
    positions, codes = positions[order], codes[order]
    starts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]])
    sizes = np.diff(np.r_[starts, len(codes)])
    window = np.where(sizes > options.max_block_size, options.window, sizes)
    block = np.repeat(np.arange(len(starts)), sizes)
    offset = np.arange(len(codes)) - starts[block]
    partners = np.minimum(sizes[block] - 1 - offset, window[block])
    total = int(partners.sum())
    left_index = np.repeat(np.arange(len(codes)), partners)
    step = np.arange(total) - np.repeat(np.cumsum(partners) - partners, partners) + 1
    right_index = left_index + step
    capped = sizes > options.max_block_size
    return positions[left_index], positions[right_index], positions[starts[capped]], sizes[capped]


def candidate_pairs(
    records: pd.DataFrame,
    options: BlockingOptions,
    *,
    link_only: bool = False,
    progress: Callable[..., Iterable[Any]] | None = None,
) -> BlockingResult:
    """Rules chosen from ``records`` and the pairs they give: the blocking stage, with the
    key codes computed once for both."""
    codes = KeyCodes(records)
    rules = choose_rules(records, options, codes)
    return block_pairs(records, rules, options, link_only=link_only, progress=progress, codes=codes)


def block_pairs(
    records: pd.DataFrame,
    rules: list[BlockingRule],
    options: BlockingOptions,
    *,
    link_only: bool = False,
    progress: Callable[..., Iterable[Any]] | None = None,
    codes: KeyCodes | None = None,
) -> BlockingResult:
    """The union of every rule's pairs; ``link_only`` keeps pairs across sources only.

    ``progress(items, description, total)`` may wrap the loop over rules (a progress bar);
    ``codes`` reuses the key codes computed while choosing the rules.
    """
    codes = codes or KeyCodes(records)
    n = len(records)
    source_codes = pd.factorize(records["source"])[0] if link_only else None
    record_ids = records["record_id"].to_numpy()
    encoded: list[np.ndarray] = []
    result = BlockingResult(np.empty(0, np.int64), np.empty(0, np.int64))
    for rule in progress(rules, "block", len(rules)) if progress else rules:
        positions, block_codes = codes.rule(rule)
        left, right, capped_firsts, capped_sizes = _pairs_in_blocks(positions, block_codes, options)
        low, high = np.minimum(left, right), np.maximum(left, right)
        keep = low != high  # a record listing one phone twice
        if source_codes is not None:
            keep &= source_codes[low] != source_codes[high]
        pair_codes = _sorted_unique(low[keep].astype(np.int64) * n + high[keep])
        encoded.append(pair_codes)
        result.pairs_per_rule[rule.name] = len(pair_codes)
        for first, size in zip(capped_firsts, capped_sizes, strict=True):
            result.capped_blocks.append(
                {
                    "rule": rule.name,
                    "key": [str(records[k].iloc[first]) for k in rule.keys],
                    "example_record": str(record_ids[first]),
                    "size": int(size),
                    "pairs_possible": int(size) * (int(size) - 1) // 2,
                    "pairs_kept": int(size) * options.window,
                }
            )
    union = _sorted_unique(np.concatenate(encoded)) if encoded else np.empty(0, np.int64)
    result.left, result.right = union // n, union % n
    return result
