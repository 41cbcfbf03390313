"""Labelled pairs of names alone, drawn from the people of a synthetic world.

The record pairs of ``training_pairs`` teach names only as far as blocking meets them: few of
their non-matches have names that look alike, and none of them gives a name the way an
analyst's list does (one string, sometimes in native script). These pairs are about names
only. For every identity of the world of a reserved seed:

- two of its records, each reduced to one name string (label 1, kind ``variant``): a full
  name, "given family", or "FAMILY given" the French way, in native script when the record
  holds nothing else; every spelling variant, particle, merge, title, typo, dropped grandfather
  and swap comes from the world's own record writer at its configured rates (alias identities
  and nicknames in the given name's place excluded); a fifth of the names the script table
  covers are written in Arabic or Ge'ez script, as asylum files and seized phones give them,
  and a twentieth of the Latin ones give the given name as its initials (M. Bilal Butt, J-P
  Moreau), as a transfer's sender or a list often does (DOMAIN.md §2: Muhammad -> M.);
- one record of it against one record of a look-alike person (label 0), made by changing one
  name of the identity: ``near_name`` (one of the closest other names of any origin's lists,
  or a known near name: Rahman/Rahim), ``sibling`` (another given name, same father and family),
  ``son`` (the chain moved by one: his father's given name in the father's place) or
  ``namesake_son`` (a son named after his paternal grandfather, as the eldest son often is
  where names are chains: Mohamed Ali's son Ali Mohamed, the same two names swapped).

Two people with the very same name teach nothing about names, so no look-alike keeps every
name. One JSON object per line, as in the record pairs, with only ``full_name`` per side.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler

from linker.prepare.names import script_of
from linker.synth.world import GENERATOR_VERSION
from linker.synth.world import names as nm
from linker.synth.world.config import WorldConfig, load_config
from linker.synth.world.records import PersonRecords
from linker.synth.world.variants import EXPLICIT, near_name, plain, spellings
from linker.synth.world.world import Person, build_people

LOOKALIKES = ("near_name", "sibling", "son", "namesake_son")
# Near names are looked for among every origin's names: a Turkish Emin meets an Arab Amir.
_ALL = {
    "male": tuple(dict.fromkeys(n for o in nm.ORIGINS for n in o.male)),
    "female": tuple(dict.fromkeys(n for o in nm.ORIGINS for n in o.female)),
    "family": tuple(dict.fromkeys(n for o in nm.ORIGINS for n in o.family)),
}
_NEAREST = 3  # a near name is drawn from this many closest names of the same list...
NATIVE_SHARE = 0.2  # of names that have a native-script form: written in it
_CLOSE = 0.75  # ...that are at least this close (Jaro-Winkler)
INITIAL_SHARE = 0.05  # of Latin names: the given name written as its initials
_INITIAL_STYLES = ("{}.", "{}")  # M. Bilal Butt, M Bilal Butt


def with_initial(name: str, rng: np.random.Generator) -> str:
    """``name`` with its given name, the first word not in capitals, as initials: ``Jean-Pierre
    MOREAU`` -> ``J.-P. MOREAU``, ``Muhammad Bilal Butt`` -> ``M Bilal Butt``."""
    words = name.split()
    given = next((i for i, w in enumerate(words) if not w.isupper() and len(w) > 2), None)
    if given is None or len(words) < 2:
        return name
    style = _INITIAL_STYLES[int(rng.integers(len(_INITIAL_STYLES)))]
    words[given] = "-".join(style.format(part[:1]) for part in words[given].split("-") if part)
    return " ".join(words)


def name_string(record: dict[str, str], rng: np.random.Generator) -> str:
    """One record's name as a list gives it: the full name, "given family" or "FAMILY given";
    the native-script name when the record holds no other."""
    full, given, family = record["full_name"], record["given_name"], record["family_name"]
    if not full and not given:
        return record["name_native"]
    draw = rng.random()
    if draw < 0.25 and given and family:
        return f"{given} {family}"
    if draw < 0.4 and given and family:
        return f"{family.upper()} {given}"
    return full or f"{given} {family}".strip()


def _same_name(a: str, b: str) -> bool:
    """Whether ``a`` and ``b`` are spellings of one name by the generator's own rules (Fatma
    and Fatemeh are both Fatima: no near names)."""
    written = {plain(a).lower(), plain(b).lower()}
    if len(written) == 1:
        return True
    for x, y in ((a, b), (b, a)):
        variants = {plain(v).lower() for side in ("oral", "document") for v in spellings(x, side)}
        if plain(y).lower() in variants:
            return True
    return any(
        {plain(a).lower(), plain(b).lower()} <= {plain(v).lower() for v in (key, *forms)}
        for key, forms in EXPLICIT.items()
    )


def _nearest(name: str, pool: tuple[str, ...], rng: np.random.Generator) -> str | None:
    """A different name of ``pool`` that looks like ``name``: the table's near name, else one
    of the closest by Jaro-Winkler."""
    known = near_name(name)
    if known is not None and rng.random() < 0.5:
        return known
    others = [p for p in pool if not _same_name(p, name)]
    if not others:
        return known
    scores = process.extract(name, others, scorer=JaroWinkler.normalized_similarity)
    closest = [match for match, score, _ in scores[:_NEAREST] if score >= _CLOSE]
    if not closest:
        return known
    return closest[int(rng.integers(len(closest)))]


def lookalike(person: Person, kind: str, rng: np.random.Generator) -> Person | None:
    """A different person whose name looks like ``person``'s (``None`` when ``kind`` does not
    apply to this person)."""
    origin = nm.ORIGIN_BY_CODE[person.origin]
    pool = origin.male if person.sex == "M" else origin.female
    if kind in ("son", "namesake_son"):
        if origin.structure not in ("chain", "chain_family") or person.sex != "M":
            return None  # a woman's son carries his father's chain, not hers
        if kind == "son":
            son = nm.draw_name(rng, origin.male, frozenset({person.given}))
        elif person.father and person.father != person.given:
            son = person.father
        else:
            return None
        return dataclasses.replace(
            person, sex="M", given=son, father=person.given, grandfather=person.father
        )
    if kind == "sibling":
        return dataclasses.replace(person, given=nm.draw_name(rng, pool, frozenset({person.given})))
    # near_name: a name that every written form shows (the given name, and the family name,
    # or the father's for a chain without one) replaced by a close one
    choices = [("given", _ALL["male" if person.sex == "M" else "female"])]
    if person.family:
        choices.append(("family", _ALL["family"]))
    elif origin.structure in ("chain", "chain_family"):
        choices.append(("father", _ALL["male"]))
    field, names = choices[int(rng.integers(len(choices)))]
    current = getattr(person, field)
    other = _nearest(current, names, rng) if current else None
    if other is None or other == current:
        return None
    if field == "given":
        return dataclasses.replace(person, given=other)
    if field == "family":
        return dataclasses.replace(person, family=other)
    return dataclasses.replace(person, father=other)


def _side(rng: np.random.Generator) -> str:
    return "police" if rng.random() < 0.6 else "fiu"


def name_pairs(seed: int, identities: int) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The labelled name pairs of the world of ``seed`` with ``identities`` people, and their
    counts by kind."""
    rng = np.random.default_rng([seed, 2])
    initials = np.random.default_rng([seed, 3])  # its own stream: the other draws stay put
    people = build_people(identities, rng).persons
    # A wholly different declared identity, or a nickname or kunya in the given name's place
    # (Abu Omar for Khaled), is no spelling of a name: names alone cannot learn it.
    config = WorldConfig({**load_config().rates, "name.alias_identity": 0.0, "name.nickname": 0.0})
    writer = PersonRecords(config, rng, people)
    pairs: list[dict[str, Any]] = []
    counts: dict[str, int] = {}

    def written(person: Person) -> str:
        native = person.native()
        if native is not None and rng.random() < NATIVE_SHARE:
            return native
        name = name_string(writer.emit(person, _side(rng), -1), rng)
        if initials.random() < INITIAL_SHARE and script_of(name) == "latin":
            return with_initial(name, initials)
        return name

    def add(a: Person, b: Person, label: int, kind: str) -> None:
        left, right = written(a), written(b)
        if not left or not right:
            return
        n = len(pairs)
        pairs.append(
            {
                "entity_type": "person",
                "label": label,
                "kind": kind,
                "weight": 1.0,
                "left": {"record_id": f"N{n:06d}a", "full_name": left},
                "right": {"record_id": f"N{n:06d}b", "full_name": right},
                "provenance": {"world_seed": seed, "generator": GENERATOR_VERSION},
            }
        )
        counts[kind] = counts.get(kind, 0) + 1

    for person in people:
        add(person, person, 1, "variant")
        kind = LOOKALIKES[int(rng.integers(3))]  # near name, sibling or a son, of either kind
        if kind == "son" and rng.random() < 0.5:
            kind = "namesake_son"
        other = lookalike(person, kind, rng)
        if other is None:
            kind, other = "sibling", lookalike(person, "sibling", rng)
        if other is not None:
            add(person, other, 0, kind)
    return pairs, dict(sorted(counts.items()))
