"""Susceptibility models (random forest, XGBoost, logistic GLM) and model files that open
without running code (the validation splits are in :mod:`.holdout`).

A model file (``core.io.modelfile``) holds a typed manifest (factor names and order,
categorical encodings, grid and CRS of training, metrics, package versions, seed, parameters)
and the model as plain data: a random forest as its trees' node arrays, the GLM as its scaling
and coefficients, XGBoost as its own JSON. The estimator is rebuilt by this module's code;
nothing in the file is deserialised as an object, so opening one cannot run code.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field

import numpy as np

from ..io.modelfile import Free, Manifest, MiB, ModelFileError
from ..io.raster import RESAMPLINGS, Grid
from ..util.deps import require
from ..util.errors import InputError

KINDS = ("rf", "xgboost", "glm")

DEFAULTS = {
    # random forest as in Li & Tian (2025) and the Rangamati Mahalanobis study
    "rf": {"n_estimators": 500, "max_depth": 0, "min_samples_leaf": 1, "max_features": "sqrt"},
    # XGBoost as in the FL-MHSM study's search space centre
    "xgboost": {"n_estimators": 300, "max_depth": 6, "learning_rate": 0.1, "subsample": 0.8,
                "colsample_bytree": 0.8},
    # binomial GLM (Aguilera et al.'s (2022) baseline): unpenalised logistic regression on z-scores
    "glm": {"C": 1e12, "max_iter": 200},
}


@dataclass
class Encoding:
    """How factor values become model columns: continuous as they are, categorical one-hot."""

    names: list[str]
    categorical: list[bool]
    categories: dict[str, list[float]] = field(default_factory=dict)  # name -> sorted values

    def validate(self, where):
        cat = {n for n, c in zip(self.names, self.categorical) if c}
        if len(self.names) != len(self.categorical) or len(set(self.names)) != len(self.names) \
                or set(self.categories) != cat or not self.names:
            raise ModelFileError(f"{where}: the factor names, categorical flags and categories "
                                 f"do not agree: the file is damaged or altered.")

    @classmethod
    def fit(cls, X, names, categorical):
        """``categorical``: one flag per name, or the names of the categorical factors."""
        categorical = list(categorical)
        if categorical and all(isinstance(c, str) for c in categorical):
            unknown = sorted(set(categorical) - set(names))
            if unknown:
                raise InputError(f"Categorical factor(s) {', '.join(unknown)} are not among the "
                                 f"factors {', '.join(names)}.", "CATEGORICAL")
            categorical = [n in set(categorical) for n in names]
        if len(categorical) != len(names) or X.shape[1] != len(names):
            raise InputError(f"{len(names)} factor names, {len(categorical)} categorical flags "
                             f"and {X.shape[1]} columns of values: they must agree.", "FACTORS")
        cats = {n: sorted(float(v) for v in np.unique(X[:, i][np.isfinite(X[:, i])]))
                for i, (n, c) in enumerate(zip(names, categorical)) if c}
        return cls(list(names), list(categorical), cats)

    @property
    def columns(self):
        out = []
        for n, c in zip(self.names, self.categorical):
            out += [f"{n}={v:g}" for v in self.categories[n]] if c else [n]
        return out

    def transform(self, X):
        X = np.asarray(X, float)
        cols = []
        for i, (n, c) in enumerate(zip(self.names, self.categorical)):
            if c:
                for v in self.categories[n]:
                    cols.append((X[:, i] == v).astype(float))
            else:
                cols.append(X[:, i])
        return np.column_stack(cols) if cols else np.empty((len(X), 0))

    def groups(self):
        """Column indices of each factor (for importance per factor)."""
        out, k = {}, 0
        for n, c in zip(self.names, self.categorical):
            w = len(self.categories[n]) if c else 1
            out[n] = list(range(k, k + w))
            k += w
        return out


#: bytes a tree node takes: scikit-learn's node record (64) and its class values (2 x 8); a
#: pickled forest measured 80.5 bytes a node
BYTES_PER_NODE = 80


def forest_bytes(kind, n_trees, n_rows, max_depth=0, min_samples_leaf=1):
    """An upper bound of the memory of ``n_trees`` trees fitted on ``n_rows`` rows: a tree has
    at most 2 x leaves nodes, its leaves at most the distinct rows of a bootstrap sample
    (0.632 x rows) / min_samples_leaf, or 2^depth (a forest fully grown on 2,000 noisy rows
    had 671 nodes a tree, this bound 2,528)."""
    if kind == "glm":
        return 0
    leaves = max(1, int(0.632 * int(n_rows)) // max(1, int(min_samples_leaf)))
    if max_depth:
        leaves = min(leaves, 2 ** min(int(max_depth), 40))
    return int(n_trees) * 2 * leaves * BYTES_PER_NODE


def check_forest(kind, n_trees, n_rows, max_depth=0, min_samples_leaf=1, param="TREES"):
    """Refuse (InputError naming ``param``) trees that would not fit in memory, before they are
    grown; else a sentence with their memory."""
    from ..util.memory import require
    need = forest_bytes(kind, n_trees, n_rows, max_depth, min_samples_leaf)
    return require(need, f"{int(n_trees):,} trees on {int(n_rows):,} samples", param,
                   f"give fewer trees [{param}]" + (" or a maximum depth [MAX_DEPTH]"
                                                    if kind == "rf" and not max_depth else ""))


def make_estimator(kind, params=None, seed=0, n_jobs=1, n_rows=None):
    """The estimator ``kind`` with ``params`` over DEFAULTS; with ``n_rows`` (the rows it will be
    fitted on) a forest that would not fit in memory is refused first (check_forest)."""
    p = dict(DEFAULTS[kind])
    p.update({k: v for k, v in (params or {}).items() if v is not None})
    if n_rows is not None and kind in ("rf", "xgboost"):
        check_forest(kind, p["n_estimators"], n_rows, p.get("max_depth", 0) or 0,
                     p.get("min_samples_leaf", 1))
    if kind == "rf":
        from sklearn.ensemble import RandomForestClassifier
        return RandomForestClassifier(
            n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]) or None,
            min_samples_leaf=int(p["min_samples_leaf"]), max_features=p["max_features"],
            random_state=seed, n_jobs=n_jobs)
    if kind == "xgboost":
        xgb = require("xgboost")
        return xgb.XGBClassifier(
            n_estimators=int(p["n_estimators"]), max_depth=int(p["max_depth"]),
            learning_rate=float(p["learning_rate"]), subsample=float(p["subsample"]),
            colsample_bytree=float(p["colsample_bytree"]), random_state=seed, n_jobs=n_jobs,
            tree_method="hist", eval_metric="logloss")
    if kind == "glm":
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import make_pipeline
        from sklearn.preprocessing import StandardScaler
        # Newton steps to a tight tolerance: the maximum-likelihood fit of the binomial GLM
        # (lbfgs at its default tolerance had stopped 0.1-2 % off it); C so large that the
        # ridge term is below the last digit of the log-likelihood
        return make_pipeline(StandardScaler(), LogisticRegression(
            C=float(p["C"]), max_iter=int(p["max_iter"]), solver="newton-cholesky", tol=1e-12))
    raise InputError(f"Unknown model '{kind}': choose one of {', '.join(KINDS)}.", "MODEL")


def check_training_data(X, y, names, min_per_class=5):
    y = np.asarray(y, float)
    bad = sorted(set(np.unique(y).tolist()) - {0, 1})
    if bad:
        raise InputError(f"Labels must be 0 (absence) or 1 (presence); found {bad[:5]}.",
                         "LABEL_FIELD")
    for lab in (0, 1):
        n = int((y == lab).sum())
        if n < min_per_class:
            raise InputError(f"Only {n} sample(s) with label {lab}: at least {min_per_class} of "
                             f"each class are needed.", "SAMPLES")
    X = np.asarray(X, float)
    const = [names[i] for i in range(X.shape[1]) if np.nanstd(X[:, i]) == 0]
    if const:
        raise InputError(f"Factor(s) {', '.join(const)} are constant over the samples: they "
                         f"cannot inform a model; leave them out.", "FACTORS")


# -- model files ------------------------------------------------------------------------------
def versions():
    out = {}
    for mod in ("numpy", "sklearn", "xgboost", "scipy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            pass
    return out


@dataclass
class EstimatorSpec:
    """What rebuilding an estimator needs besides its arrays."""

    n_columns: int
    classes: list[int]
    n_trees: int = 0  # random forest only

    def validate(self, where):
        if self.n_columns < 1 or self.classes != [0, 1] or self.n_trees < 0:
            raise ModelFileError(f"{where}: the estimator description is malformed (a binary "
                                 f"classifier over at least one column is expected).")


@dataclass
class ModelManifest(Manifest):
    """The manifest of a susceptibility model file (``.hsm``)."""

    FORMAT: typing.ClassVar[str] = "hazard-susceptibility-model/2"
    LABEL: typing.ClassVar[str] = "susceptibility model file (.hsm)"
    ADVICE: typing.ClassVar[str] = "Train the model again with 'Train susceptibility model'."
    MAX_BYTES: typing.ClassVar[int] = 3072 * MiB

    kind: str
    encoding: Encoding
    estimator: EstimatorSpec
    seed: int
    mode: str = "rasters"  # or "fields" (a model over slope units' attributes)
    grid: typing.Optional[Grid] = None  # the training grid of a raster model
    resampling: str = "bilinear"
    crs_authid: str = ""
    label_field: str = ""
    n_samples: int = 0
    params: dict[str, Free] = field(default_factory=dict)
    validation: dict[str, Free] = field(default_factory=dict)
    train_metrics: dict[str, Free] = field(default_factory=dict)
    test_metrics: typing.Optional[dict[str, Free]] = None
    independent_metrics: typing.Optional[dict[str, Free]] = None  # an independent inventory's
    folds: list[Free] = field(default_factory=list)
    importance: dict[str, float] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    # the training rows for the area of applicability (arrays aoa/train, aoa/folds and
    # aoa/weights), and where their folds come from ("" when the file has none)
    aoa_rows: int = 0
    aoa_folds: str = ""
    n_fold_models: int = 0  # XGBoost/GLM fold models (fold<k>/...) for the prediction spread

    def check_members(self, mf, where):
        """The applicability arrays and the fold models agree with the manifest."""
        if self.aoa_rows:
            from .applicability import read_rows
            read_rows(mf, "aoa/", self.aoa_rows, self.estimator.n_columns, where, self.ADVICE)
        if not 0 <= self.n_fold_models <= MAX_FOLD_MODELS or (
                self.n_fold_models and self.kind == "rf"):
            raise ModelFileError(f"{where}: {self.n_fold_models} fold models: the file is "
                                 f"damaged or altered; refused. {self.ADVICE}")

    def validate(self, where):
        if self.kind not in KINDS:
            raise ModelFileError(f"{where}: unknown model kind {self.kind!r}.")
        g = self.grid
        if self.mode not in ("rasters", "fields") or (self.mode == "rasters") != (g is not None):
            raise ModelFileError(f"{where}: mode {self.mode!r} and the training grid disagree.")
        if g is not None and (len(g.transform) != 6 or min(g.xsize, g.ysize) < 1
                              or g.transform[1] == 0 or g.transform[5] == 0):
            raise ModelFileError(f"{where}: the training grid is malformed.")
        if self.resampling not in RESAMPLINGS:
            raise ModelFileError(f"{where}: unknown resampling {self.resampling!r}.")
        if self.estimator.n_columns != len(self.encoding.columns):
            raise ModelFileError(f"{where}: the factors give {len(self.encoding.columns)} model "
                                 f"column(s) but the estimator was fitted on "
                                 f"{self.estimator.n_columns}: the file is damaged or altered.")


MAX_FOLD_MODELS = 50


def _members(estimator, kind, prefix=""):
    """(arrays, blobs) of one estimator: XGBoost's own JSON, a GLM's scaling and
    coefficients (random forests: see _forest_arrays)."""
    if kind == "xgboost":
        return {}, {f"{prefix}booster": bytes(estimator.get_booster().save_raw(
            raw_format="json"))}
    scaler, glm = estimator[0], estimator[-1]
    return {f"{prefix}glm/mean": scaler.mean_, f"{prefix}glm/scale": scaler.scale_,
            f"{prefix}glm/var": scaler.var_, f"{prefix}glm/coef": glm.coef_,
            f"{prefix}glm/intercept": glm.intercept_}, {}


def column_importance(estimator, kind):
    """The model's importance of each of its (encoded) columns: impurity (RF), gain
    (XGBoost), |standardised coefficient| (GLM)."""
    if kind in ("rf", "xgboost"):
        return np.asarray(estimator.feature_importances_, float)
    return np.abs(np.asarray(estimator[-1].coef_[0], float))


def save_model(path, estimator, kind, enc, seed, aoa=None, fold_models=(), **fields):
    """Write the model file (``.hsm``): the typed manifest, then the estimator as plain arrays
    (random forest: every tree's nodes; GLM: scaling and coefficients) or XGBoost's own JSON.
    ``aoa``: (training rows, their folds, column weights, how the folds were made) for the
    area of applicability; ``fold_models``: XGBoost or GLM models of the folds (prediction
    spread). ``fields``: the other manifest fields (ModelManifest)."""
    from ..io import modelfile
    n_trees = 0
    if kind == "rf":
        arrays, blobs = _forest_arrays(estimator), {}
        n_trees = len(estimator.estimators_)
    else:
        arrays, blobs = _members(estimator, kind)
    for k, m in enumerate(fold_models or ()):
        a, b = _members(m, kind, f"fold{k + 1}/")
        arrays.update(a)
        blobs.update(b)
    if aoa is not None:
        X, folds, weights, how = aoa
        arrays.update({"aoa/train": np.asarray(X, float), "aoa/folds": np.asarray(folds,
                                                                                  np.int64),
                       "aoa/weights": np.asarray(weights, float)})
        fields.update(aoa_rows=int(len(X)), aoa_folds=how)
    spec = EstimatorSpec(len(enc.columns), [int(c) for c in estimator.classes_], n_trees)
    man = ModelManifest(kind=kind, encoding=enc, estimator=spec, seed=int(seed),
                        versions=versions(), n_fold_models=len(fold_models or ()), **fields)
    return modelfile.write(path, man, arrays, blobs)


@dataclass
class ModelExtras:
    """What a model file keeps besides its estimator: the training rows for the area of
    applicability (None in a file without them) and the fold models."""
    aoa: tuple = None       # (rows, folds, column weights, how the folds were made)
    fold_models: list = field(default_factory=list)


def load_model(path, extras=False):
    """(estimator, manifest) from a model file, and its :class:`ModelExtras` when ``extras``.
    Nothing in the file is deserialised as an object: the estimator is rebuilt from plain
    arrays (or XGBoost's JSON) after checks."""
    from ..io import modelfile
    where = f"'{path}'"
    mf = modelfile.read(path, ModelManifest, where)
    man = mf.manifest
    spec = man.estimator
    if man.kind == "rf":
        est = _forest_from_arrays(mf, spec, where)
    else:
        est = _estimator_from(mf, man.kind, spec, where)
    if not extras:
        return est, man
    ex = ModelExtras()
    if man.aoa_rows:
        from .applicability import read_rows
        ex.aoa = read_rows(mf, "aoa/", man.aoa_rows, spec.n_columns, where, man.ADVICE) + (
            man.aoa_folds,)
    ex.fold_models = [_estimator_from(mf, man.kind, spec, where, f"fold{k + 1}/")
                      for k in range(man.n_fold_models)]
    return est, man, ex


def _estimator_from(mf, kind, spec, where, prefix=""):
    if kind == "xgboost":
        return xgboost_from_json(mf.blob(f"{prefix}booster"), spec.n_columns, where)
    return _glm_from_arrays(mf, spec, prefix)


def xgboost_from_json(data, n_columns, where, advice=""):
    """An XGBClassifier rebuilt from XGBoost's own JSON (a model file's member), refused unless
    it is a binary classifier over ``n_columns`` columns."""
    xgb = require("xgboost")
    est = xgb.XGBClassifier()
    try:
        est.load_model(bytearray(data))
    except (xgb.core.XGBoostError, ValueError) as exc:
        raise ModelFileError(f"The XGBoost model in {where} is damaged ({exc}). {advice}")
    if est.n_features_in_ != n_columns or est.n_classes_ != 2:
        raise ModelFileError(f"The XGBoost model in {where} does not fit its manifest "
                             f"({est.n_features_in_} columns, {n_columns} expected): refused. "
                             f"{advice}")
    return est


_NODE_FIELDS = ("left_child", "right_child", "feature", "threshold", "impurity",
                "n_node_samples", "weighted_n_node_samples", "missing_go_to_left")


def _forest_arrays(est):
    states = [e.tree_.__getstate__() for e in est.estimators_]
    nodes = np.concatenate([s["nodes"] for s in states])
    out = {f"rf/{f}": np.ascontiguousarray(nodes[f]) for f in nodes.dtype.names}
    out["rf/values"] = np.concatenate([s["values"] for s in states])
    out["rf/offsets"] = np.concatenate([[0], np.cumsum([s["node_count"] for s in states])])
    out["rf/max_depth"] = np.array([s["max_depth"] for s in states], np.int64)
    return out


def _forest_from_arrays(mf, spec, where):
    """A RandomForestClassifier rebuilt tree by tree from node arrays, after checking that
    every tree is well formed: children after their parent and inside the tree, features
    inside the columns, finite thresholds and values. (sklearn's compiled predictor trusts
    these indices, so a crafted file could otherwise read outside its arrays.)"""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.tree import DecisionTreeClassifier
    from sklearn.tree._tree import Tree
    T, C, K = spec.n_trees, spec.n_columns, len(spec.classes)
    off = mf.array("rf/offsets", "iu", 1, (T + 1,)).astype(np.int64)
    counts = np.diff(off)
    if T < 1 or off[0] != 0 or (counts < 1).any():
        raise ModelFileError(f"{where}: the forest's tree offsets are malformed: refused.")
    N = int(off[-1])
    depth = mf.array("rf/max_depth", "iu", 1, (T,))
    dtype = Tree(C, np.array([K], np.intp), 1).__getstate__()["nodes"].dtype
    missing = [f for f in dtype.names if f"rf/{f}" not in mf.arrays]
    if missing or not set(dtype.names) <= set(_NODE_FIELDS):
        raise ModelFileError(f"{where}: the forest was written by a scikit-learn whose trees "
                             f"differ from this one's ({', '.join(missing)}): train it again.")
    nodes = np.empty(N, dtype)
    for f in dtype.names:
        nodes[f] = mf.array(f"rf/{f}", "biuf", 1, (N,))
    values = mf.array("rf/values", "f", 3, (N, 1, K)).astype(np.float64)
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
    forest = RandomForestClassifier(n_estimators=T, n_jobs=1)
    forest.estimators_ = []
    for t in range(T):
        a, b = off[t], off[t + 1]
        tr = Tree(C, np.array([K], np.intp), 1)
        tr.__setstate__({"max_depth": int(depth[t]), "node_count": int(b - a),
                         "nodes": np.ascontiguousarray(nodes[a:b]),
                         "values": np.ascontiguousarray(values[a:b])})
        dt = DecisionTreeClassifier()
        dt.tree_, dt.n_features_in_, dt.n_outputs_ = tr, C, 1
        dt.classes_, dt.n_classes_, dt.max_features_ = classes, K, C
        forest.estimators_.append(dt)
    forest.estimator_ = DecisionTreeClassifier()
    forest.n_features_in_, forest.n_outputs_ = C, 1
    forest.classes_, forest.n_classes_ = classes, K
    return forest


def _glm_from_arrays(mf, spec, prefix=""):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    C = spec.n_columns
    arrs = {k: mf.array(f"{prefix}glm/{k}", "f", len(shape), shape).astype(np.float64)
            for k, shape in
            (("mean", (C,)), ("scale", (C,)), ("var", (C,)), ("coef", (1, C)),
             ("intercept", (1,)))}
    if not all(np.isfinite(a).all() for a in arrs.values()) or (arrs["scale"] <= 0).any():
        raise ModelFileError(f"The GLM's scaling or coefficients are not finite and positive: "
                             f"the {mf.manifest.LABEL} is damaged or altered; refused.")
    scaler, glm = StandardScaler(), LogisticRegression()
    scaler.mean_, scaler.scale_, scaler.var_ = arrs["mean"], arrs["scale"], arrs["var"]
    scaler.n_features_in_, scaler.n_samples_seen_ = C, 0
    glm.coef_, glm.intercept_ = arrs["coef"], arrs["intercept"]
    glm.classes_, glm.n_features_in_, glm.n_iter_ = np.array(spec.classes), C, np.array([0])
    return make_pipeline(scaler, glm)


def importance(estimator, kind, enc):
    """Importance per factor: impurity (RF), gain (XGBoost), |standardised coefficient| (GLM);
    one-hot columns of a categorical factor are summed."""
    col = column_importance(estimator, kind)
    return {n: float(col[idx].sum()) for n, idx in enc.groups().items()}


def shap_values(estimator, kind, X):
    """SHAP values (n, columns) for tree models: XGBoost's exact TreeSHAP, or shap's
    TreeExplainer for random forests (if shap is installed); None for the GLM."""
    if kind == "xgboost":
        xgb = require("xgboost")
        return estimator.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)[:, :-1]
    if kind == "rf":
        from ..util.deps import available
        if not available("shap"):
            return None
        shap = require("shap")
        sv = shap.TreeExplainer(estimator).shap_values(X, check_additivity=False)
        sv = np.asarray(sv)
        if sv.ndim == 3:  # (n, columns, classes) or (classes, n, columns)
            sv = sv[..., 1] if sv.shape[-1] == 2 else sv[1]
        elif isinstance(sv, list):
            sv = sv[1]
        return sv
    return None
