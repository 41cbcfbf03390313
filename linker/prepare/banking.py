"""Bank identifiers through schwifty: IBANs (full or masked), BICs and account numbers.

A full IBAN is validated by schwifty with its BBAN structure and national check digits
(``validate_bban=True`` checks the French RIB key) and written compactly. A masked IBAN, as
seized documents show one (``FR76 3000 4XXX XXXX XXXX XXX8 810``, with X, * or • hiding
characters), fails every validator, so it is kept as a *pattern*: upper case, each hidden
character an ``X``, one shortened run of hidden characters stretched to the country's IBAN
length. Patterns are compared on the characters both sides show (``masked_code``), and
blocked on the bank part and last digits that seizures usually leave legible
(``partial_key``). Each ``canonical_*`` function raises ``ValueError`` with the reason for a
row-level reject.
"""

from __future__ import annotations

import functools
import re
import unicodedata

# schwifty is imported where an IBAN or BIC is met: loading its bank registry costs 30 MB,
# which a run without bank columns should not pay.

MASK = "X"
# Hidden characters as people write them; a run of dots or an ellipsis hides a stretch.
_MASKS = re.compile(r"[*•●·#?_]|\.{2,}|…")
_SEPARATORS = re.compile(r"[\s.\-/]")
_PATTERN = re.compile(r"^[A-Z]{2}[0-9X]{2}[0-9A-Z]+$")
_MASK_RUN = re.compile(rf"{MASK}+")
MIN_VISIBLE = 6  # visible characters after the country code for a pattern worth comparing
PARTIAL_HEAD = 9  # country, check digits and (for FR) the bank code
PARTIAL_TAIL = 3  # the last digits: the end of the account number and its national key


def _compact(value: str) -> str:
    text = unicodedata.normalize("NFKC", value).upper().strip()
    text = _MASKS.sub(MASK, text)
    return _SEPARATORS.sub("", text)


@functools.lru_cache(maxsize=1_000_000)
def canonical_iban(value: str) -> str:
    """The compact IBAN, or the masked pattern of a partly hidden one.

    ``FR76 3000 4175 ...`` -> ``FR763000417...``; ``FR76 3000 4XXX ... 8 810`` ->
    ``FR7630004XXXXXXXXXXXXXX8810``. Raises ``ValueError`` for an invalid IBAN (checksum,
    structure, RIB key) and for a pattern that cannot be one (unknown country, wrong length,
    almost nothing visible).
    """
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    text = _compact(value)
    try:
        return str(IBAN(text, validate_bban=True).compact)
    except SchwiftyException as exc:
        if MASK not in text:
            raise ValueError(f"not a valid IBAN ({exc})") from exc
    return _masked_pattern(text)


def _masked_pattern(text: str) -> str:
    from schwifty.exceptions import SchwiftyException
    from schwifty.registry import get_iban_spec

    if not _PATTERN.match(text):
        raise ValueError("not an IBAN (country code, check digits, then letters and digits)")
    try:
        length = int(get_iban_spec(text[:2]).iban_length)
    except SchwiftyException as exc:
        raise ValueError(f"masked IBAN of a country without IBANs ({exc})") from exc
    runs = _MASK_RUN.findall(text)
    if len(text) != length:
        if len(runs) != 1 or len(text) - len(runs[0]) >= length:
            raise ValueError(f"masked IBAN of {len(text)} characters, {length} expected")
        text = _MASK_RUN.sub(MASK * (length - len(text) + len(runs[0])), text)
    if sum(c != MASK for c in text[2:]) < MIN_VISIBLE:
        raise ValueError("masked IBAN with too few visible characters to compare")
    return text


def is_masked(code: str) -> bool:
    return MASK in code


def partial_key(code: str) -> str | None:
    """Head and tail of a full or masked IBAN (``FR7630004...810``) when both are visible:
    a masked IBAN and the full one it hides share it."""
    head, tail = code[:PARTIAL_HEAD], code[-PARTIAL_TAIL:]
    if len(code) < PARTIAL_HEAD + PARTIAL_TAIL or MASK in head or MASK in tail:
        return None
    return f"{head}.{tail}"


@functools.lru_cache(maxsize=100_000)
def canonical_bic(value: str) -> str:
    """The institution, country and location of a BIC (its first 8 characters): a branch
    code (``XXX`` for the head office) does not change the bank."""
    from schwifty import BIC
    from schwifty.exceptions import SchwiftyException

    try:
        bic = BIC(_compact(value))
    except SchwiftyException as exc:
        raise ValueError(f"not a valid BIC ({exc})") from exc
    return str(bic.compact)[:8]


def canonical_account_number(value: str) -> str:
    """Letters and digits of a national account number, upper case; hidden characters as
    ``X`` (a masked number is compared on its visible characters, like an IBAN)."""
    text = _compact(value)
    if not text.isalnum():
        raise ValueError("an account number has letters and digits only")
    return text
