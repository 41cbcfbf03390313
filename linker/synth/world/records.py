"""Person records as each service holds them, with the configured corruptions.

``PersonRecords.emit(person, side)`` returns one record (a dict of canonical columns) of a
person on ``"fiu"`` (document side: names copied from an ID document, upper case, no
diacritics, MRZ style) or ``"police"`` (oral side: names heard through an interpreter, French
conventions, nicknames, kunya, filiation, native script, declared dates). Every corruption is
a seeded Bernoulli decision counted in a ``Tally`` under its rate name.
"""

from __future__ import annotations

import dataclasses
import datetime as dt

import numpy as np

from linker.synth.world import names as nm
from linker.synth.world import variants as va
from linker.synth.world.config import WorldConfig
from linker.synth.world.identifiers import format_phone, mask_iban
from linker.synth.world.tally import Tally
from linker.synth.world.world import Person

PERSON_COLUMNS = (
    "record_id",
    "given_name",
    "family_name",
    "full_name",
    "aliases",
    "sex",
    "dob",
    "birth_place",
    "nationality",
    "father_name",
    "mother_name",
    "address",
    "postcode",
    "city",
    "country",
    "phones",
    "emails",
    "documents",
    "ibans",
    "name_native",
)
_CHAINS = ("chain", "chain_family")
NAME_PLACEHOLDERS = ("X", "XX", "FNU", "LNU", "SNP", "NN", "INCONNU", "NEANT")


def mrz_upper(text: str) -> str:
    """Upper case without diacritics, hyphens or apostrophes, as on a passport's MRZ."""
    ascii_text = va.plain(text).encode("ascii", "ignore").decode()
    return " ".join(
        ascii_text.replace("-", " ").replace("'", " ").replace(".", " ").upper().split()
    )


def _placeholder_rate(origin: str) -> str:
    if origin == "AF":
        return "dob.placeholder_af"
    return "dob.placeholder_er_sd" if origin in ("ER", "SD") else "dob.placeholder_other"


class PersonRecords:
    """Emits person records for one world; ``tally`` counts every corruption decision."""

    def __init__(self, config: WorldConfig, rng: np.random.Generator, persons: list[Person]):
        self.config, self.rng, self.persons = config, rng, persons
        self.tally = Tally()
        self.borrowed: list[tuple[int, str]] = []  # (record index, passport owner entity id)

    def _draw(self, name: str) -> bool:
        return self.tally.draw(self.rng, name, self.config.rate(name))

    def _missing(self, name: str) -> bool:
        return bool(self.rng.random() < self.config.rate(f"missing.{name}"))

    def _token(self, token: str | None, side: str, family: bool, origin: nm.Origin) -> str | None:
        """One name token as written on this record: particle, merge/split, and a spelling
        variant (a transliteration, or for Latin-script names lost diacritics and respellings)."""
        if not token:
            return token
        if family and va.particle_forms(token) and self._draw("name.particle"):
            forms = va.particle_forms(token)
            token = forms[int(self.rng.integers(len(forms)))]
        if va.merge_split_forms(token) and self._draw("name.merge_split"):
            forms = va.merge_split_forms(token)
            token = forms[int(self.rng.integers(len(forms)))]
        rate = "name.transliteration_oral" if side == "police" else "name.transliteration_document"
        way = "oral" if side == "police" else "document"
        if origin.script == "latin":
            options = va.latin_spellings(token, way, origin.code)
        else:
            options = va.spellings(token, way)
        if options and self._draw(rate):
            token = va.transliterate(token, self.rng, options)
        return token

    def _alias(self, person: Person) -> Person:
        """A wholly different declared identity of the same person (kept in the truth)."""
        origin = nm.ORIGIN_BY_CODE[person.origin]
        rng = self.rng
        given = nm.draw_name(
            rng, origin.male if person.sex == "M" else origin.female, frozenset({person.given})
        )
        family = nm.draw_name(rng, origin.family) if origin.family and person.family else None
        year = person.dob.year + int(rng.integers(-6, 7))
        return dataclasses.replace(
            person,
            given=given,
            family=family,
            father=nm.draw_name(rng, origin.male),
            dob=dt.date(year, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365))),
        )

    def _names(self, person: Person, side: str) -> dict[str, str]:
        origin = nm.ORIGIN_BY_CODE[person.origin]
        given = self._token(person.given, side, False, origin) or ""
        father = self._token(person.father, side, False, origin) or ""
        grandfather = self._token(person.grandfather, side, False, origin) or ""
        family = self._token(person.family, side, True, origin) or ""
        aliases = ""
        titles = origin.titles if person.sex == "M" else ()  # Haji, Sayed...: men's titles
        if titles and self._draw("name.title"):
            given = f"{titles[int(self.rng.integers(len(titles)))]} {given}"
        if side == "police" and self._draw("name.nickname"):
            kunya = None
            if person.origin in va.KUNYA_ORIGINS:
                kunya = "Abu" if person.sex == "M" else "Umm"
            nick = va.nickname(person.given, self.rng, person.eldest_son, kunya)
            if nick is not None:
                aliases, given = given, nick
        if origin.structure == "vietnamese":
            middle = person.middle or ""
            split = int(self.rng.integers(3)) if side == "police" else 1
            given_name = given if split != 1 else f"{middle} {given}"
            family_name = f"{family} {middle}" if split == 0 else family
            full = [family, middle, given]
        elif origin.structure in _CHAINS:
            given_name, family_name = given, family or father
            full = [given, father, grandfather] + ([family] if family else [])
            if self._draw("name.chain_truncation"):
                del full[2]  # the grandfather, by position: he may share a name
        else:
            given_name, family_name, full = given, family, [given, family]
        if given_name and family_name and self._draw("name.swap"):
            given_name, family_name = family_name, given_name
        fields = {"given_name": given_name, "family_name": family_name, "father_name": father}
        for key, value in fields.items():
            if value and self._draw("name.typo"):
                fields[key] = va.typo(value, self.rng)
        if side == "police" and fields["family_name"] and self._draw("police.name_placeholder"):
            fields["family_name"] = NAME_PLACEHOLDERS[
                int(self.rng.integers(len(NAME_PLACEHOLDERS)))
            ]
            full = [given]
        fields["full_name"] = " ".join(t for t in full if t)
        fields["aliases"] = aliases
        return fields

    def _dob(self, person: Person, side: str) -> str:
        if person.forced_placeholder:
            return f"01/01/{person.dob.year}"
        if side == "police" and (person.dob_known == "unknown" or self._missing("dob_police")):
            return ""
        year, month, day = person.dob.year, person.dob.month, person.dob.day
        form = "day"
        if self._draw(_placeholder_rate(person.origin)):
            form = "placeholder"
        elif side == "police" and self._draw("dob.year_only"):
            form = "year"
        elif day <= 12 and day != month and self._draw("dob.day_month_swap"):
            day, month = month, day
        if self._draw("dob.year_shift"):
            year += int(self.rng.integers(1, 6)) * (1 if self.rng.random() < 0.5 else -1)
        if side == "police" and person.origin == "ER" and self._draw("police.ethiopian_calendar"):
            year -= 8 if (person.dob.month, person.dob.day) < (9, 11) else 7
        if form == "placeholder":
            return f"01/01/{year:04d}"
        return f"{year:04d}" if form == "year" else f"{day:02d}/{month:02d}/{year:04d}"

    def _noisy_document(self, number: str) -> str:
        """A document number as copied by hand: lower case, separators, O for 0."""
        if not self._draw("police.document_noise"):
            return number
        kind = int(self.rng.integers(3))
        if kind == 0:
            return number.lower()
        if kind == 1:
            return f"{number[:3]} {number[3:6]} {number[6:]}"
        return number.replace("0", "O")

    def emit(self, person: Person, side: str, index: int) -> dict[str, str]:
        """One record of ``person`` on ``side`` ("fiu" or "police"); ``index`` is its row."""
        rng = self.rng
        shown = person
        if side == "police" and self._draw("name.alias_identity"):
            shown = self._alias(person)
        record = self._names(shown, side)
        record["dob"] = self._dob(shown, side)
        native = person.native() if shown is person else None
        record["name_native"] = ""
        if side == "police" and native is not None:
            if self._draw("name.native_script_only"):
                for key in ("given_name", "family_name", "full_name", "father_name", "aliases"):
                    record[key] = ""
                record["name_native"] = native
            elif rng.random() < 0.1:
                record["name_native"] = native
        origin = nm.ORIGIN_BY_CODE[person.origin]
        mother = (
            person.mother if side == "police" and not self._missing("mother_name_police") else ""
        )
        if self._missing("father_name_fiu" if side == "fiu" else "father_name_police"):
            record["father_name"] = ""
        record["mother_name"] = mother
        record["sex"] = person.sex
        record["birth_place"] = "" if self._missing("birth_place") else person.birth_place
        record["nationality"] = "" if self._missing("nationality") else person.nationality
        address = person.address
        blank = self._missing("address")
        record["address"] = "" if blank else address.street
        record["postcode"] = "" if blank else address.postcode
        record["city"] = "" if blank else address.city
        record["country"] = "" if blank else "FR"
        phones = person.phones[-1:] if side == "fiu" else person.phones
        record["phones"] = (
            "" if self._missing("phones") else "|".join(format_phone(p, rng) for p in phones)
        )
        record["emails"] = "" if self._missing("emails") else "|".join(person.emails)
        documents = list(person.documents[:1] if side == "fiu" else person.documents)
        if side == "police" and self._draw("identifier.borrowed_passport"):
            owner = self.persons[int(rng.integers(len(self.persons)))]
            if owner is not person:
                documents = [owner.documents[0]]
                self.borrowed.append((index, owner.entity_id))
        if side == "police":
            documents = [self._noisy_document(d) for d in documents]
        record["documents"] = "|".join(documents)
        ibans = [
            mask_iban(i, rng)
            if side == "police" and self._draw("identifier.iban_masked_police")
            else i
            for i in person.ibans
        ]
        record["ibans"] = "|".join(ibans)
        if side == "fiu":
            for key in (
                "given_name",
                "family_name",
                "full_name",
                "father_name",
                "mother_name",
                "aliases",
                "address",
                "city",
                "birth_place",
            ):
                record[key] = mrz_upper(record[key])
        elif origin.structure != "vietnamese" and rng.random() < 0.5:
            record["family_name"] = record["family_name"].upper()
        return record
