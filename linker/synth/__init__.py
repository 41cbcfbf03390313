"""Seeded synthetic person records with known truth, for benchmarks and tests."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linker.synth.people import generate_people

__all__ = ["generate_people"]


def __getattr__(name: str) -> Any:
    # Imported lazily so that ``python -m linker.synth.people`` runs the module only once.
    if name == "generate_people":
        from linker.synth.people import generate_people

        return generate_people
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
