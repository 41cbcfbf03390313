"""Blocking rules: which records become candidate pairs.

A rule is a tuple of key columns; records that agree on every key of a rule form a block and
each pair inside a block is a candidate. A list of rules means OR: the candidates are the union
of every rule's pairs. Keys are plain prepared columns (phonetic codes, date codes, postcodes),
so they can be stored and looked up for one new record.

``choose_rules`` builds the rules from the data itself: each usable key alone and every pair of
single-valued keys, kept when the number of pairs it would create is within budget, most
selective first. This needs no configuration and works on columns it has never seen.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from linker.errors import ConfigError
from linker.io import LIST_SEPARATOR
from linker.specs import flat_from_dict, flat_to_dict, known_keys

# Prepared columns usable as blocking keys, and whether they hold |-separated lists.
KEY_COLUMNS: dict[str, bool] = {
    "given_name_ph": False,
    "family_name_ph": False,
    "names_sorted_ph": False,
    "full_name_ph": False,
    "father_name_ph": False,
    "dob": False,
    "postcode": False,
    "city": False,
    "address": False,
    "birth_place": False,
    "phones": True,
    "emails": True,
    "documents": True,
    "ibans": True,
    "aliases": True,
    "name_forms_ph": True,  # the full name's and each alias's: a name meets an alias
    "ibans_key": True,  # bank part and last digits: a masked IBAN meets the full one
    # companies
    "registration": True,  # SIREN (of a SIREN, SIRET or VAT number) or a foreign number
    "names_key": True,  # phonetic key of the name and trade name without legal form
    "name_rare": False,  # the rarest word of the company's names
    # accounts
    "iban": False,
    "iban_key": False,
    "account_number": False,
    "holder_name_ph": False,
}

# Keys made only when some record of the run has the data (a run of records without aliases
# has no name_forms_ph column): a stored rule on one of them blocks nothing in such a run.
DATA_DEPENDENT_KEYS = frozenset({"name_forms_ph"})

# What each key is built from, as prepared columns or comparison names: the comparisons
# reading them (or so named) agree, more or less, on every pair the key blocks together, so
# an EM session over that key's pairs holds them out. A key not listed is built from the
# column of its name; a generic key x_<column> or x_<column>_ph from x_<column>.
KEY_FIELDS: dict[str, tuple[str, ...]] = {
    "given_name_ph": ("given_name",),
    "family_name_ph": ("family_name",),
    "names_sorted_ph": ("given_name", "family_name", "full_name"),
    "full_name_ph": ("full_name", "given_name", "family_name"),
    "name_forms_ph": ("full_name", "given_name", "family_name", "aliases"),
    "father_name_ph": ("father_name",),
    "ibans_key": ("ibans",),
    "names_key": ("names", "name_weighted"),
    "name_rare": ("names", "name_weighted"),
    # accounts: iban_holder holds the IBAN and the holder; its comparisons are told by name
    "iban": ("iban_holder_masked", "account_number"),
    "iban_key": ("iban_holder_masked", "account_number"),
    "holder_name_ph": ("holder_name", "holder_name_tsort"),
}


def key_fields(key: str) -> tuple[str, ...]:
    """The prepared columns (or comparison names) that blocking key ``key`` is built from."""
    if key in KEY_FIELDS:
        return KEY_FIELDS[key]
    if key.startswith("x_") and key.endswith("_ph"):
        return (key.removesuffix("_ph"),)
    return (key,)


# Keys built from other keys: pairing them adds nothing but near-duplicate pairs.
_OVERLAPPING = {
    frozenset({"names_sorted_ph", "given_name_ph"}),
    frozenset({"names_sorted_ph", "family_name_ph"}),
}


@dataclass(frozen=True)
class BlockingRule:
    """Records agreeing on all ``keys`` are candidates (AND); a list of rules is an OR."""

    keys: tuple[str, ...]

    @property
    def name(self) -> str:
        return " & ".join(self.keys)

    def to_dict(self) -> dict[str, Any]:
        return {"keys": list(self.keys)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlockingRule:
        keys = known_keys(data, cls, "blocking rule").get("keys")
        if not isinstance(keys, list | tuple) or not keys:
            raise ConfigError(f"blocking rule {data!r}: keys must be a non-empty list")
        unknown = [k for k in keys if k not in KEY_COLUMNS and not str(k).startswith("x_")]
        if unknown:
            raise ConfigError(
                f"blocking rule {data!r}: unknown key(s) {', '.join(map(str, unknown))}; "
                f"known: {', '.join(KEY_COLUMNS)} and generic x_<column> keys"
            )
        return cls(tuple(str(k) for k in keys))


@dataclass(frozen=True)
class BlockingOptions:
    """How much blocking may cost.

    ``pairs_per_record`` bounds one rule's pairs (as a multiple of the record count) and
    ``total_pairs_per_record`` the sum over the chosen rules; both are at least
    ``min_rule_budget`` pairs (or every pair of a file that has fewer). A block larger than
    ``max_block_size`` is capped: each of its records is paired with the next ``window``
    records in record order instead of all of them, and the block is reported.
    """

    pairs_per_record: float = 3.0
    total_pairs_per_record: float = 40.0
    min_rule_budget: int = 1_000
    max_block_size: int = 1000
    window: int = 100

    def to_dict(self) -> dict[str, Any]:
        return flat_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BlockingOptions:
        options: BlockingOptions = flat_from_dict(cls, data, "blocking options")
        return options


def key_columns(records: pd.DataFrame) -> list[str]:
    """The prepared columns of ``records`` that can serve as blocking keys."""
    named = [c for c in KEY_COLUMNS if c in records]
    generic = [
        c
        for c in records.columns
        if c.startswith("x_") and records[c].dtype == object and f"{c}_ph" not in records
    ]
    generic_ph = [c for c in records.columns if c.startswith("x_") and c.endswith("_ph")]
    dates = [c for c in records.columns if c.startswith("x_") and records[c].dtype == np.float64]
    return named + generic + generic_ph + dates


def is_list_key(column: str) -> bool:
    return KEY_COLUMNS.get(column, False)


class KeyCodes:
    """Integer codes of the blocking key columns of ``records``, each computed once.

    A list key (several phones) gives a record one entry per item.
    """

    def __init__(self, records: pd.DataFrame) -> None:
        self.records = records
        self._codes: dict[str, tuple[np.ndarray, np.ndarray, int]] = {}

    def of(self, key: str) -> tuple[np.ndarray, np.ndarray, int]:
        """(record positions, codes with -1 for missing, number of distinct values)."""
        if key not in self._codes:
            values = self.records[key]
            codes, uniques = pd.factorize(values)
            positions = np.arange(len(values), dtype=np.int32)
            if is_list_key(key) and LIST_SEPARATOR in "".join(uniques):
                items = values.str.split(LIST_SEPARATOR).explode().dropna()
                codes, uniques = pd.factorize(items)
                positions = items.index.to_numpy()
            elif is_list_key(key):  # no cell holds a list: one entry per present record
                positions = positions[codes >= 0]
                codes = codes[positions]
            self._codes[key] = (positions, codes.astype(np.int32), len(uniques))
        return self._codes[key]

    def rule(self, rule: BlockingRule) -> tuple[np.ndarray, np.ndarray]:
        """(record positions, block code) for every record that has all keys of the rule."""
        positions, first, _ = self.of(rule.keys[0])
        combined = first.astype(np.int64)
        for key in rule.keys[1:]:
            if is_list_key(key) or is_list_key(rule.keys[0]):
                raise ValueError(f"list key in a combined rule: {rule.name}")
            _, codes, width = self.of(key)
            combined = np.where((combined < 0) | (codes < 0), -1, combined * width + codes)
        present = combined >= 0
        return positions[present], combined[present]

    def agree(self, rule: BlockingRule, left: np.ndarray, right: np.ndarray) -> np.ndarray:
        """Per pair of record positions, whether the two records agree on every key of
        ``rule`` (share an item, for a list key): whether the rule blocks them together."""
        agree = np.ones(len(left), dtype=bool)
        n = len(self.records)
        for key in rule.keys:
            positions, codes, _ = self.of(key)
            if not is_list_key(key):
                full = np.full(n, -1, dtype=np.int64)
                full[positions] = codes
                agree &= (full[left] == full[right]) & (full[left] >= 0)
                continue
            items = pd.DataFrame({"record": positions, "code": codes})
            pairs = pd.DataFrame({"pair": np.arange(len(left)), "left": left, "right": right})
            sides = pairs.merge(items, left_on="left", right_on="record")[["pair", "right", "code"]]
            shared = sides.merge(items, left_on=["right", "code"], right_on=["record", "code"])
            agree &= np.isin(np.arange(len(left)), shared["pair"].to_numpy())
        return agree


def estimate_pairs(codes: np.ndarray, options: BlockingOptions) -> int:
    """How many pairs blocks with these codes create, with oversized blocks capped."""
    if len(codes) and codes.max() < 4 * len(codes):  # small codes: count them directly
        sizes = np.bincount(codes)
        sizes = sizes[sizes > 0]
    else:
        ordered = np.sort(codes)
        starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(codes) else codes
        sizes = np.diff(np.r_[starts, len(codes)])
    normal = sizes[sizes <= options.max_block_size]
    capped = sizes[sizes > options.max_block_size]
    return int((normal * (normal - 1) // 2).sum() + (capped * options.window).sum())


def choose_rules(
    records: pd.DataFrame, options: BlockingOptions, codes: KeyCodes | None = None
) -> list[BlockingRule]:
    """Rules within budget, most selective first, from single keys and pairs of keys."""
    codes = codes or KeyCodes(records)
    keys = key_columns(records)
    n = len(records)
    # The floor lets a small file compare what it has (45 pairs for 10 records) without
    # letting one coarse key of a 1,000-record file supply most of the candidates.
    floor = min(options.min_rule_budget, n * (n - 1) // 2)
    rule_budget = max(floor, int(options.pairs_per_record * n))
    total_budget = max(floor, int(options.total_pairs_per_record * n))
    singles = [BlockingRule((k,)) for k in keys]
    estimates = {r: estimate_pairs(codes.rule(r)[1], options) for r in singles}
    chosen_singles = {r.keys[0] for r in singles if estimates[r] <= rule_budget}
    single_valued = [k for k in keys if not is_list_key(k) and k not in chosen_singles]
    for a, b in itertools.combinations(single_valued, 2):
        if frozenset({a, b}) in _OVERLAPPING:
            continue
        rule = BlockingRule((a, b))
        estimates[rule] = estimate_pairs(codes.rule(rule)[1], options)
    ranked = sorted(
        (
            r
            for r, e in estimates.items()
            if e <= rule_budget and (len(r.keys) > 1 or r.keys[0] in chosen_singles)
        ),
        key=lambda r: (estimates[r], r.keys),
    )
    rules: list[BlockingRule] = []
    spent = 0
    for rule in ranked:
        if rules and spent + estimates[rule] > total_budget:
            continue
        rules.append(rule)
        spent += estimates[rule]
    return rules
