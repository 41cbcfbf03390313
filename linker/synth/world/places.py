"""Made-up French addresses, hostels, domiciliation addresses, birth places and nationalities."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREETS = (
    "de la République",
    "Jean Jaurès",
    "Victor Hugo",
    "de la Gare",
    "Pasteur",
    "du Moulin",
    "des Écoles",
    "de Paris",
    "Gambetta",
    "du Général de Gaulle",
    "Voltaire",
    "de la Paix",
    "des Lilas",
    "Jules Ferry",
    "du Stade",
    "de Verdun",
    "Émile Zola",
    "des Acacias",
    "de Strasbourg",
    "Carnot",
    "de Belleville",
    "d'Aubervilliers",
    "de Flandre",
    "du Canal",
)
STREET_TYPES = ("rue", "rue", "rue", "avenue", "boulevard", "impasse", "allée", "place")
CITIES = (
    ("75019", "Paris"),
    ("75018", "Paris"),
    ("75010", "Paris"),
    ("93200", "Saint-Denis"),
    ("93300", "Aubervilliers"),
    ("59140", "Dunkerque"),
    ("62100", "Calais"),
    ("06500", "Menton"),
    ("06000", "Nice"),
    ("13003", "Marseille"),
    ("69007", "Lyon"),
    ("67000", "Strasbourg"),
    ("31000", "Toulouse"),
    ("33000", "Bordeaux"),
    ("44000", "Nantes"),
    ("59000", "Lille"),
    ("76600", "Le Havre"),
    ("64100", "Bayonne"),
)
CITY_WEIGHTS = np.array([6, 5, 5, 4, 4, 3, 4, 2, 3, 4, 3, 2, 2, 2, 2, 3, 2, 1], dtype=float)
CITY_WEIGHTS /= CITY_WEIGHTS.sum()

BIRTH_PLACES: dict[str, tuple[str, ...]] = {
    "AF": ("Kabul", "Herat", "Kandahar", "Jalalabad", "Mazar-i-Sharif", "Kunduz", "Ghazni"),
    "SY": ("Alep", "Damas", "Homs", "Idlib", "Deir ez-Zor", "Raqqa", "Hama"),
    "IQ-Kurdish": ("Erbil", "Sulaymaniyah", "Duhok", "Zakho", "Kirkouk", "Ranya"),
    "IR": ("Téhéran", "Mashhad", "Ispahan", "Tabriz", "Chiraz", "Ahvaz"),
    "ER": ("Asmara", "Keren", "Massawa", "Mendefera", "Adi Keyh", "Barentu"),
    "SD": ("Khartoum", "Omdurman", "Nyala", "El Geneina", "El Fasher", "Kassala"),
    "Maghreb": ("Casablanca", "Oran", "Alger", "Tunis", "Tanger", "Constantine", "Fès"),
    "PK": ("Lahore", "Karachi", "Rawalpindi", "Gujrat", "Peshawar", "Sialkot"),
    "AL": ("Tirana", "Durrës", "Shkodër", "Elbasan", "Vlorë", "Fier"),
    "VN": ("Nghe An", "Ha Tinh", "Hai Phong", "Ha Noi", "Quang Binh"),
    "TR": ("Istanbul", "Ankara", "Gaziantep", "Van", "Diyarbakir", "Izmir"),
    "RO": ("Bucarest", "Constanța", "Iași", "Craiova", "Timișoara", "Cluj-Napoca"),
    "FR": ("Paris", "Lyon", "Marseille", "Lille", "Saint-Denis", "Créteil", "Nantes"),
}

NATIONALITIES: dict[str, tuple[str, ...]] = {
    "AF": ("AF",),
    "SY": ("SY",),
    "IQ-Kurdish": ("IQ",),
    "IR": ("IR",),
    "ER": ("ER",),
    "SD": ("SD",),
    "Maghreb": ("MA", "DZ", "TN"),
    "PK": ("PK",),
    "AL": ("AL",),
    "VN": ("VN",),
    "TR": ("TR",),
    "RO": ("RO",),
    "FR": ("FR",),
}


@dataclass(frozen=True)
class Address:
    """A postal address: street line, postcode, city."""

    street: str
    postcode: str
    city: str


def draw_address(rng: np.random.Generator) -> Address:
    """A made-up French street address."""
    postcode, city = CITIES[int(rng.choice(len(CITIES), p=CITY_WEIGHTS))]
    number = int(rng.integers(1, 180))
    kind = STREET_TYPES[int(rng.integers(len(STREET_TYPES)))]
    street = STREETS[int(rng.integers(len(STREETS)))]
    return Address(f"{number} {kind} {street}", postcode, city)


def draw_hostel(rng: np.random.Generator) -> Address:
    """A hostel or reception centre address (shared by many people)."""
    base = draw_address(rng)
    name = ("Foyer", "Centre d'accueil", "Résidence sociale", "Hôtel social")[int(rng.integers(4))]
    return Address(f"{name}, {base.street}", base.postcode, base.city)


def draw_domiciliation(rng: np.random.Generator) -> Address:
    """A commercial domiciliation address hosting many companies."""
    base = draw_address(rng)
    return Address(f"{base.street}, c/o domiciliation", base.postcode, base.city)
