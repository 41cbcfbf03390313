"""The corruption rates of the synthetic world, read from one readable file.

``load_config()`` reads ``rates.toml`` beside this module (or another file) into a
``WorldConfig``; ``config.rate("name.typo")`` returns one rate and names the known ones when
asked for an unknown one. ``DOMAIN_RANGES`` copies the ranges of DOMAIN.md §7.5: a test keeps
every configured rate at or above the midpoint of its range, so the world stays hard.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linker.errors import ConfigError

RATES_PATH = Path(__file__).with_name("rates.toml")

# (low, high) of DOMAIN.md §7.5 for the rates it names.
DOMAIN_RANGES: dict[str, tuple[float, float]] = {
    "name.transliteration_oral": (0.30, 0.50),
    "name.transliteration_document": (0.10, 0.20),
    "name.typo": (0.02, 0.05),
    "name.swap": (0.05, 0.15),
    "name.chain_truncation": (0.20, 0.40),
    "name.merge_split": (0.10, 0.20),
    "name.particle": (0.20, 0.30),
    "name.title": (0.05, 0.10),
    "name.nickname": (0.05, 0.15),
    "name.alias_identity": (0.02, 0.05),
    "name.native_script_only": (0.02, 0.05),
    "dob.placeholder_af": (0.30, 0.50),
    "dob.placeholder_er_sd": (0.20, 0.30),
    "dob.placeholder_other": (0.05, 0.10),
    "dob.year_only": (0.10, 0.20),
    "dob.day_month_swap": (0.01, 0.03),
    "dob.year_shift": (0.05, 0.10),
}


class WorldConfigError(ConfigError):
    """The world's rate file is unusable: fix the file named in the message."""


@dataclass(frozen=True)
class WorldConfig:
    """Every rate of the world by dotted name (``"name.typo"``), each in [0, 1]."""

    rates: dict[str, float]

    def rate(self, name: str) -> float:
        """The rate called ``name``; raises ``WorldConfigError`` listing the known names."""
        try:
            return self.rates[name]
        except KeyError:
            known = ", ".join(sorted(self.rates))
            raise WorldConfigError(f"unknown rate {name!r}; known: {known}") from None

    def as_dict(self) -> dict[str, float]:
        """The rates as a plain sorted dict, for ``world.json``."""
        return dict(sorted(self.rates.items()))


def _flatten(table: dict[str, Any], prefix: str, path: Path) -> dict[str, float]:
    out: dict[str, float] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, f"{name}.", path))
        elif isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
            out[name] = float(value)
        else:
            raise WorldConfigError(f"{path}: rate {name!r} must be a number in [0, 1]")
    return out


def load_config(path: Path | None = None) -> WorldConfig:
    """Read a rate file (default: the shipped ``rates.toml``); all rates named in
    ``DOMAIN_RANGES`` must be present."""
    path = RATES_PATH if path is None else path
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as error:
        raise WorldConfigError(f"cannot read rate file {path}: {error}") from error
    rates = _flatten(table, "", path)
    missing = sorted(set(DOMAIN_RANGES) - set(rates))
    if missing:
        raise WorldConfigError(f"{path}: rates missing: {', '.join(missing)}")
    return WorldConfig(rates)
