"""Base classes of the API's request models: strict JSON bodies, parsed query strings.

A JSON body has types of its own, so it is validated strictly: ``"dob": 19900101`` is a wrong
type (422), not a string someone meant, and an unknown key is an error that names it, never a
value silently dropped. A query string has only strings, so its parameters are parsed
(``?limit=20`` is the number 20); an unknown parameter is still an error, so a misspelt
``?limt=20`` is not silently ignored.

Nothing server-side is ever a request field: a body model has no agency, caller or identity id
to fill in; those come from the authenticated principal and the store.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class JsonBody(BaseModel):
    """A JSON request body: strict types, unknown keys rejected."""

    model_config = ConfigDict(strict=True, extra="forbid")


class QueryArgs(BaseModel):
    """Query-string parameters: values parsed from strings, unknown parameters rejected."""

    model_config = ConfigDict(strict=False, extra="forbid")


class PathArgs(BaseModel):
    """Path parameters (``/v1/sources/<source>``): parsed from the URL."""

    model_config = ConfigDict(strict=False, extra="forbid")
