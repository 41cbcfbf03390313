"""The synthetic two-service world: determinism, truth, hard negatives, rates, identifiers."""

from __future__ import annotations

import math
import re
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import linker.synth.world as world_pkg
from linker.errors import ConfigError
from linker.synth.world import (
    build_world,
    format_pair,
    generate_world,
    load_config,
    sample_pairs,
)
from linker.synth.world.config import DOMAIN_RANGES, WorldConfigError
from linker.synth.world.generate import WorldTables
from linker.synth.world.identifiers import iban_valid, luhn_valid, mrz_check_digit
from linker.synth.world.variants import merge_split_forms, particle_forms, spellings
from linker.synth.world.world import build_people

LAYOUT = [
    "fiu/persons.csv", "fiu/companies.csv", "fiu/accounts.csv", "fiu/relations.csv",
    "police/persons.csv", "police/companies.csv", "police/accounts.csv",
    "police/relations.csv", "truth/records.csv", "truth/relations.csv",
    "truth/hard_negatives.csv", "world.json",
]  # fmt: skip
NEGATIVE_KINDS = {
    "father_son_chain_shift", "brothers", "siblings", "twins", "cousins", "namesake_0101",
    "near_name", "shared_phone", "mule_account", "borrowed_passport", "companies_same_address",
}  # fmt: skip
RECORD_FILES = [f"{s}/{k}" for s in ("fiu", "police") for k in ("persons", "companies", "accounts")]


@pytest.fixture(scope="module")
def world() -> WorldTables:
    return build_world(2000, 7)


def _tree_bytes(root: Path) -> dict[str, bytes]:
    return {name: (root / name).read_bytes() for name in LAYOUT}


def test_same_seed_writes_same_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    generate_world(300, 5, tmp_path / "a")
    generate_world(300, 5, tmp_path / "b")
    generate_world(300, 6, tmp_path / "c")
    assert _tree_bytes(tmp_path / "a") == _tree_bytes(tmp_path / "b")
    assert (
        _tree_bytes(tmp_path / "a")["fiu/persons.csv"]
        != (_tree_bytes(tmp_path / "c")["fiu/persons.csv"])
    )


def test_every_record_appears_in_the_truth_once(world: WorldTables) -> None:
    ids = pd.concat([world.frames[name]["record_id"] for name in RECORD_FILES])
    truth = world.frames["truth/records"]
    assert ids.is_unique
    assert sorted(ids) == sorted(truth["record_id"])
    assert set(truth["source"]) == {"fiu", "police"}
    persons = truth[truth["entity_type"] == "person"]
    assert (persons["origin"] != "").all()
    assert persons["origin"].nunique() == 13


def test_planted_hard_negatives_differ_in_entity_and_cover_every_kind(
    world: WorldTables,
) -> None:
    entity = world.frames["truth/records"].set_index("record_id")["entity_id"]
    negatives = world.frames["truth/hard_negatives"]
    assert set(negatives["kind"]) == NEGATIVE_KINDS
    assert (
        entity[negatives["record_id_a"]].to_numpy() != (entity[negatives["record_id_b"]].to_numpy())
    ).all()


def test_namesakes_carry_placeholder_dates(world: WorldTables) -> None:
    persons = pd.concat([world.frames["fiu/persons"], world.frames["police/persons"]])
    dob = persons.set_index("record_id")["dob"]
    pairs = world.frames["truth/hard_negatives"].query("kind == 'namesake_0101'")
    for column in ("record_id_a", "record_id_b"):
        assert dob[pairs[column]].str.startswith("01/01/").all()


EXTRA_RATES = [
    "identifier.borrowed_passport",
    "police.document_noise",
    "police.ethiopian_calendar",
    "police.name_placeholder",
]


@pytest.mark.parametrize("name", sorted(DOMAIN_RANGES) + EXTRA_RATES)
def test_observed_rate_within_three_binomial_sd(world: WorldTables, name: str) -> None:
    trials, hits = world.tally.trials[name], world.tally.hits[name]
    rate = world.config.rate(name)
    assert trials >= 100, f"{name}: only {trials} trials"
    assert abs(hits - trials * rate) <= 3 * math.sqrt(trials * rate * (1 - rate))


@pytest.mark.parametrize("name", sorted(DOMAIN_RANGES))
def test_configured_rate_stays_at_or_above_domain_midpoint(name: str) -> None:
    low, high = DOMAIN_RANGES[name]
    assert load_config().rate(name) >= (low + high) / 2 - 1e-12


def test_config_names_unknown_rates_and_rejects_bad_files(tmp_path: Path) -> None:
    with pytest.raises(WorldConfigError, match=re.escape("unknown rate 'name.tpyo'; known: ")):
        load_config().rate("name.tpyo")
    bad = tmp_path / "rates.toml"
    bad.write_text("[name]\ntypo = 1.5\n", encoding="utf-8")
    with pytest.raises(WorldConfigError, match="must be a number in"):
        load_config(bad)
    bad.write_text("[name]\ntypo = 0.03\n", encoding="utf-8")
    with pytest.raises(WorldConfigError, match="rates missing"):
        load_config(bad)


def test_bad_sizes_raise_the_library_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--identities must be at least 1"):
        generate_world(0, 1, tmp_path)
    with pytest.raises(ConfigError, match="--sample-pairs must be at least 1"):
        sample_pairs(0, 1)


def test_identifiers_are_valid(world: WorldTables) -> None:
    companies = world.frames["fiu/companies"]
    registrations = companies.loc[companies["registration_id"] != "", "registration_id"]
    assert len(registrations) > 50 and registrations.map(luhn_valid).all()
    ibans = world.frames["fiu/accounts"]["iban"].str.replace(" ", "")
    assert ibans.map(iban_valid).all()
    masked = world.frames["police/accounts"]["iban"].str.contains("X")
    assert 0.1 < masked.mean() < 0.6
    documents = world.frames["fiu/persons"]["documents"]
    documents = documents[documents != ""]  # transfer receivers have no document
    assert len(documents) > 1000
    assert documents.map(lambda d: mrz_check_digit(d[:-1]) == int(d[-1])).all()


def test_families_follow_the_name_chain() -> None:
    people = build_people(500, np.random.default_rng(3))
    by_id = {p.entity_id: p for p in people.persons}
    fathers = [(by_id[a], by_id[b]) for a, b, kind in people.relations if kind == "father_of"]
    twins = [(by_id[a], by_id[b]) for a, b, kind in people.relations if kind == "twins"]
    assert fathers and twins
    assert all(child.father == father.given for father, child in fathers)
    assert all(child.grandfather == father.father for father, child in fathers)
    assert all(a.dob == b.dob and a.father == b.father for a, b in twins)


@pytest.mark.parametrize(
    ("token", "side", "expected"),
    [
        ("Mohammad", "document", "Md."),
        ("Tesfaye", "oral", "Tesfai"),
        ("Noorzai", "oral", "Noorzay"),
        ("Khalil", "oral", "Xelil"),
        ("Rezaei", "document", "Rezai"),
    ],
)
def test_spellings_include_known_variants(token: str, side: str, expected: str) -> None:
    assert expected in spellings(token, side)


def test_structural_forms() -> None:
    assert "Al Hassan" in particle_forms("Al-Hassan")
    assert "Abderrahmane" in merge_split_forms("Abdulrahman")
    assert "G/Medhin" in merge_split_forms("Gebremedhin")
    assert "Ben Ali" in merge_split_forms("Benali")
    assert "Kheir Eddine" in merge_split_forms("Kheireddine")


def test_sample_pairs_are_seeded_cross_service_pairs_of_one_identity(tmp_path: Path) -> None:
    generate_world(400, 11, tmp_path)
    pairs = sample_pairs(5, 11, world=tmp_path)
    again = sample_pairs(5, 11, world=tmp_path)
    entity = pd.read_csv(tmp_path / "truth/records.csv").set_index("record_id")["entity_id"]
    assert pairs == again and len(pairs) == 5
    for pair in pairs:
        assert pair.left["record_id"].startswith("FP") and pair.right["record_id"].startswith("PP")
        assert entity[pair.left["record_id"]] == entity[pair.right["record_id"]] == pair.entity_id


def test_two_thousand_identities_take_well_under_a_minute(tmp_path: Path) -> None:
    start = time.perf_counter()
    summary = generate_world(2000, 13, tmp_path)
    assert time.perf_counter() - start < 20
    assert summary.rows["truth/records"] > 4000


def test_public_surface() -> None:
    assert world_pkg.__all__ == [
        "GENERATOR_VERSION", "SamplePair", "WorldConfig", "WorldSummary", "build_world",
        "format_pair", "generate_world", "load_config", "sample_pairs",
    ]  # fmt: skip


def test_nothing_outside_the_generator_imports_its_variant_tables() -> None:
    root = Path(__file__).resolve().parents[1]
    generator = root / "linker" / "synth" / "world"
    offenders = [
        str(path.relative_to(root))
        for folder in ("linker", "api")
        for path in (root / folder).rglob("*.py")
        if generator not in path.parents
        and (
            "synth.world.variants" in (text := path.read_text(encoding="utf-8"))
            or "synth.world import variants" in text
        )
    ]
    assert offenders == []


def _within_three_sd(hits: int, trials: int, rate: float) -> bool:
    return abs(hits - trials * rate) <= 3 * math.sqrt(trials * rate * (1 - rate))


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    """The CSV files of a written world, read back as a user would read them."""
    root = tmp_path_factory.mktemp("written")
    generate_world(2000, 7, root)
    return {
        name: pd.read_csv(root / f"{name}.csv", dtype=str, keep_default_na=False)
        for name in [*RECORD_FILES, "truth/records"]
    }


def test_rates_measured_from_the_files_alone(written: dict[str, pd.DataFrame]) -> None:
    """Rates that the CSV files show without the generator's help, against the config: the
    files, not only the generator's own counts, must be as hard as configured."""
    config = load_config()
    origin = written["truth/records"].set_index("record_id")["origin"]
    police = written["police/persons"]
    dates = police["dob"][police["dob"] != ""]
    not_placeholder = dates[~dates.str.startswith("01/01/")]
    year_only = int(not_placeholder.str.fullmatch(r"\d{4}").sum())
    assert _within_three_sd(year_only, len(not_placeholder), config.rate("dob.year_only"))

    ibans = pd.concat([police["ibans"], written["police/accounts"]["iban"]])
    ibans = ibans[ibans != ""].str.split("|").explode()
    masked = int(ibans.str.contains("X").sum())
    assert _within_three_sd(masked, len(ibans), config.rate("identifier.iban_masked_police"))

    # 01/01 placeholders: planted namesakes only add to them, so the rate is a floor here.
    persons = pd.concat([written["fiu/persons"], police])
    persons = persons[persons["dob"].str.fullmatch(r"\d\d/\d\d/\d{4}")]
    afghan = persons[origin.reindex(persons["record_id"]).to_numpy() == "AF"]
    placeholders = int(afghan["dob"].str.startswith("01/01/").sum())
    rate = config.rate("dob.placeholder_af")
    assert placeholders >= len(afghan) * rate - 3 * math.sqrt(len(afghan) * rate * (1 - rate))


def test_readme_shows_the_first_five_sample_pairs_verbatim() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    marker = "<!-- sample-pairs: linker generate --sample-pairs 20 --seed 7 -->\n```text\n"
    shown = readme.split(marker, 1)[1].split("```", 1)[0]
    printed = "\n".join(format_pair(pair) for pair in sample_pairs(20, 7)[:5]) + "\n"
    assert shown == printed, "README sample pairs are stale: paste the new ones"
