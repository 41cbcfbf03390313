"""Spec objects to and from plain dicts (JSON): the check every ``from_dict`` shares.

A spec (a comparison, a blocking rule, options, run settings) is a frozen dataclass whose
``to_dict`` gives JSON-ready values and whose ``from_dict`` rebuilds it, refusing a key it does
not know (a misspelt option must not be ignored silently).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from linker.errors import ConfigError


def known_keys(data: Mapping[str, Any], cls: type, what: str) -> dict[str, Any]:
    """``data`` as a dict, after checking that every key is a field of the dataclass ``cls``."""
    if not isinstance(data, Mapping):
        raise ConfigError(f"{what}: expected an object, got {type(data).__name__}")
    fields = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(data) - fields)
    if unknown:
        raise ConfigError(
            f"{what}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(fields))}"
        )
    return dict(data)


def flat_to_dict(spec: Any) -> dict[str, Any]:
    """The fields of a dataclass whose values are all JSON scalars."""
    return {f.name: getattr(spec, f.name) for f in dataclasses.fields(spec)}


def flat_from_dict(cls: type, data: Mapping[str, Any], what: str) -> Any:
    """A dataclass of JSON scalars from its dict; a wrong value type is a ``ConfigError``."""
    values = known_keys(data, cls, what)
    try:
        return cls(**values)
    except TypeError as exc:
        raise ConfigError(f"{what}: {exc}") from exc
