"""Planted look-alikes: common-name namesakes with 01/01 dates, and near names (Rahman/Rahim).

Both are different people whom a matcher must keep apart: tagged as hard negatives.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np

from linker.synth.world.variants import near_name

if TYPE_CHECKING:
    from linker.synth.world.world import Person


def plant_lookalikes(
    rng: np.random.Generator,
    persons: list[Person],
    relations: list[tuple[str, str, str]],
    negatives: list[tuple[str, str, str]],
) -> None:
    """Plant namesakes with 01/01 dates and near names (Rahman/Rahim) among people of one
    origin and sex who have no relatives in the world (so that no family chain is broken)."""
    related = {entity for a, b, _ in relations for entity in (a, b)}
    groups: dict[tuple[str, str], list[Person]] = {}
    for person in persons:
        if person.entity_id not in related and person.origin in (
            "AF",
            "SY",
            "SD",
            "Maghreb",
            "PK",
            "ER",
            "IQ-Kurdish",
        ):
            groups.setdefault((person.origin, person.sex), []).append(person)
    pools = [group for group in groups.values() if len(group) >= 10]
    if not pools:
        return
    n_pairs = max(1, len(persons) // 50)
    for k in range(2 * n_pairs):
        pool = pools[int(rng.integers(len(pools)))]
        a, b = (pool[int(i)] for i in rng.choice(len(pool), 2, replace=False))
        if a.forced_placeholder or b.forced_placeholder:
            continue
        if k < n_pairs:
            b.given, b.family, b.father = a.given, a.family, a.father
            b.dob = dt.date(a.dob.year + int(rng.integers(-1, 2)), 1, 1)
            a.dob = dt.date(a.dob.year, 1, 1)
            a.forced_placeholder = b.forced_placeholder = True
            negatives.append((a.entity_id, b.entity_id, "namesake_0101"))
            continue
        near = [p for p in pool if near_name(p.given) is not None and p is not b]
        if near:
            a = near[int(rng.integers(len(near)))]
            b.given, b.family = near_name(a.given) or b.given, a.family
            b.dob = dt.date(a.dob.year + int(rng.integers(-2, 3)), b.dob.month, min(b.dob.day, 28))
            negatives.append((a.entity_id, b.entity_id, "near_name"))
