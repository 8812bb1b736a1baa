"""Susceptibility models (random forest, XGBoost, logistic GLM), validation splits and model
files that open without running code.

A model file is a zip archive holding ``manifest.json`` (factor names and order, categorical
encodings, grid and CRS of training, metrics, package versions, seed, parameters) and the model
itself in a safe format: XGBoost's own JSON, or ``skops`` for scikit-learn estimators, loaded
only when every type it contains is on an allow-list. Pickle is never used.
"""
from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field

import numpy as np

from ..util.deps import require
from ..util.errors import InputError

KINDS = ("rf", "xgboost", "glm")
FORMAT = "hazard-susceptibility-model/1"

DEFAULTS = {
    # random forest as in papers 001 and 003
    "rf": {"n_estimators": 500, "max_depth": 0, "min_samples_leaf": 1, "max_features": "sqrt"},
    # XGBoost as in paper 002's search space centre
    "xgboost": {"n_estimators": 300, "max_depth": 6, "learning_rate": 0.1, "subsample": 0.8,
                "colsample_bytree": 0.8},
    # binomial GLM (paper 000's baseline): unpenalised logistic regression on z-scores
    "glm": {"C": 1e6, "max_iter": 2000},
}

SAFE_PREFIXES = ("sklearn.", "numpy.", "builtins.", "scipy.")
UNSAFE = {"builtins.eval", "builtins.exec", "builtins.open", "builtins.compile",
          "builtins.__import__", "builtins.getattr", "builtins.setattr", "builtins.input"}


@dataclass
class Encoding:
    """How factor values become model columns: continuous as they are, categorical one-hot."""

    names: list
    categorical: list
    categories: dict = field(default_factory=dict)  # name -> sorted category values

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

    def to_json(self):
        return {"names": self.names, "categorical": self.categorical,
                "categories": self.categories}

    @classmethod
    def from_json(cls, d):
        return cls(d["names"], d["categorical"], {k: list(v) for k, v in d["categories"].items()})


def make_estimator(kind, params=None, seed=0, n_jobs=1):
    p = dict(DEFAULTS[kind])
    p.update({k: v for k, v in (params or {}).items() if v is not None})
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
        return make_pipeline(StandardScaler(), LogisticRegression(C=float(p["C"]),
                                                                  max_iter=int(p["max_iter"])))
    raise InputError(f"Unknown model '{kind}': choose one of {', '.join(KINDS)}.", "MODEL")


def check_training_data(X, y, names, min_per_class=5):
    y = np.asarray(y)
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


# -- validation splits ------------------------------------------------------------------------
def random_split(y, test_share, seed):
    """Boolean test mask, stratified by label."""
    from ..sampling.samplers import stratified_split
    return stratified_split(np.asarray(y), test_share, np.random.default_rng(seed)) == "test"


def block_folds(x, y_coord, size, k, seed):
    """Spatial k-fold: square blocks of side ``size`` assigned to k folds at random (seeded);
    returns the fold (0..k-1) of every sample. No block is split between folds."""
    bx = np.floor(np.asarray(x) / size).astype(np.int64)
    by = np.floor(np.asarray(y_coord) / size).astype(np.int64)
    _, block = np.unique(np.stack([bx, by], 1), axis=0, return_inverse=True)
    block = block.ravel()
    nb = block.max() + 1
    if nb < k:
        raise InputError(f"Only {nb} blocks of {size:g} map units hold samples for {k} folds: "
                         f"use smaller blocks or fewer folds.", "BLOCK_SIZE")
    perm = np.random.default_rng(seed).permutation(nb)
    fold_of_block = np.empty(nb, np.int64)
    fold_of_block[perm] = np.arange(nb) % k
    return fold_of_block[block]


def group_folds(groups, k, seed):
    """k folds over the distinct values of ``groups`` (e.g. zones)."""
    g = np.asarray(groups).astype(str)
    uniq, inv = np.unique(g, return_inverse=True)
    if len(uniq) < 2:
        raise InputError("Spatial folds need at least two zones.", "ZONE_FIELD")
    k = min(k, len(uniq))
    perm = np.random.default_rng(seed).permutation(len(uniq))
    fold = np.empty(len(uniq), np.int64)
    fold[perm] = np.arange(len(uniq)) % k
    return fold[inv.ravel()], k


# -- model files ------------------------------------------------------------------------------
def versions():
    out = {}
    for mod in ("numpy", "sklearn", "xgboost", "skops", "scipy"):
        try:
            out[mod] = __import__(mod).__version__
        except ImportError:
            pass
    return out


def save_model(path, estimator, kind, manifest):
    """Write the model file (zip: manifest.json + model.json or model.skops)."""
    from ..io.raster import AtomicOutput
    manifest = dict(manifest, format=FORMAT, kind=kind, versions=versions())
    with AtomicOutput(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            if kind == "xgboost":
                raw = estimator.get_booster().save_raw(raw_format="json")
                z.writestr("model.json", bytes(raw))
                manifest["xgboost_params"] = {k: v for k, v in estimator.get_params().items()
                                              if isinstance(v, (int, float, str, bool))}
            else:
                sio = _skops_io()
                z.writestr("model.skops", sio.dumps(estimator))
            z.writestr("manifest.json", json.dumps(manifest, indent=2, default=json_default))
    return path


def _skops_io():
    require("skops")
    import skops.io as sio
    return sio


def json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(type(o).__name__)


def load_model(path):
    """(estimator, manifest) from a model file; refuses anything that could run code."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(f"'{path}' is not a model file of this plugin: {exc}", "MODEL")
    with z:
        names = set(z.namelist())
        if "manifest.json" not in names:
            raise InputError(f"'{path}' has no manifest: not a model file of this plugin.",
                             "MODEL")
        manifest = json.loads(z.read("manifest.json").decode("utf-8"))
        if manifest.get("format") != FORMAT:
            raise InputError(f"'{path}' has format {manifest.get('format')!r}, not {FORMAT!r}.",
                             "MODEL")
        kind = manifest.get("kind")
        if kind == "xgboost" and "model.json" in names:
            xgb = require("xgboost")
            est = xgb.XGBClassifier()
            est.load_model(bytearray(z.read("model.json")))
            return est, manifest
        if kind in ("rf", "glm") and "model.skops" in names:
            sio = _skops_io()
            data = z.read("model.skops")
            untrusted = sio.get_untrusted_types(data=data)
            bad = [t for t in untrusted if t in UNSAFE or not t.startswith(SAFE_PREFIXES)]
            if bad:
                raise InputError(f"The model file '{path}' contains types that could run code "
                                 f"({', '.join(bad[:5])}): it was refused. Only open model "
                                 f"files from sources you trust.", "MODEL")
            return sio.loads(data, trusted=untrusted), manifest
        raise InputError(f"'{path}' holds no model of kind {kind!r} in a safe format.", "MODEL")


def importance(estimator, kind, enc):
    """Importance per factor: impurity (RF), gain (XGBoost), |standardised coefficient| (GLM);
    one-hot columns of a categorical factor are summed."""
    if kind in ("rf", "xgboost"):
        col = estimator.feature_importances_
    else:
        col = np.abs(estimator[-1].coef_[0])
    col = np.asarray(col, float)
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
