"""Random forest (scikit-learn's RandomForestClassifier), as in Li & Tian (2025) and the
Rangamati Mahalanobis study. In a model file it is its trees' node arrays (``rf/...``), rebuilt
tree by tree after checks; its prediction spread is the spread of its trees; SHAP values from
shap's TreeExplainer, in probability.

:class:`RandomForest` is also the base of other forests of scikit-learn trees (extra_trees):
they differ in the classifier, the defaults and the members' prefix.
"""
from __future__ import annotations

import numpy as np

from ...io.modelfile import ModelFileError
from .base import ModelKind

#: the fields of scikit-learn's tree node record that a model file may hold
NODE_FIELDS = ("left_child", "right_child", "feature", "threshold", "impurity",
               "n_node_samples", "weighted_n_node_samples", "missing_go_to_left")


class RandomForest(ModelKind):
    name = "rf"
    display = "random forest"
    help = ("random forest (Li & Tian 2025; the Rangamati Mahalanobis study; default 500 "
            "trees, sqrt features)")
    # random forest as in Li & Tian (2025) and the Rangamati Mahalanobis study
    defaults = {"n_estimators": 500, "max_depth": 0, "min_samples_leaf": 1,
                "max_features": "sqrt"}
    trees = True
    spread_of_trees = True
    shap_unit = "probability"
    importance_name = "impurity"
    #: the prefix of its members in a model file
    prefix = "rf/"

    def classifier(self):
        """The scikit-learn forest and tree classes."""
        from sklearn.ensemble import RandomForestClassifier
        from sklearn.tree import DecisionTreeClassifier
        return RandomForestClassifier, DecisionTreeClassifier

    def make(self, p, seed, n_jobs):
        forest, _ = self.classifier()
        return forest(n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]) or None,
                      min_samples_leaf=int(p["min_samples_leaf"]),
                      max_features=p["max_features"], random_state=seed, n_jobs=n_jobs)

    def n_trees(self, estimator):
        return len(estimator.estimators_)

    def arrays(self, estimator, prefix=""):
        return forest_arrays(estimator, prefix + self.prefix), {}

    def rebuild(self, mf, spec, where, prefix=""):
        return forest_from_arrays(mf, spec, where, prefix + self.prefix, *self.classifier())

    def shap_values(self, estimator, X):
        """shap's TreeExplainer (when shap is installed, else None), in probability."""
        from ...util.deps import available, require
        if not available("shap"):
            return None
        shap = require("shap")
        sv = shap.TreeExplainer(estimator).shap_values(X, check_additivity=False)
        if isinstance(sv, list):
            return np.asarray(sv[1])
        sv = np.asarray(sv)
        if sv.ndim == 3:  # (n, columns, classes) or (classes, n, columns)
            sv = sv[..., 1] if sv.shape[-1] == 2 else sv[1]
        return sv

    def spread(self, estimator, fold_models=()):
        """The standard deviation of the trees' probabilities."""
        return tree_spread(estimator.estimators_)


def tree_spread(trees):
    """The spread of an ensemble's trees: at encoded rows, the standard deviation of their
    probabilities, from running sums (the memory of one tree's output, not of all trees')."""
    def spread(Xt):
        s1 = np.zeros(len(Xt))
        s2 = np.zeros(len(Xt))
        for t in trees:
            p = t.predict_proba(Xt)[:, 1]
            s1 += p
            s2 += p * p
        m = s1 / len(trees)
        return np.sqrt(np.clip(s2 / len(trees) - m * m, 0, None))
    return spread


def forest_arrays(est, prefix):
    """A fitted forest's trees as plain arrays: every node field, the class values, each
    tree's offset into them and its depth."""
    states = [e.tree_.__getstate__() for e in est.estimators_]
    nodes = np.concatenate([s["nodes"] for s in states])
    out = {f"{prefix}{f}": np.ascontiguousarray(nodes[f]) for f in nodes.dtype.names}
    out[f"{prefix}values"] = np.concatenate([s["values"] for s in states])
    counts = [s["node_count"] for s in states]
    out[f"{prefix}offsets"] = np.concatenate([[0], np.cumsum(counts)])
    out[f"{prefix}max_depth"] = np.array([s["max_depth"] for s in states], np.int64)
    return out


def forest_from_arrays(mf, spec, where, prefix, forest_cls, tree_cls):
    """A ``forest_cls`` of ``tree_cls`` rebuilt tree by tree from node arrays, after checking
    that every tree is well formed: children after their parent and inside the tree, features
    inside the columns, finite thresholds and values. (sklearn's compiled predictor trusts
    these indices, so a crafted file could otherwise read outside its arrays.)"""
    from sklearn.tree._tree import Tree
    T, C, K = spec.n_trees, spec.n_columns, len(spec.classes)
    off = mf.array(f"{prefix}offsets", "iu", 1, (T + 1,)).astype(np.int64)
    counts = np.diff(off)
    if T < 1 or off[0] != 0 or (counts < 1).any():
        raise ModelFileError(f"{where}: the forest's tree offsets are malformed: refused.")
    N = int(off[-1])
    depth = mf.array(f"{prefix}max_depth", "iu", 1, (T,))
    dtype = Tree(C, np.array([K], np.intp), 1).__getstate__()["nodes"].dtype
    missing = [f for f in dtype.names if f"{prefix}{f}" not in mf.arrays]
    if missing or not set(dtype.names) <= set(NODE_FIELDS):
        raise ModelFileError(f"{where}: the forest was written by a scikit-learn whose trees "
                             f"differ from this one's ({', '.join(missing)}): train it again.")
    nodes = np.empty(N, dtype)
    for f in dtype.names:
        nodes[f] = mf.array(f"{prefix}{f}", "biuf", 1, (N,))
    values = mf.array(f"{prefix}values", "f", 3, (N, 1, K)).astype(np.float64)
    tree = np.repeat(np.arange(T), counts)
    local = np.arange(N) - off[tree]
    size = counts[tree]
    left, right, feat = nodes["left_child"], nodes["right_child"], nodes["feature"]
    leaf = left == -1
    ok = np.where(leaf, right == -1,
                  (left > local) & (left < size) & (right > local) & (right < size)
                  & (feat >= 0) & (feat < C) & np.isfinite(nodes["threshold"]))
    if not ok.all() or not np.isfinite(values).all() or (values < 0).any() or (depth < 0).any():
        raise ModelFileError(f"{where}: {int((~ok).sum())} tree node(s) are malformed (children "
                             f"outside their tree, features outside the model's {C} columns or "
                             f"values not finite): the file is damaged or altered; refused.")
    classes = np.array(spec.classes)
    forest = forest_cls(n_estimators=T, n_jobs=1)
    forest.estimators_ = []
    for t in range(T):
        a, b = off[t], off[t + 1]
        tr = Tree(C, np.array([K], np.intp), 1)
        tr.__setstate__({"max_depth": int(depth[t]), "node_count": int(b - a),
                         "nodes": np.ascontiguousarray(nodes[a:b]),
                         "values": np.ascontiguousarray(values[a:b])})
        dt = tree_cls()
        dt.tree_, dt.n_features_in_, dt.n_outputs_ = tr, C, 1
        dt.classes_, dt.n_classes_, dt.max_features_ = classes, K, C
        forest.estimators_.append(dt)
    forest.estimator_ = tree_cls()
    forest.n_features_in_, forest.n_outputs_ = C, 1
    forest.classes_, forest.n_classes_ = classes, K
    return forest


KIND = RandomForest()
