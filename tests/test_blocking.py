import numpy as np
import pandas as pd

from linker.blocking import BlockingOptions, BlockingRule, block_pairs, choose_rules


def frame(**columns: list[object]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"record_id": [f"r{i}" for i in range(n)], "source": "a", **columns})


def pairs(result) -> set[tuple[int, int]]:
    return set(zip(result.left.tolist(), result.right.tolist(), strict=True))


def test_a_rule_pairs_records_sharing_all_its_keys() -> None:
    records = frame(
        family_name_ph=["SM0", "SM0", "SM0", "JNS"],
        dob=[1.0, 1.0, 2.0, 1.0],
    )
    result = block_pairs(records, [BlockingRule(("family_name_ph", "dob"))], BlockingOptions())
    assert pairs(result) == {(0, 1)}


def test_rules_are_ored_and_each_pair_appears_once() -> None:
    records = frame(family_name_ph=["A", "A", "B"], dob=[1.0, 1.0, 1.0])
    rules = [BlockingRule(("family_name_ph",)), BlockingRule(("dob",))]
    result = block_pairs(records, rules, BlockingOptions())
    assert sorted(pairs(result)) == [(0, 1), (0, 2), (1, 2)]
    assert result.pairs_per_rule == {"family_name_ph": 1, "dob": 3}


def test_missing_keys_never_block_together() -> None:
    records = frame(family_name_ph=[None, None, "A"])
    result = block_pairs(records, [BlockingRule(("family_name_ph",))], BlockingOptions())
    assert result.count == 0


def test_list_keys_pair_records_sharing_any_item() -> None:
    records = frame(phones=["+1|+2", "+2", "+3|+1", None])
    result = block_pairs(records, [BlockingRule(("phones",))], BlockingOptions())
    assert pairs(result) == {(0, 1), (0, 2)}


def test_link_only_drops_pairs_inside_one_source() -> None:
    records = frame(family_name_ph=["A", "A", "A"])
    records["source"] = ["left", "left", "right"]
    result = block_pairs(
        records, [BlockingRule(("family_name_ph",))], BlockingOptions(), link_only=True
    )
    assert pairs(result) == {(0, 2), (1, 2)}


def test_oversized_blocks_are_capped_and_reported() -> None:
    records = frame(city=["paris"] * 50 + ["lyon"] * 3)
    options = BlockingOptions(max_block_size=10, window=2)
    result = block_pairs(records, [BlockingRule(("city",))], options)
    # 50 records paired with their next 2 neighbours (49 + 48), and the 3 pairs of lyon.
    assert result.count == 49 + 48 + 3
    [capped] = result.capped_blocks
    assert capped["key"] == ["paris"] and capped["size"] == 50
    assert result.stats()["capped_block_count"] == 1


def test_chosen_rules_stay_within_budget_and_prefer_selective_keys() -> None:
    rng = np.random.default_rng(0)
    n = 2000
    records = frame(
        family_name_ph=rng.integers(0, 300, n).astype(str).astype(object),
        given_name_ph=rng.integers(0, 200, n).astype(str).astype(object),
        dob=rng.integers(0, 5000, n).astype(float),
        city=rng.integers(0, 3, n).astype(str).astype(object),
    )
    options = BlockingOptions(min_rule_budget=1000, pairs_per_record=1.0)
    rules = choose_rules(records, options)
    names = [r.name for r in rules]
    assert "dob" in names  # selective alone
    assert "city" not in names  # three cities: far too coarse alone
    assert "given_name_ph & family_name_ph" in names
    result = block_pairs(records, rules, options)
    assert result.count <= options.total_pairs_per_record * n
