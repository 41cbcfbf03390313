"""A synthetic two-service world: identities, families, networks, companies, accounts, and the
records the financial-intelligence (``fiu``) and border-police (``police``) services would hold.

``generate_world(identities, seed, out)`` writes the fixed layout (see ``writer``);
``sample_pairs(count, seed)`` returns cross-service pairs of one identity for a human to judge.
Corruption rates live in ``rates.toml``. The variant tables (``variants``) belong to the
generator alone: the matcher must never import this package.
"""

from __future__ import annotations

from linker.synth.world.config import WorldConfig, load_config
from linker.synth.world.generate import GENERATOR_VERSION, build_world
from linker.synth.world.sample import SamplePair, format_pair, sample_pairs
from linker.synth.world.writer import WorldSummary, generate_world

__all__ = [
    "GENERATOR_VERSION",
    "SamplePair",
    "WorldConfig",
    "WorldSummary",
    "build_world",
    "format_pair",
    "generate_world",
    "load_config",
    "sample_pairs",
]
