"""Whether a model trained on a user's labelled file is worth saving.

A truth file whose labels are wrong (shuffled ids, another file's truth) still trains a model,
and ``--model auto`` would then score every later run with it. So the trained model's
cross-validated ROC AUC is compared, on the same blocked candidate pairs and labels, with
``MIN_AUC`` and with the AUC of the unsupervised Fellegi-Sunter model fitted on those
candidates (without the labels, as a run without a trained model would). A model below
either is not worth more than what the user has without it. "Below the unsupervised model"
allows ``TOLERANCE``: on a clean file both rank almost perfectly, and a cross-validated AUC of
0.9990 against 0.9995 is noise, not a worse model.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from linker.pipeline import score_pairs
from linker.prepare import PreparedRecords
from linker.settings import Settings

# Below this a ranking is close to chance (0.5): the labels, not the model, are suspect.
MIN_AUC = 0.6
TOLERANCE = 0.005


@dataclass(frozen=True)
class TrainingCheck:
    """The trained model's cross-validated AUC against the unsupervised model's on the same
    pairs (``None`` when it cannot be measured: no candidates, or one label only)."""

    trained_auc: float
    unsupervised_auc: float | None

    def problem(self) -> str | None:
        """Why the model should not be saved, or ``None`` when it is worth saving."""
        figures = f"cross-validated AUC {self.trained_auc:.4f}"
        if self.unsupervised_auc is not None:
            figures += f", unsupervised model {self.unsupervised_auc:.4f} on the same pairs"
        if self.trained_auc < MIN_AUC:
            return f"the trained model ranks pairs close to chance ({figures}; floor {MIN_AUC})"
        unsupervised = self.unsupervised_auc
        if unsupervised is not None and self.trained_auc < unsupervised - TOLERANCE:
            return f"the trained model ranks pairs worse than the unsupervised one ({figures})"
        return None


def unsupervised_auc(
    prepared: PreparedRecords, truth: pd.Series, settings: Settings
) -> float | None:
    """ROC AUC of the unsupervised model on the blocked candidates of ``prepared``, labelled
    by ``truth`` (record id to entity), as ``linker.pipeline.train_features`` labels them."""
    from sklearn.metrics import roc_auc_score  # imported here as in the classifier: see there

    outcome = score_pairs(prepared, replace(settings, model="unsupervised"))
    if len(outcome.probability) == 0:
        return None
    entity = truth.reindex(prepared.frame["record_id"]).to_numpy()
    labels = (entity[outcome.blocking.left] == entity[outcome.blocking.right]).astype(int)
    if len(np.unique(labels)) < 2:
        return None
    return float(roc_auc_score(labels, outcome.probability))


def check_training(
    trained_auc: float, prepared: PreparedRecords, truth: pd.Series, settings: Settings
) -> TrainingCheck:
    """The check of a model trained on ``prepared`` and ``truth`` (module docstring)."""
    return TrainingCheck(trained_auc, unsupervised_auc(prepared, truth, settings))
