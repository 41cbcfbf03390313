"""Whether a saved trained model still belongs to this linker: its provenance in the manifest,
and the one rule that calls it stale.

``linker train`` writes, beside the model's metrics, ``linker_version`` (the installed
project's version) and ``training_data``: the files it learnt from, the SHA-256 of their bytes
and whether they were the default training data (``training_data/`` of the repository).

A model is **stale** when

- it was written by another project version (``linker_version`` differs from the installed
  distribution's ``version`` in ``pyproject.toml``), or by a linker from before models carried
  one: the features, their order and their meaning are those of the code that trained it, and a
  release is the unit at which they may change. Changes between releases are not tracked by a
  format number of their own: the training data is regenerated whenever the generator,
  blocking or features change (``make training-data``), and that is caught by the next rule;
- or it learnt from the default training data and those files now hash differently (checked
  only where the default training data can be found: a source checkout or editable install).

A model trained on the user's own files (``linker train INPUT --truth`` or ``--pairs``) is
stale only by the version rule: those files may have moved or gone, and the user chose them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

# The default training data of the person model, as ``linker train`` reads it.
TRAINING_FILES = ("person_pairs.jsonl.gz", "person_name_pairs.jsonl.gz")
_CHUNK = 1 << 20
# What a message refusing a stale model tells the user to do.
REBUILD = "run 'linker train' to rebuild it"


def project_version() -> str:
    """The installed linker's version (``unknown`` when run from sources never installed)."""
    try:
        return metadata.version("linker")
    except metadata.PackageNotFoundError:
        return "unknown"


def training_data_dir() -> Path:
    """The repository's ``training_data/``: beside the ``linker`` package in a checkout (and
    so from any working directory), else ``training_data`` in the working directory."""
    beside = Path(__file__).resolve().parents[2] / "training_data"
    return beside if beside.is_dir() else Path("training_data")


def default_training_pairs() -> tuple[Path, ...]:
    """The labelled pair files that the default person model learns from."""
    directory = training_data_dir()
    return tuple(directory / name for name in TRAINING_FILES)


def files_sha256(paths: Sequence[Path]) -> str:
    """One SHA-256 over the bytes of ``paths`` in order (each file's digest, then the digest
    of those): the files' names and places do not count, only what they hold."""
    combined = hashlib.sha256()
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            while chunk := stream.read(_CHUNK):
                digest.update(chunk)
        combined.update(digest.digest())
    return combined.hexdigest()


def training_provenance(paths: Sequence[Path], *, default: bool) -> dict[str, Any]:
    """The manifest's ``training_data`` entry for a model trained on the files ``paths``
    (``PairClassifier.save`` writes ``linker_version`` itself)."""
    return {
        "training_data": {
            "files": [str(p) for p in paths],
            "sha256": files_sha256(paths),
            "default": default,
        }
    }


def default_training_sha256() -> str | None:
    """The hash of the default training data as it is now, or ``None`` when it is not here."""
    paths = default_training_pairs()
    if not all(p.is_file() for p in paths):
        return None
    return files_sha256(paths)


def stale_reason(
    manifest: dict[str, Any], where: Path, training: Sequence[Path] | None = None
) -> str | None:
    """Why the trained model at ``where`` (its manifest read into ``manifest``) is stale, or
    ``None`` when it is current (module docstring; ``REBUILD`` says what to do). Given
    ``training``, the files it should have learnt from, it is also stale when it learnt from
    files that hash differently (``linker train --if-stale`` asks this)."""
    written_by = manifest.get("linker_version")
    current = project_version()
    if written_by != current:
        by = f"linker {written_by}" if written_by else "a linker from before models were versioned"
        return f"the trained model at {where} is stale: written by {by}, this is linker {current}"
    data = manifest.get("training_data")
    recorded = data.get("sha256") if isinstance(data, dict) else None
    if training is not None:
        if recorded != files_sha256(training):
            names = ", ".join(str(p) for p in training)
            return f"the trained model at {where} did not learn from {names} as they are now"
        return None
    if isinstance(data, dict) and data.get("default"):
        now = default_training_sha256()
        if now is not None and recorded != now:
            return (
                f"the trained model at {where} is stale: the default training data "
                f"({training_data_dir()}) has changed since it was trained"
            )
    return None
