"""At most one linkage model version is active per entity type."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from linker.errors import InputError
from linker.store import NotFoundError, Store, StoreError
from linker.store.schema import model_versions

MANIFEST = {
    "comparisons": [{"field": "family_name", "method": "jaro_winkler"}],
    "blocking_rules": [["dob"], ["family_name_skeleton"]],
    "thresholds": {"t_match": 0.9, "t_review": 0.5},
    "term_frequencies": {"family_name": {"dupont": 0.01}},
}


def test_activating_a_version_deactivates_the_one_before(store: Store) -> None:
    with store.unit_of_work() as uow:
        for version_id, entity in (("p1", "person"), ("p2", "person"), ("c1", "company")):
            added = uow.add_model_version(version_id, entity, MANIFEST)
            assert added.active is False and added.manifest == MANIFEST
        assert uow.active_model_version("person") is None
        uow.activate_model_version("p1")
        uow.activate_model_version("c1")
    with store.unit_of_work() as uow:
        uow.activate_model_version("p2")
    with store.read() as reader:
        active = reader.active_model_version("person")
        assert active is not None and active.id == "p2"
        company = reader.active_model_version("company")
        assert company is not None and company.id == "c1"  # another entity type is untouched
        assert [(v.id, v.active) for v in reader.model_versions("person")] == [
            ("p1", False),
            ("p2", True),
        ]
        assert reader.active_model_version("account") is None


def test_the_database_refuses_a_second_active_version(store: Store) -> None:
    with store.unit_of_work() as uow:
        uow.add_model_version("p1", "person", MANIFEST)
        uow.add_model_version("p2", "person", MANIFEST)
        uow.activate_model_version("p1")
    # Around the store's own functions: the partial unique index alone says no.
    with pytest.raises(StoreError, match="refused the write"), store.unit_of_work() as uow:
        uow.connection.execute(
            update(model_versions).where(model_versions.c.id == "p2").values(active=True)
        )
    with store.read() as reader:
        assert [v.id for v in reader.model_versions() if v.active] == ["p1"]


def test_unknown_versions_and_entity_types_are_refused(store: Store) -> None:
    with pytest.raises(NotFoundError, match="no model version 'nope'"), store.unit_of_work() as uow:
        uow.activate_model_version("nope")
    with pytest.raises(InputError, match="unknown entity type 'car'"), store.unit_of_work() as uow:
        uow.add_model_version("x", "car", MANIFEST)
