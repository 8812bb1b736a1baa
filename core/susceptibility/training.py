"""Training and validating a susceptibility model, and its HTML report."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..sampling.samplers import SAMPLERS, separating
from ..stats import metrics as mt
from ..util.errors import InputError
from . import models
from .applicability import assign_folds
from .estimators import (Encoding, check_training_data, column_importance, importance,
                         make_estimator, save_model, shap_values)
from .holdout import block_folds, group_folds, random_split
from ..util.progress import as_feedback


@dataclass
class TrainResult:
    estimator: object
    encoding: Encoding
    kind: str
    params: dict
    seed: int
    validation: dict
    train_metrics: dict
    test_metrics: dict = None
    folds: list = field(default_factory=list)
    roc: dict = field(default_factory=dict)        # label -> (fpr, tpr)
    importance: dict = field(default_factory=dict)
    shap: np.ndarray = None
    shap_X: np.ndarray = None
    shap_rows: tuple = (0, 0)  # (rows explained, training rows): a seeded sample
    held_out: tuple = None  # (name, y, p) of the held-out predictions: test or out-of-fold
    optimism: dict = None  # separating_check(): samplers, spatial k-fold metrics, block size
    independent: object = None  # holdout.Independent: the score on an independent inventory
    # what the area of applicability and the prediction spread need (kept in the model file):
    fit_X: np.ndarray = None        # encoded rows the final model was fitted on
    fit_folds: np.ndarray = None    # their cross-validation fold
    folds_how: str = ""             # where those folds come from
    column_weights: np.ndarray = None  # the model's importance of each encoded column
    fold_models: list = field(default_factory=list)  # one model per fold (a kind whose
    # spread does not come from its own trees)


def one_per_pixel(grid, x, y, labels):
    """Samples that repeat another of the same label in the same pixel would carry identical
    factor values into training and test (a duplicated inventory gave a test AUC of 0.9997
    instead of 0.960): a mask keeping the first sample of each (pixel, label), and the number
    of pixels that hold both a presence and an absence (kept, one of each). Samples outside
    the grid are kept (they are dropped elsewhere, with their own count)."""
    row, col = grid.rowcol(np.asarray(x, float), np.asarray(y, float))
    inside = (row >= 0) & (row < grid.ysize) & (col >= 0) & (col < grid.xsize)
    labels = np.asarray(labels, float)
    flat = np.where(inside, row.astype(np.int64) * grid.xsize + col, -1)
    key = flat * 2 + (labels > 0.5)
    keep = ~inside
    idx = np.nonzero(inside)[0]
    _, first = np.unique(key[idx], return_index=True)
    keep[idx[first]] = True
    pix, n_labels = np.unique(flat[idx[first]], return_counts=True)
    return keep, int((n_labels > 1).sum())


def _fit(kind, params, seed, Xt, y):
    est = make_estimator(kind, params, seed, n_rows=len(Xt))  # trees beyond memory: refused
    est.fit(Xt, y)
    return est


def train(X, y, names, categorical, kind, params=None, validation=None, seed=0, coords=None,
          threshold=0.5, feedback=None, shap_sample=2000, aoa_folds=(5, None),
          fold_models=False):
    """Fit ``kind`` on factor values X (n, p) and labels y; validate as ``validation`` says:

    * ``{"method": "random", "test_share": 0.3}``: stratified random split;
    * ``{"method": "mask", "test": bool array}``: a given split (e.g. a split field);
    * ``{"method": "blocks", "size": s, "k": k}``: spatial k-fold over square blocks (needs
      ``coords``); the final model is then fitted on all samples;
    * ``{"method": "groups", "groups": array, "k": k}``: k-fold over zones;
    * ``{"method": "none"}``: training metrics only.

    The rows the final model is fitted on are kept with a cross-validation fold each (the
    k-fold's own, else ``aoa_folds`` = (k, block size): spatial blocks when they suffice,
    random folds otherwise) and the model's importance of each column, for the area of
    applicability. ``fold_models``: keep one model per fold (trained on the other folds) for
    the prediction spread of a kind whose trees do not give it (XGBoost, GLM); a k-fold keeps
    its own, the others are trained here.
    """
    fb = as_feedback(feedback)
    mk = models.get(kind)
    X = np.asarray(X, float)
    y = np.asarray(y, float)  # checked before it becomes an integer: 0.5 must not become 0
    ok = np.isfinite(X).all(axis=1)
    if not ok.all():
        raise InputError(f"{int((~ok).sum())} sample(s) have no value in some factor (outside "
                         f"the rasters or on nodata): remove them or check the rasters' extent.",
                         "SAMPLES")
    check_training_data(X, y, names)
    y = y.astype(int)
    enc = Encoding.fit(X, names, categorical)
    Xt = enc.transform(X)
    validation = dict(validation or {"method": "random", "test_share": 0.3})
    method = validation["method"]
    res = None
    if method in ("random", "mask"):
        test = (random_split(y, validation.get("test_share", 0.3), seed) if method == "random"
                else np.asarray(validation["test"], bool))
        for lab in (0, 1):
            if ((y == lab) & test).sum() < 1 or ((y == lab) & ~test).sum() < 2:
                raise InputError(f"Too few samples with label {lab} for the split: each class "
                                 f"needs samples in training and in testing.", "SAMPLES")
        est = _fit(kind, params, seed, Xt[~test], y[~test])
        fb.report(0.7)
        p_tr = est.predict_proba(Xt[~test])[:, 1]
        p_te = est.predict_proba(Xt[test])[:, 1]
        stored = {k_: v for k_, v in validation.items() if k_ != "test"}
        res = TrainResult(est, enc, kind, dict(params or {}), seed, stored,
                          mt.threshold_metrics(y[~test], p_tr, threshold),
                          mt.threshold_metrics(y[test], p_te, threshold))
        res.roc = {"train": mt.roc_curve(y[~test], p_tr), "test": mt.roc_curve(y[test], p_te)}
        res.held_out = ("test", y[test], p_te)
        fit_X = Xt[~test]
        fit_y = y[~test]
        fit_xy = None if coords is None else (np.asarray(coords[0])[~test],
                                              np.asarray(coords[1])[~test])
    elif method in ("blocks", "groups"):
        if method == "blocks":
            if coords is None:
                raise InputError("Spatial blocks need the samples' coordinates.", "SAMPLES")
            k = int(validation.get("k", 5))
            fold = block_folds(coords[0], coords[1], float(validation["size"]), k, seed)
        else:
            fold, k = group_folds(validation["groups"], int(validation.get("k", 5)), seed)
        oof = np.full(len(y), np.nan)
        folds, cv_models = [], []
        for f in range(k):
            fb.check()
            te = fold == f
            if len(np.unique(y[~te])) < 2 or te.sum() == 0:
                continue
            est = _fit(kind, params, seed, Xt[~te], y[~te])
            cv_models.append(est)
            oof[te] = est.predict_proba(Xt[te])[:, 1]
            if len(np.unique(y[te])) == 2:
                folds.append(dict(fold=f + 1, **mt.threshold_metrics(y[te], oof[te], threshold)))
            else:
                folds.append({"fold": f + 1, "n": int(te.sum()), "AUC": float("nan")})
            fb.report(0.7 * (f + 1) / k)
        done = ~np.isnan(oof)
        est = _fit(kind, params, seed, Xt, y)
        p_all = est.predict_proba(Xt)[:, 1]
        stored = {k_: v for k_, v in validation.items() if k_ != "groups"}
        res = TrainResult(est, enc, kind, dict(params or {}), seed, stored,
                          mt.threshold_metrics(y, p_all, threshold),
                          mt.threshold_metrics(y[done], oof[done], threshold))
        res.folds = folds
        res.roc = {"train (all samples)": mt.roc_curve(y, p_all),
                   "out-of-fold": mt.roc_curve(y[done], oof[done])}
        res.held_out = ("out-of-fold", y[done], oof[done])
        fit_X, fit_y, fit_xy = Xt, y, None
        res.fit_folds = fold
        res.folds_how = (f"the model's spatial {k}-fold over blocks of "
                         f"{float(validation['size']):g} map units" if method == "blocks" else
                         f"the model's {k}-fold over the zones of '{validation.get('field')}'")
        if fold_models and not mk.spread_of_trees:
            res.fold_models = cv_models
    elif method == "none":
        est = _fit(kind, params, seed, Xt, y)
        p = est.predict_proba(Xt)[:, 1]
        res = TrainResult(est, enc, kind, dict(params or {}), seed, validation,
                          mt.threshold_metrics(y, p, threshold))
        res.roc = {"train": mt.roc_curve(y, p)}
        fit_X, fit_y = Xt, y
        fit_xy = None if coords is None else (np.asarray(coords[0]), np.asarray(coords[1]))
    else:
        raise InputError(f"Unknown validation '{method}'.", "VALIDATION")
    res.importance = importance(res.estimator, kind, enc)
    res.fit_X = fit_X
    res.column_weights = column_importance(res.estimator, kind)
    if res.fit_folds is None:
        k, size = aoa_folds
        res.fit_folds, res.folds_how = assign_folds(
            *(fit_xy if fit_xy is not None else (None, None)), len(fit_X), int(k), seed,
            size if fit_xy is not None else None)
        if fold_models and not mk.spread_of_trees:
            for f in np.unique(res.fit_folds):
                fb.check()
                te = res.fit_folds == f
                if len(np.unique(fit_y[~te])) == 2:
                    res.fold_models.append(_fit(kind, params, seed, fit_X[~te], fit_y[~te]))
    if mk.shap_unit and shap_sample > 0:  # 0: no SHAP values
        rng = np.random.default_rng(seed)
        idx = rng.choice(len(fit_X), min(shap_sample, len(fit_X)), replace=False)
        res.shap = shap_values(res.estimator, kind, fit_X[idx])
        res.shap_X = fit_X[idx]
        res.shap_rows = (len(idx), len(fit_X))
    fb.report(1.0)
    return res


def save(res, path, grid=None, resampling="bilinear", **fields):
    """Write the model file of a TrainResult. ``grid``: the core.io.raster.Grid a raster model
    was trained on (None for a model over feature fields); ``fields``: the manifest's
    provenance fields (crs_authid, label_field, n_samples)."""
    return save_model(path, res.estimator, res.kind, res.encoding, res.seed,
                      mode="fields" if grid is None else "rasters", grid=grid,
                      resampling=resampling, params=res.params, validation=res.validation,
                      train_metrics=res.train_metrics, test_metrics=res.test_metrics,
                      independent_metrics=(res.independent.metrics
                                           if res.independent is not None else None),
                      folds=res.folds, importance=res.importance,
                      aoa=(res.fit_X, res.fit_folds, res.column_weights, res.folds_how)
                      if res.fit_X is not None else None,
                      fold_models=res.fold_models, **fields)


def separating_check(samplers, X, y, names, categorical, kind, params, coords, seed, size,
                     k=5, threshold=0.5, feedback=None, spatial=None):
    """When some absences come from a sampler that separates them from the presences by
    construction (its declaration says so: core.sampling.samplers.Sampler; ``samplers``: the
    'sampler' values of the absences), the held-out score on such samples is optimistic: the
    model learns where the sampler put the absences. Returns None, or {"samplers": {name: count},
    "spatial": metrics of a spatial k-fold over blocks of ``size`` (None when the blocks are
    too few), "size", "k"} to set beside the internal score. ``spatial``: those metrics when
    the model's own validation was that spatial k-fold already (nothing is trained again)."""
    found = separating(samplers)
    if not found:
        return None
    if spatial is None:
        try:
            spatial = train(X, y, names, categorical, kind, params,
                            {"method": "blocks", "size": float(size), "k": int(k)}, seed,
                            coords=coords, threshold=threshold, feedback=feedback,
                            shap_sample=0).test_metrics
        except InputError:  # too few blocks or classes per fold: say so rather than fail
            spatial = None
    return {"samplers": found, "spatial": spatial, "size": float(size), "k": int(k)}


def describe_optimism(opt, internal_auc, independent=None):
    """The caution about an internal score on separating samplers, as plain text (the log's
    warning and the report's paragraph); ``independent``: the independent score, when there
    is one, quoted instead of the advice to get one."""
    how = "; ".join(f"{n} absences from '{s_}', drawn {SAMPLERS[s_].separates}"
                    for s_, n in opt["samplers"].items())
    text = (f"The internal AUC ({internal_auc:.3f}) is optimistic. {how}: the model "
            f"partly learns where the sampler put the absences, and any split of these samples "
            f"(random or spatial) rewards it. ")
    if opt["spatial"] is not None:
        text += (f"Spatial {opt['k']}-fold over blocks of {opt['size']:g} map units: AUC "
                 f"{opt['spatial']['AUC']:.3f} (still on the sampler's absences). ")
    else:
        text += (f"A spatial {opt['k']}-fold over blocks of {opt['size']:g} map units could "
                 f"not be run (too few blocks or classes per fold). ")
    if independent is not None:
        return text + (f"On the independent inventory the model scores AUC "
                       f"{independent.metrics['AUC']:.3f}: that is the figure to judge it by.")
    return text + ("Judge the map on an independent inventory: 'Evaluate susceptibility map' "
                   "with landslides the samples did not use, against random background (or "
                   "give them here as INDEPENDENT).")


def predict(res, X):
    """Probabilities of a TrainResult's final model at factor values X (n, p)."""
    return res.estimator.predict_proba(res.encoding.transform(np.asarray(X, float)))[:, 1]


def add_independent(res, ind):
    """Set an independent score (holdout.Independent) on ``res``: its row of the metrics, its
    ROC curve and its calibration in the report."""
    res.independent = ind
    res.roc["independent inventory"] = mt.roc_curve(*ind.samples)
    return res


def metric_rows(res):
    rows = [dict(set="train", **res.train_metrics)]
    if res.test_metrics:
        rows.append(dict(set="test" if res.validation["method"] in ("random", "mask")
                         else "out-of-fold", **res.test_metrics))
    if res.optimism and res.optimism.get("spatial"):
        rows.append(dict(set=f"spatial {res.optimism['k']}-fold (check)",
                         **res.optimism["spatial"]))
    if res.independent is not None:
        rows.append(dict(set="independent inventory", **res.independent.metrics))
    for f in res.folds:
        rows.append(dict(set=f"fold {f['fold']}", **{k: v for k, v in f.items() if k != "fold"}))
    return rows


METRIC_COLS = ["set", "n", "presences", "AUC", "TPR", "TNR", "accuracy", "precision", "recall",
               "F1", "kappa", "Brier"]


def glm_coefficients(res):
    """Rows (column, coefficient per unit, standardised coefficient) and the intercept of a
    model with an equation (the GLM), in the factors' own units; None for other kinds."""
    return models.get(res.kind).coefficients(res.estimator, res.encoding.columns)
