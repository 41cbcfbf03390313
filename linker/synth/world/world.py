"""The truth of the synthetic world: identities, families and smuggling networks.

``build_people(count, rng)`` draws ``count`` identities grouped in lineages (a grandfather's
sons and their children: a son's father-name is his father's given name, siblings share
father and family names, address and often a phone, twins share a date of birth, cousins
share a grandfather), then networks of 10-50 people sharing phones, mule accounts and hostel
addresses, then the planted look-alikes (namesakes with placeholder dates, near names).
Relations and entity-level hard negatives are returned beside the people.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np

from linker.synth.world import names as nm
from linker.synth.world.identifiers import document_number, fr_mobile
from linker.synth.world.lookalikes import plant_lookalikes
from linker.synth.world.networks import plant_networks
from linker.synth.world.places import (
    BIRTH_PLACES,
    NATIONALITIES,
    Address,
    draw_address,
)
from linker.synth.world.script import native_name
from linker.synth.world.variants import plain

ORIGIN_SHARES = np.array([o.share for o in nm.ORIGINS]) / sum(o.share for o in nm.ORIGINS)
EMAIL_DOMAINS = ("gmail.com", "gmail.com", "hotmail.fr", "yahoo.fr", "outlook.com", "hotmail.com")


@dataclass
class Person:
    """One true identity and everything the services might learn about it."""

    entity_id: str
    origin: str
    sex: str
    dob: dt.date
    dob_known: str  # "day", "year" or "unknown": how well the person knows the date
    given: str
    father: str
    grandfather: str
    family: str | None
    middle: str | None
    mother: str
    birth_place: str
    nationality: str
    address: Address
    phones: list[str] = field(default_factory=list)  # nine digits, oldest first
    emails: list[str] = field(default_factory=list)
    documents: list[str] = field(default_factory=list)
    ibans: list[str] = field(default_factory=list)
    eldest_son: str | None = None
    network: str | None = None
    role: str | None = None
    forced_placeholder: bool = False  # namesake planted with a 01/01 date on every record

    def chain(self) -> list[str]:
        """The name tokens in native order (Vietnamese: family, middle, given)."""
        structure = nm.ORIGIN_BY_CODE[self.origin].structure
        if structure == "vietnamese":
            return [t for t in (self.family, self.middle, self.given) if t]
        if structure == "given_family":
            return [t for t in (self.given, self.family) if t]
        return [t for t in (self.given, self.father, self.grandfather, self.family) if t]

    def native(self) -> str | None:
        """The name in its native script when the hand table covers every token."""
        return native_name(self.chain(), nm.ORIGIN_BY_CODE[self.origin].script)


@dataclass
class People:
    """Identities with entity-level relations and hard negatives ``(id_a, id_b, kind)``."""

    persons: list[Person]
    relations: list[tuple[str, str, str]]
    negatives: list[tuple[str, str, str]]


def _dob(rng: np.random.Generator, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365)))


def _knowledge(rng: np.random.Generator, origin: str) -> str:
    vague = 0.35 if origin in ("AF", "ER", "SD") else 0.08
    u = rng.random()
    return "unknown" if u < vague / 4 else "year" if u < vague else "day"


def _email(rng: np.random.Generator, given: str, other: str, year: int) -> str:
    local = plain(given.split()[0] + ("." if rng.random() < 0.5 else "") + other.split()[-1])
    local = local.lower()
    local = "".join(c for c in local if c.isascii() and (c.isalnum() or c == "."))
    if rng.random() < 0.6:
        local += str(year % 100 if rng.random() < 0.5 else year)
    return f"{local}@{EMAIL_DOMAINS[int(rng.integers(len(EMAIL_DOMAINS)))]}"


class _Builder:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.persons: list[Person] = []
        self.relations: list[tuple[str, str, str]] = []
        self.negatives: list[tuple[str, str, str]] = []

    def person(
        self,
        origin: nm.Origin,
        sex: str,
        given: str,
        father: str,
        grandfather: str,
        family: str | None,
        mother: str,
        year: int,
        address: Address,
    ) -> Person:
        rng = self.rng
        middle = None
        if origin.structure == "vietnamese":
            pool = nm.VN_MIDDLE_MALE if sex == "M" else nm.VN_MIDDLE_FEMALE
            middle = pool[int(rng.integers(len(pool)))]
        person = Person(
            entity_id=f"p{len(self.persons):07d}",
            origin=origin.code,
            sex=sex,
            dob=_dob(rng, year),
            dob_known=_knowledge(rng, origin.code),
            given=given,
            father=father,
            grandfather=grandfather,
            family=family,
            middle=middle,
            mother=mother,
            birth_place=nm.draw_name(rng, BIRTH_PLACES[origin.code]),
            nationality=nm.draw_name(rng, NATIONALITIES[origin.code]),
            address=address,
        )
        person.phones.append(fr_mobile(rng))
        if rng.random() < 0.5:
            person.phones.append(fr_mobile(rng))
        if rng.random() < 0.6:
            person.emails.append(_email(rng, given, family or father, year))
        person.documents.append(document_number(rng, 1 if origin.code != "FR" else 2))
        if rng.random() < 0.3:
            person.documents.append(f"{int(rng.integers(10**9, 10**10))}")  # residence permit
        self.persons.append(person)
        return person

    def lineage(self, origin: nm.Origin, remaining: int) -> None:
        """A grandfather's sons (one or two brothers) and their children, or one person."""
        rng = self.rng
        family = (
            nm.draw_name(rng, origin.family)
            if origin.family and (rng.random() < origin.family_rate)
            else None
        )
        grandfather = nm.draw_name(rng, origin.male)
        great = nm.draw_name(rng, origin.male, frozenset({grandfather}))
        single = rng.random() < 0.55 or remaining < 3
        n_fathers = 1 if single or rng.random() < 0.8 else 2
        fathers_given: set[str] = set()
        fathers: list[Person] = []
        children_by_father: list[list[Person]] = []
        for _ in range(n_fathers):
            given = nm.draw_name(rng, origin.male, frozenset(fathers_given | {grandfather}))
            fathers_given.add(given)
            mother = nm.draw_name(rng, origin.female)
            address = draw_address(rng)
            father_year = int(rng.integers(1950, 1986))
            father_person = None
            if not single and rng.random() < 0.4:
                father_person = self.person(
                    origin,
                    "M",
                    given,
                    grandfather,
                    great,
                    family,
                    nm.draw_name(rng, origin.female),
                    father_year,
                    address,
                )
                fathers.append(father_person)
            n_children = 1 if single else int(rng.choice([1, 2, 3, 4], p=[0.35, 0.35, 0.2, 0.1]))
            children: list[Person] = []
            used: set[str] = {given}
            year = (
                father_year + int(rng.integers(20, 36))
                if not single
                else int(rng.integers(1960, 2007))
            )
            for k in range(n_children):
                sex = "M" if rng.random() < 0.7 else "F"
                pool = origin.male if sex == "M" else origin.female
                name = nm.draw_name(rng, pool, frozenset(used))
                used.add(name)
                twin = k > 0 and rng.random() < 0.06
                child = self.person(
                    origin, sex, name, given, grandfather, family, mother, min(year, 2007), address
                )
                if twin:
                    child.dob = children[-1].dob
                    self._pair(children[-1], child, "twins")
                if rng.random() < 0.4 and children:
                    child.phones[0] = children[0].phones[0]  # siblings often share a phone
                children.append(child)
                year += int(rng.integers(1, 4))
            for i, a in enumerate(children):
                for b in children[i + 1 :]:
                    kind = "brothers" if a.sex == b.sex == "M" else "siblings"
                    self._pair(a, b, kind)
            if father_person is not None:
                sons = [c for c in children if c.sex == "M"]
                father_person.eldest_son = sons[0].given if sons else None
                for child in children:
                    self.relations.append((father_person.entity_id, child.entity_id, "father_of"))
                    self.negatives.append(
                        (father_person.entity_id, child.entity_id, "father_son_chain_shift")
                    )
            children_by_father.append(children)
        if len(fathers) == 2:
            self._pair(fathers[0], fathers[1], "brothers")
        if len(children_by_father) == 2:
            for a in children_by_father[0]:
                for b in children_by_father[1]:
                    self._pair(a, b, "cousins")

    def _pair(self, a: Person, b: Person, kind: str) -> None:
        self.relations.append((a.entity_id, b.entity_id, kind))
        self.negatives.append((a.entity_id, b.entity_id, kind))


def build_people(count: int, rng: np.random.Generator) -> People:
    """``count`` identities in lineages and networks, with relations and hard negatives."""
    builder = _Builder(rng)
    while len(builder.persons) < count:
        origin = nm.ORIGINS[int(rng.choice(len(nm.ORIGINS), p=ORIGIN_SHARES))]
        builder.lineage(origin, count - len(builder.persons))
    keep = {p.entity_id for p in builder.persons[:count]}
    persons = builder.persons[:count]
    relations = [r for r in builder.relations if r[0] in keep and r[1] in keep]
    negatives = [r for r in builder.negatives if r[0] in keep and r[1] in keep]
    plant_networks(rng, persons, relations, negatives)
    plant_lookalikes(rng, persons, relations, negatives)
    return People(persons, relations, negatives)
