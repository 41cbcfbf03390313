import numpy as np
import pandas as pd
import pytest

from linker.compare import COMPARATORS, Comparison, compare_pairs, person_comparisons
from linker.compare.features import independent_comparisons
from linker.errors import ConfigError, UnknownComparatorError

NAN = float("nan")


def scores(name: str, left: list[object], right: list[object]) -> list[float]:
    out = COMPARATORS[name](np.array(left, dtype=object), np.array(right, dtype=object))
    return [round(float(x), 3) for x in out]


@pytest.mark.parametrize(
    ("comparator", "left", "right", "expected"),
    [
        ("jaro_winkler", "martha", "marhta", 0.961),
        ("jaro_winkler", "dixon", "dicksonx", 0.813),
        ("levenshtein", "4223", "4232", 0.5),
        ("exact", "M", "M", 1.0),
        ("exact", "M", "F", 0.0),
        ("token_sort", "ali ben", "ben ali", 1.0),
        ("shared_item", "+331|+332", "+332", 1.0),
        ("shared_item", "+331", "+333", 0.0),
    ],
)
def test_comparator_table(comparator: str, left: str, right: str, expected: float) -> None:
    assert scores(comparator, [left], [right]) == [expected]


@pytest.mark.parametrize("comparator", sorted(COMPARATORS))
def test_missing_on_either_side_is_nan(comparator: str) -> None:
    numeric = ("date", "relative_number", "min_value", "year_gap")
    value = 19900101.0 if comparator in numeric else "x"
    left = np.array([None, value, None], dtype=object)
    right = np.array([value, None, None], dtype=object)
    if comparator in numeric:
        left = np.array([NAN, value, NAN])
        right = np.array([value, NAN, NAN])
    assert np.isnan(COMPARATORS[comparator](left, right)).all()


@pytest.mark.parametrize(
    ("left", "right", "expected", "why"),
    [
        (19560409, 19560409, 1.0, "same day"),
        (19900101, 19900101, 0.9, "same placeholder 01/01"),
        (19560409, 19560904, 0.8, "day and month swapped"),
        (19560409, 19560408, 0.8, "one digit"),
        (19560409, 19650409, 0.8, "adjacent digits swapped"),
        (19560409, 19561130, 0.5, "same year"),
        (19560400, 19560409, 0.6, "month precision, same month"),
        (19560409, 19570101, 0.3, "one year apart"),
        (19560409, 19700101, 0.0, "different"),
    ],
)
def test_date_agreement(left: int, right: int, expected: float, why: str) -> None:
    out = COMPARATORS["date"](np.array([float(left)]), np.array([float(right)]))
    assert out[0] == expected, why


def test_relative_number() -> None:
    assert scores("relative_number", [100.0, 0.0], [90.0, 0.0]) == [0.9, 1.0]


def test_unknown_comparator_names_the_known_ones() -> None:
    with pytest.raises(UnknownComparatorError, match="unknown comparator 'jw'; known: exact"):
        Comparison("family_name", "jw", (1.0,))


def test_levels_must_descend() -> None:
    with pytest.raises(ConfigError):
        Comparison("family_name", "jaro_winkler", (0.8, 0.9))


def test_levels_cut_similarity() -> None:
    comparison = Comparison("family_name", "jaro_winkler", (1.0, 0.92, 0.8))
    levels = comparison.level(np.array([1.0, 0.95, 0.85, 0.5, NAN]))
    assert levels.tolist() == [3, 2, 1, 0, -1]


def test_compare_pairs_builds_named_feature_columns() -> None:
    records = pd.DataFrame(
        {
            "given_name": ["anna", "anna", "smith"],
            "family_name": ["smith", "smyth", "anna"],
            "dob": [19800101.0, 19800101.0, NAN],
        }
    )
    comparisons = person_comparisons(["dob", "family_name", "given_name"], {})
    features = compare_pairs(records, np.array([0, 0]), np.array([1, 2]), comparisons)
    assert list(features.columns) == [
        "dob_date",
        "family_name_jw",
        "given_name_jw",
        "given_name_family_name_jw",
    ]
    assert features.loc[0, "given_name_jw"] == 1.0
    assert features.loc[1, "given_name_family_name_jw"] == 1.0  # swapped names
    assert np.isnan(features.loc[1, "dob_date"])


def test_name_jaro_winkler_lets_an_initial_agree_with_the_name_it_begins() -> None:
    left = ["h", "h", "hong", "hong", "h", None]
    right = ["hong", "dung", "h", "hung", "h", "h"]
    assert scores("jaro_winkler", left[:1], right[:1]) == [0.775]  # below the 0.8 level
    assert scores("name_jaro_winkler", left, right)[:5] == [0.8, 0.0, 0.8, 0.85, 1.0]
    assert np.isnan(scores("name_jaro_winkler", left, right)[5])


def test_fellegi_sunter_reads_given_and_family_names_in_either_order() -> None:
    records = pd.DataFrame(
        {
            "given_name": ["eric", "teixeira", "eric", "eric", None],
            "family_name": ["teixeira", "eric", "teixera", "moreau", "teixeira"],
        }
    )
    comparisons = independent_comparisons(person_comparisons(["family_name", "given_name"], {}))
    # the straight comparisons are read in either order; the crossed one is folded in
    assert [c.name for c in comparisons] == [
        "family_name_jw_either_order",
        "given_name_jw_either_order",
    ]
    assert independent_comparisons(comparisons) == comparisons
    left, right = np.zeros(4, dtype=int), np.arange(1, 5)
    features = compare_pairs(records, left, right, comparisons).round(3)
    # swapped: read crossed; a typo, a different family name: read straight; a missing
    # given name: the family names agree best straight
    assert features.loc[:2].to_numpy().tolist() == [[1.0, 1.0], [0.975, 1.0], [0.528, 1.0]]
    assert features.loc[3, "family_name_jw_either_order"] == 1.0
    assert np.isnan(features.loc[3, "given_name_jw_either_order"])


@pytest.mark.parametrize("comparator", ["jaro_winkler", "levenshtein", "token_sort", "token_set"])
@pytest.mark.parametrize(
    "words",
    [
        ["2 rue de la paix", "rue de la paix  2", "paix\t2 rue", "x", "", "a b c"],
        ["ali ben", "ben\xa0ali", "Émile zola", "zola émile", "ben ali"],  # not all ASCII
    ],
)
def test_compare_pairs_scores_as_the_comparator_does(comparator: str, words: list[str]) -> None:
    # compare_pairs runs a faster form of some comparators (no missing-value checks, token_sort
    # on words sorted once per value): the scores must be the comparator's own.
    records = pd.DataFrame({"address": [*words, None]})
    n = len(records)
    left, right = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    comparison = Comparison("address", comparator, (1.0,))
    features = compare_pairs(records, left, right, [comparison])
    values = records["address"].to_numpy()
    expected = COMPARATORS[comparator](values[left], values[right])
    np.testing.assert_array_equal(features[comparison.name].to_numpy(), expected)


def test_names_are_read_crossed_only_when_the_crossed_order_agrees() -> None:
    # One family name differs and shares no letter with the other: straight, the given names
    # agree; crossed, both pairs of names would be middling (0.74 and 0.46, in sum more).
    records = pd.DataFrame(
        {"given_name": ["name281", "name281"], "family_name": ["other", "family281"]}
    )
    comparisons = independent_comparisons(person_comparisons(["family_name", "given_name"], {}))
    features = compare_pairs(records, np.array([0]), np.array([1]), comparisons)
    assert features.loc[0, "given_name_jw_either_order"] == 1.0


def test_either_order_matches_its_rule_on_every_pair() -> None:
    # The crossed similarities are computed only where crossing can still win: on every pair
    # of these names (swaps, typos, initials, missing values) the result must be the rule's.
    given = ["eric", "teixeira", "e", "erik", None, "moreau", "ali", "ben"]
    family = ["teixeira", "eric", "teixera", None, "moreau", "eric", "ben", "ali"]
    records = pd.DataFrame({"given_name": given, "family_name": family})
    n = len(records)
    left, right = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
    comparisons = independent_comparisons(person_comparisons(["family_name", "given_name"], {}))
    features = compare_pairs(records, left, right, comparisons)
    similarity = COMPARATORS["name_jaro_winkler"]
    g, f = records["given_name"].to_numpy(), records["family_name"].to_numpy()
    gg, ff = similarity(g[left], g[right]), similarity(f[left], f[right])
    gf, fg = similarity(g[left], f[right]), similarity(f[left], g[right])
    low = min(comparisons[0].levels)
    across = np.array([gf, fg])
    agreeing = ~(across < low).any(axis=0) & ~np.isnan(across).all(axis=0)
    crossed = agreeing & (np.nansum(across, axis=0) > np.nansum([gg, ff], axis=0))
    assert crossed.sum() >= 4  # the swaps are read crossed
    np.testing.assert_array_equal(
        features["given_name_jw_either_order"].to_numpy(), np.where(crossed, gf, gg)
    )
    np.testing.assert_array_equal(
        features["family_name_jw_either_order"].to_numpy(), np.where(crossed, fg, ff)
    )
