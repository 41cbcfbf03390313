"""One run for everyone (``linker.runs``): settings that round-trip through JSON, a run that
replays from the settings it reports, and models of both kinds that reload from their
manifests with nothing lost, for every entity type."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from linker.blocking import BlockingOptions, BlockingRule
from linker.compare import Comparison
from linker.errors import ConfigError, LinkerError
from linker.models import PairClassifier
from linker.pipeline import train_features
from linker.prepare import PrepareOptions
from linker.prepare.sources import SourceTable, plan_columns, prepare_sources
from linker.runs import RunResult, read_sources, run
from linker.settings import Settings
from linker.synth.world import generate_world

ENTITIES = ("person", "company", "account")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("runs") / "world"
    generate_world(600, 7, path)
    return path


def _run(world: Path, settings: Settings) -> RunResult:
    return run(read_sources([world], settings), settings)


def _json(settings: Settings) -> Settings:
    return Settings.from_dict(json.loads(json.dumps(settings.to_dict())))


def _scores(result: RunResult) -> pd.DataFrame:
    return result.scores().sort_values(["left_id", "right_id"]).reset_index(drop=True)


def test_default_settings_round_trip_through_json() -> None:
    assert _json(Settings()) == Settings()


def test_every_setting_round_trips_through_json() -> None:
    settings = Settings(
        job="link",
        entity="account",
        threshold=0.8,
        model="some/manifest.json",
        id_column="rid",
        mapping={"owner": "holder_name", "notes": "ignore"},
        ignore=("comment",),
        prepare=PrepareOptions(date_order="mdy", region="DE", name_features=False),
        blocking=BlockingOptions(pairs_per_record=2.0, max_block_size=50, window=10),
        rules=(BlockingRule(("iban",)), BlockingRule(("holder_name_ph", "iban_key"))),
        comparisons=(
            Comparison("iban", "exact", (1.0,), identifier=True),
            Comparison(
                "holder_name", "name_alignment", (1.0, 0.9), output="soft", supervised_only=True
            ),
        ),
        u_sample_pairs=5000,
        chunk_pairs=1000,
        seed=3,
        one_to_one=True,
        engine="spark",
    )
    assert _json(settings) == settings


@pytest.mark.parametrize(
    ("data", "named"),
    [
        ({"treshold": 0.5}, "treshold"),
        ({"blocking": {"window": 10, "windw": 3}}, "windw"),
        ({"rules": [{"keys": ["shoe_size"]}]}, "shoe_size"),
        ({"comparisons": [{"left": "a", "comparator": "nope", "levels": [1.0]}]}, "nope"),
        ({"job": "merge"}, "merge"),
        ({"mapping": {"col": "shoe_size"}}, "shoe_size"),
        ({"threshold": 1.5}, "1.5"),
        ({"prepare": "fast"}, "prepare options"),
    ],
)
def test_bad_settings_are_refused_by_name(data: dict[str, object], named: str) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings.from_dict(data)


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_run_replays_from_the_settings_it_reports(world: Path, entity: str) -> None:
    first = _run(world, Settings(entity=entity, model="unsupervised"))
    as_run = first.settings
    assert as_run.rules and as_run.comparisons  # what it chose is filled in
    assert first.stats()["settings"] == as_run.to_dict()
    again = _run(world, _json(as_run))
    assert again.settings == as_run
    pd.testing.assert_frame_equal(_scores(again), _scores(first))
    pd.testing.assert_frame_equal(again.result, first.result)


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_fitted_fellegi_sunter_model_reloads_from_its_manifest(
    world: Path, entity: str, tmp_path: Path
) -> None:
    fitted = _run(world, Settings(entity=entity, model="unsupervised"))
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps(fitted.model_manifest))
    applied = _run(world, Settings(entity=entity, model=str(manifest)))
    assert applied.outcome.stats["model"]["path"] == str(manifest)
    assert [c.to_dict() for c in applied.outcome.comparisons] == [
        c.to_dict() for c in fitted.outcome.comparisons
    ]
    np.testing.assert_allclose(
        _scores(applied)["match_probability"], _scores(fitted)["match_probability"], rtol=1e-12
    )
    pd.testing.assert_frame_equal(applied.result, fitted.result)


@pytest.mark.parametrize("entity", ENTITIES)
def test_a_trained_model_reloads_from_its_manifest(
    world: Path, entity: str, tmp_path: Path
) -> None:
    settings = Settings(entity=entity, model="unsupervised")
    tables = read_sources([world], settings)
    plan = plan_columns(tables, "record_id", {}, set(), entity)
    prepared = prepare_sources(tables, plan, "record_id", settings.prepare)
    truth = pd.read_csv(world / "truth" / "records.csv", dtype=str)
    features, labels = train_features(prepared, truth.set_index("record_id")["entity_id"], settings)
    assert 0 < labels.sum() < len(labels)
    model = PairClassifier().fit(features, labels)
    saved = model.save(tmp_path / "model", {"fields": plan.fields})
    reloaded = PairClassifier.load(saved)
    assert reloaded.feature_names_ == model.feature_names_
    np.testing.assert_allclose(
        reloaded.predict_proba(features), model.predict_proba(features), rtol=1e-12
    )
    # and a run scores with it, every feature of the entity type included
    scored = _run(world, Settings(entity=entity, model=str(saved)))
    assert scored.outcome.stats["model"]["kind"] == "trained"
    assert scored.settings.model == str(saved)


def test_chosen_rules_and_comparisons_are_applied_as_given(world: Path) -> None:
    rules = (BlockingRule(("dob",)),)
    comparisons = (Comparison("dob", "date", (1.0, 0.8)),)
    result = _run(world, Settings(model="unsupervised", rules=rules, comparisons=comparisons))
    assert list(result.outcome.blocking.pairs_per_rule) == ["dob"]
    assert [c.name for c in result.outcome.comparisons] == ["dob_date"]


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        (Settings(model="unsupervised", rules=(BlockingRule(("iban",)),)), "iban"),
        (
            Settings(model="unsupervised", comparisons=(Comparison("iban", "exact", (1.0,)),)),
            "iban",
        ),
    ],
)
def test_rules_or_comparisons_on_absent_columns_are_refused(
    world: Path, settings: Settings, named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        _run(world, settings)


def test_library_errors_name_the_setting_not_a_command_line_option(world: Path) -> None:
    with pytest.raises(LinkerError) as caught:
        _run(world, Settings(model="no/such/model"))
    assert caught.value.setting == "model"
    assert "--" not in str(caught.value)


def test_library_messages_never_name_command_line_options() -> None:
    """Only the command line (``cli.py``, its ``*_commands.py`` parts, the demo) speaks of its
    options: an error raised by the library reaches the API and the job worker too."""
    root = Path(__file__).parents[1] / "linker"
    offenders = []
    for path in root.rglob("*.py"):
        command_line = path.name in ("cli.py", "demo.py") or path.name.endswith("_commands.py")
        if command_line or "synth" in path.parts:
            continue
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            code = line.split("#", 1)[0]
            if ('"' in code or "'" in code) and " --" in code and "``" not in code:
                offenders.append(f"{path.relative_to(root)}:{number}: {line.strip()}")
    assert offenders == []


def test_a_stored_rule_on_a_key_that_needs_aliases_is_skipped_where_none_has_one() -> None:
    # A version fitted where some records had aliases, applied to a batch where none has.
    rules = (BlockingRule(("name_forms_ph",)), BlockingRule(("dob",)))
    frame = pd.DataFrame(
        {
            "record_id": ["a", "b", "c"],
            "given_name": ["Jean", "Jean", "Paul"],
            "family_name": ["Dupont", "Dupont", "Martin"],
            "dob": ["1970-01-02", "1970-01-02", "1980-03-04"],
        }
    )
    table = SourceTable("people.csv", frame, pd.Series(np.arange(2, 5)))
    result = run([table], Settings(model="unsupervised", rules=rules))
    assert list(result.outcome.blocking.pairs_per_rule) == ["dob"]
    assert result.result.groupby("cluster_id").size().max() == 2
