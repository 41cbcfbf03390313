"""Which model scores a run: ``auto``, ``unsupervised``, ``trained`` or a manifest path,
resolved with reasons.

The default trained model lives in ``$LINKER_HOME/models/person`` (``LINKER_HOME`` defaults to
``.linker`` in the working directory); ``linker train`` writes it there.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linker.errors import ConfigError, ModelError

MODEL_CHOICES = ("auto", "unsupervised", "trained")


def default_model_dir(entity: str = "person") -> Path:
    """Where the default trained model of ``entity`` lives (``$LINKER_HOME/models/person``
    for people; ``linker train`` writes it)."""
    return Path(os.environ.get("LINKER_HOME", ".linker")) / "models" / entity


@dataclass(frozen=True)
class ModelChoice:
    """Which model scores the run (``trained`` or ``unsupervised``), from where, and why."""

    kind: str
    path: Path | None
    reason: str


NAME_FIELDS = ("given_name", "family_name", "full_name")
# Fields that most person files hold. A trained model learnt from records that also held
# others (filiation, nationality, documents...) is used by ``auto`` only on inputs that share
# at least one of those: the default model learnt the two services' records, where a shared
# phone or a wrong date is common and proves little, and on a generic file (Febrl, a customer
# list) it would ignore evidence that the unsupervised model weighs.
COMMON_FIELDS = frozenset(
    {*NAME_FIELDS, "dob", "sex", "address", "postcode", "city", "country", "phones", "emails"}
)


def choose_model(choice: str, fields: list[str], entity: str = "person") -> ModelChoice:
    """Resolve the model setting. ``auto`` takes the default trained model when one exists and the
    input maps to at least a name and a date of birth and, when the model learnt from fields
    beyond ``COMMON_FIELDS``, to one of those (``fields``: the canonical fields the input
    maps to); otherwise the unsupervised model, which learns whatever the columns are.
    Companies and accounts need no date of birth."""
    if choice == "unsupervised":
        return ModelChoice("unsupervised", None, "asked for")
    if choice in ("trained", "auto"):
        manifest = default_model_dir(entity) / "manifest.json"
        if not manifest.exists():
            if choice == "trained":
                raise ModelError(
                    f"no trained model at {manifest}; run 'linker train' first or choose the "
                    "unsupervised model",
                    setting="model",
                )
            return ModelChoice("unsupervised", None, f"no trained model at {manifest}")
        if choice == "auto" and entity == "person":
            missing = _missing_for_auto(fields, read_manifest(manifest).get("fields", []))
            if missing:
                reason = f"a trained model exists at {manifest}, but the input lacks {missing}"
                return ModelChoice("unsupervised", None, reason)
        return ModelChoice("trained", manifest, f"default trained model {manifest}")
    path = Path(choice)
    if not path.exists():
        raise ConfigError(
            f"model {choice!r}: expected one of {', '.join(MODEL_CHOICES)} or a model file",
            setting="model",
        )
    kind = "trained" if read_manifest(path).get("kind") == "trained" else "unsupervised"
    return ModelChoice(kind, path, f"model file {path}")


def _missing_for_auto(fields: list[str], learnt: list[str]) -> str | None:
    """What the input lacks for ``auto`` to take the trained model, or ``None``."""
    if not any(f in fields for f in NAME_FIELDS):
        return "a name"
    if "dob" not in fields:
        return "a date of birth"
    distinctive = sorted(set(learnt) - COMMON_FIELDS)
    if distinctive and not set(distinctive) & set(fields):
        learnt_beyond = ", ".join(distinctive)
        return f"all the fields it learnt beyond names, dates and contacts ({learnt_beyond})"
    return None


def read_manifest(path: Path) -> dict[str, Any]:
    manifest = path / "manifest.json" if path.is_dir() else path
    try:
        content = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read model {path}: {exc}") from exc
    if not isinstance(content, dict):
        raise ModelError(f"{path} is not a model manifest")
    return content
