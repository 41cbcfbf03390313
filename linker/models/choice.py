"""Which model scores a run: ``auto``, ``unsupervised``, ``trained`` or a manifest path,
resolved with reasons.

The default trained model lives in ``linker_home()/models/person`` (``linker.home``:
``$LINKER_HOME``, else the per-user data directory), so that every working directory finds the
same model; ``linker train`` writes it there. A stale default model
(``linker.models.freshness``) is never used.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from linker.errors import ConfigError, ModelError
from linker.home import linker_home
from linker.models.freshness import REBUILD, stale_reason

MODEL_CHOICES = ("auto", "unsupervised", "trained")


def default_model_dir(entity: str = "person") -> Path:
    """Where the default trained model of ``entity`` lives (``linker_home()/models/person``
    for people; ``linker train`` writes it). The one place that says where it is."""
    return linker_home() / "models" / entity


def default_model_stale(manifest: Path) -> str | None:
    """Why the default model whose manifest is ``manifest`` must not be used, saying how to
    rebuild it, or ``None`` when it is current."""
    reason = stale_reason(read_manifest(manifest), manifest.parent)
    return f"{reason}; {REBUILD}" if reason else None


@dataclass(frozen=True)
class ModelChoice:
    """Which model scores the run (``trained`` or ``unsupervised``), from where, and why.

    ``weigh``: ``auto`` found a trained model for this input, and the evidence on the input
    (``linker.models.evidence``) decides whether it or the unsupervised model scores the run.
    """

    kind: str
    path: Path | None
    reason: str
    weigh: bool = False


NAME_FIELDS = ("given_name", "family_name", "full_name")
# Fields that most person files hold. The default model learnt the two services' records
# (filiation, nationality, documents...); on an input holding none of what it learnt beyond
# these it is not weighed at all: there the referee was fooled (a generic 1M-record file of
# names, dates, addresses and contacts: trained chosen, pair F1 0.92 against 0.99
# unsupervised, at fifteen times the cost).
COMMON_FIELDS = frozenset(
    {*NAME_FIELDS, "dob", "sex", "address", "postcode", "city", "country", "phones", "emails"}
)


def choose_model(choice: str, fields: list[str], entity: str = "person") -> ModelChoice:
    """Resolve the model setting. ``auto`` weighs the default trained model against the
    unsupervised one when a current trained model exists and, for people, the input maps to a
    name and to one of the fields the model learnt beyond ``COMMON_FIELDS`` (``fields``: the
    canonical fields the input maps to): the run scores its candidates
    with both, and the evidence on the input decides (``ModelChoice.weigh``). Otherwise the
    unsupervised model, which learns whatever the columns are."""
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
        stale = default_model_stale(manifest)
        if stale:
            if choice == "trained":
                raise ModelError(stale, setting="model")
            return ModelChoice("unsupervised", None, stale)
        if choice == "auto":
            if entity == "person" and not any(f in fields for f in NAME_FIELDS):
                reason = f"a trained model exists at {manifest}, but the input lacks a name"
                return ModelChoice("unsupervised", None, reason)
            beyond = sorted(set(read_manifest(manifest).get("fields", [])) - COMMON_FIELDS)
            if entity == "person" and beyond and not set(beyond) & set(fields):
                reason = (
                    f"a trained model exists at {manifest}, but the input holds none of the "
                    f"fields it learnt beyond names, dates and contacts ({', '.join(beyond)})"
                )
                return ModelChoice("unsupervised", None, reason)
            reason = f"default trained model {manifest}, weighed against the unsupervised model"
            return ModelChoice("trained", manifest, reason, weigh=True)
        return ModelChoice("trained", manifest, f"default trained model {manifest}")
    path = Path(choice)
    if not path.exists():
        raise ConfigError(
            f"model {choice!r}: expected one of {', '.join(MODEL_CHOICES)} or a model file",
            setting="model",
        )
    kind = "trained" if read_manifest(path).get("kind") == "trained" else "unsupervised"
    return ModelChoice(kind, path, f"model file {path}")


def read_manifest(path: Path) -> dict[str, Any]:
    """The JSON manifest of a model, given it or the model's directory."""
    manifest = path / "manifest.json" if path.is_dir() else path
    try:
        content = json.loads(manifest.read_text())
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read model {path}: {exc}") from exc
    if not isinstance(content, dict):
        raise ModelError(f"{path} is not a model manifest")
    return content
