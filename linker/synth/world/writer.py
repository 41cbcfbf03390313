"""Write a world in the fixed layout and summarise it.

Layout under ``DIR``::

    fiu/{persons,companies,accounts,relations}.csv
    police/{persons,companies,accounts,relations}.csv
    truth/records.csv         record_id,source,entity_type,entity_id,origin
    truth/relations.csv       entity_id_a,entity_id_b,kind
    truth/hard_negatives.csv  record_id_a,record_id_b,kind
    world.json                seed, size, config, generator version, file row counts

CSV files are UTF-8 with ``\\n`` line ends; list fields are joined with ``|``; record ids are
unique across both services. The same ``(identities, seed)`` writes the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from linker.errors import ConfigError, OutputError
from linker.synth.world.config import WorldConfig
from linker.synth.world.generate import GENERATOR_VERSION, WorldTables, build_world


@dataclass(frozen=True)
class WorldSummary:
    """What ``generate_world`` wrote: where, from which seed, and how many rows per file."""

    out: Path
    seed: int
    identities: int
    rows: dict[str, int]

    def describe(self) -> str:
        """One line per file, for the command's report."""
        lines = [f"world of {self.identities} identities, seed {self.seed}, in {self.out}"]
        lines += [f"  {name}.csv: {count} rows" for name, count in self.rows.items()]
        return "\n".join(lines)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    frame.to_csv(partial, index=False, lineterminator="\n", encoding="utf-8")
    partial.replace(path)


def write_world(world: WorldTables, out: Path) -> WorldSummary:
    """Write every table of ``world`` and ``world.json`` under ``out``."""
    rows = {name: len(frame) for name, frame in world.frames.items()}
    for name, frame in world.frames.items():
        _write_csv(frame, out / f"{name}.csv")
    manifest = {
        "generator_version": GENERATOR_VERSION,
        "seed": world.seed,
        "identities": world.identities,
        "config": world.config.as_dict(),
        "rows": rows,
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "world.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return WorldSummary(out, world.seed, world.identities, rows)


def generate_world(
    identities: int, seed: int, out: Path, config: WorldConfig | None = None
) -> WorldSummary:
    """Generate a world of ``identities`` people from ``seed`` and write it under ``out``."""
    if identities < 1:
        raise ConfigError(f"--identities must be at least 1, got {identities}")
    world = build_world(identities, seed, config)
    try:
        return write_world(world, out)
    except OSError as error:
        raise OutputError(
            f"cannot write the world under {out}: {error}; choose another directory"
        ) from error
