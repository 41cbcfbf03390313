"""World directory input and evaluation, on a tiny hand-made world with hand-worked figures.

Persons (entity, origin: records; F = fiu, P = police):
    E1 afghan: F01 P01 P02    E2 afghan: F02 P03
    E3 syrian: F03 P04        E4 syrian: F04        E7 syrian: F06
    E5 french: F05 P05        E6 french: P06
Predicted person clusters: {F01 P01 F02} {P02} {P03} {F03 P04 F04} {F05 P05 F06}; P06 absent.
Companies C1: F20, C2: P20 (merged); accounts A1: F30, A2: P30 (kept apart).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from linker.errors import ConfigError, InputError
from linker.evaluate_world import evaluate_world, format_world_report, write_world_report
from linker.world_input import is_world_dir, read_world_tables, stack_world

PERSONS = [
    # record_id, source, entity_id, origin, first name
    ("F01", "fiu", "E1", "afghan", "Ahmad"),
    ("P01", "police", "E1", "afghan", "Ahmed"),
    ("P02", "police", "E1", "afghan", "Ahmad"),
    ("F02", "fiu", "E2", "afghan", "Mahmud"),
    ("P03", "police", "E2", "afghan", "Mahmood"),
    ("F03", "fiu", "E3", "syrian", "Omar"),
    ("P04", "police", "E3", "syrian", "Umar"),
    ("F04", "fiu", "E4", "syrian", "Omar"),
    ("F05", "fiu", "E5", "french", "Jean"),
    ("P05", "police", "E5", "french", "Jean"),
    ("P06", "police", "E6", "french", "Jeanne"),
    ("F06", "fiu", "E7", "syrian", "Yusuf"),
]
OTHERS = [
    ("F20", "fiu", "company", "C1"),
    ("P20", "police", "company", "C2"),
    ("F30", "fiu", "account", "A1"),
    ("P30", "police", "account", "A2"),
]
HARD_NEGATIVES = [
    ("F01", "F02", "brothers"),
    ("P02", "P03", "brothers"),
    ("P04", "F04", "common_name_namesake"),
    ("F20", "P20", "two_companies_one_address"),
    ("F30", "P30", "mule_account"),
]
CLUSTERS = {
    "F01": "c1",
    "P01": "c1",
    "F02": "c1",
    "P02": "c2",
    "P03": "c3",
    "F03": "c4",
    "P04": "c4",
    "F04": "c4",
    "F05": "c5",
    "P05": "c5",
    "F06": "c5",
    "F20": "c6",
    "P20": "c6",
    "F30": "c7",
    "P30": "c8",
}
SCORES = [
    ("F01", "P01", 0.9),
    ("F01", "P02", 0.4),
    ("F03", "P04", 0.8),
    ("F01", "F02", 0.7),
    ("F05", "P05", 0.95),
    ("F20", "P20", 0.6),
]


def _write(path: Path, frame: pd.DataFrame) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path, index=False)


@pytest.fixture
def world(tmp_path: Path) -> Path:
    root = tmp_path / "world"
    for service in ("fiu", "police"):
        persons = [p for p in PERSONS if p[1] == service]
        _write(
            root / service / "persons.csv",
            pd.DataFrame(
                {"record_id": [p[0] for p in persons], "first_name": [p[4] for p in persons]}
            ),
        )
        for entity_type, file in (("company", "companies.csv"), ("account", "accounts.csv")):
            rows = [o for o in OTHERS if o[1] == service and o[2] == entity_type]
            _write(
                root / service / file,
                pd.DataFrame({"record_id": [o[0] for o in rows], "name": ["x"] * len(rows)}),
            )
        _write(
            root / service / "relations.csv",
            pd.DataFrame(columns=["record_id_a", "record_id_b", "relation"]),
        )
    records = [(p[0], p[1], "person", p[2], p[3]) for p in PERSONS]
    records += [(o[0], o[1], o[2], o[3], "") for o in OTHERS]
    _write(
        root / "truth" / "records.csv",
        pd.DataFrame(
            records, columns=["record_id", "source", "entity_type", "entity_id", "origin"]
        ),
    )
    _write(
        root / "truth" / "relations.csv",
        pd.DataFrame(columns=["entity_id_a", "entity_id_b", "relation"]),
    )
    _write(
        root / "truth" / "hard_negatives.csv",
        pd.DataFrame(HARD_NEGATIVES, columns=["record_id_a", "record_id_b", "kind"]),
    )
    (root / "world.json").write_text('{"seed": 0}', encoding="utf-8")
    return root


def _clusters(drop: tuple[str, ...] = ()) -> pd.DataFrame:
    rows = [(r, c) for r, c in CLUSTERS.items() if r not in drop]
    return pd.DataFrame(rows, columns=["record_id", "cluster_id"])


# --------------------------------------------------------------------------- input


def test_is_world_dir(world: Path, tmp_path: Path) -> None:
    assert is_world_dir(world)
    assert not is_world_dir(world / "fiu" / "persons.csv")
    assert not is_world_dir(tmp_path / "nowhere")
    (tmp_path / "plain").mkdir()
    assert not is_world_dir(tmp_path / "plain")


@pytest.mark.parametrize(
    ("entity", "file"),
    [("person", "persons.csv"), ("company", "companies.csv"), ("account", "accounts.csv")],
)
def test_read_world_tables(world: Path, entity: str, file: str) -> None:
    assert read_world_tables(world, entity) == [
        ("fiu", world / "fiu" / file),
        ("police", world / "police" / file),
    ]


def test_missing_file_is_named(world: Path) -> None:
    (world / "police" / "accounts.csv").unlink()
    with pytest.raises(InputError, match=r"missing police/accounts\.csv"):
        read_world_tables(world, "account")
    assert read_world_tables(world, "person")  # the other types are still readable


def test_unknown_entity(world: Path) -> None:
    with pytest.raises(ConfigError, match="unknown entity type 'vehicle'"):
        read_world_tables(world, "vehicle")


def test_stack_world_gives_two_tables(world: Path) -> None:
    tables = stack_world(world, "person")
    assert [Path(t.name) for t in tables] == [
        world / "fiu" / "persons.csv",
        world / "police" / "persons.csv",
    ]
    assert [len(t.frame) for t in tables] == [6, 6]
    ids = [i for t in tables for i in t.frame["record_id"]]
    assert sorted(ids) == sorted(p[0] for p in PERSONS)


def test_stack_world_rejects_shared_ids(world: Path) -> None:
    pd.DataFrame({"record_id": ["F01", "P99"], "first_name": ["a", "b"]}).to_csv(
        world / "police" / "persons.csv", index=False
    )
    with pytest.raises(InputError, match="appear in both services"):
        stack_world(world, "person")


# --------------------------------------------------------------------------- evaluation


def _close(scores: object, expected: tuple[float, float, float]) -> None:
    p, r, f = expected
    assert (scores.precision, scores.recall, scores.f1) == pytest.approx((p, r, f))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("entity", "measure", "expected"),
    [
        # 9 predicted pairs, 6 true, 3 right.
        ("person", "pairwise", (3 / 9, 3 / 6, 0.4)),
        # 6 predicted clusters (P06 a singleton), 7 entities, only {P06} exact.
        ("person", "cluster", (1 / 6, 1 / 7, 2 / 13)),
        # fiu x police pairs: 6 predicted, 5 true, 3 right.
        ("person", "cross_service", (3 / 6, 3 / 5, 6 / 11)),
        ("company", "pairwise", (0.0, 1.0, 0.0)),
        ("company", "cluster", (0.0, 0.0, 0.0)),
        ("company", "cross_service", (0.0, 1.0, 0.0)),
        ("account", "pairwise", (1.0, 1.0, 1.0)),
        ("account", "cluster", (1.0, 1.0, 1.0)),
    ],
)
def test_scores_per_entity_type(
    world: Path, entity: str, measure: str, expected: tuple[float, float, float]
) -> None:
    report = evaluate_world(world, _clusters())
    assert list(report.entities) == ["person", "company", "account"]
    _close(getattr(report.entities[entity], measure), expected)


# origin, records, entities, true pairs, pair P, pair R, link pairs, link P, link R
ORIGINS = [
    # c1 has 3 afghan pairs, 1 right (F01-P01); E1 + E2 give 3 + 1 true pairs.
    ("afghan", 5, 2, 4, 1 / 3, 1 / 4, 3, 1 / 2, 1 / 3),
    # c5 = {F05 P05 | F06}: 3 pairs touch french, 2 touch syrian (both wrong).
    ("french", 3, 2, 1, 1 / 3, 1.0, 1, 1 / 2, 1.0),
    ("syrian", 4, 3, 1, 1 / 5, 1.0, 1, 1 / 3, 1.0),
]


@pytest.mark.parametrize("row", ORIGINS, ids=[o[0] for o in ORIGINS])
def test_person_scores_by_origin(world: Path, row: tuple[object, ...]) -> None:
    table = evaluate_world(world, _clusters()).entities["person"].by_origin.set_index("origin")
    assert list(table.index) == ["afghan", "french", "syrian"]
    origin, records, entities, true, pair_p, pair_r, link_true, link_p, link_r = row
    got = table.loc[origin]
    assert (got["records"], got["entities"], got["true_pairs"], got["link_true_pairs"]) == (
        records,
        entities,
        true,
        link_true,
    )
    assert (got["pair_precision"], got["pair_recall"]) == pytest.approx((pair_p, pair_r))
    assert (got["link_precision"], got["link_recall"]) == pytest.approx((link_p, link_r))


def test_companies_and_accounts_have_no_origin_slice(world: Path) -> None:
    report = evaluate_world(world, _clusters())
    assert report.entities["company"].by_origin.empty
    assert report.entities["account"].by_origin.empty


@pytest.mark.parametrize(
    ("entity", "kind", "planted", "merged"),
    [
        ("person", "brothers", 2, 1),
        ("person", "common_name_namesake", 1, 1),
        ("company", "two_companies_one_address", 1, 1),
        ("account", "mule_account", 1, 0),
    ],
)
def test_hard_negative_merged_share(
    world: Path, entity: str, kind: str, planted: int, merged: int
) -> None:
    table = evaluate_world(world, _clusters()).entities[entity].hard_negatives.set_index("kind")
    assert (table.loc[kind, "planted"], table.loc[kind, "merged"]) == (planted, merged)
    assert table.loc[kind, "merged_share"] == pytest.approx(merged / planted)


def test_unclustered_record_breaks_no_hard_negative(world: Path) -> None:
    table = evaluate_world(world, _clusters(drop=("F02",))).entities["person"].hard_negatives
    assert table.set_index("kind").loc["brothers", "merged"] == 0


def test_entity_filter_and_types_present(world: Path) -> None:
    only_persons = _clusters()[lambda f: f["record_id"].str.match(r"[FP]0")]
    assert list(evaluate_world(world, only_persons).entities) == ["person"]
    assert list(evaluate_world(world, _clusters(), entity="account").entities) == ["account"]
    with pytest.raises(ConfigError):
        evaluate_world(world, _clusters(), entity="vehicle")


def test_clusters_from_another_world(world: Path) -> None:
    clusters = pd.concat([_clusters(), pd.DataFrame({"record_id": ["X1"], "cluster_id": ["c1"]})])
    with pytest.raises(InputError, match="1 clustered record"):
        evaluate_world(world, clusters)


@pytest.mark.parametrize(
    ("entity", "recall", "cross_recall"),
    [
        # 4 of 6 true person pairs scored; 4 of 5 cross-service pairs (P01-P02 is within police).
        ("person", 4 / 6, 4 / 5),
        ("company", 1.0, 1.0),
        ("account", 1.0, 1.0),
    ],
)
def test_blocking_recall(world: Path, entity: str, recall: float, cross_recall: float) -> None:
    scores = pd.DataFrame(SCORES, columns=["left_id", "right_id", "match_probability"])
    report = evaluate_world(world, _clusters(), scores=scores).entities[entity]
    assert report.blocking_recall == pytest.approx(recall)
    assert report.cross_service_blocking_recall == pytest.approx(cross_recall)


def test_no_scores_no_blocking_recall(world: Path) -> None:
    assert evaluate_world(world, _clusters()).entities["person"].blocking_recall is None


def test_reports(world: Path, tmp_path: Path) -> None:
    scores = pd.DataFrame(SCORES, columns=["left_id", "right_id", "match_probability"])
    report = evaluate_world(world, _clusters(), scores=scores)
    text = format_world_report(report)
    assert "afghan" in text and "brothers" in text and "0.5000" in text
    out = tmp_path / "report"
    written = write_world_report(report, out)
    names = {p.relative_to(out).as_posix() for p in written}
    assert {"summary.md", "origin_scores.png", "person/pr_curve.png"} <= names
    assert all(p.stat().st_size > 0 for p in written)
    summary = (out / "summary.md").read_text(encoding="utf-8")
    assert "| syrian | 4 | 3 | 1 | 0.2000 | 1.0000 |" in summary
    assert "| mule_account | 1 | 0 | 0.0000 |" in summary
    assert report.as_dict()["entities"]["person"]["blocking_recall"] == pytest.approx(4 / 6)  # type: ignore[index]


def test_report_without_scores_writes_no_curve(world: Path, tmp_path: Path) -> None:
    written = write_world_report(evaluate_world(world, _clusters()), tmp_path / "r")
    assert sorted(p.name for p in written) == ["origin_scores.png", "summary.md"]


def test_no_clustered_record_means_all_singletons(world: Path) -> None:
    empty = pd.DataFrame(columns=["record_id", "cluster_id"])
    assert evaluate_world(world, empty).entities == {}
    person = evaluate_world(world, empty, entity="person").entities["person"]
    _close(person.pairwise, (1.0, 0.0, 0.0))
    _close(person.cross_service, (1.0, 0.0, 0.0))
    # 12 singleton clusters; E4, E6 and E7 are single records, so 3 clusters are exact.
    _close(person.cluster, (3 / 12, 3 / 7, 2 * (1 / 4) * (3 / 7) / (1 / 4 + 3 / 7)))
    assert person.by_origin["pair_recall"].tolist() == [0.0, 0.0, 0.0]


def test_dedupe_and_evaluate_a_world_through_the_command(
    world: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from linker.cli import main as linker

    clusters, stats = tmp_path / "clusters.csv", tmp_path / "stats.json"
    code = linker(
        [
            "dedupe",
            str(world),
            "--entity",
            "person",
            "--out",
            str(clusters),
            "--stats",
            str(stats),
            "--quiet",
            "--model",
            "unsupervised",
        ]
    )
    assert code == 0
    written = pd.read_csv(clusters, dtype=str)
    truth = pd.read_csv(world / "truth" / "records.csv", dtype=str)
    persons = set(truth.loc[truth["entity_type"] == "person", "record_id"])
    assert set(written["record_id"]) == persons  # both services' person records, stacked
    assert (
        linker(
            [
                "evaluate",
                "--world",
                str(world),
                "--clusters",
                str(clusters),
                "--out-dir",
                str(tmp_path / "report"),
            ]
        )
        == 0
    )
    assert "person" in capsys.readouterr().out
    assert (tmp_path / "report" / "summary.md").exists()


def test_generate_command_writes_a_world_and_samples_pairs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from linker.cli import main as linker

    out = tmp_path / "world"
    assert linker(["generate", "--seed", "7", "--identities", "60", "--out", str(out)]) == 0
    assert (out / "truth" / "hard_negatives.csv").exists() and (out / "world.json").exists()
    assert linker(["generate", "--seed", "7", "--sample-pairs", "3", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.strip()
    assert linker(["generate", "--seed", "7"]) == 2  # neither --out nor --sample-pairs
