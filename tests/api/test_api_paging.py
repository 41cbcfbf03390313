"""Cursor paging: every item once, in order; a damaged cursor is a 400, a bad limit a 422."""

from __future__ import annotations

import base64

import pytest

from api.paging import read_cursor, write_cursor


def walk(client, limit: int | None = None) -> tuple[list[int], int]:
    """Follow next_cursor from the first page to the last: the items seen and the pages."""
    seen: list[int] = []
    cursor, pages = None, 0
    while True:
        query = {**({"limit": limit} if limit else {}), **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/demo/items", query_string=query)
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        seen += [item["n"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return seen, pages


@pytest.mark.parametrize(("limit", "pages"), [(None, 3), (1, 120), (7, 18), (120, 1), (500, 1)])
def test_pages_give_every_item_once_in_order(client, limit, pages) -> None:
    seen, count = walk(client, limit)
    assert seen == list(range(1, 121))
    assert count == pages


def test_default_limit_is_50(client) -> None:
    body = client.get("/v1/demo/items").get_json()
    assert [item["n"] for item in body["items"]] == list(range(1, 51))
    assert isinstance(body["next_cursor"], str)


@pytest.mark.parametrize("limit", ["501", "0", "-1", "ten", "1.5"])
def test_limit_out_of_range_is_422(client, assert_problem, limit: str) -> None:
    problem = assert_problem(client.get(f"/v1/demo/items?limit={limit}"), 422)
    assert [e["loc"] for e in problem["errors"]] == [["query", "limit"]]


def test_query_string_is_parsed_not_strict(client) -> None:
    assert len(client.get("/v1/demo/items?limit=20").get_json()["items"]) == 20


def test_unknown_query_parameter_is_422(client, assert_problem) -> None:
    problem = assert_problem(client.get("/v1/demo/items?limt=20"), 422)
    assert problem["errors"][0]["loc"] == ["query", "limt"]


def _next_cursor(client) -> str:
    cursor: str = client.get("/v1/demo/items?limit=10").get_json()["next_cursor"]
    return cursor


def _flip(cursor: str, at: int) -> str:
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[at] ^= 0x01
    return base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "tamper",
    [
        lambda c: _flip(c, 1),  # the key changed: "[10]" -> "[00]"
        lambda c: _flip(c, -1),  # the check changed
        lambda c: c[:-4],  # cut short
        lambda c: c[:3],  # shorter than a check
        lambda c: c + "!",  # not base64url
        lambda c: "A" * 2000,  # too long
        lambda c: base64.urlsafe_b64encode(b"[10]").decode(),  # made by hand, no check
    ],
)
def test_tampered_cursor_is_400(client, assert_problem, tamper) -> None:
    cursor = tamper(_next_cursor(client))
    problem = assert_problem(client.get("/v1/demo/items", query_string={"cursor": cursor}), 400)
    assert problem["type"] == "urn:linker:problem:invalid-cursor"
    assert cursor not in problem["detail"]


def test_cursor_of_another_listing_is_400(client, assert_problem) -> None:
    cursor = _next_cursor(client)
    assert_problem(client.get("/v1/demo/other-items", query_string={"cursor": cursor}), 400)


def test_cursor_keyed_by_another_secret_is_400(make_app, assert_problem) -> None:
    cursor = _next_cursor(make_app({"CURSOR_KEY": "one"}).test_client())
    other = make_app({"CURSOR_KEY": "two"}).test_client()
    assert_problem(other.get("/v1/demo/items", query_string={"cursor": cursor}), 400)
    same = make_app({"CURSOR_KEY": "one"}).test_client()  # another worker, same secret
    assert same.get("/v1/demo/items", query_string={"cursor": cursor}).status_code == 200


@pytest.mark.parametrize("key", [[10], ["FR-police", "r-0001"], [None, 2.5, "é"]])
def test_cursor_round_trips_its_key(app, key) -> None:
    with app.app_context():
        cursor = write_cursor(key, "scope")
        assert cursor.isascii() and "=" not in cursor
        assert read_cursor(cursor, "scope") == key
