"""Company registration and VAT numbers through python-stdnum, compared as a SIREN.

A SIRET is its SIREN (9 digits, Luhn) followed by an establishment number, and a French VAT
number embeds the SIREN behind its key, so all three name one company by its SIREN: two
establishments of one company, or a VAT number on one side and a SIRET on the other, agree.
python-stdnum checks the Luhn keys (with La Poste's SIRET exception) and the VAT key. Other
countries' numbers are kept as written (upper case, letters and digits), EU VAT numbers
checked by ``stdnum.eu.vat``. Each ``canonical_*`` function raises ``ValueError`` with the
reason for a row-level reject.
"""

from __future__ import annotations

import functools
import re

_SEPARATORS = re.compile(r"[\s.\-/]")
_VAT_LIKE = re.compile(r"^[A-Z]{2}[0-9A-Z]{2,13}$")


def _compact(value: str) -> str:
    return _SEPARATORS.sub("", value).upper()


@functools.lru_cache(maxsize=1_000_000)
def canonical_registration(value: str) -> str:
    """The SIREN of a SIREN, SIRET or French VAT number; another country's number as written.

    ``739 618 338``, ``739 618 338 00017`` and ``FR 12 739618338`` all give ``739618338``.
    """
    # python-stdnum is imported on first use: only company records need it.
    from stdnum.exceptions import ValidationError
    from stdnum.fr import siren, siret

    text = _compact(value)
    if not text.isalnum():
        raise ValueError("a registration number has letters and digits only")
    if text.isdigit() and len(text) in (9, 14):
        try:
            return str(
                siren.validate(text) if len(text) == 9 else siret.to_siren(siret.validate(text))
            )
        except ValidationError as exc:
            kind = "SIREN" if len(text) == 9 else "SIRET"
            raise ValueError(f"not a valid {kind} ({exc})") from exc
    if text.startswith("FR") and len(text) == 13:
        return canonical_vat(text)
    return text


@functools.lru_cache(maxsize=1_000_000)
def canonical_vat(value: str) -> str:
    """The SIREN of a French VAT number; another EU VAT number in its compact form."""
    from stdnum.eu import vat as eu_vat
    from stdnum.exceptions import ValidationError
    from stdnum.fr import tva

    text = _compact(value)
    if not _VAT_LIKE.match(text):
        raise ValueError("a VAT number starts with its country code (FR, DE...)")
    try:
        if text.startswith("FR"):
            number = str(tva.validate(text))  # key + SIREN
            # Monaco's numbers (SIREN part 000...) are French VAT numbers without a SIREN.
            return f"FR{number}" if number[2:5] == "000" else number[2:]
        return str(eu_vat.validate(text))
    except ValidationError as exc:
        raise ValueError(f"not a valid VAT number ({exc})") from exc
