"""The interface every susceptibility model kind implements, and the memory bound of tree
ensembles.

A kind is one module of this package holding a subclass of :class:`ModelKind` and its
instance ``KIND``: its defaults, factory and names; its model-file members (written as plain
arrays or the library's own JSON, rebuilt by this plugin's code: never pickle); its importance,
SHAP explainer and unit; its prediction spread. Training, applying, the area of applicability,
the model file and the reports ask the kind, never its name.
"""
from __future__ import annotations

import numpy as np

from ...util.errors import InputError

#: bytes a tree node takes: scikit-learn's node record (64) and its class values (2 x 8); a
#: pickled forest measured 80.5 bytes a node
BYTES_PER_NODE = 80

#: how the reports name the hyperparameters they show
PARAM_NAMES = {"n_estimators": "trees", "max_depth": "maximum depth",
               "learning_rate": "learning rate"}


class ModelKind:
    """One model kind. A subclass sets the class attributes and implements :meth:`make`,
    :meth:`arrays` and :meth:`rebuild`; the other methods have defaults for a scikit-learn
    classifier with ``feature_importances_`` whose spread comes from fold models."""

    #: the kind in model files, logs and the Python API ("rf")
    name = ""
    #: how reports name it ("random forest"); the algorithms' enum capitalises it
    display = ""
    #: its sentence in the help of 'Train susceptibility model' (source and defaults)
    help = ""
    #: hyperparameters: the defaults, updated by the values given
    defaults: dict = {}
    #: an ensemble of ``n_estimators`` trees, whose memory is checked before they are grown
    trees = False
    #: share of the training rows a tree may split down to (a bootstrap sample holds 63.2 %
    #: distinct rows), for the memory bound
    tree_rows = 0.632
    #: the prediction spread comes from its own trees (else from one model per fold)
    spread_of_trees = False
    #: the unit of its SHAP values; None: no SHAP explainer
    shap_unit = None
    #: what its importance measures
    importance_name = ""

    @property
    def title(self):
        """The name in the algorithms' enum ("Random forest")."""
        return self.display[:1].upper() + self.display[1:]

    def own(self, params):
        """The values of ``params`` that are set and are hyperparameters of this kind."""
        return {k: v for k, v in (params or {}).items() if v is not None and k in self.defaults}

    def estimator(self, params=None, seed=0, n_jobs=1, n_rows=None):
        """An unfitted estimator with ``params`` over the defaults; with ``n_rows`` (the rows
        it will be fitted on) trees that would not fit in memory are refused first."""
        p = dict(self.defaults)
        p.update({k: v for k, v in (params or {}).items() if v is not None})
        if n_rows is not None and self.trees:
            check_forest(self, p["n_estimators"], n_rows, p.get("max_depth", 0) or 0,
                         p.get("min_samples_leaf", 1))
        return self.make(p, seed, n_jobs)

    # -- to implement ------------------------------------------------------------------------
    def make(self, p, seed, n_jobs):
        """The unfitted estimator of the complete hyperparameters ``p``."""
        raise NotImplementedError

    def arrays(self, estimator, prefix=""):
        """The fitted estimator as model-file members: ({name: plain array}, {name: JSON
        bytes}), every name under ``prefix`` (a fold model's "fold<k>/")."""
        raise NotImplementedError

    def rebuild(self, mf, spec, where, prefix=""):
        """The estimator rebuilt from the members of a read model file ``mf``
        (core.io.modelfile.ModelFile), after checking them against ``spec``
        (estimators.EstimatorSpec); a ModelFileError when they do not fit."""
        raise NotImplementedError

    # -- defaults ----------------------------------------------------------------------------
    def n_trees(self, estimator):
        """The trees the model file records (0: not an ensemble it rebuilds tree by tree)."""
        return 0

    def column_importance(self, estimator):
        """The importance of each encoded column (>= 0)."""
        return np.asarray(estimator.feature_importances_, float)

    def shap_values(self, estimator, X):
        """SHAP values (rows, columns) in :attr:`shap_unit`, or None."""
        return None

    def spread(self, estimator, fold_models=()):
        """A function of encoded rows giving the prediction spread, or None: by default the
        standard deviation of the fold models' probabilities (at least two)."""
        if len(fold_models) >= 2:
            def spread(Xt):
                return np.std([m.predict_proba(Xt)[:, 1] for m in fold_models], axis=0)
            return spread
        return None

    def describe(self, params):
        """The hyperparameters as text, the defaults that apply included."""
        p = dict(self.defaults, **(params or {}))
        shown = {k: p[k] for k in PARAM_NAMES if k in p}
        if "max_depth" in shown and not shown["max_depth"]:
            shown["max_depth"] = "unlimited"
        return ", ".join(f"{PARAM_NAMES[k]} {v}" for k, v in shown.items())

    def coefficients(self, estimator, columns):
        """(rows of column, coefficient per unit, standardised coefficient; intercept) of a
        model with an equation, else None."""
        return None

    def __repr__(self):
        return f"<model kind {self.name}>"


def forest_bytes(kind, n_trees, n_rows, max_depth=0, min_samples_leaf=1):
    """An upper bound of the memory of ``n_trees`` trees of ``kind`` (a ModelKind)
    fitted on ``n_rows`` rows: a tree has at most 2 x leaves nodes, its leaves at most the
    distinct rows it is grown on (tree_rows x rows) / min_samples_leaf, or 2^depth (a forest
    fully grown on 2,000 noisy rows had 671 nodes a tree, this bound 2,528). 0 for a kind
    without trees."""
    if not kind.trees:
        return 0
    leaves = max(1, int(kind.tree_rows * int(n_rows)) // max(1, int(min_samples_leaf)))
    if max_depth:
        leaves = min(leaves, 2 ** min(int(max_depth), 40))
    return int(n_trees) * 2 * leaves * BYTES_PER_NODE


def check_forest(kind, n_trees, n_rows, max_depth=0, min_samples_leaf=1, param="TREES"):
    """Refuse (InputError naming ``param``) trees that would not fit in memory, before they are
    grown; else a sentence with their memory."""
    from ...util.memory import require
    need = forest_bytes(kind, n_trees, n_rows, max_depth, min_samples_leaf)
    return require(need, f"{int(n_trees):,} trees on {int(n_rows):,} samples", param,
                   f"give fewer trees [{param}]" + (" or a maximum depth [MAX_DEPTH]"
                                                    if not max_depth else ""))


def unknown(name, names):
    return InputError(f"Unknown model '{name}': choose one of {', '.join(names)}.", "MODEL")
