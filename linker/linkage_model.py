"""A linkage model version: everything a run through the store needs to score the same way.

The service stores linkage model versions (``linker.store`` keeps them as JSON, one active per
entity type) and every run through the store applies the active one unchanged: incremental
runs, ``resolve --full`` and one-record matching score a pair exactly as the run that fitted
the version did, whatever other records are around. A version holds:

- the settings as run (``linker.settings.Settings``): the blocking rules and comparisons chosen
  when it was fitted, so later runs block and compare the same way instead of choosing again
  from whatever records they see;
- the fitted model: a Fellegi-Sunter manifest (m and u per level, the match share, and the
  term-frequency tables of its text comparisons, so a rare name weighs the same in a run of ten
  records as in a run of a million), or a reference to a trained classifier (its manifest's
  path and a SHA-256 of its files: the files are not copied, and a model retrained in place is
  refused rather than silently applied);
- the thresholds of the bands: ``match`` at or above ``t_match`` (the clustering threshold),
  ``review`` from ``t_review`` up to it, ``non_match`` below.

Only a refit makes a new version; activating it is a separate step.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from linker.errors import ConfigError, ModelError
from linker.models.classifier import loaded_files, manifest_file
from linker.models.fellegi_sunter import fellegi_sunter_from_manifest
from linker.settings import DEFAULT_THRESHOLD, Settings

__all__ = [
    "DEFAULT_T_REVIEW",
    "FORMAT",
    "LinkageModel",
    "TrainedReference",
    "trained_files_hash",
]

FORMAT = "linker-linkage-model"
FORMAT_VERSION = 1
DEFAULT_T_REVIEW = 0.2  # pairs from here up to t_match go to review


def trained_files_hash(manifest: Path) -> str:
    """SHA-256 of a trained model's manifest and the files it loads beside it."""
    path = manifest_file(manifest)
    try:
        content = json.loads(path.read_text())
        digest = hashlib.sha256(path.read_bytes())
        for name in loaded_files(content):
            digest.update((path.parent / name).read_bytes())
    except (OSError, ValueError, KeyError) as exc:
        raise ModelError(f"cannot read the trained model {path}: {exc}") from exc
    return digest.hexdigest()


@dataclass(frozen=True)
class TrainedReference:
    """Where a version's trained classifier lives and what its files hashed to."""

    path: str
    sha256: str

    def checked(self) -> Path:
        """The manifest path, once its files are found unchanged since the version was made."""
        path = Path(self.path)
        if not manifest_file(path).exists():
            raise ModelError(f"the trained model {self.path} of this linkage model is gone")
        now = trained_files_hash(path)
        if now != self.sha256:
            raise ModelError(
                f"the trained model {self.path} changed since this linkage model was made "
                f"(files hash {now[:12]}, expected {self.sha256[:12]}); refit a new version"
            )
        return path


@dataclass(frozen=True)
class LinkageModel:
    """One linkage model version (see the module docstring); JSON through ``to_dict``."""

    entity_type: str
    settings: Settings
    fellegi_sunter: Mapping[str, Any] | None = None
    trained: TrainedReference | None = None
    t_match: float = DEFAULT_THRESHOLD
    t_review: float = DEFAULT_T_REVIEW
    fitted_on: Mapping[str, int] = field(default_factory=dict)  # records per source

    def __post_init__(self) -> None:
        if (self.fellegi_sunter is None) == (self.trained is None):
            raise ConfigError(
                "a linkage model holds either a fitted Fellegi-Sunter manifest or a reference "
                "to a trained model, exactly one of them"
            )
        if not 0.0 < self.t_review < self.t_match < 1.0:
            raise ConfigError(
                f"linkage model thresholds: need 0 < t_review < t_match < 1, got "
                f"t_review={self.t_review}, t_match={self.t_match}"
            )
        if self.settings.entity != self.entity_type:
            raise ConfigError(
                f"linkage model of {self.entity_type} records has settings for "
                f"{self.settings.entity} records"
            )
        if self.settings.job != "dedupe":
            raise ConfigError("a linkage model resolves identities: its settings are a dedupe job")
        if self.fellegi_sunter is not None:
            fellegi_sunter_from_manifest(dict(self.fellegi_sunter))  # refuses a broken manifest

    @property
    def kind(self) -> str:
        """``unsupervised`` (a fitted Fellegi-Sunter model) or ``trained``."""
        return "unsupervised" if self.fellegi_sunter is not None else "trained"

    @classmethod
    def from_run(
        cls,
        settings: Settings,
        fellegi_sunter: Mapping[str, Any] | None,
        *,
        inputs: Mapping[str, int],
        t_review: float = DEFAULT_T_REVIEW,
    ) -> LinkageModel:
        """The version a fitting run made: its settings as run (``RunResult.settings``), its
        fitted manifest (``RunResult.model_manifest``; None when the trained model scored, the
        settings then naming its manifest) and the records per source it saw."""
        trained = None
        if fellegi_sunter is None:
            path = Path(settings.model)
            if not manifest_file(path).exists():
                raise ModelError(
                    f"the run kept neither a fitted model nor a trained model file "
                    f"(model {settings.model!r}): nothing to store as a linkage model"
                )
            trained = TrainedReference(str(manifest_file(path)), trained_files_hash(path))
        return cls(
            settings.entity,
            replace(settings, model=cls._kind_of(fellegi_sunter)),
            fellegi_sunter=None if fellegi_sunter is None else dict(fellegi_sunter),
            trained=trained,
            t_match=settings.threshold,
            t_review=t_review,
            fitted_on=dict(inputs),
        )

    @staticmethod
    def _kind_of(fellegi_sunter: Mapping[str, Any] | None) -> str:
        return "unsupervised" if fellegi_sunter is not None else "trained"

    def bands(self, scores: np.ndarray) -> np.ndarray:
        """``match``, ``review`` or ``non_match`` for each score."""
        scores = np.asarray(scores, dtype=float)
        return np.where(
            scores >= self.t_match,
            "match",
            np.where(scores >= self.t_review, "review", "non_match"),
        )

    @contextmanager
    def applied(self) -> Iterator[Settings]:
        """Settings that score with this version as it is, nothing refitted: the fitted
        manifest is written to a temporary file the settings name (removed afterwards), or the
        trained model's manifest is named once its files are checked unchanged."""
        settings = replace(self.settings, threshold=self.t_match)
        if self.trained is not None:
            yield replace(settings, model=str(self.trained.checked()))
            return
        with tempfile.TemporaryDirectory(prefix="linker-model-") as directory:
            path = Path(directory) / "manifest.json"
            path.write_text(json.dumps(self.fellegi_sunter))
            yield replace(settings, model=str(path))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready; ``from_dict`` gives the same version back."""
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "entity_type": self.entity_type,
            "kind": self.kind,
            "settings": self.settings.to_dict(),
            "fellegi_sunter": None if self.fellegi_sunter is None else dict(self.fellegi_sunter),
            "trained": (
                None
                if self.trained is None
                else {"path": self.trained.path, "sha256": self.trained.sha256}
            ),
            "t_match": self.t_match,
            "t_review": self.t_review,
            "fitted_on": dict(self.fitted_on),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LinkageModel:
        """A version from ``to_dict`` output; anything else is a ``ConfigError`` saying what."""
        if not isinstance(data, Mapping) or data.get("format") != FORMAT:
            raise ConfigError(f"not a linkage model (its format is not {FORMAT!r})")
        if data.get("format_version") != FORMAT_VERSION:
            raise ConfigError(
                f"linkage model format version {data.get('format_version')!r}; "
                f"this linker reads {FORMAT_VERSION}"
            )
        try:
            trained = data.get("trained")
            return cls(
                entity_type=str(data["entity_type"]),
                settings=Settings.from_dict(dict(data["settings"])),
                fellegi_sunter=data.get("fellegi_sunter"),
                trained=None if trained is None else TrainedReference(**trained),
                t_match=float(data["t_match"]),
                t_review=float(data["t_review"]),
                fitted_on={str(k): int(v) for k, v in dict(data.get("fitted_on", {})).items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"linkage model: {exc!r} is missing or malformed") from exc
