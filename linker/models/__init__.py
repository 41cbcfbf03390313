"""Pair models: unsupervised Fellegi-Sunter (EM) and a trained classifier."""

from linker.models.classifier import PairClassifier
from linker.models.fellegi_sunter import FellegiSunter, levels_of

__all__ = ["FellegiSunter", "PairClassifier", "levels_of"]
