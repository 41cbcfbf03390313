"""The truth of the world's companies and bank accounts.

``build_business(people, rng)`` opens accounts (valid FR IBANs) for about half of the
identities, turns the mules' accounts of each network into accounts used by several members,
and creates companies (valid SIREN/SIRET, a trade name unlike the registered name, directors
among the identities, many at shared domiciliation addresses): front companies of networks and
ordinary small businesses.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import numpy as np

from linker.synth.world.identifiers import fr_iban, fr_mobile, siren, siret
from linker.synth.world.places import Address, draw_address, draw_domiciliation
from linker.synth.world.world import People, Person

BANKS = (  # (bank code, BIC, name); made-up codes with plausible names
    ("30004", "BNPAFRPP", "BNP Paribas"),
    ("30003", "SOGEFRPP", "Société Générale"),
    ("30002", "CRLYFRPP", "LCL"),
    ("20041", "PSSTFRPP", "La Banque Postale"),
    ("10278", "CMCIFRP1", "Crédit Mutuel"),
    ("16958", "QNTOFRP1", "Qonto"),
    ("16598", "NICKFRP1", "Nickel"),
    ("18206", "AGRIFRPP", "Crédit Agricole"),
)
SECTORS = (
    "TRANSPORTS",
    "TRANSPORT EXPRESS",
    "BTP",
    "NETTOYAGE",
    "ALIMENTATION GENERALE",
    "TAXIPHONE",
    "KEBAB",
    "TRADING",
    "IMPORT EXPORT",
    "SERVICES",
    "VOYAGES",
    "TELECOM",
    "LOGISTIQUE",
)
LEGAL_FORMS = ("SARL", "SARL", "SAS", "SASU", "EURL", "SNC", "EI")
TRADE_WORDS = (
    (
        "Kaboul",
        "Orient",
        "Euro",
        "Star",
        "Atlas",
        "Golden",
        "Sahara",
        "Bosphore",
        "Asmara",
        "Phone",
        "Rapid",
        "City",
        "Paris",
        "Nord",
    ),
    (
        "Express",
        "Market",
        "Voyages",
        "Center",
        "Services",
        "Food",
        "Line",
        "Cargo",
        "Shop",
        "Palace",
        "Connect",
        "Transit",
    ),
)


@dataclass
class Company:
    """A company: registered name and form, trade name, SIREN and establishments' SIRETs."""

    entity_id: str
    name: str
    legal_form: str
    trade_name: str
    siren: str
    sirets: list[str]
    address: Address
    directors: list[str]
    phones: list[str] = field(default_factory=list)
    emails: list[str] = field(default_factory=list)
    ibans: list[str] = field(default_factory=list)
    network: str | None = None


@dataclass
class Account:
    """A bank account and the entity ids of its holders."""

    entity_id: str
    iban: str
    bic: str
    bank_name: str
    holders: list[str]
    mule: bool = False


@dataclass
class Business:
    """Companies and accounts, with relations and hard negatives ``(id_a, id_b, kind)``."""

    companies: list[Company]
    accounts: list[Account]
    relations: list[tuple[str, str, str]]
    negatives: list[tuple[str, str, str]]


def _open_account(rng: np.random.Generator, accounts: list[Account], holder: str) -> Account:
    code, bic, bank = BANKS[int(rng.integers(len(BANKS)))]
    account = Account(f"a{len(accounts):07d}", fr_iban(code, rng), bic, bank, [holder])
    accounts.append(account)
    return account


def _company(rng: np.random.Generator, index: int, director: Person, address: Address) -> Company:
    sector = SECTORS[int(rng.integers(len(SECTORS)))]
    surname = (director.family or director.father).upper().replace("-", " ")
    name = f"{sector} {surname}" if rng.random() < 0.6 else f"{surname} {sector}"
    trade = " ".join(words[int(rng.integers(len(words)))] for words in TRADE_WORDS)
    number = siren(rng)
    sirets = [siret(number, k + 1) for k in range(1 + int(rng.random() < 0.2))]
    company = Company(
        f"c{index:07d}",
        name,
        LEGAL_FORMS[int(rng.integers(len(LEGAL_FORMS)))],
        trade,
        number,
        sirets,
        address,
        [director.entity_id],
    )
    company.phones.append(
        "1" + f"{int(rng.integers(0, 10**8)):08d}" if rng.random() < 0.5 else fr_mobile(rng)
    )
    if rng.random() < 0.5:
        company.emails.append(f"contact@{trade.lower().replace(' ', '-')}.fr")
    return company


def build_business(people: People, rng: np.random.Generator) -> Business:
    """Accounts, mule accounts and companies for ``people`` (their ``ibans`` are filled)."""
    persons = people.persons
    accounts: list[Account] = []
    relations: list[tuple[str, str, str]] = []
    negatives: list[tuple[str, str, str]] = []
    for person in persons:
        if rng.random() < 0.5 or person.role == "mule":
            account = _open_account(rng, accounts, person.entity_id)
            person.ibans.append(account.iban)
    by_network: dict[str, list[Person]] = {}
    for person in persons:
        if person.network is not None:
            by_network.setdefault(person.network, []).append(person)
    by_iban = {account.iban: account for account in accounts}
    for members in by_network.values():
        for mule in (m for m in members if m.role == "mule"):
            account = by_iban[mule.ibans[0]]
            account.mule = True
            users = [
                members[int(i)]
                for i in rng.choice(len(members), int(rng.integers(2, 5)), replace=False)
            ]
            for user in users:
                if user is not mule and account.iban not in user.ibans:
                    user.ibans.append(account.iban)
                    account.holders.append(user.entity_id)
                    negatives.append((mule.entity_id, user.entity_id, "mule_account"))
    domiciliations = [draw_domiciliation(rng) for _ in range(3 + len(persons) // 400)]
    companies: list[Company] = []
    fronts = [(m[0], m[0].network) for m in by_network.values()]
    ordinary = [(persons[int(i)], None) for i in rng.choice(len(persons), len(persons) // 25)]
    for director, network in fronts + ordinary:
        shared = rng.random() < (0.7 if network else 0.3)
        address = (
            domiciliations[int(rng.integers(len(domiciliations)))]
            if shared
            else (draw_address(rng))
        )
        company = _company(rng, len(companies), director, address)
        company.network = network
        account = _open_account(rng, accounts, company.entity_id)
        company.ibans.append(account.iban)
        relations.append((director.entity_id, company.entity_id, "director_of"))
        companies.append(company)
    for account in accounts:
        relations.extend((holder, account.entity_id, "holder_of") for holder in account.holders)
    for address in domiciliations:
        hosted = [c for c in companies if c.address == address]
        negatives.extend(
            (a.entity_id, b.entity_id, "companies_same_address")
            for a, b in itertools.pairwise(hosted)
        )
    return Business(companies, accounts, relations, negatives)
