"""Extremely randomized trees (Geurts, Ernst & Wehenkel 2006; scikit-learn's
ExtraTreesClassifier): a forest whose split thresholds are drawn at random, each tree grown on
every training row (no bootstrap). Everything else is the random forest's: the model file keeps
its trees' node arrays (``et/...``), its spread is the spread of its trees, SHAP values come
from shap's TreeExplainer, in probability."""
from __future__ import annotations

from .random_forest import RandomForest


class ExtraTrees(RandomForest):
    name = "extratrees"
    display = "extremely randomized trees"
    help = ("extremely randomized trees (Geurts et al. 2006, scikit-learn's ExtraTrees: random "
            "split thresholds, every tree on all samples; default 500 trees, sqrt features)")
    defaults = {"n_estimators": 500, "max_depth": 0, "min_samples_leaf": 1,
                "max_features": "sqrt"}
    tree_rows = 1.0  # no bootstrap: a tree may split down to every row
    prefix = "et/"

    def classifier(self):
        from sklearn.ensemble import ExtraTreesClassifier
        from sklearn.tree import ExtraTreeClassifier
        return ExtraTreesClassifier, ExtraTreeClassifier


KIND = ExtraTrees()
