"""Text normalisation and phonetic keys, computed once per distinct value.

``normalise_text`` maps every script to plain lower-case ASCII words: NFKC, casefold, the
combining dot of Turkish İ dropped, transliteration and accent folding with anyascii, then
punctuation to spaces and whitespace collapsed. Work is done per distinct value and mapped back,
so a column of a million names with ten thousand spellings costs ten thousand calls.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

import jellyfish
import pandas as pd
from anyascii import anyascii

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Dropped: Turkish İ's combining dot, ZWNJ/ZWJ and bidi marks, tatweel, Arabic harakat.
_INVISIBLE: dict[int, str | None] = dict.fromkeys(
    [
        *map(ord, "\u0307\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u2066\u2067\u2068\u2069"),
        *(0x0640, 0x0670, *range(0x064B, 0x0660)),
    ]
)
# One letter for the Arabic-script forms that writers use interchangeably: alef with hamza or
# madda, Persian and Arabic yeh and alef maksura, Persian and Arabic kaf, teh marbuta.
_ARABIC_FORMS = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ک": "ك", "ة": "ه", "ۀ": "ه"}
)

# The article al- written attached to an Arabic-script word of three letters or more.
_ARABIC_ARTICLE = re.compile(r"(?:(?<=\s)|^)\u0627\u0644(?=[\u0620-\u064a\u067e-\u06d3]{3})")


class _Transliterations(dict[int, str]):
    """anyascii of each character, worked out once: ``str.translate`` then maps a whole string
    in C (anyascii, character by character, loops in Python)."""

    def __missing__(self, code: int) -> str:
        self[code] = anyascii(chr(code))
        return self[code]


_TO_ASCII = _Transliterations()


def normalise_one(value: str) -> str:
    """One string to lower-case ASCII words separated by single spaces."""
    if value.isascii():  # every step but lower-casing leaves ASCII text as it is
        return _NON_WORD.sub(" ", value.lower()).strip()
    text = unicodedata.normalize("NFKC", value).casefold().translate(_INVISIBLE)
    text = _ARABIC_ARTICLE.sub(" ", text.translate(_ARABIC_FORMS))
    text = text.translate(_TO_ASCII).lower()
    return _NON_WORD.sub(" ", text).strip()


def map_distinct(values: pd.Series, function: Callable[[str], object]) -> pd.Series:
    """Apply ``function`` once per distinct non-missing value; missing stays missing (None)."""
    codes, distinct = pd.factorize(values)
    # One result per distinct value, then None for the missing ones (code -1 takes the last).
    results = pd.Series([*(function(v) for v in distinct), None], dtype=object).to_numpy()
    return pd.Series(results[codes], index=values.index, dtype=object, name=values.name)


def normalise_text(values: pd.Series) -> pd.Series:
    """Normalised form of each value; values that normalise to nothing become missing."""
    return map_distinct(values, lambda v: normalise_one(str(v)) or None)


def phonetic_one(value: str) -> str:
    """A phonetic code of a normalised multi-word value (Metaphone of each word, joined)."""
    return " ".join(jellyfish.metaphone(word) or word for word in value.split())


def phonetic_key(normalised: pd.Series) -> pd.Series:
    """Phonetic code of each normalised value (a blocking key, not a decider)."""
    return map_distinct(normalised, phonetic_one)


def sorted_tokens(normalised: pd.Series) -> pd.Series:
    """The words of each value in alphabetical order: order-insensitive comparison form."""
    return map_distinct(normalised, lambda v: " ".join(sorted(v.split())))
