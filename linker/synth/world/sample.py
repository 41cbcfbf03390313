"""Seeded random cross-service pairs of one identity, for a human to judge the world.

``sample_pairs(count, seed)`` builds a world in memory (or reads one from ``world=DIR``) and
returns ``count`` pairs, each a financial-side and a police-side record of one person;
``format_pair`` renders one pair as aligned text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from linker.errors import ConfigError
from linker.synth.world.generate import build_world
from linker.synth.world.records import PERSON_COLUMNS

SAMPLE_IDENTITIES = 2000


@dataclass(frozen=True)
class SamplePair:
    """Two records of one person: ``left`` from fiu, ``right`` from police."""

    entity_id: str
    origin: str
    left: dict[str, str]
    right: dict[str, str]


def _frames(
    world: Path | None, seed: int, identities: int
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    if world is None:
        frames = build_world(identities, seed).frames
        return frames["fiu/persons"], frames["police/persons"], frames["truth/records"]
    read = {
        name: pd.read_csv(world / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in ("fiu/persons", "police/persons", "truth/records")
    }
    return read["fiu/persons"], read["police/persons"], read["truth/records"]


def sample_pairs(
    count: int, seed: int, world: Path | None = None, identities: int = SAMPLE_IDENTITIES
) -> list[SamplePair]:
    """``count`` seeded random cross-service person pairs of one identity (fewer if the world
    has fewer); from the world under ``world``, or else from a world of ``identities`` people
    built in memory from ``seed``. The pairs are drawn with ``seed`` too."""
    if count < 1:
        raise ConfigError(f"--sample-pairs must be at least 1, got {count}")
    fiu, police, truth = _frames(world, seed, identities)
    persons = truth[truth["entity_type"] == "person"]
    by_source = {
        s: g.groupby("entity_id")["record_id"].apply(list) for s, g in persons.groupby("source")
    }
    both = sorted(set(by_source["fiu"].index) & set(by_source["police"].index))
    rng = np.random.default_rng(seed)
    chosen = rng.choice(len(both), size=min(count, len(both)), replace=False)
    origin = dict(zip(persons["entity_id"], persons["origin"], strict=True))
    fiu_rows = fiu.set_index("record_id", drop=False)
    police_rows = police.set_index("record_id", drop=False)
    pairs = []
    for index in chosen:
        entity = both[int(index)]
        left_ids, right_ids = by_source["fiu"][entity], by_source["police"][entity]
        left = fiu_rows.loc[left_ids[int(rng.integers(len(left_ids)))]]
        right = police_rows.loc[right_ids[int(rng.integers(len(right_ids)))]]
        pairs.append(
            SamplePair(
                entity,
                origin[entity],
                {k: str(left[k]) for k in PERSON_COLUMNS},
                {k: str(right[k]) for k in PERSON_COLUMNS},
            )
        )
    return pairs


def format_pair(pair: SamplePair) -> str:
    """The pair's filled fields side by side: ``field  fiu value  |  police value``."""
    lines = [f"{pair.entity_id} ({pair.origin})"]
    for key in PERSON_COLUMNS:
        left, right = pair.left[key], pair.right[key]
        if left or right:
            lines.append(f"  {key:<12} {left:<40} | {right}")
    return "\n".join(lines)
