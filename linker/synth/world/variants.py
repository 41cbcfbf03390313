"""The generator's spelling-variant rules: transliteration, particles, merges, titles, nicknames.

These tables belong to the generator alone: the matcher must never import this module, or it
would learn the generator's rules by reading them instead of from the data.

Sides: ``"oral"`` is the police side (names heard through an interpreter and written with
French conventions: ou, ch, dj); ``"document"`` is the financial side (names copied from an ID
document, English-style romanisation, later upper-cased MRZ style).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np

# Whole-token spellings that no simple rule makes.
EXPLICIT: dict[str, tuple[str, ...]] = {
    "Mohammad": ("Muhammad", "Mohamed", "Mohammed", "Mohamad", "Md.", "Mohd", "Mouhamad"),
    "Muhammad": ("Mohammad", "Mohammed", "Mohd", "Md.", "M."),
    "Mohamed": ("Mohammed", "Mohamad", "Muhammad", "Mouhamed"),
    "Ahmad": ("Ahmed", "Ahmet", "Achmad"),
    "Ahmed": ("Ahmad", "Ahmet"),
    "Hussein": ("Husein", "Hussain", "Houssein", "Hossein", "Husayn"),
    "Youssef": ("Yousef", "Yusuf", "Youcef", "Yousif", "Joussef"),
    "Yousuf": ("Yusuf", "Yousef", "Youssouf"),
    "Tesfaye": ("Tesfay", "Tesfai", "Tesfaie"),
    "Yohannes": ("Yohanes", "Johannes", "Yohanis"),
    "Mustafa": ("Mustapha", "Moustafa", "Mistefa", "Mostafa"),
    "Khalil": ("Xelil", "Halil", "Khaleel"),
    "Ibrahim": ("Ebrahim", "Brahim", "Ibrahem", "Ibraheem"),
    "Osman": ("Othman", "Uthman", "Osmane"),
    "Abdi": ("Cabdi",),
    "Omar": ("Umar", "Omer"),
    "Gholam Reza": ("Ghulam Reza", "Golam Reza", "Gholamreza"),
    "Zainab": ("Zeinab", "Zaynab", "Zineb"),
    "Aisha": ("Aicha", "Ayesha", "Aysha"),
    "Fatima": ("Fatma", "Fatemeh", "Fatimah", "Fatouma"),
    "Gjergj": ("Gjergji",),
}

# (pattern, replacement, sides): one spelling per rule, applied to a lower-cased token.
RULES: tuple[tuple[str, str, frozenset[str]], ...] = (
    (r"(?<![oa])u", "ou", frozenset({"oral"})),
    (r"ou", "u", frozenset({"document"})),
    (r"ou", "oo", frozenset({"document", "oral"})),
    (r"oo", "ou", frozenset({"oral"})),
    (r"oo", "u", frozenset({"document"})),
    (r"sh", "ch", frozenset({"oral"})),
    (r"(?<!d)j", "dj", frozenset({"oral"})),
    (r"dj", "j", frozenset({"document"})),
    (r"kh", "h", frozenset({"document", "oral"})),
    (r"kh", "x", frozenset({"oral"})),
    (r"q", "k", frozenset({"document", "oral"})),
    (r"gh", "g", frozenset({"document", "oral"})),
    (r"ee", "i", frozenset({"document", "oral"})),
    (r"(?<=[aeiou])s(?=[aeiou])", "ss", frozenset({"oral"})),
    (r"([bdfklmnprstz])\1", r"\1", frozenset({"document", "oral"})),
    (r"(?<=[aeiou])([mlr])(?=[aeiou])", r"\1\1", frozenset({"document"})),
    (r"(?<=[^o ])o(?=[^ou ])", "u", frozenset({"document", "oral"})),
    (r"ye$", "i", frozenset({"document", "oral"})),
    (r"(?<=[^aeiouy])e$", "", frozenset({"document", "oral"})),
    (r"(?<=[nm])$", "e", frozenset({"oral"})),
    (r"a$", "ah", frozenset({"document"})),
    (r"ah$", "a", frozenset({"document", "oral"})),
    (r"i$", "y", frozenset({"document", "oral"})),
    (r"zai$", "zay", frozenset({"document", "oral"})),
    (r"aei", "ai", frozenset({"document", "oral"})),
    (r"aei", "ayi", frozenset({"document"})),
    (r"ei", "ey", frozenset({"document"})),
)

_TITLE_SPLIT = re.compile(r"([ \-/])")


def _capitalise(text: str) -> str:
    return "".join(part[:1].upper() + part[1:] for part in _TITLE_SPLIT.split(text))


@lru_cache(maxsize=4096)
def spellings(token: str, side: str) -> tuple[str, ...]:
    """Other spellings of a canonical ``token`` on ``side`` ("oral" or "document")."""
    out = list(EXPLICIT.get(token, ()))
    lower = token.lower()
    for pattern, replacement, sides in RULES:
        if side in sides:
            changed = re.sub(pattern, replacement, lower)
            if changed != lower and changed.strip():
                out.append(_capitalise(changed))
    return tuple(dict.fromkeys(x for x in out if x != token))


# Latin-script names (origin code -> rules): what a French clerk writes on hearing them. The
# document side only loses the diacritics (systems without them, MRZ); see ``latin_spellings``.
LATIN_ORAL_RULES: dict[str, tuple[tuple[str, str], ...]] = {
    "TR": (
        ("ş", "ch"),
        ("ç", "tch"),
        ("(?<![a-z])c|(?<=[aeiou])c", "dj"),
        ("ü", "u"),
        ("ö", "eu"),
        ("ğ", ""),
        ("ı", "i"),
    ),
    "AL": (
        ("xh", "dj"),
        ("gj", "dj"),
        ("q", "k"),
        ("ç", "tch"),
        ("ë$", ""),
        ("ë", "e"),
        ("(?<=[bdfgjklmnprstvz])$", "i"),
    ),
    "RO": (("ș", "ch"), ("ș", "s"), ("ț", "ts"), ("ț", "tz"), ("ă", "a"), ("[îâ]", "i")),
    "VN": (("^d(?!h)", "z"), ("ư", "u"), ("ơ", "o")),
    "FR": (("[éèê]", "e"), ("ç", "c"), ("-", " ")),
}
_PLAIN = str.maketrans({"ı": "i", "İ": "I", "đ": "d", "Đ": "D"})


def plain(text: str) -> str:
    """``text`` without diacritics: Yıldırım -> Yildirim, Nguyễn -> Nguyen, Ștefan -> Stefan."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_PLAIN))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@lru_cache(maxsize=4096)
def latin_spellings(token: str, side: str, origin: str) -> tuple[str, ...]:
    """Other spellings of a Latin-script ``token`` of ``origin``: the diacritics dropped, and
    on the oral side French respellings (Şahin -> Chahin, Xhafa -> Djafa, Arben -> Arbeni)."""
    out = [plain(token)]
    if side == "oral":
        lower = token.replace("İ", "I").lower()
        for pattern, replacement in LATIN_ORAL_RULES.get(origin, ()):
            changed = re.sub(pattern, replacement, lower)
            if changed != lower and changed.strip():
                out.append(_capitalise(plain(changed)))
    return tuple(dict.fromkeys(x for x in out if x != token))


def transliterate(token: str, rng: np.random.Generator, options: tuple[str, ...]) -> str:
    """One of ``options`` (other spellings of ``token``), or ``token`` when there is none."""
    return options[int(rng.integers(len(options)))] if options else token


# Articles and prefixes written attached, separate, hyphenated, with another vowel, or dropped.
_ARTICLE = re.compile(r"^(al|el|ul|ad|as|ar|de la|de|da)[\- ](.+)$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def particle_forms(token: str) -> tuple[str, ...]:
    """Forms of a name with an article (Al-Hassan: Al Hassan, Alhassan, El Hassan, Hassan)."""
    match = _ARTICLE.match(token)
    if match is None:
        return ()
    article, rest = match.group(1), match.group(2)
    other = {"al": "El", "el": "Al"}.get(article.lower(), article)
    forms = [f"{article} {rest}", f"{article}{rest.lower()}", f"{article}-{rest}"]
    forms += [f"{other} {rest}", f"{other}{rest.lower()}", rest]
    return tuple(dict.fromkeys(_capitalise(f) for f in forms if f != token))


_ABD = re.compile(r"^abd(?:ul|el|al|ou)?[ \-]?(.+)$", re.IGNORECASE)
_DIN = re.compile(r"^(.+?)[ \-]?(?:eddine|uddin|ud-din|al-din|ed-din)$", re.IGNORECASE)
_COMPOUND = re.compile(r"^(gebre|habte|tekle|wolde|haile|tesfa)(.{4,})$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def merge_split_forms(token: str) -> tuple[str, ...]:
    """Merged, split and abbreviated forms of a compound token (Abdul Rahman, Benali,
    Khair Eddine, G/Medhin, Gholamreza), or ``()`` when the token is not compound."""
    forms: list[str] = []
    if particle_forms(token):
        return ()
    if match := _ABD.match(token):
        rest = match.group(1).lower()
        forms += [f"abdul {rest}", f"abdel {rest}", f"abd al-{rest}", f"abdul{rest}"]
        forms += [f"abde{rest[0]}{rest}" + ("e" if rest.endswith("n") else "")]
    elif match := _DIN.match(token):
        stem = match.group(1).lower()
        forms += [f"{stem}eddine", f"{stem} eddine", f"{stem}uddin", f"{stem} al-din"]
    elif match := _COMPOUND.match(token):
        head, rest = match.group(1).lower(), match.group(2).lower()
        forms += [f"{head} {rest}", f"{head}-{rest}", f"{head[0]}/{rest}"]
    elif token.lower().startswith("ben") and len(token) > 5:
        rest = token[3:].strip(" -").lower()
        forms += [f"ben {rest}", f"ben-{rest}", f"ben{rest}"]
    elif " " in token or "-" in token:
        parts = re.split(r"[ \-]", token.lower())
        forms += ["".join(parts), " ".join(parts), "-".join(parts)]
    return tuple(dict.fromkeys(f for f in map(_capitalise, forms) if f != token))


NICKNAMES: dict[str, tuple[str, ...]] = {
    "Mohammad": ("Hamoudi", "Moha", "Mamad"),
    "Mohamed": ("Moha", "Hamoudi", "Simo"),
    "Muhammad": ("Mani", "Mohd"),
    "Abdullah": ("Abdo", "Dollah"),
    "Ibrahim": ("Brahim", "Bob"),
    "Youssef": ("Jo", "Youss"),
    "Mustafa": ("Mousti", "Memo"),
    "Abdulrahman": ("Abboud", "Rahmo"),
    "Yohannes": ("Johnny", "Yoni"),
    "Mehmet": ("Memo",),
    "Gheorghe": ("Gica",),
    "Alexandru": ("Sandu",),
    "Dawit": ("Dave",),
    "Fatima": ("Fati", "Fafa"),
}


# Where a kunya (Abu Omar, Umm Omar: father or mother of Omar) stands for the given name: the
# Arabic-speaking origins, not Afghans, Iranians or Pakistanis, nor the Latin-script origins.
KUNYA_ORIGINS = frozenset({"SY", "IQ-Kurdish", "SD", "Maghreb"})
_COMMON_SONS = ("Ahmad", "Ali", "Omar", "Hassan", "Khalid")  # when the eldest son is unknown


def nickname(
    given: str, rng: np.random.Generator, son: str | None, kunya: str | None
) -> str | None:
    """A nickname or kunya standing for ``given``: ``kunya`` ("Abu" for a man, "Umm" for a
    woman, None where the origin has none) and the eldest son's name (or a common one), else a
    short form; None when the name has neither."""
    short = NICKNAMES.get(given.split()[0], ())
    if kunya is not None and (not short or rng.random() < 0.6):
        return f"{kunya} {son or _COMMON_SONS[int(rng.integers(len(_COMMON_SONS)))]}"
    if short:
        return short[int(rng.integers(len(short)))]
    return None


# Names a letter or two away that belong to different people (planted as hard negatives).
NEAR_NAMES: dict[str, str] = {
    "Abdulrahman": "Abdulrahim",
    "Abdulrahim": "Abdulrahman",
    "Abdul Rahman": "Abdul Rahim",
    "Abdul Rahim": "Abdul Rahman",
    "Salah": "Saleh",
    "Saleh": "Salah",
    "Hassan": "Hussein",
    "Hussein": "Hassan",
    "Hamid": "Hamed",
    "Karim": "Rahim",
    "Ahmad": "Mahmoud",
    "Mehari": "Mehreteab",
    "Tesfaye": "Tesfalem",
    "Yonas": "Yohannes",
    "Mohamed": "Mahmoud",
    "Omar": "Ammar",
    "Bilal": "Hilal",
    "Khalid": "Khalil",
    "Khalil": "Khalid",
    "Hamza": "Hamdi",
    "Imran": "Irfan",
    "Minh": "Manh",
    "Mehmet": "Mahmut",
    "Ion": "Ioan",
}


def near_name(token: str) -> str | None:
    """A different person's name that looks like ``token`` (Rahman/Rahim), or ``None``."""
    other = NEAR_NAMES.get(token)
    return other if other and other != token else None


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def typo(text: str, rng: np.random.Generator) -> str:
    """``text`` with one keyboard slip (substitute, drop, insert, transpose) after the first
    letter; texts under three letters come back unchanged."""
    if len(text) < 3:
        return text
    i = int(rng.integers(1, len(text)))
    kind = int(rng.integers(4))
    letter = _LETTERS[int(rng.integers(26))]
    if text[i - 1].isupper() and text[i : i + 1].isupper():
        letter = letter.upper()
    if kind == 0:
        return text[:i] + letter + text[i + 1 :]
    if kind == 1:
        return text[:i] + text[i + 1 :]
    if kind == 2:
        return text[:i] + letter + text[i:]
    if i < len(text) - 1:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    return text[:i] + letter
