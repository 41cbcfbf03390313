"""Seeded synthetic person records with known truth, for benchmarks and tests."""

from linker.synth.people import generate_people

__all__ = ["generate_people"]
