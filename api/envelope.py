"""The record envelope: how one record of a source travels in a JSON body.

``{"entity_type": "person" | "company" | "account", "fields": {...}, "extra": {...}}``:

- ``fields`` holds the canonical fields of that entity type, and only those: an unknown key is
  a 422 that names it. The names come from the library (``linker.prepare.columns``), so the
  API and the CSV path accept the same fields and cannot drift apart. A multi-valued field
  (phones, emails, ibans, documents, aliases) takes a list of strings, or one string written
  as in a CSV cell (``"0612345678|0798765432"``); every other field takes a string. ``null``
  means "not recorded".
- ``extra`` is the source's own payload, any JSON object: kept with the record, returned as
  sent, never compared.

Errors are located from the envelope's root (``["fields", "nickname"]``), not through
pydantic's name for the branch of the union, and the error for an unknown entity type does
not repeat the value sent.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    RootModel,
    ValidationError,
    create_model,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from api.models import JsonBody

# The library's own tables of canonical fields and multi-valued fields (internal modules: the
# API and the library must agree on them, and the public surface does not list them yet).
from linker.prepare.columns import ENTITY_FIELDS, ENTITY_TYPES
from linker.prepare.lists import LIST_RULES

MULTI_VALUED = frozenset(LIST_RULES)
_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})
_KNOWN_TYPES = ", ".join(ENTITY_TYPES)


def _fields_model(entity: str) -> type[JsonBody]:
    """``PersonFields``...: one optional member per canonical field of ``entity``."""
    members: dict[str, Any] = {}
    for name in ENTITY_FIELDS[entity]:
        if name in MULTI_VALUED:
            hint: Any = list[str] | str | None
            text = f"{entity} {name}: a list of strings, or one string with '|' between values"
        else:
            hint, text = str | None, f"{entity} {name}"
        members[name] = (hint, Field(None, description=text))
    return create_model(f"{entity.capitalize()}Fields", __base__=JsonBody, **members)


def _record_model(entity: str) -> type[JsonBody]:
    """``PersonRecord``...: the envelope of one entity type."""
    tag: Any = Literal[entity]  # type: ignore[valid-type]  # one literal per entity type
    return create_model(
        f"{entity.capitalize()}Record",
        __base__=JsonBody,
        entity_type=(tag, Field(description="The kind of entity the record describes")),
        fields=(_fields_model(entity), Field(description="Canonical fields of the entity type")),
        extra=(
            dict[str, Any],
            Field(default_factory=dict, description="The source's own payload, kept as sent"),
        ),
    )


RECORD_MODELS: dict[str, type[JsonBody]] = {e: _record_model(e) for e in ENTITY_TYPES}
_RECORD_UNION: Any = Annotated[
    Union[tuple(RECORD_MODELS.values())],  # type: ignore[valid-type]  # noqa: UP007
    Field(discriminator="entity_type"),
]


def _message(entity: str, loc: tuple[str | int, ...], kind: str, msg: str) -> str:
    """Pydantic's message, made specific for a key the envelope does not know."""
    if kind != "extra_forbidden":
        return msg
    if len(loc) == 2 and loc[0] == "fields":
        known = ", ".join(ENTITY_FIELDS[entity])
        article = "an" if entity[0] in "aeiou" else "a"
        return f"not a canonical field of {article} {entity} (known: {known}); put it in extra"
    return "not a member of a record envelope (entity_type, fields, extra)"


def _relocated(error: ValidationError) -> list[InitErrorDetails]:
    """The errors with the union's branch name dropped from each location, and messages
    that say what an unknown key should be."""
    details: list[InitErrorDetails] = []
    for item in error.errors(include_url=False):
        loc, kind, msg = item["loc"], item["type"], item["msg"]
        if kind in _TAG_ERRORS:
            loc, msg = ("entity_type",), f"entity_type must be one of: {_KNOWN_TYPES}"
        elif loc and loc[0] in RECORD_MODELS:
            entity, loc = str(loc[0]), loc[1:]
            msg = _message(entity, loc, kind, msg)
        # A custom error keeps pydantic's type name and its (already rendered) message; with
        # no context, the message is taken as written (braces and all).
        custom = PydanticCustomError(kind, msg)
        details.append({"type": custom, "loc": loc, "input": item.get("input")})
    return details


class Envelope(RootModel[_RECORD_UNION]):  # type: ignore[valid-type]
    """One record: its entity type, canonical fields and free payload (strictly validated)."""

    @model_validator(mode="wrap")
    @classmethod
    def _locate_errors(cls, data: Any, handler: ModelWrapValidatorHandler[Envelope]) -> Envelope:
        try:
            return handler(data)
        except ValidationError as error:
            raise ValidationError.from_exception_data(error.title, _relocated(error)) from None

    @property
    def entity_type(self) -> str:
        value: str = self.root.entity_type
        return value

    @property
    def fields(self) -> dict[str, str | list[str]]:
        """The canonical fields that were given (``null`` ones left out)."""
        values: dict[str, str | list[str]] = self.root.fields.model_dump(exclude_none=True)
        return values

    @property
    def extra(self) -> dict[str, Any]:
        payload: dict[str, Any] = self.root.extra
        return payload
