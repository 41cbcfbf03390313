"""Token alignment of two name chains: several features from one similarity cube.

A chain is the ordered skeleton tokens of a name (``linker.prepare.names``), each with its
letters when the name is written in its own orthography (``nguyan=nguyen``). For N pairs of
chains, every token of the left is compared with every token of the right (Jaro-Winkler on the
distinctive part of each token, once per distinct token pair), giving an N x K x K cube. The
features read it in different ways, so that a model can tell a spelling variant from a
relative:

- ``cover_min`` / ``cover_max``: the share of each side's tokens matched on the other side, the
  smaller and the larger (a dropped grandfather leaves ``cover_max`` at 1);
- ``soft``: mean best similarity of each token of the shorter chain;
- ``positional``: tokens compared in place (given with given, father with father);
- ``shifted``: one chain moved by one token (a son's father and grandfather are his father's
  given name and father: a chain shift, not the same man);
- ``first``: the first tokens (usually the given names); ``last``: the last tokens;
- ``swapped``: first with last and last with first (given and family swapped);
- ``exact_cover``: the share of the shorter chain's tokens found exactly (same skeleton), and
  ``weakest``: the best similarity of its least-matched token. Spelling variants fold to one
  skeleton; a different name a letter away (Asif/Arif, Jamal/Kamal) does not;
- ``joined``: the two chains written without spaces (in order, or with sorted tokens)
  compared by Levenshtein similarity, so that a split or merged name (Le Roy/Leroy, Sami Ullah
  Rahmat Ullah/Samiullah Rahmatullah) is not a token mismatch;
- ``unmatched_tail``: 1 when the tokens of the longer chain left unmatched all come after its
  matched ones (a dropped grandfather or family name), 0 when one sits before a matched token
  (a different given name), missing when every token is matched.

Before any of these, two adjacent tokens of one chain that the other writes as one token are
joined (Ahmad Shah / Ahmadshah, Tesfa Mariam / Tesfamariam, Marie-Claire / MARIECLAIRE): a
split or merged name is a spelling, not a missing token.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from rapidfuzz import process
from rapidfuzz.distance import JaroWinkler, Levenshtein

from linker.prepare.names import MAX_TOKENS, distinctive, skeleton_chain

NAME_ALIGNMENT_OUTPUTS = (
    "cover_min",
    "cover_max",
    "soft",
    "positional",
    "shifted",
    "first",
    "last",
    "swapped",
    "exact_cover",
    "weakest",
    "joined",
    "unmatched_tail",
)
MATCHED = 0.9  # a token counts as matched at this Jaro-Winkler similarity or above


def _rejoined(shorter: list[str], longer: list[str]) -> list[str] | None:
    """``longer`` with its first two adjacent tokens that ``shorter`` writes as one joined, or
    ``None`` when there are none. Tokens are compared on their skeletons."""
    targets = {t.partition("=")[0] for t in shorter}
    skeletons = [t.partition("=")[0] for t in longer]
    for j in range(len(longer) - 1):
        merged = skeletons[j] + skeletons[j + 1]
        if merged in targets:
            return [*longer[:j], merged, *longer[j + 2 :]]
    return None


def _tokens_and_joins(chains: np.ndarray, vocabulary: dict[str, int]) -> np.ndarray:
    """(N, 2K - 1) codes (-1 = none) of each chain's skeleton tokens, then of each two
    adjacent tokens joined; worked out once per distinct chain."""
    codes, distinct = pd.factorize(chains)
    matrix = np.full((len(distinct) + 1, 2 * MAX_TOKENS - 1), -1, dtype=np.int64)
    for row, chain in enumerate(distinct):
        tokens = [t.partition("=")[0] for t in chain.split()[:MAX_TOKENS]]
        joins = [a + b for a, b in itertools.pairwise(tokens)]
        for column, token in enumerate(tokens):
            matrix[row, column] = vocabulary.setdefault(token, len(vocabulary))
        for column, token in enumerate(joins, start=MAX_TOKENS):
            matrix[row, column] = vocabulary.setdefault(token, len(vocabulary))
    return matrix[codes]


def _has_split(tokens: np.ndarray, joins: np.ndarray) -> np.ndarray:
    """Per row: whether a token of one chain is two adjacent tokens of the other joined."""
    same = (tokens[:, :, None] == joins[:, None, :]) & (tokens[:, :, None] >= 0)
    return np.asarray(same.any(axis=(1, 2)), dtype=bool)


def rejoin_splits(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The chains with split tokens joined where the other chain writes them as one (see
    ``_rejoined``): found for all pairs at once on token codes, then rewritten once per
    distinct pair of chains that has one."""
    left, right = np.array(left, dtype=object), np.array(right, dtype=object)
    vocabulary: dict[str, int] = {}
    codes_l = _tokens_and_joins(left, vocabulary)
    codes_r = _tokens_and_joins(right, vocabulary)
    k = MAX_TOKENS
    split = _has_split(codes_l[:, :k], codes_r[:, k:]) | _has_split(codes_r[:, :k], codes_l[:, k:])
    rows = np.flatnonzero(split)
    codes, distinct = pd.factorize(pd.Series(left[rows]) + "|" + pd.Series(right[rows]))
    new_left, new_right = [], []
    for pair in distinct:
        a, _, b = pair.partition("|")
        first, second = a.split(), b.split()
        while len(first) != len(second):
            short, long_ = (first, second) if len(first) < len(second) else (second, first)
            joined = _rejoined(short, long_)
            if joined is None:
                break
            first, second = (first, joined) if short is first else (joined, second)
        new_left.append(" ".join(first))
        new_right.append(" ".join(second))
    left[rows] = np.array(new_left, dtype=object)[codes]
    right[rows] = np.array(new_right, dtype=object)[codes]
    return left, right


def _token_codes(chains: np.ndarray, vocabulary: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Chains to an (N, K) matrix of token codes (-1 = none) and token counts, worked out once
    per distinct chain; ``vocabulary`` grows with tokens not seen before."""
    codes, distinct = pd.factorize(chains)  # a missing chain: code -1, the empty last row
    matrix = np.full((len(distinct) + 1, MAX_TOKENS), -1, dtype=np.int64)
    counts = np.zeros(len(distinct) + 1, dtype=np.int64)
    for row, chain in enumerate(distinct):
        tokens = chain.split()[:MAX_TOKENS]
        counts[row] = len(tokens)
        for column, token in enumerate(tokens):
            matrix[row, column] = vocabulary.setdefault(token, len(vocabulary))
    return matrix[codes], counts[codes]


def _compared_forms(first: np.ndarray, second: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The forms two tokens are compared on: their letters when both names are written in
    their own orthography (``skeleton=letters`` tokens), else their skeletons."""
    split_first = [t.partition("=") for t in first]
    split_second = [t.partition("=") for t in second]
    both = [bool(a[2] and b[2]) for a, b in zip(split_first, split_second, strict=True)]
    return (
        np.array([a[2] if w else a[0] for a, w in zip(split_first, both, strict=True)], object),
        np.array([b[2] if w else b[0] for b, w in zip(split_second, both, strict=True)], object),
    )


def _token_similarity(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Jaro-Winkler of token pairs; a one-letter token (an initial) that is the first letter
    of the other scores at least 0.9. Two tokens that both start with a shared prefix (abd,
    gebre...) are compared on what follows it: Abdul Rahman and Abdul Rahim differ there.
    Tokens of two names written in their own orthography are compared on their letters."""
    first, second = _compared_forms(first, second)
    first_part = np.array([distinctive(t) for t in first], dtype=object)
    second_part = np.array([distinctive(t) for t in second], dtype=object)
    both = (first_part != first) & (second_part != second)
    first = np.where(both, first_part, first)
    second = np.where(both, second_part, second)
    scores = np.asarray(
        process.cpdist(first, second, scorer=JaroWinkler.normalized_similarity, workers=-1),
        dtype=np.float64,
    )
    initial = np.array(
        [
            (len(x) == 1 or len(y) == 1) and x[:1] == y[:1]
            for x, y in zip(first, second, strict=True)
        ],
        dtype=bool,
    )
    return np.where(initial, np.maximum(scores, 0.9), scores)


def _similarity_cube(left: np.ndarray, right: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """(N, K, K) similarity of every left token with every right token, NaN for padding;
    computed once per distinct pair of token codes."""
    n, k = left.shape
    a = np.repeat(left, k, axis=1).ravel()
    b = np.tile(right, (1, k)).ravel()
    present = (a >= 0) & (b >= 0)
    keys = a[present] * len(tokens) + b[present]
    inverse, distinct = pd.factorize(keys, sort=False)
    distinct = np.asarray(distinct, dtype=np.int64)
    scores = _token_similarity(tokens[distinct // len(tokens)], tokens[distinct % len(tokens)])
    cube = np.full(n * k * k, np.nan)
    cube[present] = scores[inverse]
    return cube.reshape(n, k, k)


def _nanmean(values: np.ndarray, axis: int) -> np.ndarray:
    count = np.sum(~np.isnan(values), axis=axis)
    total = np.nansum(values, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _joined_similarity(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Levenshtein similarity of the chains without spaces, in order or with sorted tokens
    (the better of the two); once per distinct pair of chains."""
    codes, distinct = pd.factorize(pd.Series(left) + "|" + pd.Series(right), sort=False)
    pairs = [value.split("|") for value in distinct]
    in_order = [[p.replace(" ", "") for p in pair] for pair in pairs]
    by_token = [["".join(sorted(p.split())) for p in pair] for pair in pairs]
    scores = np.fmax(
        process.cpdist(
            [a for a, _ in in_order],
            [b for _, b in in_order],
            scorer=Levenshtein.normalized_similarity,
        ),
        process.cpdist(
            [a for a, _ in by_token],
            [b for _, b in by_token],
            scorer=Levenshtein.normalized_similarity,
        ),
    )
    return np.asarray(scores, dtype=np.float64)[codes]


def _skeleton_chains(chains: np.ndarray) -> np.ndarray:
    """Chains without their tokens' letters (``skeleton_chain``), once per distinct chain."""
    codes, distinct = pd.factorize(chains)
    return np.array([skeleton_chain(c) for c in distinct], dtype=object)[codes]


def _unmatched_tail(best: np.ndarray) -> np.ndarray:
    """Per chain (rows of best similarities, -1 for padding): 1 when its unmatched tokens all
    follow its last matched one, 0 when not, NaN when none is unmatched."""
    present = best >= 0
    matched = present & (best >= MATCHED)
    unmatched = present & ~matched
    k = best.shape[1]
    positions = np.arange(k)
    last_matched = np.where(matched, positions, -1).max(axis=1)
    first_unmatched = np.where(unmatched, positions, k).min(axis=1)
    tail = (first_unmatched > last_matched).astype(np.float64)
    return np.where(unmatched.any(axis=1), tail, np.nan)


def name_alignment(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(N, len(NAME_ALIGNMENT_OUTPUTS)) features of N pairs of chains; NaN where a side has
    no name."""
    n = len(left)
    out = np.full((n, len(NAME_ALIGNMENT_OUTPUTS)), np.nan)
    if n == 0:
        return out
    left, right = rejoin_splits(left, right)
    vocabulary: dict[str, int] = {}
    tokens_l, count_l = _token_codes(np.asarray(left, dtype=object), vocabulary)
    tokens_r, count_r = _token_codes(np.asarray(right, dtype=object), vocabulary)
    both = (count_l > 0) & (count_r > 0)
    if not both.any():
        return out
    tokens = np.array(list(vocabulary), dtype=object)
    cube = _similarity_cube(tokens_l[both], tokens_r[both], tokens)
    cl, cr = count_l[both], count_r[both]
    filled = np.where(np.isnan(cube), -1.0, cube)
    best_l, best_r = filled.max(axis=2), filled.max(axis=1)  # (N, K) each
    cover_l = (best_l >= MATCHED).sum(axis=1) / cl
    cover_r = (best_r >= MATCHED).sum(axis=1) / cr
    shorter = np.where((cl <= cr)[:, None], best_l, best_r)
    soft = _nanmean(np.where(shorter < 0, np.nan, shorter), axis=1)
    weakest = np.where(shorter < 0, np.inf, shorter).min(axis=1)
    exact_cover = (shorter >= 1.0).sum(axis=1) / np.minimum(cl, cr)
    diagonal = np.diagonal(cube, axis1=1, axis2=2)
    shift_l = np.diagonal(cube[:, 1:, :], axis1=1, axis2=2)  # left token i+1 with right i
    shift_r = np.diagonal(cube[:, :, 1:], axis1=1, axis2=2)  # left token i with right i+1
    rows = np.arange(len(cl))
    last = cube[rows, cl - 1, cr - 1]
    swapped = (cube[rows, 0, cr - 1] + cube[rows, cl - 1, 0]) / 2
    single = (cl == 1) & (cr == 1)
    longer = np.where((cl >= cr)[:, None], best_l, best_r)
    chains_l = _skeleton_chains(np.asarray(left, dtype=object)[both])
    chains_r = _skeleton_chains(np.asarray(right, dtype=object)[both])
    features = np.column_stack(
        [
            np.minimum(cover_l, cover_r),
            np.maximum(cover_l, cover_r),
            soft,
            _nanmean(diagonal, axis=1),
            np.fmax(_nanmean(shift_l, axis=1), _nanmean(shift_r, axis=1)),
            cube[:, 0, 0],
            last,
            np.where(single, np.nan, swapped),
            exact_cover,
            weakest,
            _joined_similarity(chains_l, chains_r),
            _unmatched_tail(longer),
        ]
    )
    out[both] = features
    return out
