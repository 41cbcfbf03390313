"""Valid-looking identifiers: SIREN/SIRET (Luhn), FR VAT, FR IBAN (RIB key, mod 97), masked
IBANs, MRZ-style document numbers with a 7-3-1 check digit, and phone numbers in the many
ways people write them. Own code, so that the generator needs no extra library."""

from __future__ import annotations

import numpy as np

_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def luhn_check_digit(digits: str) -> int:
    """The digit that makes ``digits + check`` pass the Luhn test."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        value = int(char) * (2 if i % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return (10 - total % 10) % 10


def luhn_valid(number: str) -> bool:
    """True when the digit string ``number`` passes the Luhn test."""
    return number.isdigit() and luhn_check_digit(number[:-1]) == int(number[-1])


def siren(rng: np.random.Generator) -> str:
    """A random 9-digit SIREN with a valid Luhn key."""
    body = "".join(str(d) for d in rng.integers(0, 10, 8))
    body = str(int(rng.integers(3, 10))) + body[1:]
    return body + str(luhn_check_digit(body))


def siret(siren_number: str, establishment: int) -> str:
    """SIRET of establishment ``establishment`` (1, 2...) of a SIREN, with a valid Luhn key."""
    body = f"{siren_number}{establishment:04d}"
    return body + str(luhn_check_digit(body))


def fr_vat(siren_number: str) -> str:
    """The French intra-community VAT number of a SIREN."""
    return f"FR{(12 + 3 * (int(siren_number) % 97)) % 97:02d}{siren_number}"


def _iban_check(country: str, bban: str) -> str:
    rearranged = bban + country + "00"
    numeric = "".join(str(_ALNUM.index(c)) for c in rearranged)
    return f"{98 - int(numeric) % 97:02d}"


def iban_valid(iban: str) -> bool:
    """True when ``iban`` (no spaces) passes the mod-97 test."""
    rearranged = iban[4:] + iban[:4]
    return int("".join(str(_ALNUM.index(c)) for c in rearranged)) % 97 == 1


def fr_iban(bank: str, rng: np.random.Generator) -> str:
    """A French IBAN at bank code ``bank`` (5 digits) with a valid RIB key and check digits."""
    branch = f"{int(rng.integers(0, 100000)):05d}"
    account = f"{int(rng.integers(0, 10**11)):011d}"
    key = 97 - (89 * int(bank) + 15 * int(branch) + 3 * int(account)) % 97
    bban = f"{bank}{branch}{account}{key:02d}"
    return f"FR{_iban_check('FR', bban)}{bban}"


def group_iban(iban: str) -> str:
    """``iban`` in groups of four, as printed on a RIB."""
    return " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))


def mask_iban(iban: str, rng: np.random.Generator) -> str:
    """A seized, partly legible IBAN: country, bank code and the last 3-4 digits kept."""
    keep_end = int(rng.integers(3, 5))
    masked = iban[:9] + "X" * (len(iban) - 9 - keep_end) + iban[-keep_end:]
    return group_iban(masked) if rng.random() < 0.7 else masked


def mrz_check_digit(text: str) -> int:
    """ICAO 9303 check digit (weights 7, 3, 1; letters A=10..Z=35, filler < = 0)."""
    weights = (7, 3, 1)
    total = 0
    for i, char in enumerate(text):
        value = 0 if char == "<" else _ALNUM.index(char)
        total += value * weights[i % 3]
    return total % 10


def document_number(rng: np.random.Generator, letters: int = 1) -> str:
    """A passport-like number: ``letters`` letters, digits to 9 characters, check digit."""
    head = "".join(_ALNUM[int(i)] for i in rng.integers(10, 36, letters))
    body = head + "".join(str(int(d)) for d in rng.integers(0, 10, 9 - letters))
    return body + str(mrz_check_digit(body))


# How people write a French mobile number (digits after the leading 0).
PHONE_TEMPLATES = (
    "0#########",
    "0# ## ## ## ##",
    "0#.##.##.##.##",
    "+33 # ## ## ## ##",
    "+33#########",
    "0033 # ## ## ## ##",
    "(+33) #########",
)


def fr_mobile(rng: np.random.Generator) -> str:
    """Nine digits of a French mobile number (6 or 7 then eight digits)."""
    return str(int(rng.choice([6, 7]))) + f"{int(rng.integers(0, 10**8)):08d}"


def format_phone(digits: str, rng: np.random.Generator) -> str:
    """The nine digits written with a randomly chosen template."""
    template = PHONE_TEMPLATES[int(rng.integers(len(PHONE_TEMPLATES)))]
    out, i = [], 0
    for char in template:
        if char == "#":
            out.append(digits[i])
            i += 1
        else:
            out.append(char)
    return "".join(out)
