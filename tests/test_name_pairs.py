"""Pairs of names alone for training: variants of one person's name and look-alikes."""

from __future__ import annotations

import numpy as np
import pytest

from linker.synth.world.name_pairs import LOOKALIKES, lookalike, name_pairs, with_initial
from linker.synth.world.world import build_people


def test_name_pairs_are_seeded_labelled_and_hold_only_names() -> None:
    first, counts = name_pairs(5, 200)
    again, _ = name_pairs(5, 200)
    assert first == again
    assert counts["variant"] == sum(p["label"] for p in first) > 150
    assert {p["kind"] for p in first if p["label"] == 0} <= set(LOOKALIKES)
    for pair in first:
        for side in ("left", "right"):
            assert set(pair[side]) == {"record_id", "full_name"} and pair[side]["full_name"]


def test_a_lookalike_changes_a_name_and_keeps_the_rest() -> None:
    rng = np.random.default_rng(1)
    people = build_people(300, rng).persons
    for person in people[:100]:
        for kind in LOOKALIKES:
            other = lookalike(person, kind, rng)
            if other is None:
                continue
            names = (other.given, other.father, other.grandfather, other.family)
            assert names != (person.given, person.father, person.grandfather, person.family)
            assert other.origin == person.origin and other.entity_id == person.entity_id
            if kind in ("son", "namesake_son"):
                assert (other.father, other.grandfather) == (person.given, person.father)
            if kind == "namesake_son":
                assert other.given == person.father


@pytest.mark.parametrize(
    ("name", "forms"),
    [
        ("Muhammad Bilal Butt", {"M. Bilal Butt", "M Bilal Butt"}),
        ("Jean-Pierre MOREAU", {"J.-P. MOREAU", "J-P MOREAU"}),  # the given name, not in capitals
        ("HASSAN Ali Omar", {"HASSAN A. Omar", "HASSAN A Omar"}),
        ("Ali", {"Ali"}),  # one word: nothing to shorten
    ],
)
def test_a_given_name_written_as_its_initials(name: str, forms: set[str]) -> None:
    rng = np.random.default_rng(3)
    assert {with_initial(name, rng) for _ in range(20)} == forms


def test_some_names_are_written_with_initials() -> None:
    pairs, _ = name_pairs(5, 400)
    names = [p[side]["full_name"] for p in pairs for side in ("left", "right")]
    initials = [n for n in names if any(len(w.strip(".-")) == 1 for w in n.split())]
    assert 0.01 < len(initials) / len(names) < 0.15
