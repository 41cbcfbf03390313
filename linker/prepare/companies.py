"""Company names: legal forms found and stripped, and token weights over the run's names.

A legal form may stand anywhere in a registered name, dotted or not (``SAS TRADING PHAM``,
``TRADING LE S.A.R.L.``, ``SC X SRL``). It is removed from the name before names are
compared, and kept as a feature of its own: ``family form`` (``SAS SASU``), so that SAS and
SASU, or SARL and EURL, can count as compatible rather than different. Forms that are also
ordinary words or name particles (``SA``, ``SPA``, ``AG``, ``STE``...) are recognised only
at either end of the name, where forms are written.

Generic business words (transport, trading, import export, kebab...) say little about which
company a name is: ``add_company_weights`` weights every token by its inverse document
frequency over the company names of the run (per distinct token), written beside the name
as ``token:weight`` pairs for the weighted-overlap comparator.
"""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd

from linker.io import LIST_SEPARATOR

ANY_FAMILY = "ANY"  # a generic prefix (Ets, Sté, SC): compatible with every form
HUB_NAMES = 6  # distinct company names at one address that make it a domiciliation hub

# form: (family, spellings as normalised tokens). Dotted spellings normalise to
# letters separated by spaces (S.A.R.L. -> "s a r l").
LEGAL_FORMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "SA": ("SA", ("sa", "s a")),
    "SAS": ("SAS", ("sas", "s a s")),
    "SASU": ("SAS", ("sasu", "s a s u")),
    "SARL": ("SARL", ("sarl", "s a r l")),
    "EURL": ("SARL", ("eurl", "e u r l")),
    "SELARL": ("SARL", ("selarl", "s e l a r l")),
    "SNC": ("SNC", ("snc", "s n c")),
    "SCI": ("SCI", ("sci", "s c i")),
    "SCOP": ("SCOP", ("scop", "s c o p")),
    "GIE": ("GIE", ("gie", "g i e")),
    "EI": ("EI", ("ei", "e i")),
    "EIRL": ("EI", ("eirl", "e i r l")),
    "ETS": (ANY_FAMILY, ("ets", "etablissements", "etablissement")),
    "STE": (ANY_FAMILY, ("ste", "societe")),
    "SC": (ANY_FAMILY, ("sc", "s c")),  # Romanian "societate comerciala": SC X SRL
    "LTD": ("LTD", ("ltd", "limited")),
    "LLP": ("LLP", ("llp", "l l p")),
    "PLC": ("PLC", ("plc", "p l c")),
    "GMBH": ("GMBH", ("gmbh", "g m b h")),
    "UG": ("GMBH", ("ug", "ug haftungsbeschrankt")),
    "AG": ("AG", ("ag",)),
    "KG": ("KG", ("kg", "gmbh co kg", "gmbh kg")),
    "SRL": ("SRL", ("srl", "s r l")),
    "SPA": ("SPA", ("spa", "s p a")),
    "SL": ("SL", ("sl", "s l")),
    "SHPK": ("SHPK", ("shpk", "sh p k", "sh pk")),
    "LTD_STI": ("LTD", ("ltd sti", "ltd sirketi", "limited sirketi")),
    "AS_TR": ("AS_TR", ("a s",)),
    "SP_ZOO": ("SP_ZOO", ("sp z o o", "sp zoo", "spzoo")),
    "OOO": ("OOO", ("ooo",)),
    "LLC": ("LLC", ("llc", "l l c", "fz llc")),
    "FZE": ("FZE", ("fze", "f z e")),
    "FZCO": ("FZE", ("fzco", "fz co")),
    "INC": ("INC", ("inc", "incorporated")),
    "NV": ("NV", ("nv", "n v")),  # Dutch and Belgian naamloze vennootschap
    "BV": ("BV", ("bv", "b v", "bvba")),
}
# Spellings that are also words or name parts: recognised only first or last in a name.
EDGE_ONLY = frozenset({"sa", "ste", "sc", "ag", "kg", "ug", "spa", "sl", "ei", "inc"})

_SPELLINGS: list[tuple[tuple[str, ...], str]] = sorted(
    ((tuple(s.split()), form) for form, (_, spellings) in LEGAL_FORMS.items() for s in spellings),
    key=lambda item: -len(item[0]),  # longest first: "s a r l" before "s a"
)
_GENERIC_FORMS = frozenset(f for f, (family, _) in LEGAL_FORMS.items() if family == ANY_FAMILY)


def split_legal_form(normalised: str) -> tuple[str | None, str | None]:
    """(name without its legal forms, the most specific form found) of a normalised name.

    ``"trading le s a r l"`` -> ``("trading le", "SARL")``; ``"sc atlas srl"`` ->
    ``("atlas", "SRL")``. A name that is only a form (``SARL``, ``N.V.``) keeps its text as
    the name rather than becoming missing: the record still has a name to block and compare
    on (its tokens are common in such a file, so their weight is low), where a file of such
    names would otherwise have nothing to block on.
    """
    tokens = normalised.split()
    kept: list[str] = []
    forms: list[str] = []
    i = 0
    while i < len(tokens):
        for spelling, form in _SPELLINGS:
            end = i + len(spelling)
            if tuple(tokens[i:end]) != spelling:
                continue
            at_edge = i == 0 or end == len(tokens)
            if " ".join(spelling) in EDGE_ONLY and not at_edge:
                continue
            forms.append(form)
            i = end
            break
        else:
            kept.append(tokens[i])
            i += 1
    specific = [f for f in forms if f not in _GENERIC_FORMS] or forms
    name = " ".join(kept) or normalised or None
    return name, specific[0] if specific else None


def legal_form_code(form: str | None) -> str | None:
    """``family form`` of a recognised form (``"SAS SASU"``), for the legal-form comparator."""
    if form is None:
        return None
    family = LEGAL_FORMS[form][0] if form in LEGAL_FORMS else form
    return f"{family} {form}"


def canonical_legal_form(normalised: str) -> str | None:
    """The form written in a legal-form column (``S.A.R.L.`` -> ``SARL``); an unknown one
    as its own upper-case code."""
    _, form = split_legal_form(normalised)
    return form or normalised.upper().replace(" ", "_") or None


def token_weights(names: pd.Series) -> dict[str, float]:
    """Smoothed inverse document frequency of each token over ``names`` (``|``-separated
    lists of normalised names, one list per record): ``ln((1 + n) / (1 + df)) + 1``."""
    documents = names.dropna()
    counts: Counter[str] = Counter()
    for cell, repeat in documents.value_counts().items():
        for token in set(str(cell).replace(LIST_SEPARATOR, " ").split()):
            counts[token] += int(repeat)
    n = len(documents)
    return {token: math.log((1 + n) / (1 + df)) + 1.0 for token, df in counts.items()}


def add_company_weights(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ``name_weighted`` (``token:weight`` for each token of the record's names) and
    ``name_rare`` (its rarest token, a blocking key) to ``frame`` when it has company
    ``names``, and blank the ``address`` of domiciliation hubs; returns ``frame``.

    Computed once per run over the stacked records, once per distinct list of names.
    """
    if "names" not in frame:
        return frame
    if "address" in frame and "names_key" in frame:
        frame["address"] = without_hubs(frame["address"], frame["names_key"])
    weights = token_weights(frame["names"])
    weighted: dict[str, str] = {}
    rarest: dict[str, str] = {}
    for cell in pd.unique(frame["names"].dropna()):
        tokens = sorted(set(str(cell).replace(LIST_SEPARATOR, " ").split()))
        weighted[cell] = " ".join(f"{t}:{weights[t]:.3f}" for t in tokens)
        rarest[cell] = max(tokens, key=lambda t: (weights[t], t))
    frame["name_weighted"] = frame["names"].map(weighted).astype(object)
    frame["name_rare"] = frame["names"].map(rarest).astype(object)
    return frame


def without_hubs(address: pd.Series, names_key: pd.Series) -> pd.Series:
    """``address`` with the addresses of domiciliation hubs missing.

    A domiciliation address hosts hundreds of companies, so sharing it says nothing; an
    address where the run finds ``HUB_NAMES`` or more differently named companies (distinct
    phonetic name keys) counts as one, and is not compared or blocked on.
    """
    keys = pd.DataFrame({"address": address, "key": names_key.str.split(LIST_SEPARATOR)})
    keys = keys.dropna().explode("key")
    names_at = keys.groupby("address")["key"].nunique()
    hubs = names_at.index[names_at >= HUB_NAMES]
    kept = address.astype(object).copy()
    kept[address.isin(hubs)] = None
    return kept
