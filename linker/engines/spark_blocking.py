"""Candidate pairs on Spark, with the semantics of ``linker.blocking.pairs``.

The rules and each record's integer block code per rule come from the driver (``KeyCodes``, as
in the local engine): only integers are shipped, never the key strings. Inside a block in
record order, a record pairs with every later record, or with its next ``window`` records
only in a block over ``max_block_size``; pairs are ``low < high``, without self-pairs, and
across sources only for a link job. Each rule's pairs are made distinct (for the per-rule
counts), then their union.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from linker.blocking import BlockingOptions, BlockingRule, KeyCodes

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


@dataclass
class SparkCandidates:
    """The distinct candidate pairs (``low, high``, cached: unpersist when done) and what the
    local engine's ``BlockingResult`` reports about them."""

    pairs: DataFrame
    count: int
    pairs_per_rule: dict[str, int]
    capped_blocks: list[dict[str, object]]


def candidate_pairs(
    spark: SparkSession,
    records: pd.DataFrame,
    rules: list[BlockingRule],
    codes: KeyCodes,
    options: BlockingOptions,
    *,
    link_only: bool,
) -> SparkCandidates:
    """The union of every rule's pairs, formed on Spark."""
    ranked = _ranked_keys(_block_keys(spark, records, rules, codes, link_only)).persist()
    capped = _capped_blocks(ranked, options, rules, records)
    rule_pairs = _rule_pairs(ranked, options, link_only).persist()
    pairs_per_rule = _pairs_per_rule(rule_pairs, rules)
    ranked.unpersist()
    pairs = rule_pairs.select("low", "high").distinct().persist()
    count = pairs.count()
    rule_pairs.unpersist()
    return SparkCandidates(pairs, count, pairs_per_rule, capped)


def _block_keys(
    spark: SparkSession,
    records: pd.DataFrame,
    rules: list[BlockingRule],
    codes: KeyCodes,
    link_only: bool,
) -> DataFrame:
    """``rule, position, block, source``: each rule's block code of each record that has one."""
    sources = pd.factorize(records["source"])[0] if link_only else np.zeros(len(records), int)
    parts = []
    for index, rule in enumerate(rules):
        positions, blocks = codes.rule(rule)
        parts.append(
            pd.DataFrame(
                {
                    "rule": np.full(len(positions), index, dtype=np.int32),
                    "position": positions.astype(np.int64),
                    "block": blocks.astype(np.int64),
                    "source": sources[positions].astype(np.int32),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else _empty_keys()
    return spark.createDataFrame(frame, "rule int, position long, block long, source int")


def _empty_keys() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "rule": np.empty(0, np.int32),
            "position": np.empty(0, np.int64),
            "block": np.empty(0, np.int64),
            "source": np.empty(0, np.int32),
        }
    )


def _ranked_keys(keys: DataFrame) -> DataFrame:
    """The keys with ``rank`` (0.. in position order) and ``size`` of their block."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    block = Window.partitionBy("rule", "block")
    return keys.withColumn(
        "rank", (F.row_number().over(block.orderBy("position")) - 1).cast("long")
    ).withColumn("size", F.count(F.lit(1)).over(block))


def _rule_pairs(ranked: DataFrame, options: BlockingOptions, link_only: bool) -> DataFrame:
    """``rule, low, high``: each rule's distinct candidate pairs.

    Inside a block ordered by position, the record of rank ``r`` pairs with the ranks
    ``r + 1 .. r + k`` where ``k`` is ``window`` in a capped block and the rest of the block
    otherwise (``_pairs_in_blocks``). Exploding those ranks and joining back on them makes
    exactly the pairs kept, with no quadratic self-join of large blocks.
    """
    from pyspark.sql import functions as F

    width = F.when(F.col("size") > options.max_block_size, F.lit(options.window).cast("long"))
    partners = F.least(F.col("size") - 1 - F.col("rank"), width.otherwise(F.col("size")))
    starts = ranked.where(partners > 0).select(
        "rule",
        "block",
        F.col("position").alias("position_a"),
        F.col("source").alias("source_a"),
        F.explode(F.sequence(F.col("rank") + 1, F.col("rank") + partners)).alias("rank"),
    )
    ends = ranked.select(
        "rule",
        "block",
        "rank",
        F.col("position").alias("position_b"),
        F.col("source").alias("source_b"),
    )
    pairs = starts.join(ends, ["rule", "block", "rank"])
    kept = pairs.where(F.col("position_a") != F.col("position_b"))  # one phone listed twice
    if link_only:
        kept = kept.where(F.col("source_a") != F.col("source_b"))
    return kept.select(
        "rule",
        F.least("position_a", "position_b").alias("low"),
        F.greatest("position_a", "position_b").alias("high"),
    ).distinct()


def _pairs_per_rule(rule_pairs: DataFrame, rules: list[BlockingRule]) -> dict[str, int]:
    counts = {row["rule"]: row["count"] for row in rule_pairs.groupBy("rule").count().collect()}
    return {rule.name: int(counts.get(index, 0)) for index, rule in enumerate(rules)}


def _capped_blocks(
    ranked: DataFrame, options: BlockingOptions, rules: list[BlockingRule], records: pd.DataFrame
) -> list[dict[str, object]]:
    """Blocks over ``max_block_size``, as the local engine reports them: rule by rule, in
    block-code order, each named by its first record."""
    from pyspark.sql import functions as F

    found = (
        ranked.where((F.col("size") > options.max_block_size) & (F.col("rank") == 0))
        .select("rule", "block", "size", F.col("position").alias("first"))
        .collect()
    )
    record_ids = records["record_id"].to_numpy()
    capped: list[dict[str, object]] = []
    for row in sorted(found, key=lambda r: (r["rule"], r["block"])):
        rule, size, first = rules[row["rule"]], int(row["size"]), int(row["first"])
        capped.append(
            {
                "rule": rule.name,
                "key": [str(records[k].iloc[first]) for k in rule.keys],
                "example_record": str(record_ids[first]),
                "size": size,
                "pairs_possible": size * (size - 1) // 2,
                "pairs_kept": size * options.window,
            }
        )
    return capped
