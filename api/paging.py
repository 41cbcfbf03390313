"""Cursor paging: ``?cursor=&limit=`` in, ``{"items": [...], "next_cursor": ...}`` out.

A listing is ordered by a key (``(source, record_id)``, a sequence number...). The cursor is
the key of the last item sent, as JSON, followed by a 12-byte tag, in base64url: opaque to the
caller, cheap to read back, and any change to it (a flipped character, a cursor cut short, one
from another listing) is a 400 problem, never a 500 nor a silently wrong page. The tag is an
HMAC over the listing's name and the key, keyed by the ``CURSOR_KEY`` setting: left empty it
still catches damage; set it to a secret (``LINKER_CURSOR_KEY``, the same for every worker)
and a caller cannot forge a cursor either. A cursor is not a secret: the key inside is the
last item the caller already has.

A view reads ``PageQuery`` (or a subclass adding its filters), asks the store for ``limit + 1``
items after ``read_cursor(query.cursor, scope)`` and answers ``page_of(items, query.limit,
key, scope)``: the extra item says whether there is a next page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from flask import current_app
from pydantic import BaseModel, Field

from api.errors import ProblemError
from api.models import QueryArgs
from api.problems import INVALID_CURSOR

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 1024  # characters; a real cursor is a key of a few ids
TAG_BYTES = 12
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")

KeyPart = str | int | float | None
T = TypeVar("T")


class PageQuery(QueryArgs):
    """The paging parameters of a listing."""

    cursor: str | None = Field(
        None, description="``next_cursor`` of the previous page; absent for the first page"
    )
    limit: int = Field(
        DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page, 1 to {MAX_LIMIT}"
    )


class Page(BaseModel, Generic[T]):
    """One page of a listing; ``next_cursor`` is null on the last page."""

    items: list[T]
    next_cursor: str | None = Field(description="Pass as ``cursor`` to get the next page")


def _tag(scope: str, payload: bytes) -> bytes:
    secret = str(current_app.config.get("CURSOR_KEY") or "").encode()
    message = scope.encode() + b"\0" + payload
    return hmac.new(b"linker-cursor\0" + secret, message, hashlib.sha256).digest()[:TAG_BYTES]


def write_cursor(key: Sequence[KeyPart], scope: str) -> str:
    """The cursor that resumes the listing ``scope`` after the item whose key is ``key``."""
    payload = json.dumps(list(key), separators=(",", ":")).encode()
    raw = payload + _tag(scope, payload)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _invalid(reason: str) -> ProblemError:
    return ProblemError(
        400,
        "Invalid cursor",
        f"The cursor is not one this listing gave out ({reason}); "
        "start again without a cursor to get the first page.",
        type=INVALID_CURSOR,
    )


def read_cursor(cursor: str | None, scope: str) -> list[KeyPart] | None:
    """The key a cursor resumes after (``None`` for the first page); ``ProblemError`` 400 if
    the cursor was altered, cut short or made by another listing."""
    if cursor is None:
        return None
    if len(cursor) > MAX_CURSOR_LENGTH or not _BASE64URL.fullmatch(cursor):
        raise _invalid("not base64url, or too long")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (binascii.Error, ValueError):
        raise _invalid("not base64url") from None
    payload, tag = raw[:-TAG_BYTES], raw[-TAG_BYTES:]
    if len(raw) <= TAG_BYTES or not hmac.compare_digest(tag, _tag(scope, payload)):
        raise _invalid("its check does not match")
    key = json.loads(payload)  # signed by us: valid JSON
    if not isinstance(key, list):
        raise _invalid("not a key")
    return key


def page_of(
    items: Sequence[T], limit: int, key: Callable[[T], Sequence[KeyPart]], scope: str
) -> Page[T]:
    """The page of the first ``limit`` of ``items`` (fetched as ``limit + 1``: one more means
    there is a next page, whose cursor is the key of the last item sent)."""
    shown = list(items[:limit])
    more = len(items) > limit and len(shown) > 0
    return Page(items=shown, next_cursor=write_cursor(key(shown[-1]), scope) if more else None)
