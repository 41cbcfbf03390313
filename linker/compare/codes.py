"""Comparators for companies and accounts: masked codes, name lists, weighted tokens, forms.

Vectorised like every comparator (two aligned arrays in, one similarity per pair out, NaN
where either side is missing). Cells may hold ``|``-separated lists (a company's IBANs, its
name and trade name); list comparators score every item pair and keep the best, with the
items exploded into long arrays rather than looped over in Python.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from rapidfuzz import fuzz, process

from linker.io import LIST_SEPARATOR

MASK = "X"  # a hidden character of a masked IBAN or account number (prepare.banking)
ANY_FAMILY = "ANY"  # legal-form family of a generic prefix (Ets, Sté): prepare.companies
EXACT, MASKED_ONE, MASKED_BOTH, WEAK = 1.0, 0.9, 0.8, 0.5
MIN_CO_VISIBLE = 10  # fewer characters seen on both sides: only a weak agreement
HOLDER_COMPATIBLE = 0.85  # token-set similarity of two names that may be one holder
UNKNOWN_HOLDER_PENALTY = 0.2
NO_CODE = "-"  # the code part of a holder whose account code is unknown


def _missing(values: np.ndarray) -> np.ndarray:
    return np.asarray(pd.isna(values), dtype=bool)


def _partition(values: pd.Series, separator: str, *, last: bool = False) -> list[np.ndarray]:
    """(head, separator, tail) of each string at its first (``last``: last) ``separator``, as
    three object arrays. pandas' ``str.partition`` gives a frame without columns for an empty
    series, so the arrays are built here whatever the length (a chunk where no pair has both
    values present compares nothing)."""
    if values.empty:
        return [np.empty(0, dtype=object) for _ in range(3)]
    parts = values.str.rpartition(separator) if last else values.str.partition(separator)
    return [parts[k].to_numpy(dtype=object) for k in range(3)]


def _item_pairs(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pair position, left item, right item) for every item pair of present pairs."""
    present = np.flatnonzero(~(_missing(left) | _missing(right)))
    items_l = pd.Series(left[present], index=present, dtype=object)
    items_r = pd.Series(right[present], index=present, dtype=object)
    listed = items_l.str.contains(LIST_SEPARATOR, regex=False) | items_r.str.contains(
        LIST_SEPARATOR, regex=False
    )
    if not listed.any():
        return present, items_l.to_numpy(), items_r.to_numpy()
    exploded_l = items_l.str.split(LIST_SEPARATOR).explode()
    exploded_r = items_r.str.split(LIST_SEPARATOR).explode()
    merged = pd.DataFrame({"pair": exploded_l.index, "l": exploded_l.to_numpy()}).merge(
        pd.DataFrame({"pair": exploded_r.index, "r": exploded_r.to_numpy()}), on="pair"
    )
    return (
        merged["pair"].to_numpy(dtype=np.int64),
        merged["l"].to_numpy(dtype=object),
        merged["r"].to_numpy(dtype=object),
    )


def _best_per_pair(count: int, pairs: np.ndarray, scores: np.ndarray) -> np.ndarray:
    best = np.full(count, -np.inf)
    np.maximum.at(best, pairs, scores)
    best[np.isinf(best)] = np.nan
    return best


def _characters(values: np.ndarray, width: int) -> np.ndarray:
    """Each string as a row of code points, padded with 0 to ``width``."""
    fixed = np.asarray(values, dtype=f"<U{max(width, 1)}")
    return fixed.view(np.uint32).reshape(len(values), max(width, 1))


def _masked_scores(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    if len(left) == 0:
        return np.empty(0, dtype=np.float64)
    length_l = np.char.str_len(left.astype(str))
    length_r = np.char.str_len(right.astype(str))
    width = int(max(length_l.max(), length_r.max()))
    chars_l, chars_r = _characters(left, width), _characters(right, width)
    hidden_l, hidden_r = chars_l == ord(MASK), chars_r == ord(MASK)
    seen = ~hidden_l & ~hidden_r & (chars_l > 0) & (chars_r > 0)
    conflict = (seen & (chars_l != chars_r)).any(axis=1) | (length_l != length_r)
    masked_l, masked_r = hidden_l.any(axis=1), hidden_r.any(axis=1)
    scores = np.where(masked_l & masked_r, MASKED_BOTH, MASKED_ONE)
    scores = np.where(masked_l | masked_r, scores, EXACT)
    scores = np.where((masked_l | masked_r) & (seen.sum(axis=1) < MIN_CO_VISIBLE), WEAK, scores)
    return np.where(conflict, 0.0, scores)


def masked_code(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Agreement of two codes (IBANs, account numbers), either of them possibly masked with
    ``X``: 1.0 the same full code; 0.9 a masked code agreeing with a full one on every
    character it shows; 0.8 two masked codes agreeing wherever both show a character; 0.5
    such an agreement on fewer than ``MIN_CO_VISIBLE`` characters; 0.0 any shown character
    differs, or the lengths do. Lists: the best item pair."""
    pairs, items_l, items_r = _item_pairs(left, right)
    return _best_per_pair(len(left), pairs, _masked_scores(items_l, items_r))


def _codes_and_holders(
    left: np.ndarray, right: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Split ``CODE holder words`` values (``-`` for no code) into codes and holders, each
    None where missing."""
    sides = []
    for values in (left, right):
        codes, _, holders = _partition(
            pd.Series(np.where(_missing(values), "", values), dtype=object), " "
        )
        codes[(codes == "") | (codes == NO_CODE)] = None
        holders[holders == ""] = None
        sides += [codes, holders]
    return sides[0], sides[2], sides[1], sides[3]


def _is_full(codes: np.ndarray) -> np.ndarray:
    masked = pd.Series(codes, dtype=object).str.contains(MASK, regex=False)
    return np.asarray(masked.eq(False), dtype=bool)  # missing codes are not full


def _token_similarity(
    left: np.ndarray, right: np.ndarray, scorer: Callable[..., float]
) -> np.ndarray:
    if len(left) == 0:
        return np.empty(0, dtype=np.float64)
    scores = process.cpdist(left, right, scorer=scorer, workers=-1)
    return np.asarray(scores, dtype=np.float64).reshape(-1) / 100.0


def masked_code_holder(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """``masked_code`` of account codes written with their holder (``CODE holder words``):
    a masked code only narrows an account down to a bank and a few digits, so its agreement
    counts when the holders' names are compatible (token-set similarity of at least
    ``HOLDER_COMPATIBLE``) and is a conflict (0.0) when they are not; with a holder missing on
    either side it is lowered by ``UNKNOWN_HOLDER_PENALTY``. Full codes ignore the holder: a
    joint or mule account has several."""
    codes_l, codes_r, holders_l, holders_r = _codes_and_holders(left, right)
    best = masked_code(codes_l, codes_r)
    masked = np.flatnonzero((best > 0) & (best < EXACT))
    holder_l, holder_r = holders_l[masked], holders_r[masked]
    known = pd.notna(holder_l) & pd.notna(holder_r)
    similarity = np.zeros(len(masked))
    similarity[known] = _token_similarity(holder_l[known], holder_r[known], fuzz.token_set_ratio)
    adjusted = np.where(similarity >= HOLDER_COMPATIBLE, best[masked], 0.0)
    best[masked] = np.where(known, adjusted, best[masked] - UNKNOWN_HOLDER_PENALTY)
    return best


def holder_unless_full_codes(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Token-sort similarity of the holders of ``CODE holder words`` values, NaN when both
    codes are full: two full IBANs decide alone (same account or not, whoever holds it),
    and namesakes holding different accounts are common; the holder speaks when a code is
    masked or missing."""
    codes_l, codes_r, holders_l, holders_r = _codes_and_holders(left, right)
    full_l, full_r = _is_full(codes_l), _is_full(codes_r)
    asked = np.flatnonzero(~(full_l & full_r) & pd.notna(holders_l) & pd.notna(holders_r))
    scores = np.full(len(left), np.nan)
    scores[asked] = _token_similarity(holders_l[asked], holders_r[asked], fuzz.token_sort_ratio)
    return scores


def best_token_sort(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Best token-sort similarity over the item pairs of two lists (a company's registered
    name and trade name against the other record's)."""
    pairs, items_l, items_r = _item_pairs(left, right)
    if len(pairs) == 0:
        return np.full(len(left), np.nan)
    scores = process.cpdist(items_l, items_r, scorer=fuzz.token_sort_ratio, workers=-1)
    return _best_per_pair(len(left), pairs, np.asarray(scores, dtype=np.float64) / 100.0)


def _weighted_tokens(values: np.ndarray) -> pd.DataFrame:
    """Long frame ``value, token, weight`` of ``token:weight`` strings."""
    exploded = pd.Series(values, dtype=object).str.split(" ").explode().dropna()
    token, colon, weight = _partition(exploded, ":", last=True)
    weighted = colon == ":"  # a bare token weighs 1
    numbers = pd.to_numeric(pd.Series(np.where(weighted, weight, "1")), errors="coerce")
    return pd.DataFrame(
        {
            "value": exploded.index.to_numpy(dtype=np.int64),
            "token": np.where(weighted, token, exploded.to_numpy(dtype=object)),
            "weight": numbers.fillna(1.0).to_numpy(dtype=np.float64),
        }
    )


def weighted_overlap(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Weighted overlap coefficient of two ``token:weight`` sets: the weight of the shared
    tokens over the lighter side's total. Generic words weigh little (their inverse
    document frequency is low), so sharing only "transport" scores low."""
    missing = _missing(left) | _missing(right)
    codes, distinct = pd.factorize(np.concatenate([left, right]))
    tokens = _weighted_tokens(np.asarray(distinct, dtype=object))
    totals = np.bincount(tokens["value"], weights=tokens["weight"], minlength=len(distinct))
    n = len(left)
    code_l, code_r = codes[:n], codes[n:]
    keep = np.flatnonzero(~missing)
    sides = [
        pd.DataFrame({"pair": keep, "value": code[keep]}).merge(tokens, on="value")
        for code in (code_l, code_r)
    ]
    shared = sides[0].merge(sides[1][["pair", "token"]], on=["pair", "token"])
    shared_weight = np.bincount(shared["pair"], weights=shared["weight"], minlength=n)
    lighter = np.minimum(
        totals[np.where(code_l >= 0, code_l, 0)], totals[np.where(code_r >= 0, code_r, 0)]
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where(lighter > 0, shared_weight / lighter, 0.0)
    scores[missing] = np.nan
    return np.asarray(scores, dtype=np.float64)


def legal_form_agreement(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Agreement of two ``family form`` legal-form codes: 1.0 the same form; 0.5 compatible
    (SAS and SASU, SARL and EURL share a family; a generic prefix such as Ets fits any form);
    0.0 conflicting (SARL and SAS)."""
    missing = _missing(left) | _missing(right)
    family_l, _, form_l = _partition(pd.Series(np.where(missing, " ", left), dtype=object), " ")
    family_r, _, form_r = _partition(pd.Series(np.where(missing, " ", right), dtype=object), " ")
    compatible = (family_l == family_r) | (family_l == ANY_FAMILY) | (family_r == ANY_FAMILY)
    scores = np.where(form_l == form_r, 1.0, np.where(compatible, 0.5, 0.0))
    scores[missing] = np.nan
    return np.asarray(scores, dtype=np.float64)
