"""Susceptibility models: the encoding of factors into model columns and model files that open
without running code (the validation splits are in :mod:`.holdout`). The model kinds themselves
(random forest, XGBoost, logistic GLM, extremely randomized trees) are the modules of ``models``.

A model file (``core.io.modelfile``) holds a typed manifest (factor names and order,
categorical encodings, grid and CRS of training, metrics, package versions, seed, parameters)
and the model as plain data written by its kind (a forest as its trees' node arrays, the GLM as
its scaling and coefficients, XGBoost as its own JSON). The estimator is rebuilt by the kind's
code; nothing in the file is deserialised as an object, so opening one cannot run code.
"""
from __future__ import annotations

import typing
from dataclasses import dataclass, field

import numpy as np

from ..io.modelfile import Free, Manifest, MiB, ModelFileError
from ..io.raster import RESAMPLINGS, Grid
from ..util.errors import InputError
from . import models
from .models import (BYTES_PER_NODE, DEFAULTS, check_forest, forest_bytes,  # noqa: F401
                     NAMES as KINDS)
from .models.xgb import xgboost_from_json  # noqa: F401  (the multi-hazard models read it too)


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


def make_estimator(kind, params=None, seed=0, n_jobs=1, n_rows=None):
    """The estimator ``kind`` (models.NAMES) with ``params`` over its defaults; with ``n_rows``
    (the rows it will be fitted on) trees that would not fit in memory are refused first."""
    return models.get(kind).estimator(params, seed, n_jobs, n_rows)


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
    n_trees: int = 0  # the trees of a forest rebuilt tree by tree (ModelKind.n_trees)

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
    n_fold_models: int = 0  # fold models (fold<k>/...) for the prediction spread of a kind
    # whose spread does not come from its own trees

    def check_members(self, mf, where):
        """The applicability arrays and the fold models agree with the manifest."""
        if self.aoa_rows:
            from .applicability import read_rows
            read_rows(mf, "aoa/", self.aoa_rows, self.estimator.n_columns, where, self.ADVICE)
        if not 0 <= self.n_fold_models <= MAX_FOLD_MODELS or (
                self.n_fold_models and models.get(self.kind).spread_of_trees):
            raise ModelFileError(f"{where}: {self.n_fold_models} fold models: the file is "
                                 f"damaged or altered; refused. {self.ADVICE}")

    def validate(self, where):
        if not models.known(self.kind):
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


def column_importance(estimator, kind):
    """The model's importance of each of its (encoded) columns, as its kind measures it
    (impurity for forests, gain for XGBoost, |standardised coefficient| for the GLM)."""
    return models.get(kind).column_importance(estimator)


def save_model(path, estimator, kind, enc, seed, aoa=None, fold_models=(), **fields):
    """Write the model file (``.hsm``): the typed manifest, then the estimator as its kind
    writes it (plain arrays: a forest's tree nodes, the GLM's scaling and coefficients; or
    XGBoost's own JSON). ``aoa``: (training rows, their folds, column weights, how the folds
    were made) for the area of applicability; ``fold_models``: the models of the folds
    (prediction spread of a kind whose trees do not give it). ``fields``: the other manifest
    fields (ModelManifest)."""
    from ..io import modelfile
    mk = models.get(kind)
    arrays, blobs = mk.arrays(estimator)
    for k, m in enumerate(fold_models or ()):
        a, b = mk.arrays(m, f"fold{k + 1}/")
        arrays.update(a)
        blobs.update(b)
    if aoa is not None:
        X, folds, weights, how = aoa
        arrays.update({"aoa/train": np.asarray(X, float), "aoa/folds": np.asarray(folds,
                                                                                  np.int64),
                       "aoa/weights": np.asarray(weights, float)})
        fields.update(aoa_rows=int(len(X)), aoa_folds=how)
    spec = EstimatorSpec(len(enc.columns), [int(c) for c in estimator.classes_],
                         mk.n_trees(estimator))
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
    arrays (or XGBoost's JSON) by its kind, after checks."""
    from ..io import modelfile
    where = f"'{path}'"
    mf = modelfile.read(path, ModelManifest, where)
    man = mf.manifest
    spec = man.estimator
    mk = models.get(man.kind)
    est = mk.rebuild(mf, spec, where)
    if not extras:
        return est, man
    ex = ModelExtras()
    if man.aoa_rows:
        from .applicability import read_rows
        ex.aoa = read_rows(mf, "aoa/", man.aoa_rows, spec.n_columns, where, man.ADVICE) + (
            man.aoa_folds,)
    ex.fold_models = [mk.rebuild(mf, spec, where, f"fold{k + 1}/")
                      for k in range(man.n_fold_models)]
    return est, man, ex


def importance(estimator, kind, enc):
    """Importance per factor, as the kind measures it (column_importance); one-hot columns of a
    categorical factor are summed."""
    col = column_importance(estimator, kind)
    return {n: float(col[idx].sum()) for n, idx in enc.groups().items()}


def shap_values(estimator, kind, X):
    """SHAP values (n, columns) in the kind's unit (``models.get(kind).shap_unit``), or None
    for a kind without a SHAP explainer (the GLM) or without shap installed."""
    return models.get(kind).shap_values(estimator, X)
