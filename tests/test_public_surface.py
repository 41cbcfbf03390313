import linker

EXPECTED = {
    "COMPARATORS",
    "DEFAULT_THRESHOLD",
    "BlockingOptions",
    "BlockingRule",
    "Comparison",
    "ConfigError",
    "FellegiSunter",
    "IdempotencyConflictError",
    "InputError",
    "LeaseLostError",
    "LinkerError",
    "ModelError",
    "NotFoundError",
    "PairClassifier",
    "PrepareOptions",
    "RunConflictError",
    "RunResult",
    "Settings",
    "SourceTable",
    "StoreError",
    "UnknownComparatorError",
    "block_pairs",
    "choose_rules",
    "cluster_pairs",
    "compare_pairs",
    "dedupe",
    "link",
    "person_comparisons",
    "plan_columns",
    "prepare_sources",
    "read_sources",
    "run",
    "score_pairs",
}


def test_public_surface_changes_only_on_purpose() -> None:
    assert set(linker.__all__) == EXPECTED
    for name in linker.__all__:
        assert hasattr(linker, name)


def test_errors_form_one_tree() -> None:
    for error in (
        linker.InputError,
        linker.ConfigError,
        linker.ModelError,
        linker.UnknownComparatorError,
    ):
        assert issubclass(error, linker.LinkerError)
