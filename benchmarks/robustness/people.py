"""People of six locales drawn with Faker, the clean truth every record is written from.

Independent of ``linker.synth``: names come from Faker (``fr_FR``, ``ar_SA``, ``tr_TR``,
``vi_VN``, ``ro_RO``, ``fa_IR``), everything else from the small per-locale tables below
(real cities grouped with their neighbours, a nationality, national phone formats, e-mail
providers). Arabic and Persian names are transliterated to Latin with ``anyascii``; an Arabic
person also keeps the names in Arabic script, which ``records`` writes on a share of records.

A ``PeopleFactory`` is seeded (``Faker.seed_instance`` per locale and a numpy ``Generator``)
and draws the same people, in the same order, for the same seed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
from anyascii import anyascii
from faker import Faker

LOCALES = ("fr_FR", "ar_SA", "tr_TR", "vi_VN", "ro_RO", "fa_IR")
TRANSLITERATED = frozenset({"ar_SA", "fa_IR"})  # names written in Latin through anyascii
ARABIC_SCRIPT = "ar_SA"  # whose people keep their names in Arabic script too

# Groups of nearby cities, per locale: a city's neighbours are the others of its group.
CITY_GROUPS: dict[str, tuple[tuple[str, ...], ...]] = {
    "fr_FR": (
        ("Paris", "Boulogne-Billancourt", "Montreuil", "Saint-Denis"),
        ("Lyon", "Villeurbanne", "Vénissieux"),
        ("Marseille", "Aix-en-Provence", "Aubagne"),
        ("Toulouse", "Blagnac", "Colomiers"),
        ("Lille", "Roubaix", "Tourcoing"),
        ("Bordeaux", "Mérignac", "Pessac"),
        ("Nantes", "Saint-Herblain", "Rezé"),
    ),
    "ar_SA": (
        ("Riyadh", "Diriyah", "Al Kharj"),
        ("Jeddah", "Makkah", "Taif"),
        ("Dammam", "Al Khobar", "Dhahran"),
        ("Madinah", "Yanbu"),
        ("Abha", "Khamis Mushait"),
        ("Buraydah", "Unaizah"),
    ),
    "tr_TR": (
        ("İstanbul", "Gebze", "İzmit"),
        ("Ankara", "Kırıkkale", "Polatlı"),
        ("İzmir", "Manisa", "Torbalı"),
        ("Bursa", "Yalova", "İnegöl"),
        ("Antalya", "Manavgat", "Alanya"),
        ("Adana", "Mersin", "Tarsus"),
    ),
    "vi_VN": (
        ("Hà Nội", "Bắc Ninh", "Hà Đông"),
        ("Thành phố Hồ Chí Minh", "Biên Hòa", "Thủ Dầu Một"),
        ("Đà Nẵng", "Hội An", "Tam Kỳ"),
        ("Hải Phòng", "Hạ Long", "Hải Dương"),
        ("Cần Thơ", "Vĩnh Long", "Long Xuyên"),
        ("Huế", "Đông Hà"),
    ),
    "ro_RO": (
        ("București", "Ploiești", "Otopeni"),
        ("Cluj-Napoca", "Turda", "Florești"),
        ("Iași", "Pașcani"),
        ("Timișoara", "Arad", "Lugoj"),
        ("Brașov", "Săcele", "Codlea"),
        ("Constanța", "Mangalia", "Medgidia"),
    ),
    "fa_IR": (
        ("Tehran", "Karaj", "Eslamshahr"),
        ("Isfahan", "Najafabad", "Kashan"),
        ("Shiraz", "Marvdasht"),
        ("Mashhad", "Neyshabur"),
        ("Tabriz", "Maragheh"),
        ("Ahvaz", "Dezful"),
    ),
}
NEIGHBOURS: dict[str, tuple[str, ...]] = {
    city: tuple(other for other in group if other != city)
    for groups in CITY_GROUPS.values()
    for group in groups
    for city in group
}
NATIONALITY = {
    "fr_FR": "French",
    "ar_SA": "Saudi",
    "tr_TR": "Turkish",
    "vi_VN": "Vietnamese",
    "ro_RO": "Romanian",
    "fa_IR": "Iranian",
}
# National phone formats: "#" is a random digit; groups as the country writes them.
PHONE_FORMATS: dict[str, tuple[str, ...]] = {
    "fr_FR": ("06 ## ## ## ##", "07 ## ## ## ##", "01 ## ## ## ##", "04 ## ## ## ##"),
    "ar_SA": ("05# ### ####", "011 ### ####"),
    "tr_TR": ("05## ### ## ##", "0212 ### ## ##"),
    "vi_VN": ("09# ### ####", "03# ### ####", "024 #### ####"),
    "ro_RO": ("07## ### ###", "021 ### ####"),
    "fa_IR": ("09## ### ####", "021 #### ####"),
}
EMAIL_DOMAINS: dict[str, tuple[str, ...]] = {
    "fr_FR": ("gmail.com", "orange.fr", "free.fr", "laposte.net", "hotmail.fr"),
    "ar_SA": ("gmail.com", "hotmail.com", "yahoo.com", "outlook.sa"),
    "tr_TR": ("gmail.com", "hotmail.com", "yandex.com.tr", "outlook.com"),
    "vi_VN": ("gmail.com", "yahoo.com.vn", "outlook.com", "fpt.vn"),
    "ro_RO": ("gmail.com", "yahoo.ro", "outlook.com", "rdslink.ro"),
    "fa_IR": ("gmail.com", "yahoo.com", "chmail.ir", "outlook.com"),
}
MODERN_BIRTHS = (date(1940, 1, 1), date(2005, 12, 31))
HISTORIC_YEARS = (1600, 1900)  # inclusive


@dataclass(frozen=True)
class Person:
    """One real person: the values every record of theirs is written from.

    ``dob`` is ``DD/MM/YYYY``; ``phones`` holds 1 to 3 numbers in the national format;
    ``given_native`` / ``family_native`` are the names in Arabic script (else empty).
    """

    locale: str
    sex: str  # "M" or "F"
    given_name: str
    family_name: str
    given_native: str
    family_native: str
    dob: str
    city: str
    birth_place: str
    nationality: str
    address: str
    email: str
    phones: tuple[str, ...]
    occupation: str


def latin(text: str) -> str:
    """Arabic or Persian text in Latin letters (``anyascii``), each word capitalised; the
    marks of ayn and hamza (a backquote and an apostrophe in anyascii's output) are dropped."""
    words = anyascii(text).replace("`", "").replace("'", "").split()
    return " ".join(w[:1].upper() + w[1:] for w in words)


def format_dob(day: date) -> str:
    """A date as written in the benchmark's files: ``DD/MM/YYYY``."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def _email_local(given: str, family: str) -> str:
    text = re.sub(r"[^a-z0-9 ]", "", anyascii(f"{given} {family}").lower())
    return ".".join(text.split()) or "contact"


class PeopleFactory:
    """Draws ``Person`` objects: a locale uniformly, then names from Faker and the rest from
    the tables. ``historic`` people are born between 1600 and 1900 (else 1940 to 2005)."""

    def __init__(self, seed: int, historic: bool = False) -> None:
        sequence = np.random.SeedSequence([seed, 1 if historic else 0])
        self.rng = np.random.default_rng(sequence)
        states = sequence.spawn(len(LOCALES))
        self.fakers: dict[str, Faker] = {}
        for locale, state in zip(LOCALES, states, strict=True):
            faker = Faker(locale)
            faker.seed_instance(int(state.generate_state(1)[0]))
            self.fakers[locale] = faker
        self.historic = historic

    def _pick(self, options: tuple[str, ...]) -> str:
        return options[int(self.rng.integers(len(options)))]

    def _city(self, locale: str) -> str:
        groups = CITY_GROUPS[locale]
        return self._pick(groups[int(self.rng.integers(len(groups)))])

    def _dob(self) -> str:
        if self.historic:
            start, end = date(HISTORIC_YEARS[0], 1, 1), date(HISTORIC_YEARS[1], 12, 31)
        else:
            start, end = MODERN_BIRTHS
        return format_dob(start + timedelta(days=int(self.rng.integers((end - start).days + 1))))

    def _phone(self, locale: str) -> str:
        pattern = self._pick(PHONE_FORMATS[locale])
        digits = iter(self.rng.integers(0, 10, size=pattern.count("#")).tolist())
        return "".join(str(next(digits)) if c == "#" else c for c in pattern)

    def _address(self, locale: str, faker: Faker) -> str:
        number = int(self.rng.integers(1, 200))
        if locale in ("fr_FR", "vi_VN", "ro_RO"):
            return str(faker.street_address()).replace("\n", " ")
        if locale == "tr_TR":
            return f"{faker.last_name()} Caddesi No: {number}"
        if locale == "ar_SA":
            return f"{number} Tariq {latin(faker.first_name_male())}"
        return f"Khiaban-e {latin(faker.last_name())}, Pelak {number}"

    def person(self) -> Person:
        """The next person."""
        locale = LOCALES[int(self.rng.integers(len(LOCALES)))]
        faker = self.fakers[locale]
        sex = "M" if self.rng.random() < 0.5 else "F"
        given = str(faker.first_name_male() if sex == "M" else faker.first_name_female())
        family = str(faker.last_name())
        given_native = family_native = ""
        if locale in TRANSLITERATED:
            if locale == ARABIC_SCRIPT:
                given_native, family_native = given, family
            given, family = latin(given), latin(family)
        occupation = str(faker.job())
        if locale in TRANSLITERATED:
            occupation = latin(occupation)
        local = _email_local(given, family)
        if self.rng.random() < 0.4:
            local += str(int(self.rng.integers(1, 100)))
        phones = tuple(self._phone(locale) for _ in range(int(self.rng.integers(1, 4))))
        return Person(
            locale=locale,
            sex=sex,
            given_name=given,
            family_name=family,
            given_native=given_native,
            family_native=family_native,
            dob=self._dob(),
            city=self._city(locale),
            birth_place=self._city(locale),
            nationality=NATIONALITY[locale],
            address=self._address(locale, faker),
            email=f"{local}@{self._pick(EMAIL_DOMAINS[locale])}",
            phones=phones,
            occupation=occupation,
        )
