"""Supervised pair classifier: calibrated gradient boosting over the feature frame.

Trained from labelled pairs; persisted as a JSON manifest (feature names, versions, threshold,
training-data hash, metrics) plus the fitted estimator in skops format, loaded with an explicit
list of trusted types. Pickle is never used.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from linker.errors import ModelError

# scikit-learn and skops are imported inside the methods that need them: importing linker
# stays fast for the runs (the default, unsupervised ones) that never touch a classifier.

MANIFEST = "manifest.json"
ESTIMATOR = "estimator.skops"


class PairClassifier:
    """Match probability from features with a calibrated HistGradientBoostingClassifier."""

    kind = "trained"

    def __init__(self, *, random_state: int = 0, max_iter: int = 200) -> None:
        self.random_state = random_state
        self.max_iter = max_iter

    def _estimator(self) -> Any:
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.ensemble import HistGradientBoostingClassifier

        boosting = HistGradientBoostingClassifier(
            max_iter=self.max_iter, learning_rate=0.1, random_state=self.random_state
        )
        return CalibratedClassifierCV(boosting, method="isotonic", cv=3)

    def fit(self, features: pd.DataFrame, labels: np.ndarray) -> PairClassifier:
        """Fit on labelled pairs; records cross-validated AUC in ``metrics_``."""
        from sklearn.metrics import roc_auc_score
        from sklearn.model_selection import cross_val_predict

        y = np.asarray(labels, dtype=int)
        if len(np.unique(y)) < 2:
            raise ModelError("training needs both matching and non-matching pairs")
        self.feature_names_ = list(features.columns)
        x = features.to_numpy(dtype=np.float64)
        held_out = cross_val_predict(self._estimator(), x, y, cv=3, method="predict_proba")[:, 1]
        self.metrics_ = {
            "pairs": len(y),
            "matches": int(y.sum()),
            "cv_roc_auc": float(roc_auc_score(y, held_out)),
        }
        self.estimator_ = self._estimator().fit(x, y)
        self.training_hash_ = hashlib.sha256(
            pd.util.hash_pandas_object(features, index=False).to_numpy().tobytes() + y.tobytes()
        ).hexdigest()
        return self

    def predict_proba(self, features: pd.DataFrame) -> np.ndarray:
        """Match probability per pair; features the model was not trained on are ignored,
        and features it needs but the data lacks are missing (NaN)."""
        if not hasattr(self, "estimator_"):
            raise ModelError("the classifier is not fitted; train it first")
        x = features.reindex(columns=self.feature_names_).to_numpy(dtype=np.float64)
        return np.asarray(self.estimator_.predict_proba(x)[:, 1], dtype=np.float64)

    def save(self, directory: Path, extra: dict[str, Any] | None = None) -> Path:
        """Write the manifest and the estimator into ``directory``; returns the manifest."""
        import sklearn
        import skops
        import skops.io as sio

        directory.mkdir(parents=True, exist_ok=True)
        sio.dump(self.estimator_, directory / ESTIMATOR)
        manifest = {
            "kind": self.kind,
            "features": self.feature_names_,
            "metrics": self.metrics_,
            "training_data_sha256": self.training_hash_,
            "versions": {"scikit-learn": sklearn.__version__, "skops": skops.__version__},
            "estimator_file": ESTIMATOR,
            **(extra or {}),
        }
        path = directory / MANIFEST
        path.write_text(json.dumps(manifest, indent=2))
        return path

    @classmethod
    def load(cls, manifest_path: Path) -> PairClassifier:
        """Load a saved classifier, trusting only the types scikit-learn's own models use."""
        import skops.io as sio

        if manifest_path.is_dir():
            manifest_path = manifest_path / MANIFEST
        try:
            manifest = json.loads(manifest_path.read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"cannot read model manifest {manifest_path}: {exc}") from exc
        if manifest.get("kind") != cls.kind:
            raise ModelError(f"{manifest_path} is not a trained classifier manifest")
        estimator_path = manifest_path.parent / manifest["estimator_file"]
        try:
            untrusted = sio.get_untrusted_types(file=estimator_path)
            allowed = [t for t in untrusted if t.startswith(("sklearn.", "numpy."))]
            if set(untrusted) - set(allowed):
                raise ModelError(
                    f"{estimator_path} holds untrusted types: "
                    f"{sorted(set(untrusted) - set(allowed))}"
                )
            estimator = sio.load(estimator_path, trusted=allowed)
        except OSError as exc:
            raise ModelError(f"cannot read model file {estimator_path}: {exc}") from exc
        model = cls()
        model.estimator_ = estimator
        model.feature_names_ = list(manifest["features"])
        model.metrics_ = manifest.get("metrics", {})
        model.training_hash_ = manifest.get("training_data_sha256", "")
        return model
