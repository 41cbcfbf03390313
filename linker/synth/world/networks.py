"""Smuggling networks: groups of 10-50 identities with roles, sharing phones and hostels.

Mule accounts shared inside a network are opened with the other accounts (``business``).
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np

from linker.synth.world.identifiers import fr_mobile
from linker.synth.world.places import draw_hostel

if TYPE_CHECKING:
    from linker.synth.world.world import Person

ROLES = ("organiser", "recruiter", "driver", "hawaladar", "forger", "mule", "migrant")
NETWORK_SHARE = 0.35  # share of identities in a smuggling network


def plant_networks(
    rng: np.random.Generator,
    persons: list[Person],
    relations: list[tuple[str, str, str]],
    negatives: list[tuple[str, str, str]],
) -> None:
    """Groups of 10-50 people sharing phones and hostel addresses (mule accounts: business)."""
    order = rng.permutation(len(persons))
    target = int(len(persons) * NETWORK_SHARE)
    start, index = 0, 0
    while start + 10 <= min(target, len(persons)):
        size = min(int(rng.integers(10, 51)), len(persons) - start)
        members = [persons[int(i)] for i in order[start : start + size]]
        network = f"n{index:05d}"
        roles = [
            "organiser",
            "recruiter",
            "hawaladar",
            "forger",
            "driver",
            "driver",
            "mule",
            "mule",
        ] + ["migrant"] * size
        for member, role in zip(members, roles, strict=False):
            member.network, member.role = network, role
            relations.append((member.entity_id, network, f"member_of:{role}"))
        shared = [fr_mobile(rng) for _ in range(int(rng.integers(2, 5)))]
        for number in shared:
            holders = [members[int(i)] for i in rng.choice(size, int(rng.integers(2, 6)), False)]
            for holder in holders:
                holder.phones.append(number)
            for a, b in itertools.pairwise(holders):
                negatives.append((a.entity_id, b.entity_id, "shared_phone"))
        hostel = draw_hostel(rng)
        for member in members:
            if member.role == "migrant" and rng.random() < 0.3:
                member.address = hostel
        start += size
        index += 1
