"""Names in layers: the original, a clean form, ASCII, and a transliteration skeleton.

``normalise_one`` (in ``text``) gives the clean ASCII words: NFKC, casefold, Arabic-script
clean-up, anyascii. This module adds the project's own **skeleton**, which removes the
differences that transliteration makes between spellings of one name while keeping the
letters that tell different names apart (Hassan/Hussein, Rahman/Rahim stay apart):

- particles dropped (al-, el-, ul-, bin, ben..., and ben-, al-, el- written attached to a
  word of four letters or more in a name of several words), titles opening a name dropped;
  articles and prefixes that are part of a name joined to the next word (Le Roy, de la
  Fontaine, Bel Kacem, Ait Ouali, Abu Bakr -> ``larui``, ``dalafuntain``...), ``abd``
  joined to the next word (Abdul Rahman, Abd al-Rahman, Abderrahmane -> ``abdrahman``),
  ``ud-din`` joined to the word before it (Ala ud-Din, Alaeddine -> ``aladin``), Tigrinya
  compounds joined and their abbreviations expanded (Gebre Medhin, G/Medhin ->
  ``gabramadin``);
- letters folded: kh/h, gh/g, q/k, ph/f, dj/j, ch/tch/sh and Romanian ci- before a vowel
  -> sh, ou/oo/o -> u, ee -> i, ei/ey/ay -> ai, e -> a, a final French e dropped, a final h
  after a vowel dropped, doubled letters single.

A record's name becomes an ordered **chain** of skeleton tokens: the full name when the source
gives one (upper-case words moved to the end, the French way of writing the family name first,
but not initials: M., J-P; and so is a Vietnamese family name written first), else given +
father + family. A name written in its own Latin orthography, diacritics kept, also keeps each
token's letters (``tuan=tuan``): two such names are compared on them (``token_chain``).
Placeholders (X, FNU, LNU, SNP, INCONNU...) are missing names.
The generator's variant tables are never read here: these rules come from DOMAIN.md §2.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd

from linker.io import LIST_SEPARATOR
from linker.prepare.text import map_distinct, normalise_one

PLACEHOLDERS = frozenset(
    {"x", "xx", "xxx", "fnu", "lnu", "snp", "nn", "inconnu", "inconnue", "unknown", "na", "n a"}
    | {"sans nom", "sans nom patronymique", "nom inconnu", "prenom inconnu", "none", "null"}
)
PARTICLES = frozenset(
    {"al", "el", "ul", "ad", "ed", "ud", "as", "es", "ar", "er", "an", "at", "az", "ash"}
    | {"bin", "ibn", "bint", "ben", "bent", "ould"}
    | {"van", "von", "thi"}  # Vietnamese middle names Van and Thi: dropped as often as written
    | {"nee", "epouse", "ep", "veuve", "dit", "dite"}  # French: née X, épouse Y, dit Z
)
# Words that belong to the name after them, written apart or joined to it, are joined to it:
# French and Romance articles (Le Roy / Leroy, de la Fontaine / Delafontaine, Da Silva),
# Maghreb bel- and Kabyle ait- (Bel Kacem / Belkacem, Ait Ouali / Aitouali), abu (Abu Bakr /
# Aboubakar).
JOINED_PREFIXES = frozenset(
    {"le", "la", "les", "du", "de", "des", "da", "dos"} | {"bel", "ait", "abu", "abou"}
)
# Abbreviations of one name (DOMAIN.md §2: Muhammad -> Mohd, Md.; the Punjabi clan name
# Chaudhry -> Ch., often written before the name).
ABBREVIATIONS = {
    **{"mohd": "muhammad", "muhd": "muhammad", "md": "muhammad", "mhd": "muhammad"},
    "ch": "chaudhry",
}
# Honorifics written before a name (DOMAIN.md §2), dropped when they open a longer name; some
# are family names too (Mohamed Ould Cheikh, Bilal Sheikh), kept where they stand there.
TITLES = frozenset(
    {"haji", "hajji", "hadj", "hadji", "haj", "sheikh", "shaikh", "shaykh", "cheikh"}
    | {"mullah", "mulla", "molla", "hafiz", "hafez", "agha", "aga"}
    | {"sayed", "sayyed", "sayid", "sayyid", "syed", "seyed", "seyyed"}
)
_ABD_WORDS = frozenset(
    {"abd", "abdul", "abdel", "abdal", "abdoul", "abdu", "abdou", "abde", "abdil"}
)
_ABD_ATTACHED = re.compile(r"^abd(?:oul|ul|el|al|il|ou|ur|er|ar|u|e|a|o|i)?(?=[a-z]{2,}$)")
_DIN_WORDS = frozenset({"din", "dine", "deen", "dinn", "eddine", "eddin", "uddin", "addin"})
_BEN_ATTACHED = re.compile(r"^ben(?=[a-mo-z][a-z]{2,}$)")  # Benali, not Bennani
_ARTICLE_ATTACHED = re.compile(r"^(?:al|el)(?=[a-z]{4,}$)")  # Eltayeb, Alamin; not Elias
_DIN_ATTACHED = re.compile(r"^([a-z]{3,}?)(?:ud|ad|ed|el|al|ou|u|e)?d{1,2}(?:i|ee)ne?$")
_COMPOUND_HEADS = {"gebre": "gebre", "gabre": "gebre", "g": "gebre", "habte": "habte"}
_COMPOUND_HEADS |= {"wolde": "wolde", "welde": "wolde", "w": "wolde"}  # not Tekle: a name too
_DISTINCTIVE_PREFIX = re.compile(r"^(?:abd|abu|gabra|habta|vulda|takla|muhamad)(?=[a-z]{3,})")
_FOLDS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"(?<=[a-z][^aeiou])e$", ""),  # Osmane, Rahime, Tesfaye: a final e after a consonant
        (r"tch|tsh|sch|ch|ci(?=[aou])", "sh"),  # Ciobanu, Tchobanu: Romanian ci- is tch
        (r"kh", "h"),
        (r"gh", "g"),
        (r"ph", "f"),
        (r"dh", "d"),
        (r"th", "t"),
        (r"xh|dj|^dsh", "j"),  # not Ahmad+shah
        (r"x", "h"),
        (r"q|ck|c", "k"),
        (r"w", "v"),
        (r"ou|oo|o", "u"),
        (r"ee", "i"),
        (r"ei|ey|ay|ai", "ai"),
        (r"y(?![aeiou])", "i"),
        (r"e", "a"),
        (r"(?<=[aiu])h$", ""),
        (r"(.)\1+", r"\1"),
    )
)
MAX_TOKENS = 5
# The commonest Vietnamese family names, which Vietnamese order writes first (DOMAIN.md §2).
VIETNAMESE_FAMILIES = frozenset(
    {"nguyen", "tran", "le", "pham", "hoang", "huynh", "phan", "vu", "vo", "dang", "bui", "do"}
    | {"ho", "ngo", "duong", "ly", "dinh", "truong", "trinh", "dao", "doan", "luong"}
)


def fold_token(token: str) -> str:
    """One ASCII word to its skeleton: ``mohammed`` -> ``muhamad``."""
    for pattern, replacement in _FOLDS:
        token = pattern.sub(replacement, token)
    return token


def _join_compounds(words: list[str]) -> list[str]:
    """Particles dropped; prefixes, ``abd`` and Tigrinya compound heads joined to the next
    word, word + ``din``."""
    out: list[str] = []
    prefix = ""  # joined prefixes waiting for their word (le, de la, bel)
    pending = ""  # an abd or a compound head waiting for its word
    for word in words:
        if word in JOINED_PREFIXES and len(words) > 1:
            prefix += word
            continue
        if prefix and (word in PARTICLES or word in _ABD_WORDS or word in _COMPOUND_HEADS):
            out.append(prefix)  # Le Van Minh: Le is a name here, not an article
            prefix = ""
        if word in _ABD_WORDS:
            pending = "abd"
            continue
        if word in _COMPOUND_HEADS and len(words) > 1:
            pending = _COMPOUND_HEADS[word]
            continue
        if word in PARTICLES or (word in TITLES and not out and not pending and len(words) > 1):
            continue
        if word in _DIN_WORDS and out and not pending:
            out[-1] += "din"
            continue
        word = _BEN_ATTACHED.sub("", _ABD_ATTACHED.sub("abd", word))
        if len(words) > 1:
            word = _ARTICLE_ATTACHED.sub("", word)
        if match := _DIN_ATTACHED.match(word):
            word = match.group(1) + "din"
        out.append(prefix + pending + word)
        prefix = pending = ""
    out.extend(part for part in (prefix, pending) if part)
    return out


def skeleton_words(clean: str, fold: Callable[[str], str] = fold_token) -> list[str]:
    """The skeleton tokens of a clean ASCII name, in order (``fold`` = identity gives the
    same tokens unfolded)."""
    words = [ABBREVIATIONS.get(w, w) for w in clean.split() if w]
    if " ".join(words) in PLACEHOLDERS:
        return []
    return [fold(w) for w in _join_compounds(words) if w not in PLACEHOLDERS]


def skeleton(value: str) -> str | None:
    """A raw name string to its skeleton tokens joined by spaces (``None`` if nothing left)."""
    return " ".join(skeleton_words(normalise_one(value))) or None


def _unfolded(word: str) -> str:
    return word


def written_in_orthography(value: str) -> bool:
    """Whether a name is written in its own Latin orthography, diacritics kept (Yılmaz,
    Nguyễn Văn Tuấn, Ștefan): its writer spelt every letter as the language does."""
    has_letters = any(ord(c) >= 0x80 and c.isalpha() for c in value)
    return has_letters and script_of(value) == "latin"


def token_chain(value: str) -> str | None:
    """A raw name string to its skeleton tokens; a name written in its own orthography gives
    each token as ``skeleton=letters`` (its ASCII letters unfolded), so that two such names
    are compared on their letters: Tuấn and Toàn, Vũ and Võ are two names, not two spellings.
    """
    clean = normalise_one(value)
    tokens = skeleton_words(clean)
    if not tokens or not written_in_orthography(value):
        return " ".join(tokens) or None
    letters = skeleton_words(clean, _unfolded)
    return " ".join(f"{t}={w}" for t, w in zip(tokens, letters, strict=True))


def skeleton_chain(tokens: str) -> str:
    """A token chain without the letters of its tokens: ``tuan=tuan nguyan=nguyen`` ->
    ``tuan nguyan``."""
    return " ".join(t.partition("=")[0] for t in tokens.split())


def distinctive(token: str) -> str:
    """A skeleton token without the prefix that many names share (``abdrahman`` ->
    ``rahman``, ``gabramadhin`` -> ``madhin``, ``muhamadraza`` -> ``raza``): two names
    differing only after it differ."""
    return _DISTINCTIVE_PREFIX.sub("", token)


_INITIALS = re.compile(r"^\w(?:[.-]+\w)*[.-]*$")  # M., J-P, J.-P.: initials, no family name


def _in_capitals(word: str) -> bool:
    """Whether a word is written in capitals, the French way of marking the family name:
    ``HASSAN``, not an initial or initials (``M.``, ``J-P``)."""
    return word.isupper() and len(word) > 1 and not _INITIALS.match(word)


def _family_last(value: str) -> str:
    """``HASSAN Mohamed El`` -> ``Mohamed El HASSAN``: upper-case words are the family name
    when the string mixes cases (the French convention). ``Nguyễn Văn Minh`` -> ``Văn Minh
    Nguyễn``: a Vietnamese name opens with its family name in its own order. Other strings
    keep their order."""
    words = value.split()
    upper = [w for w in words if _in_capitals(w)]
    if upper and len(upper) < len(words):
        return " ".join([w for w in words if not _in_capitals(w)] + upper)
    if (
        len(words) >= 2
        and normalise_one(words[0]) in VIETNAMESE_FAMILIES
        and normalise_one(words[-1]) not in VIETNAMESE_FAMILIES
    ):
        return " ".join([*words[1:], words[0]])
    return value


def split_full_name(value: str) -> tuple[str, str] | None:
    """``(given, family)`` of a full name that marks its family name, else ``None``.

    Two marks tell the family name apart: a single comma after it (``Dupont, Jean``, the
    order of registers and directories) and capitals in a string that mixes cases (``DUPONT
    Jean``, ``Jean DUPONT``, ``Jean-Pierre DE LA FONTAINE``: the French convention; initials
    such as ``J-P`` are not capitals). Without a mark (``Jean Dupont``, ``JEAN DUPONT``) the
    split is a guess, so none is made: the sorted-token full name compares such names in
    any order.
    """
    if "," in value:
        parts = [part.strip() for part in value.split(",")]
        if len(parts) == 2 and all(any(c.isalpha() for c in p) for p in parts):
            return parts[1], parts[0]
        return None
    words = value.split()
    if any(c.isdigit() for c in value):
        return None  # A1 for Al: a typo, not capitals
    upper = [w for w in words if _in_capitals(w)]
    if upper and len(upper) < len(words):
        return " ".join(w for w in words if not _in_capitals(w)), " ".join(upper)
    return None


def is_placeholder(value: str) -> bool:
    return normalise_one(value) in PLACEHOLDERS


def name_chain(raw: pd.DataFrame, columns: dict[str, str]) -> pd.Series:
    """The ordered token chain of each record (``None`` when it has no name): skeleton
    tokens, with their letters where the name is written in its own orthography
    (``token_chain``; ``skeleton_chain`` drops them).

    ``columns`` maps canonical fields (``full_name``, ``given_name``, ``father_name``,
    ``family_name``) to the raw column holding them.
    """
    empty = pd.Series([None] * len(raw), index=raw.index, dtype=object)

    def column(field: str) -> pd.Series:
        return raw[columns[field]] if field in columns else empty

    full = map_distinct(column("full_name"), lambda v: token_chain(_family_last(str(v))))
    parts = [
        map_distinct(column(f), lambda v: token_chain(str(v)))
        for f in ("given_name", "father_name", "family_name")
    ]
    joined = pd.Series(
        [
            " ".join(p for p in row if isinstance(p, str)) or None
            for row in zip(*parts, strict=True)
        ],
        index=raw.index,
        dtype=object,
    )
    chain = full.where(full.notna(), joined)
    return chain.map(lambda v: " ".join(v.split()[:MAX_TOKENS]) if isinstance(v, str) else None)


# Letters that one Arabic-script letter becomes in different romanisations: qaf (q, k, g),
# dad/dhal/za (d, z), the long vowels (nothing); the skeleton has already folded q into k.
_CONSONANT_CLASSES = re.compile(r"[aeiouyvw]|g|z")
_CLASS_OF = {"g": "k", "z": "d"}


def _consonant_class(match: re.Match[str]) -> str:
    return _CLASS_OF.get(match.group(0), "")


def script_of(value: str) -> str:
    """The script a name is written in: ``arabic``, ``ethiopic`` or ``latin`` (any other,
    Latin with diacritics included), from its first letter outside ASCII, if any."""
    for char in value:
        if ord(char) < 0x80:
            continue
        if "\u0600" <= char <= "\u06ff" or "\u0750" <= char <= "\u077f":
            return "arabic"
        if "\ufb50" <= char <= "\ufdff" or "\ufe70" <= char <= "\ufeff":
            return "arabic"  # presentation forms
        if "\u1200" <= char <= "\u139f":
            return "ethiopic"
    return "latin"


def consonants(chain: str) -> str | None:
    """A chain without vowels (nor y, v, w, which Arabic script writes for long vowels): what
    a name written in Arabic script keeps once transliterated (``sr hm`` for Yasser
    al-Hamwi), with g/k and z/d folded (Ghasemi and قاسمی give ``ksm``)."""
    tokens = [_CONSONANT_CLASSES.sub(_consonant_class, t) for t in chain.split()]
    return " ".join(t for t in tokens if t) or None


def second_token(chain: pd.Series) -> pd.Series:
    """The father's place in a chain of three or more tokens (given father grandfather...)."""
    return map_distinct(chain, lambda v: v.split()[1] if len(v.split()) >= 3 else None)


def value_rarity(values: pd.Series) -> pd.Series:
    """How rare each value is in this run, in [0, 1]: 1 - log(count) / log(records). A name
    or date of birth shared by many records is weak evidence (namesakes, 01/01 dates)."""
    counts = values.map(values.value_counts()).to_numpy(dtype=np.float64)
    rarity = 1.0 - np.log(counts) / np.log(max(len(values), 2))
    return pd.Series(rarity, index=values.index)  # NaN where the value is missing


CHAIN_FIELDS = ("full_name", "given_name", "father_name", "family_name")
# Marks the records whose full name is their own: the others may have one made from their
# given and family names (``linker.prepare.records.fill_full_names``).
FULL_NAME_WRITTEN = "full_name_written"


def without_placeholders(clean: pd.Series) -> pd.Series:
    """Clean names with the placeholders (X, FNU, INCONNU...) made missing."""
    return clean.where(~clean.isin(PLACEHOLDERS))


def add_name_columns(out: pd.DataFrame, raw: pd.DataFrame, mapping: dict[str, str]) -> None:
    """Add ``name_tokens``, ``name_chain``, ``chain_second`` and ``father_skel`` to a prepared
    frame when the source maps any name field (``mapping``: raw column -> canonical field)."""
    columns = {field: column for column, field in mapping.items() if field in CHAIN_FIELDS}
    if not columns:
        return
    tokens = name_chain(raw.reset_index(drop=True), columns)
    chain = map_distinct(tokens, skeleton_chain)
    out["name_tokens"] = tokens.to_numpy()
    out["name_chain"] = chain.to_numpy()
    out["chain_second"] = second_token(chain).to_numpy()
    out["name_consonants"] = map_distinct(chain, consonants).to_numpy()
    first = None
    for field in CHAIN_FIELDS:  # the script of the name the chain comes from
        if field in columns:
            values = raw[columns[field]].reset_index(drop=True)
            first = values if first is None else first.where(first.notna(), values)
    if first is not None:
        script = map_distinct(first, lambda v: script_of(str(v)))
        out["name_script"] = script.where(chain.notna()).to_numpy()
    if "father_name" in columns:
        father = raw[columns["father_name"]].reset_index(drop=True)
        out["father_skel"] = map_distinct(father, lambda v: skeleton(str(v))).to_numpy()
    aliases = [column for column, field in mapping.items() if field == "aliases"]
    if "given_name" in columns and aliases:
        out["given_forms"] = _given_forms(
            raw[columns["given_name"]].reset_index(drop=True),
            raw[aliases[0]].reset_index(drop=True),
        ).to_numpy()


def _given_forms(given: pd.Series, aliases: pd.Series) -> pd.Series:
    """The skeletons of the given name and of each alias (``LIST_SEPARATOR``-separated): a
    kunya or nickname written for the given name (Abu Omar for Khaled) keeps the legal name
    among the aliases, to be compared with the other record's given name."""

    def forms(value: object) -> str | None:
        names = str(value).split(LIST_SEPARATOR)
        skeletons = dict.fromkeys(s for s in map(skeleton, names) if s)
        return LIST_SEPARATOR.join(skeletons) or None

    both = given.fillna("").astype(str) + LIST_SEPARATOR + aliases.fillna("").astype(str)
    return map_distinct(both, forms)


def add_rarity_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``name_rarity`` and ``dob_rarity`` over the stacked records, when the derived name
    columns were made (they feed the trained model only)."""
    if "name_chain" in frame:
        frame["name_rarity"] = value_rarity(frame["name_chain"])
        if "dob" in frame:
            frame["dob_rarity"] = value_rarity(frame["dob"])
    return frame
