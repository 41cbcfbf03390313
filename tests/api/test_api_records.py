"""``PUT/GET/DELETE /v1/sources/{source}/records/{record_id}``, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from linker.linkage import source_tables

SECRET = "Dupontel"
PERSON = {
    "entity_type": "person",
    "fields": {"given_name": "Jean", "family_name": SECRET, "phones": ["0612345678"]},
    "extra": {"dossier": "2024-118", "seen": [2019, 2023]},
}
URL = "/v1/sources/tax/records/T1"


@pytest.fixture
def tax(store_client) -> Any:
    assert store_client.put("/v1/sources/tax", json={"entity_type": "person"}).status_code == 201
    return store_client


def test_put_inserts_then_reports_unchanged_then_updated(tax) -> None:
    created = tax.put(URL, json=PERSON)
    assert created.status_code == 201 and created.headers["Location"] == URL
    body = created.get_json()
    assert body["change"] == "inserted" and body["version"] == 1
    assert body["raw"] == {**PERSON["fields"], "extra": PERSON["extra"]}
    assert body["identity_id"] is None and body["resolution"] == "pending"
    assert body["identities_changed"] == []
    same = tax.put(URL, json=PERSON)
    assert same.status_code == 200 and same.get_json()["change"] == "unchanged"
    assert same.get_json()["version"] == 1
    changed = {**PERSON, "fields": {**PERSON["fields"], "dob": "12/04/1961"}}
    updated = tax.put(URL, json=changed).get_json()
    assert updated["change"] == "updated" and updated["version"] == 2


def test_get_answers_the_record_and_its_identity(tax, api_store) -> None:
    tax.put(URL, json=PERSON)
    with api_store.unit_of_work() as uow:
        uow.create_identity("id-1", "person", [("tax", "T1")], None)
    body = tax.get(URL).get_json()
    assert body["identity_id"] == "id-1"
    assert body["raw"]["extra"] == PERSON["extra"] and body["entity_type"] == "person"
    with api_store.unit_of_work() as uow:
        stored = uow.record("tax", "T1")
        uow.mark_resolved({("tax", "T1"): stored.content_hash}, None)
    assert tax.get(URL).get_json()["resolution"] == "resolved"


def test_extra_is_kept_but_not_a_column_linkage_compares(tax, api_store) -> None:
    tax.put(URL, json=PERSON)
    with api_store.read() as reader:
        tables = source_tables([reader.record("tax", "T1")], [reader.source("tax")])
    assert "extra" not in tables[0].frame.columns
    assert {"given_name", "family_name", "phones"} <= set(tables[0].frame.columns)


def test_unknown_field_is_422_naming_it_without_the_value(tax, assert_problem) -> None:
    body = {**PERSON, "fields": {**PERSON["fields"], "nickname": "Jeannot"}}
    problem = assert_problem(tax.put(URL, json=body), 422)
    assert ["body", "fields", "nickname"] in [error["loc"] for error in problem["errors"]]
    text = str(problem)
    assert "Jeannot" not in text and SECRET not in text


def test_wrong_types_and_envelope_members_are_422(tax, assert_problem) -> None:
    for body, loc in [
        ({**PERSON, "fields": {"dob": 19610412}}, ["body", "fields", "dob"]),
        ({**PERSON, "entity_type": "vehicle"}, ["body", "entity_type"]),
        ({**PERSON, "identity_id": "id-1"}, ["body", "identity_id"]),  # the server's to decide
    ]:
        problem = assert_problem(tax.put(URL, json=body), 422)
        assert problem["errors"][0]["loc"] == loc, problem


def test_an_envelope_of_another_entity_type_is_422(tax, assert_problem) -> None:
    company = {"entity_type": "company", "fields": {"name": "Dupont SA"}}
    problem = assert_problem(tax.put(URL, json=company), 422)
    assert problem["errors"][0]["loc"] == ["body", "entity_type"]
    assert "holds person records" in problem["detail"]


def test_malformed_json_is_400_and_no_json_415(tax, assert_problem) -> None:
    assert_problem(tax.put(URL, data="{", content_type="application/json"), 400)
    assert_problem(tax.put(URL, data="given_name=Jean", content_type="text/plain"), 415)


def test_record_problems_404(store_client, tax, assert_problem) -> None:
    assert_problem(store_client.put("/v1/sources/nowhere/records/T1", json=PERSON), 404)
    assert_problem(tax.get("/v1/sources/tax/records/T9"), 404)
    assert_problem(tax.delete("/v1/sources/tax/records/T9"), 404)
    long_id = "x" * 201
    problem = assert_problem(tax.get(f"/v1/sources/tax/records/{long_id}"), 422)
    assert problem["errors"][0]["loc"] == ["path", "record_id"]


def test_delete_erases_and_is_idempotent(tax, api_store, assert_problem) -> None:
    tax.put(URL, json=PERSON)
    erased = tax.delete(URL)
    assert erased.status_code == 204 and erased.get_data() == b""
    gone = assert_problem(tax.get(URL), 410)
    assert SECRET not in str(gone)
    with api_store.read() as reader:
        stored = reader.record("tax", "T1")
    assert stored.raw == {} and stored.erased_at is not None
    assert tax.delete(URL).status_code == 204  # erasing again: the same answer
    assert tax.put(URL, json=PERSON).get_json()["change"] == "updated"  # stored again


PEOPLE = [
    ("Camille", "Lefebvre", "03/02/1981"), ("Hugo", "Moreau", "17/06/1975"),
    ("Lucie", "Garnier", "09/11/1990"), ("Louis", "Chevalier", "28/01/1968"),
    ("Manon", "Rousseau", "14/08/1984"), ("Arthur", "Blanchard", "05/05/1972"),
]  # fmt: skip


def _person(given: str, family: str, dob: str) -> dict[str, Any]:
    return {
        "entity_type": "person",
        "fields": {"given_name": given, "family_name": family, "dob": dob},
    }


def test_put_and_delete_resolve_the_record_under_the_active_version(tax, api_store) -> None:
    from linker.linkage import resolve_identities

    for i, person in enumerate(PEOPLE):
        tax.put(f"/v1/sources/tax/records/P{i}", json=_person(*person))
        tax.put(f"/v1/sources/tax/records/Q{i}", json=_person(*person))  # each person twice
    first = resolve_identities(api_store, "person")  # fits and activates a version
    assert first.activated and first.identities == len(PEOPLE)
    camille = tax.get("/v1/sources/tax/records/P0").get_json()["identity_id"]
    # a third record of Camille, with a typo, joins her identity at once
    joined = tax.put("/v1/sources/tax/records/R0", json=_person("Camile", "Lefebvre", "03/02/1981"))
    body = joined.get_json()
    assert body["resolution"] == "resolved" and body["identity_id"] == camille, body
    assert body["model_version"] == first.model_version
    assert camille in body["identities_changed"]
    # someone new gets an identity of their own; the others are untouched
    new = tax.put("/v1/sources/tax/records/N1", json=_person("Yasmine", "Haddad", "21/12/1999"))
    created = new.get_json()
    assert created["resolution"] == "resolved" and created["identity_id"] not in (None, camille)
    assert created["identities_changed"] == [created["identity_id"]]
    # erasing her only record retires her identity
    assert tax.delete("/v1/sources/tax/records/N1").status_code == 204
    gone = tax.get(f"/v1/identities/{created['identity_id']}")
    assert gone.status_code == 410, gone.get_json()
    with api_store.read() as reader:
        assert reader.records_to_resolve(["tax"]) == []
