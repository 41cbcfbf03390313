"""Comparison specs and the person feature set: (records, pairs) -> feature frame.

A ``Comparison`` names one feature column: which prepared column of the left and right record
to compare, with which registered comparator, and the similarity thresholds that cut it into
levels for the Fellegi-Sunter model (level 0 below every threshold, level k when the k-th
threshold from the bottom is reached). Comparisons of one ``group`` (the parts of a name, of
an address) are modelled jointly by Fellegi-Sunter; an ``identifier`` (phone, email, document,
account) can support a match but never make one alone. ``person_comparisons`` picks the
comparisons that the prepared columns allow; ``compare_pairs`` computes them for arrays of
pair positions.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import pandas as pd

from linker.compare.codes import best_token_sort
from linker.compare.comparators import COMPARATORS, PRESENT_COMPARATORS
from linker.compare.names import NAME_ALIGNMENT_OUTPUTS, name_alignment
from linker.errors import ConfigError, UnknownComparatorError
from linker.prepare.names import FULL_NAME_WRITTEN
from linker.specs import known_keys

SHORT_NAMES = {
    "exact": "exact",
    "jaro_winkler": "jw",
    "levenshtein": "lev",
    "token_sort": "tsort",
    "token_set": "tset",
    "relative_number": "rel",
    "date": "date",
    "shared_item": "shared",
    "min_value": "min",
    "year_gap": "year_gap",
    "masked_code": "masked",
    "masked_code_holder": "masked",
    "holder_unless_full_codes": "holder_tsort",
    "best_token_sort": "best_tsort",
    "weighted_overlap": "idf_overlap",
    "legal_form": "agreement",
    "name_jaro_winkler": "jw",
}
NAME_LEVELS = (1.0, 0.92, 0.8)
# Comparators that compute several features at once: name -> (function, output names).
MULTI_COMPARATORS = {"name_alignment": (name_alignment, NAME_ALIGNMENT_OUTPUTS)}
DERIVED_COLUMNS = (
    "name_tokens",
    "name_consonants",
    "name_script",
    "name_rarity",
    "dob_rarity",
    "father_skel",
    "given_forms",
)
DATE_LEVELS = (1.0, 0.9, 0.8, 0.6, 0.5, 0.3)


@dataclass(frozen=True)
class Comparison:
    """One feature: ``comparator(records[left][l], records[right][r])`` for each pair."""

    left: str
    comparator: str
    levels: tuple[float, ...]
    right: str | None = None
    label: str | None = None
    group: str | None = None
    identifier: bool = False
    output: str | None = None  # which output of a multi-output comparator
    supervised_only: bool = False  # a feature for the trained model, not for Fellegi-Sunter
    # A column marking the records that wrote the compared value themselves (the others had
    # it made from other fields): a pair where neither did is missing, since two made-up
    # values repeat what the comparisons of their parts already say.
    written: str | None = None
    # A list column of other names of each record (aliases): a token-sort value is also
    # compared with each of the other record's, and the best similarity is kept. Two aliases
    # are not compared here: their own comparison does that.
    forms: str | None = None
    # The other field of a pair that records write in each other's place (given and family
    # names): the two comparisons of the pair (each naming the other) read the pair of fields
    # in the order that agrees better, the same order for both (``either_order``).
    either_order: str | None = None

    def __post_init__(self) -> None:
        if self.comparator in MULTI_COMPARATORS:
            outputs = MULTI_COMPARATORS[self.comparator][1]
            if self.output not in outputs:
                raise ConfigError(f"{self.comparator} has outputs {outputs}, not {self.output!r}")
        elif self.comparator not in COMPARATORS:
            known = ", ".join([*COMPARATORS, *MULTI_COMPARATORS])
            raise UnknownComparatorError(f"unknown comparator {self.comparator!r}; known: {known}")
        if not self.levels or list(self.levels) != sorted(self.levels, reverse=True):
            raise ConfigError(f"levels of {self.left!r} must be non-empty and descending")
        if self.forms is not None and (self.comparator != "token_sort" or self.crossed):
            raise ConfigError(
                f"comparison of {self.left!r}: other forms ({self.forms!r}) apply to a "
                f"token_sort comparison of one column, not {self.comparator}"
            )

    @property
    def crossed(self) -> bool:
        """Whether it compares two different fields (given name against family name): matches
        need not agree on it, so it carries no prior weight."""
        return self.right is not None and self.right != self.left

    def to_dict(self) -> dict[str, Any]:
        """Every field, JSON-ready (``from_dict`` rebuilds the same comparison)."""
        return {
            "left": self.left,
            "comparator": self.comparator,
            "levels": list(self.levels),
            "right": self.right,
            "label": self.label,
            "group": self.group,
            "identifier": self.identifier,
            "output": self.output,
            "supervised_only": self.supervised_only,
            "written": self.written,
            "forms": self.forms,
            "either_order": self.either_order,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Comparison:
        values = known_keys(data, cls, "comparison")
        try:
            values["levels"] = tuple(float(v) for v in values["levels"])
            return cls(**values)
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"comparison {data!r}: {exc}") from exc

    @property
    def columns(self) -> tuple[str, ...]:
        """Every records column the comparison reads (its ``written`` marker and ``forms``
        included)."""
        sides = (self.left, self.right, self.written, self.forms, self.either_order)
        return tuple(dict.fromkeys(c for c in sides if c))

    @property
    def name(self) -> str:
        """The feature column: ``family_name_jw``, ``given_name_family_name_jw``..."""
        sides = self.left if self.right in (None, self.left) else f"{self.left}_{self.right}"
        if self.either_order is not None:
            return self.label or f"{sides}_{SHORT_NAMES[self.comparator]}_either_order"
        if self.output is not None:
            return self.label or f"{sides}_{self.output}"
        return self.label or f"{sides}_{SHORT_NAMES[self.comparator]}"

    def level(self, similarity: np.ndarray) -> np.ndarray:
        """Level per pair: -1 missing, 0 below every threshold, len(levels) at the top."""
        levels = np.zeros(similarity.shape, dtype=np.int8)
        for threshold in self.levels:  # a few thresholds: one comparison each
            levels += similarity >= threshold
        levels[np.isnan(similarity)] = -1
        return levels


_FIELD_COMPARISONS: dict[str, list[Comparison]] = {
    "given_name": [Comparison("given_name", "jaro_winkler", NAME_LEVELS, group="name")],
    "family_name": [Comparison("family_name", "jaro_winkler", NAME_LEVELS, group="name")],
    # In the name group: a full name mostly repeats the given and family names, and read
    # jointly with them it counts once. A record without one of its own has one made from
    # its given and family names (``fill_full_names``), so a full name meets given + family
    # names here; two made-up ones are not compared (``written``): the pair's given and
    # family names are.
    "full_name": [
        Comparison(
            "full_name",
            "token_sort",
            (1.0, 0.9, 0.75),
            group="name",
            written=FULL_NAME_WRITTEN,
            forms="aliases",
        )
    ],
    "aliases": [Comparison("aliases", "shared_item", (1.0,))],
    "father_name": [Comparison("father_name", "jaro_winkler", NAME_LEVELS)],
    "mother_name": [Comparison("mother_name", "jaro_winkler", NAME_LEVELS)],
    "dob": [Comparison("dob", "date", DATE_LEVELS)],
    "sex": [Comparison("sex", "exact", (1.0,))],
    "birth_place": [Comparison("birth_place", "jaro_winkler", (1.0, 0.9))],
    "nationality": [Comparison("nationality", "jaro_winkler", (1.0, 0.9))],
    "address": [Comparison("address", "token_sort", (1.0, 0.9, 0.7), group="location")],
    "postcode": [Comparison("postcode", "levenshtein", (1.0, 0.75), group="location")],
    "city": [Comparison("city", "jaro_winkler", (1.0, 0.9), group="location")],
    "country": [Comparison("country", "exact", (1.0,), group="location")],
    "phones": [Comparison("phones", "shared_item", (1.0,), identifier=True)],
    "emails": [Comparison("emails", "shared_item", (1.0,), identifier=True)],
    "documents": [Comparison("documents", "shared_item", (1.0,), identifier=True)],
    "ibans": [Comparison("ibans", "shared_item", (1.0,), identifier=True)],
    "name_native": [Comparison("name_native", "token_sort", (1.0, 0.9))],
}
_GENERIC_COMPARISONS = {
    "text": ("jaro_winkler", NAME_LEVELS),
    "code": ("levenshtein", (1.0, 0.8)),
    "number": ("relative_number", (1.0, 0.95, 0.8)),
    "date": ("date", DATE_LEVELS),
}


# Pairs of fields that records write in each other's place (NOM Prénom layouts).
EITHER_ORDER_FIELDS = (("given_name", "family_name"),)


def independent_comparisons(comparisons: list[Comparison]) -> list[Comparison]:
    """The comparisons Fellegi-Sunter reads: no supervised-only feature, and the two fields
    of each ``EITHER_ORDER_FIELDS`` pair compared in the order that agrees better (with an
    initial agreeing with a name it begins) in place of their straight comparisons and of
    the comparison across them, which the better order already reads. Idempotent."""
    kept = [c for c in comparisons if not c.supervised_only]
    for a, b in EITHER_ORDER_FIELDS:
        straight = {
            c.left: c
            for c in kept
            if c.left in (a, b)
            and c.right in (None, c.left)
            and c.comparator == "jaro_winkler"
            and c.either_order is None
        }
        if set(straight) != {a, b}:
            continue
        other = {a: b, b: a}
        kept = [
            replace(c, comparator="name_jaro_winkler", either_order=other[c.left])
            if straight.get(c.left) is c
            else c
            for c in kept
            if not (c.crossed and {c.left, c.right} == {a, b})
        ]
    return kept


def generic_comparisons(generic: dict[str, str]) -> list[Comparison]:
    """The comparisons of generic columns (``x_<name>``) by their guessed kind."""
    return [Comparison(c, *_GENERIC_COMPARISONS[kind]) for c, kind in generic.items()]


# Features of the trained model only: correlated with the name and date comparisons above,
# which Fellegi-Sunter (independent fields) would count twice.
_DERIVED_COMPARISONS: dict[str, list[Comparison]] = {
    "name_tokens": [
        Comparison(
            "name_tokens",
            "name_alignment",
            (1.0, 0.9),
            label=f"name_chain_{o}",
            output=o,
            supervised_only=True,
        )
        for o in NAME_ALIGNMENT_OUTPUTS
    ],
    "name_consonants": [
        Comparison("name_consonants", "name_alignment", (1.0, 0.9), output=o, supervised_only=True)
        for o in ("cover_max", "soft", "exact_cover", "joined")
    ],
    # Written in one script or two (Latin against Arabic or Ge'ez): when two, the vowels are
    # guessed on one side, and the consonants are what the names share.
    "name_script": [Comparison("name_script", "exact", (1.0,), supervised_only=True)],
    "name_rarity": [Comparison("name_rarity", "min_value", (1.0,), supervised_only=True)],
    "dob_rarity": [
        Comparison("dob_rarity", "min_value", (1.0,), supervised_only=True),
        Comparison("dob", "year_gap", (1.0, 0.8), supervised_only=True),
    ],
    # The given name or any alias of one record against the other's (best pair).
    "given_forms": [
        Comparison("given_forms", "best_token_sort", NAME_LEVELS, supervised_only=True)
    ],
    "father_skel": [
        Comparison("father_skel", "jaro_winkler", NAME_LEVELS, supervised_only=True),
        # The father's name of one record against the second chain token of the other.
        Comparison(
            "father_skel", "jaro_winkler", NAME_LEVELS, right="chain_second", supervised_only=True
        ),
        Comparison(
            "chain_second", "jaro_winkler", NAME_LEVELS, right="father_skel", supervised_only=True
        ),
    ],
}


def person_comparisons(
    fields: list[str], generic: dict[str, str], derived: list[str] | None = None
) -> list[Comparison]:
    """The comparisons for the prepared person fields, the derived name and frequency columns
    (``derived``: which of them the prepared frame has) and the generic columns present."""
    comparisons = [c for field in fields for c in _FIELD_COMPARISONS.get(field, [])]
    if "given_name" in fields and "family_name" in fields:
        # First and last name swapped between the two records.
        comparisons.append(Comparison("given_name", "jaro_winkler", (0.92,), right="family_name"))
    for column in derived or []:
        comparisons.extend(_DERIVED_COMPARISONS.get(column, []))
    for column, kind in generic.items():
        comparator, levels = _GENERIC_COMPARISONS[kind]
        comparisons.append(Comparison(column, comparator, levels))
    return comparisons


@dataclass(frozen=True)
class EncodedColumn:
    """A records column as integer codes (-1 = missing) into its distinct values."""

    codes: np.ndarray
    values: np.ndarray
    keyed: dict[Callable[[str], str | None], np.ndarray | None] = field(
        default_factory=dict, repr=False
    )

    def keyed_values(self, key: Callable[[str], str | None]) -> np.ndarray | None:
        """``key`` of each distinct value, computed once; None if it gives None for any."""
        if key not in self.keyed:
            keys = [key(v) for v in self.values]
            self.keyed[key] = None if None in keys else np.array(keys, dtype=object)
        return self.keyed[key]


def compared_columns(comparisons: list[Comparison], available: Collection[str]) -> list[str]:
    """The records columns that ``comparisons`` read, sorted: each side, and the ``written``
    marker and ``forms`` column of those that have them when ``available`` holds them (a
    frame without them had no value made up, or no other forms: see ``compare_pairs``).
    An engine that ships records to workers ships these columns."""
    columns = {column for c in comparisons for column in c.columns}
    optional = {m for c in comparisons for m in (c.written, c.forms) if m}
    return sorted(columns - {column for column in optional if column not in available})


def encode_records(
    records: pd.DataFrame, comparisons: list[Comparison]
) -> dict[str, EncodedColumn]:
    """Encode, once per run, every column the comparisons read (``compared_columns``)."""
    encoded = {}
    for column in compared_columns(comparisons, records.columns):
        codes, values = pd.factorize(records[column])
        encoded[column] = EncodedColumn(codes.astype(np.int32), np.asarray(values))
    return encoded


def _unique_with_inverse(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # A hash factorisation: linear, and far faster than numpy 2's np.unique on int64 keys.
    inverse, unique = pd.factorize(keys)
    return np.asarray(unique, dtype=np.int64), np.asarray(inverse, dtype=np.int64)


def _distinct_pairs(
    code_l: np.ndarray, code_r: np.ndarray, width: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distinct pairs of codes, as positions in each column's distinct values, and which
    distinct pair each pair is."""
    distinct, inverse = _unique_with_inverse(code_l.astype(np.int64) * width + code_r)
    return distinct // width, distinct % width, inverse


def _comparator_and_values(
    name: str, column_l: EncodedColumn, column_r: EncodedColumn
) -> tuple[Callable[[np.ndarray, np.ndarray], np.ndarray], np.ndarray, np.ndarray]:
    """How to run the comparator ``name`` on the two columns' distinct values (never missing):
    its present-values form, on keys of the values when it has a key that applies to both."""
    key_of, compare = PRESENT_COMPARATORS.get(name, (None, COMPARATORS[name]))
    if key_of is not None:
        keys_l, keys_r = column_l.keyed_values(key_of), column_r.keyed_values(key_of)
        if keys_l is not None and keys_r is not None:
            return compare, keys_l, keys_r
        compare = COMPARATORS[name]  # the key does not apply: the comparator itself
    return compare, column_l.values, column_r.values


def compare_pairs(
    records: pd.DataFrame,
    left: np.ndarray,
    right: np.ndarray,
    comparisons: list[Comparison],
    encoded: dict[str, EncodedColumn] | None = None,
) -> pd.DataFrame:
    """Feature frame: one float column per comparison, one row per pair (NaN = missing).

    Each comparator runs once per distinct pair of values: blocked pairs repeat values a lot
    (pairs blocked on a name share it), so this saves most of the work. Pass ``encoded``
    (from ``encode_records``) when comparing many chunks of pairs of the same records.
    """
    encoded = encoded or encode_records(records, comparisons)
    # One float block, a row per feature, filled in place: the frame wraps it without a copy.
    names = list(dict.fromkeys(c.name for c in comparisons))
    block = np.empty((len(names), len(left)))
    # Results shared by several comparisons (multi-output, either-order), once per call.
    computed: dict[tuple[str, ...], np.ndarray] = {}
    for comparison in comparisons:
        key = (comparison.comparator, comparison.left, comparison.right or comparison.left)
        column_l, column_r = encoded[key[1]], encoded[key[2]]
        row = names.index(comparison.name)
        if comparison.comparator in MULTI_COMPARATORS:
            compare_many, outputs = MULTI_COMPARATORS[comparison.comparator]
            if key not in computed:
                code_l, code_r = column_l.codes[left], column_r.codes[right]
                present = (code_l >= 0) & (code_r >= 0)
                width = len(column_r.values) + 1
                rows_l, rows_r, inverse = _distinct_pairs(code_l[present], code_r[present], width)
                scores = compare_many(column_l.values[rows_l], column_r.values[rows_r])
                computed[key] = np.full((len(left), len(outputs)), np.nan)
                computed[key][present] = scores[inverse]
            block[row] = computed[key][:, outputs.index(comparison.output)]
        elif comparison.either_order is not None:
            block[row] = _in_better_order(comparison, encoded, left, right, computed)
        else:
            block[row] = _similarities(comparison.comparator, column_l, column_r, left, right)
        if comparison.written in encoded:
            marks = encoded[comparison.written].codes
            block[row, (marks[left] < 0) & (marks[right] < 0)] = np.nan
        if comparison.forms in encoded:
            value, forms = encoded[comparison.left], encoded[comparison.forms]
            block[row] = np.fmax(
                block[row],
                np.fmax(
                    _against_forms(value, forms, value.codes[left], forms.codes[right]),
                    _against_forms(value, forms, value.codes[right], forms.codes[left]),
                ),
            )
    return pd.DataFrame(block.T, columns=names, copy=False)


def _similarities(
    comparator: str,
    column_l: EncodedColumn,
    column_r: EncodedColumn,
    left: np.ndarray,
    right: np.ndarray,
) -> np.ndarray:
    """Per pair, ``comparator`` of the left record's ``column_l`` value and the right
    record's ``column_r`` value (NaN where either is missing); once per distinct pair."""
    code_l, code_r = column_l.codes[left], column_r.codes[right]
    present = (code_l >= 0) & (code_r >= 0)
    rows_l, rows_r, inverse = _distinct_pairs(
        code_l[present], code_r[present], len(column_r.values) + 1
    )
    compare, values_l, values_r = _comparator_and_values(comparator, column_l, column_r)
    out = np.full(len(left), np.nan)
    out[present] = compare(values_l[rows_l], values_r[rows_r])[inverse]
    return out


def _in_better_order(
    comparison: Comparison,
    encoded: dict[str, EncodedColumn],
    left: np.ndarray,
    right: np.ndarray,
    computed: dict[tuple[str, ...], np.ndarray],
) -> np.ndarray:
    """A comparison of an ``either_order`` pair of fields (a, b): per pair, the left record's
    a against the right record's b when that order agrees on every name it compares (a-b
    and b-a, those present, at the comparison's lowest level or above) and better in sum
    than a-a and b-b (missing counts 0); else a against a. Both comparisons of the pair
    (with the same levels) choose the same order; each similarity is computed once per call
    (``computed``), the crossed ones only for the pairs where crossing can still win (a
    similarity is at most 1)."""
    a, b = comparison.left, str(comparison.either_order)
    compare = comparison.comparator

    def straight(x: str) -> np.ndarray:
        key = (compare, x, x)
        if key not in computed:
            computed[key] = _similarities(compare, encoded[x], encoded[x], left, right)
        return computed[key]

    first, second = sorted((a, b))
    key = ("either_order", compare, first, second)
    if key not in computed:
        low = min(comparison.levels)
        kept = np.nansum([straight(a), straight(b)], axis=0)
        across = np.full((2, len(left)), np.nan)
        maybe = np.flatnonzero(kept < 2)
        one = _similarities(compare, encoded[first], encoded[second], left[maybe], right[maybe])
        across[0, maybe] = one
        maybe = maybe[np.isnan(one) | ((one >= low) & (kept[maybe] - one < 1))]
        across[1, maybe] = _similarities(
            compare, encoded[second], encoded[first], left[maybe], right[maybe]
        )
        agreeing = ~(across < low).any(axis=0) & ~np.isnan(across).all(axis=0)
        crossed = agreeing & (np.nansum(across, axis=0) > kept)
        computed[key] = np.vstack([across, crossed])
    across_a, crossed = computed[key][0 if a == first else 1], computed[key][2] > 0
    return np.where(crossed, across_a, straight(a))


def _against_forms(
    value: EncodedColumn, forms: EncodedColumn, code_value: np.ndarray, code_forms: np.ndarray
) -> np.ndarray:
    """Per pair, the best token-sort similarity of one record's value with the other
    record's forms (NaN where either is missing); once per distinct pair of values."""
    out = np.full(len(code_value), np.nan)
    present = (code_value >= 0) & (code_forms >= 0)
    if present.any():
        width = len(forms.values) + 1
        rows_v, rows_f, inverse = _distinct_pairs(code_value[present], code_forms[present], width)
        best = best_token_sort(value.values[rows_v], forms.values[rows_f])
        out[present] = best[inverse]
    return out
