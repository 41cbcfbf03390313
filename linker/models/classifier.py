"""Supervised pair classifier: calibrated gradient boosting over the feature frame.

Trained from labelled pairs; persisted as a JSON manifest (feature names, versions, threshold,
training-data hash, metrics, the linker version that wrote it: ``linker.models.freshness``),
the fitted estimator in skops format (loaded with an explicit list of trusted types:
``load_estimator``) and its trees as plain arrays
(``linker.models.trees``), which scoring and explanations walk in numpy without importing
scikit-learn or skops. Pickle is never used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linker.errors import ModelError
from linker.models.choice import read_manifest
from linker.models.freshness import project_version
from linker.models.trees import TreeArrays

# scikit-learn and skops are imported inside the methods that need them: importing linker
# stays fast for the runs (the default, unsupervised ones) that never touch a classifier.

MANIFEST = "manifest.json"
ESTIMATOR = "estimator.skops"
TREES = "trees.npz"
# What a saved HistGradientBoostingClassifier holds beyond skops' default-trusted types;
# anything else in a model file is refused.
TRUSTED_TYPES = frozenset(
    {
        "sklearn._loss.link.Interval",
        "sklearn._loss.link.LogitLink",
        "sklearn._loss.loss.HalfBinomialLoss",
        "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        "numpy.ndarray",
        "numpy.dtype",
        "builtins.bytes",
    }
)


FREE_DIRECTION = (
    "_shifted",
    "_swapped",
    "_rarity_min",
    "given_name_family_name_jw",
    "name_script_exact",
)


def _free_direction(feature: str) -> bool:
    """Features whose effect need not grow with their value (a chain shift is a relative,
    a rare name is evidence only when the names agree, two scripts change what the other
    name features mean)."""
    return feature.endswith(FREE_DIRECTION)


class PairClassifier:
    """Match probability from features: gradient-boosted trees, then Platt scaling.

    The probability is ``sigmoid(a * f(x) + b)`` where ``f`` is the sum of the trees' outputs
    and ``a``, ``b`` are fitted on out-of-fold outputs. The logit is therefore a sum over the
    trees' decision paths, so ``explain`` splits it exactly into one contribution per feature
    plus a base value.
    """

    kind = "trained"

    def __init__(self, *, random_state: int = 0, max_iter: int = 100) -> None:
        self.random_state = random_state
        self.max_iter = max_iter

    def _boosting(self) -> Any:
        from sklearn.ensemble import HistGradientBoostingClassifier

        # Every feature is a similarity (more alike, more likely one entity) except those
        # whose meaning depends on the others: the model may not learn that a closer spelling
        # makes a match less likely, a quirk of one training world that would not carry over.
        monotonic = [0 if _free_direction(name) else 1 for name in self.feature_names_]
        return HistGradientBoostingClassifier(
            monotonic_cst=monotonic,
            max_iter=self.max_iter,
            learning_rate=0.1,
            max_leaf_nodes=31,
            l2_regularization=1.0,
            early_stopping=False,
            random_state=self.random_state,
        )

    def _fit_boosting(self, x: np.ndarray, y: np.ndarray, w: np.ndarray) -> Any:
        """The boosting fitted on ``x``; a feature missing on every pair (no record of the
        training data has that field) is given a constant, which no tree splits on: the
        estimator cannot bin a column without values."""
        empty = np.isnan(x).all(axis=0)
        if empty.any():
            x = np.where(empty, 0.0, x)
        return self._boosting().fit(x, y, sample_weight=w)

    def fit(
        self,
        features: pd.DataFrame,
        labels: np.ndarray,
        weights: np.ndarray | None = None,
    ) -> PairClassifier:
        """Fit on labelled pairs (``weights``: how many pairs each one stands for); records
        the out-of-fold ROC AUC and Brier score in ``metrics_``."""
        from sklearn.linear_model import LogisticRegression
        from sklearn.metrics import brier_score_loss, roc_auc_score
        from sklearn.model_selection import StratifiedKFold

        y = np.asarray(labels, dtype=int)
        if len(np.unique(y)) < 2:
            raise ModelError("training needs both matching and non-matching pairs")
        w = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
        self.feature_names_ = list(features.columns)
        x = features.to_numpy(dtype=np.float64)
        out_of_fold = np.zeros(len(y))
        folds = StratifiedKFold(n_splits=3, shuffle=True, random_state=self.random_state)
        for train, test in folds.split(x, y):
            fold = self._fit_boosting(x[train], y[train], w[train])
            out_of_fold[test] = fold.decision_function(x[test])
        platt = LogisticRegression(C=1e6).fit(out_of_fold[:, None], y, sample_weight=w)
        self.scale_ = float(platt.coef_[0, 0])
        self.shift_ = float(platt.intercept_[0])
        calibrated = 1.0 / (1.0 + np.exp(-(self.scale_ * out_of_fold + self.shift_)))
        self.metrics_ = {
            "pairs": len(y),
            "matches": int(y.sum()),
            "cv_roc_auc": float(roc_auc_score(y, out_of_fold, sample_weight=w)),
            "cv_brier": float(brier_score_loss(y, calibrated, sample_weight=w)),
        }
        self.estimator_ = self._fit_boosting(x, y, w)
        self.trees_ = TreeArrays.from_estimator(self.estimator_)
        self.training_hash_ = hashlib.sha256(
            pd.util.hash_pandas_object(features, index=False).to_numpy().tobytes()
            + y.tobytes()
            + w.tobytes()
        ).hexdigest()
        return self

    def _matrix(self, features: pd.DataFrame) -> np.ndarray:
        if not hasattr(self, "trees_"):
            raise ModelError("the classifier is not fitted; train it first")
        return features.reindex(columns=self.feature_names_).to_numpy(dtype=np.float64)

    def logit(self, features: pd.DataFrame) -> np.ndarray:
        """The calibrated log-odds of a match per pair."""
        raw = self.trees_.raw_output(self._matrix(features))
        return np.asarray(self.scale_ * raw + self.shift_, dtype=np.float64)

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Match probability per pair; features the model was not trained on are ignored,
        and features it needs but the data lacks are missing (NaN)."""
        return np.asarray(1.0 / (1.0 + np.exp(-self.logit(features))), dtype=np.float64)

    def explain(self, features: pd.DataFrame) -> tuple[float, np.ndarray]:
        """``(base, contributions)``: per pair, ``base + contributions.sum(axis=1)`` is its
        calibrated logit; ``contributions[:, j]`` is what feature ``j`` added along the trees'
        decision paths (each split's change of the expected output goes to its feature)."""
        x = self._matrix(features)
        raw_base, raw = self.trees_.contributions(x)
        return self.scale_ * raw_base + self.shift_, self.scale_ * raw

    def save(self, directory: Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the manifest and the estimator into ``directory``; returns the manifest."""
        import sklearn
        import skops
        import skops.io as sio

        directory.mkdir(parents=True, exist_ok=True)
        sio.dump(self.estimator_, directory / ESTIMATOR)
        self.trees_.save(directory / TREES)
        manifest = {
            "kind": self.kind,
            "features": self.feature_names_,
            "metrics": self.metrics_,
            "platt": {"scale": self.scale_, "shift": self.shift_},
            "training_data_sha256": self.training_hash_,
            "linker_version": project_version(),  # a model of another version is stale
            "versions": {"scikit-learn": sklearn.__version__, "skops": skops.__version__},
            "estimator_file": ESTIMATOR,
            "trees_file": TREES,
            **(extra or {}),
        }
        path = directory / MANIFEST
        path.write_text(json.dumps(manifest, indent=2))
        return path

    @classmethod
    def load(cls, manifest_path: Path) -> PairClassifier:
        """Load a saved classifier: its trees, or for a model saved without them, its
        estimator (``load_estimator``)."""
        manifest_path = manifest_file(manifest_path)
        manifest = _read_manifest(manifest_path)
        if "trees_file" in manifest:  # else the estimator (loaded_files says the same)
            trees_path = manifest_path.parent / manifest["trees_file"]
            try:
                trees = TreeArrays.load(trees_path)
            except (OSError, ValueError, KeyError) as exc:
                raise ModelError(f"cannot read model file {trees_path}: {exc}") from exc
        else:
            trees = TreeArrays.from_estimator(load_estimator(manifest_path))
        model = cls()
        model.trees_ = trees
        model.feature_names_ = list(manifest["features"])
        model.metrics_ = manifest.get("metrics", {})
        model.scale_ = float(manifest["platt"]["scale"])
        model.shift_ = float(manifest["platt"]["shift"])
        model.training_hash_ = manifest.get("training_data_sha256", "")
        return model


def manifest_file(path: Path) -> Path:
    """A model's manifest, given it or the model's directory."""
    return path / MANIFEST if path.is_dir() else path


def loaded_files(manifest: dict[str, Any]) -> list[str]:
    """The model files ``PairClassifier.load`` reads beside the manifest: the trees, or the
    estimator for a model saved without them."""
    return [str(manifest.get("trees_file") or manifest["estimator_file"])]


def _read_manifest(manifest_path: Path) -> dict[str, Any]:
    manifest = read_manifest(manifest_path)
    if manifest.get("kind") != PairClassifier.kind:
        raise ModelError(f"{manifest_path} is not a trained classifier manifest")
    return manifest


def load_estimator(manifest_path: Path) -> Any:
    """The fitted scikit-learn estimator of a saved classifier, trusting only the types
    scikit-learn's own models use."""
    import skops.io as sio

    manifest_path = manifest_file(manifest_path)
    estimator_path = manifest_path.parent / _read_manifest(manifest_path)["estimator_file"]
    try:
        untrusted = set(sio.get_untrusted_types(file=estimator_path))
        if untrusted - TRUSTED_TYPES:
            raise ModelError(
                f"{estimator_path} holds types this loader does not trust: "
                f"{sorted(untrusted - TRUSTED_TYPES)}"
            )
        return sio.load(estimator_path, trusted=sorted(untrusted))
    except OSError as exc:
        raise ModelError(f"cannot read model file {estimator_path}: {exc}") from exc
