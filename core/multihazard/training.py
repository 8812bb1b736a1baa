"""The multi-hazard model set of the FL-MHSM study (METHODS.md section 4): per contextual zone a
Late
Fusion XGBoost per hazard, an Early Fusion MVG-NLL network for both hazards and a soft-gating
Mixture of Experts trained on the validation split's expert outputs; a zone with too few
samples of a hazard falls back to the model trained on all zones. The set is saved as one
bundle file of plain data (core.io.modelfile: XGBoost JSON, network weights as plain arrays,
a typed manifest) and applied with :class:`Predictor`.

Labels for the Early Fusion network and the gate: each sample was drawn for one hazard and
carries that hazard's label. At a presence of one hazard the other hazard's label is read from
its inventory (1 if one of its presences lies within ``radius`` map units, else 0): an observed
event is a place whose other hazard is known too. At an absence (a point drawn away from one
hazard's events only) the other hazard's label is unknown and is marginalised out of the MVG
likelihood (and left out of the gate's loss), rather than guessed: a landslide absence in a
flood plain must not teach the network that the flood plain does not flood. Evaluation and
beta calibration use each hazard's own samples only, so LF, EF and MoE are compared on the
same rows with the same labels.
"""
from __future__ import annotations

import collections
import threading
import typing
from dataclasses import dataclass, field

import numpy as np

from .experts import build_gate, train_early_fusion, train_late_fusion
from .forward import early_fusion_forward, gate_forward
from .uncertainty import BetaCalibration, n_chol, uncertainty_and_correlation
from ..io.modelfile import Free, Manifest, MiB, ModelFileError
from ..util.errors import InputError
from ..susceptibility.estimators import Encoding
from ..util.nnfit import set_seed
from ..util.progress import as_feedback

HAZARDS = ("flood", "landslide")
MODELS = ("lf", "ef", "moe")
ZONE_MODES = ("shrink", "paper")
#: the prior sample size of the shrinkage towards the all-zone models (zone_mode "shrink"):
#: w = n / (n + SHRINK_K); measured on the sample area (README, issue 30)
SHRINK_K = 200.0
#: share of a set's training rows the Early Fusion network stops on (0: on the validation
#: split, the FL-MHSM study); measured on the sample area (README, issue 30)
EF_HOLDOUT = 0.1
METRICS = ("auc", "precision", "recall", "f1", "brier", "accuracy")
ALL = "all"


def joint_labels(x, y, hazard, label, radius, augmented=None):
    """Label matrix (n, 2): each sample's own hazard label; at presences, the other hazard's
    label (1 when one of its real presences lies within ``radius``, else 0: a synthetic
    presence, ``augmented`` = 1, is no evidence of an event); NaN (unknown) for the other
    hazard at absences."""
    from scipy.spatial import cKDTree
    x, y = np.asarray(x, float), np.asarray(y, float)
    hazard, label = np.asarray(hazard).astype(str), np.asarray(label).astype(int)
    real = np.ones(len(x), bool) if augmented is None else np.asarray(augmented).astype(int) == 0
    Y = np.full((len(x), len(HAZARDS)), np.nan)
    for j, h in enumerate(HAZARDS):
        own = hazard == h
        Y[own, j] = label[own]
        pres = own & (label == 1) & real
        other = ~own & (label == 1)
        if other.any():
            Y[other, j] = 0.0
            if pres.any():
                d, _ = cKDTree(np.column_stack([x[pres], y[pres]])).query(
                    np.column_stack([x[other], y[other]]))
                Y[other, j] = (d <= radius).astype(float)
    return Y


def scores(y, p, threshold=0.5):
    """AUC, precision, recall, F1, Brier and accuracy (FL-MHSM study, table 5): the
    single-hazard metrics of :func:`metrics.threshold_metrics` (both classes needed)."""
    from ..stats.metrics import threshold_metrics
    m = threshold_metrics(y, p, threshold)
    return {"auc": m["AUC"], "precision": m["precision"], "recall": m["recall"],
            "f1": m["F1"], "brier": m["Brier"], "accuracy": m["accuracy"]}


# -- one set of models (a zone, or all zones) --------------------------------------------------
@dataclass
class ModelSet:
    """The models trained on one zone's samples (or on all zones'): ``features`` index the
    bundle's factor list; ``encoding`` turns them into model columns."""

    key: str
    features: list
    encoding: Encoding
    lf: dict = field(default_factory=dict)  # hazard -> XGBClassifier
    lf_params: dict = field(default_factory=dict)
    ef_w: list = None  # weights of the Early Fusion network: inference runs in numpy
    ef_mean: np.ndarray = None
    ef_std: np.ndarray = None
    ef_cal: list = None  # BetaCalibration per hazard
    gate_w: list = None  # weights of the MoE gate
    history: dict = field(default_factory=dict)
    aoa: tuple = None  # (real training rows in model columns, their folds, column weights)
    app: object = None  # their Applicability (area of applicability), built when needed
    ef32: object = None  # the network's weights for the float32 loops (False: it runs in
    # float64), laid out when needed

    def columns(self, Xall):
        return self.encoding.transform(np.asarray(Xall, float)[:, self.features])

    def applicability(self):
        """The Applicability of this set's training rows, or None when it keeps none."""
        if self.app is None and self.aoa is not None:
            from ..susceptibility.applicability import fit
            rows, folds, weights = self.aoa
            self.app = fit(rows, self.encoding.columns, weights, folds)
        return self.app

    def lf_predict(self, h, Xall, cols=None):
        """``cols``: the rows' model columns (:meth:`columns`) when already computed."""
        return self.lf[h].predict_proba(self.columns(Xall) if cols is None else cols)[:, 1]

    def ef_raw(self, Xall, fast=False, cols=None):
        """The network's raw outputs: the float64 reference, or with ``fast`` the float32
        loops of core.multihazard.forward32 (what the maps use; float32) unless its
        calibration is too steep for them (forward32.float32_safe)."""
        C = self.columns(Xall) if cols is None else cols
        if fast:
            from . import forward32
            if self.ef32 is None:
                self.ef32 = forward32.EarlyFusion32(self.ef_w) \
                    if forward32.float32_safe(self.ef_w, self.ef_cal) else False
            if self.ef32 is not False:  # z-scored inside the loops, the same bits
                return self.ef32.raw_columns(C, self.ef_mean, self.ef_std)
        return early_fusion_forward(self.ef_w, (C - self.ef_mean) / self.ef_std).astype(float)

    def ef_predict(self, Xall, fast=False, cols=None):
        """Calibrated probabilities (n, 2), joint log-uncertainty and correlation; with
        ``fast`` from core.multihazard.forward32's loops (the same numbers in every run)."""
        raw = self.ef_raw(Xall, fast, cols)
        if fast:
            from .forward32 import early_fusion_outputs
            return early_fusion_outputs(raw, self.ef_cal, len(HAZARDS))
        H = len(HAZARDS)
        p = np.column_stack([c.predict(1 / (1 + np.exp(-raw[:, j])))
                             for j, c in enumerate(self.ef_cal)])
        logdet, rho = uncertainty_and_correlation(raw[:, H:], H)
        return p, logdet, rho


def _counts_ok(y, min_n):
    y = np.asarray(y).astype(int)
    return int(y.sum()) >= min_n and int((1 - y).sum()) >= min_n


@dataclass
class TrainResult:
    sets: dict  # key -> ModelSet
    sources: dict  # zone -> {"lf_flood": key, "lf_landslide": key, "ef": key, "gate": key}
    metrics: list  # rows zone, hazard, model, metric values
    notes: list
    names: list
    categorical: list
    zones: list
    counts: list = field(default_factory=list)  # what each split holds (samples.split_counts)
    test_predictions: dict = field(default_factory=dict)  # "y_<h>", "<model>_<h>": pooled test
    shrink: dict = field(default_factory=dict)  # zone -> {hazard: weight of its own models}


def train(X, names, categorical, hazard, label, zone, split, x, y, features_by_zone=None,
          radius=100.0, min_samples=10, min_val=5, seed=0, n_iter=10, ef_epochs=100,
          gate_epochs=200, patience=10, batch=256, feedback=None, augmented=None,
          zone_mode="paper", shrink_k=SHRINK_K, ef_holdout=EF_HOLDOUT):
    """Train LF, EF and the MoE gate per zone (with fallback to all zones) and evaluate them on
    each zone's test split. ``zone_mode`` "paper" (FL-MHSM study): each zone's predictions are its
    own models'; "shrink": the models on all zones are always trained, and each zone's
    prediction of a hazard leans on them by its sample size: logit p = w logit p_zone +
    (1 - w) logit p_all with w = n / (n + ``shrink_k``), n the zone's real training presences
    of that hazard (a zone with few samples borrows strength from all zones). The Early Fusion
    network stops early on a seeded ``ef_holdout`` share of its training rows (0: on the
    validation split, as the FL-MHSM study). ``X`` (n,
    factors) holds every factor at the samples; ``augmented`` (1: a synthetic presence) keeps
    synthetic points in training only: any in the validation or test split are left out with
    a note, and they never count as the other hazard's events."""
    fb = as_feedback(feedback)
    _check_zone_mode(zone_mode, shrink_k)
    if not 0 <= ef_holdout < 1:  # NaN too
        raise InputError(f"The Early Fusion network's early-stopping share must be at least 0 "
                         f"and below 1, not {ef_holdout} (0.1 by default; 0 stops on the "
                         f"validation split, as the FL-MHSM study).", "EF_HOLDOUT")
    notes = []
    s = _clean_samples(X, hazard, label, zone, split, x, y, augmented, notes, fb)
    _check_counts(s, min_samples, min_val)
    s.Y = joint_labels(s.x, s.y, s.hazard, s.label, radius, s.augmented)
    features_by_zone = _check_features(features_by_zone, names)
    plan = _plan_zones(s, min_samples, min_val, notes)
    need_all = zone_mode == "shrink" or any(
        v == ALL for p in plan.values() for k, v in p.items() if not k.startswith("cal_"))
    keys = s.zones + ([ALL] if need_all else [])
    sets = {}
    for k, key in enumerate(keys):
        ms = sets[key] = _model_set(key, s, names, categorical, features_by_zone)
        _train_set(ms, s, plan.get(key), fb.sub(k / len(keys), (k + 1) / len(keys)), seed=seed,
                   n_iter=n_iter, ef_epochs=ef_epochs, batch=batch, patience=patience,
                   ef_holdout=ef_holdout)
        fb.check()
    # resolve the sources of every zone, then train the gates on validation outputs
    sources = {z: {k: v for k, v in plan[z].items() if not k.startswith("cal_")}
               for z in s.zones}
    shrink = _shrink_weights(s, shrink_k, notes) if zone_mode == "shrink" else {}
    _train_gates(s, sets, sources, zone_mode == "shrink", seed, gate_epochs, batch, patience)
    fb.report(0.97)
    from .samples import split_counts
    result = TrainResult(sets, sources, [], notes, list(names), list(categorical), s.zones,
                         split_counts(s.hazard, s.label, s.augmented, s.split), shrink=shrink)
    result.metrics, result.test_predictions = _test_metrics(s, result, seed, notes)
    fb.report(1.0)
    return result


@dataclass
class _Samples:
    """The samples :func:`train` works on: every factor finite, synthetic presences in the
    training split only; ``Y`` the joint labels (:func:`joint_labels`), ``zones`` sorted."""

    X: np.ndarray
    hazard: np.ndarray
    label: np.ndarray
    zone: np.ndarray
    split: np.ndarray
    augmented: np.ndarray
    x: np.ndarray
    y: np.ndarray
    zones: list = field(default_factory=list)
    Y: np.ndarray = None


def _check_zone_mode(zone_mode, shrink_k):
    if zone_mode not in ZONE_MODES:
        raise InputError(f"Unknown zone mode '{zone_mode}': choose among "
                         f"{', '.join(ZONE_MODES)}.", "ZONE_MODE")
    if not shrink_k >= 0:
        raise InputError(f"The shrinkage's prior size must be 0 or more, not {shrink_k}.",
                         "SHRINK_K")


def _clean_samples(X, hazard, label, zone, split, x, y, augmented, notes, fb):
    """The samples as arrays, checked; those on nodata of a factor and synthetic presences
    outside the training split left out (the latter with a note)."""
    X = np.asarray(X, float)
    hazard = np.asarray(hazard).astype(str)
    label = np.asarray(label).astype(int)
    zone = np.asarray(zone).astype(str)
    split = np.asarray(split).astype(str)
    unknown = sorted(set(hazard) - set(HAZARDS))
    if unknown:
        raise InputError(f"Unknown hazard(s) {unknown}: the samples need hazard 'flood' or "
                         f"'landslide'.", "SAMPLES")
    bad = sorted(set(split) - {"train", "val", "test"})
    if bad:
        raise InputError(f"Unknown split value(s) {bad}: expected train, val, test.", "SAMPLES")
    augmented = np.zeros(len(X), int) if augmented is None else \
        (np.asarray(augmented).astype(int) != 0).astype(int)
    ok = np.isfinite(X).all(axis=1)
    if not ok.all():
        fb.info(f"{int((~ok).sum())} sample(s) on nodata of a factor were left out.")
    held_syn = (augmented == 1) & (split != "train")
    if held_syn.any():
        notes.append(f"{int(held_syn.sum())} synthetic presence(s) (augmented = 1) in the "
                     f"validation or test split were left out: synthetic points are drawn "
                     f"next to the training presences and would flatter every score.")
        ok &= ~held_syn
    return _Samples(X[ok], hazard[ok], label[ok], zone[ok], split[ok], augmented[ok],
                    np.asarray(x, float)[ok], np.asarray(y, float)[ok], sorted(set(zone[ok])))


def _check_counts(s, min_samples, min_val):
    """Enough presences and absences of each hazard over all zones, or an InputError."""
    for h in HAZARDS:
        if not _counts_ok(s.label[(s.hazard == h) & (s.split == "val")], min_val):
            raise InputError(f"Too few {h} samples in the validation split: at least {min_val} "
                             f"presences and {min_val} absences are needed over all zones.",
                             "SAMPLES")
        if not _counts_ok(s.label[(s.hazard == h) & (s.split == "train")], min_samples):
            raise InputError(f"Too few {h} samples to train even on all zones: at least "
                             f"{min_samples} presences and {min_samples} absences are needed in "
                             f"the training split.", "SAMPLES")


def _check_features(features_by_zone, names):
    """{zone: factor names}, every name among ``names``."""
    features_by_zone = dict(features_by_zone or {})
    for z, feats in features_by_zone.items():
        missing = [f for f in feats if f not in names]
        if missing:
            raise InputError(f"Zone {z}'s feature list names {', '.join(missing)}, which are not "
                             f"among the factors given.", "FEATURES")
    return features_by_zone


def _model_set(key, s, names, categorical, features_by_zone):
    """An empty ModelSet of zone ``key`` (or of all zones) on its factors, encoded."""
    if key == ALL:
        wanted = set().union(*[features_by_zone.get(z, names) for z in s.zones]) \
            if features_by_zone else set(names)
        feats = [i for i, n in enumerate(names) if n in wanted]
    else:
        idx = {n: i for i, n in enumerate(names)}
        feats = [idx[n] for n in features_by_zone.get(key, names)]
    if not feats:
        raise InputError(f"Zone {key} keeps no factor.", "FEATURES")
    cat = [categorical[i] for i in feats]
    enc = Encoding.fit(s.X[:, feats], [names[i] for i in feats], cat)
    return ModelSet(key, feats, enc)


def _plan_zones(s, min_samples, min_val, notes):
    """Per zone, the key of the models each of its predictions takes: its own or ALL's
    ("lf_<hazard>", "ef", "gate"), and whether it can calibrate each hazard ("cal_<hazard>")."""
    plan = {}
    for z in s.zones:
        inz = s.zone == z
        p = {}
        for h in HAZARDS:
            own = inz & (s.hazard == h)
            tr_ok = _counts_ok(s.label[own & (s.split == "train")], min_samples)
            va_ok = _counts_ok(s.label[own & (s.split == "val")], min_val)
            p[f"lf_{h}"] = z if tr_ok else ALL
            p[f"cal_{h}"] = va_ok
            if not tr_ok:
                notes.append(f"Zone {z}: too few {h} training samples (fewer than {min_samples} "
                             f"presences or absences); its {h} Late Fusion model is the one "
                             f"trained on all zones.")
        ef_ok = all(p[f"lf_{h}"] == z and p[f"cal_{h}"] for h in HAZARDS)
        p["ef"] = z if ef_ok else ALL
        if not ef_ok:
            short = [h for h in HAZARDS if p[f"lf_{h}"] != z or not p[f"cal_{h}"]]
            notes.append(f"Zone {z}: Early Fusion and its gate need at least {min_samples} "
                         f"training and {min_val} validation presences and absences of each "
                         f"hazard ({', '.join(short)} short); the zone uses the network and "
                         f"gate trained on all zones.")
        p["gate"] = z if ef_ok else ALL
        plan[z] = p
    return plan


def _train_set(ms, s, own_plan, step, seed, n_iter, ef_epochs, batch, patience, ef_holdout):
    """Fit the Late Fusion models and the Early Fusion network of one set (those its zone's
    ``own_plan`` takes from it; every one for ALL), and keep its rows for the area of
    applicability."""
    key = ms.key
    rows = np.ones(len(s.X), bool) if key == ALL else s.zone == key
    C = ms.columns(s.X)
    for j, h in enumerate(HAZARDS):
        if own_plan is not None and own_plan[f"lf_{h}"] != key:
            continue
        sel = rows & (s.hazard == h) & (s.split == "train")
        est, params, cv_auc = train_late_fusion(C[sel], s.label[sel], seed=seed, n_iter=n_iter)
        ms.lf[h], ms.lf_params[h] = est, dict(params, cv_auc=cv_auc)
        step.report(0.15 * (j + 1))
    _keep_applicability(ms, C, rows & (s.split == "train") & (s.augmented == 0), seed)
    if own_plan is None or own_plan["ef"] == key:
        tr = rows & (s.split == "train")
        va = rows & (s.split == "val")
        cal_rows = [s.hazard[va] == h for h in HAZARDS]
        set_seed(seed)
        model, mean, std, cal, hist = train_early_fusion(
            C[tr], s.Y[tr], C[va], s.Y[va], seed=seed, epochs=ef_epochs, batch=batch,
            patience=patience, feedback=step.sub(0.3, 0.8), cal_rows=cal_rows,
            holdout=ef_holdout)
        ms.ef_w, ms.ef_mean, ms.ef_std, ms.ef_cal = model.get_weights(), mean, std, cal
        ms.history["ef"] = hist


def _keep_applicability(ms, C, real, seed):
    """The area of applicability: the set's ``real`` training rows (synthetic presences are
    drawn next to real ones and would stretch it), random folds, the Late Fusion models'
    importance of each column (equal weights when the set has none)."""
    if real.sum() >= 10:
        w = np.zeros(C.shape[1])
        for est in ms.lf.values():
            imp = np.asarray(est.feature_importances_, float)
            w += imp / (imp.sum() or 1.0)
        if not (w > 0).any():
            w = np.ones(C.shape[1])
        from ..susceptibility.applicability import assign_folds
        ms.aoa = (C[real], assign_folds(None, None, int(real.sum()), 5, seed)[0], w)


def _shrink_weights(s, shrink_k, notes):
    """{zone: {hazard: weight of the zone's own models}}: n / (n + shrink_k), n the zone's real
    training presences of the hazard."""
    shrink = {}
    tr_real = (s.split == "train") & (s.augmented == 0) & (s.label == 1)
    for z in s.zones:
        shrink[z] = {}
        for h in HAZARDS:
            n = int((tr_real & (s.zone == z) & (s.hazard == h)).sum())
            shrink[z][h] = float(n / (n + shrink_k)) if n + shrink_k > 0 else 1.0
        notes.append(f"Zone {z}: its predictions lean on the models trained on all zones "
                     f"(weight of the zone's own models: " + ", ".join(
                         f"{h} {shrink[z][h]:.2f}" for h in HAZARDS) +
                     f"; n / (n + {shrink_k:g}), n its training presences).")
    return shrink


def _experts(s, sets, src, rows_mask):
    """Expert probabilities z = [p_LF(flood), p_LF(landslide), p_EF(flood), p_EF(...)] of the
    rows with a zone's resolved models ``src``."""
    Xr = s.X[rows_mask]
    lf = np.column_stack([sets[src[f"lf_{h}"]].lf_predict(h, Xr) for h in HAZARDS])
    ef = sets[src["ef"]].ef_predict(Xr)[0]
    return np.column_stack([lf, ef]).astype(np.float32)


def _train_gates(s, sets, sources, with_all, seed, gate_epochs, batch, patience):
    """Fit every gate that a zone uses (and ALL's when ``with_all``) on the expert outputs of
    its validation rows."""
    gate_keys = sorted({p["gate"] for p in sources.values()} | ({ALL} if with_all else set()),
                       key=lambda k: (k == ALL, k))
    for key in gate_keys:
        if key == ALL:
            Zs, Ys = [], []
            for z in s.zones:
                va = (s.zone == z) & (s.split == "val")
                if va.any():
                    Zs.append(_experts(s, sets, sources[z], va))
                    Ys.append(s.Y[va])
            Zv, Yv = np.concatenate(Zs), np.concatenate(Ys)
        else:
            va = (s.zone == key) & (s.split == "val")
            Zv, Yv = _experts(s, sets, sources[key], va), s.Y[va]
        set_seed(seed)
        gate, hist = train_gate(Zv, Yv, seed, gate_epochs, batch, patience)
        sets[key].gate_w = gate.get_weights()
        sets[key].history["gate"] = hist


def _test_metrics(s, result, seed, notes):
    """(rows zone, hazard, model, metrics on the zone's test split, then their macro averages
    over the zones; the pooled test labels and predictions)."""
    pred = Predictor.from_result(result)
    pred.fast = False  # the report's scores from the float64 reference
    rows_out = []
    pooled = collections.defaultdict(list)
    for z in s.zones:
        te = (s.zone == z) & (s.split == "test")
        if not te.any():
            notes.append(f"Zone {z} has no test samples.")
            continue
        out = pred.predict_zone(z, s.X[te])
        for j, h in enumerate(HAZARDS):
            own = s.hazard[te] == h
            yt = s.label[te][own]
            if len(np.unique(yt)) < 2:
                notes.append(f"Zone {z}: its {h} test samples hold one class only; no {h} "
                             f"metrics for it.")
                continue
            pooled[f"y_{h}"].append(yt)
            n_pres = int(yt.sum())
            if n_pres < MIN_TEST_PRESENCES:
                notes.append(f"Zone {z}: its {h} test split holds {n_pres} presence(s), fewer "
                             f"than {MIN_TEST_PRESENCES}: its {h} AUCs are uncertain (see "
                             f"their 95 % bootstrap intervals).")
            for m in MODELS:
                pm = out[f"p_{m}"][own, j]
                lo, hi = auc_interval(yt, pm, seed=seed)
                rows_out.append(dict(zone=z, hazard=h, model=m.upper(), n=int(own.sum()),
                                     presences=n_pres, **scores(yt, pm), auc_low=lo,
                                     auc_high=hi))
                pooled[f"{m}_{h}"].append(pm)
    return rows_out + _macro_rows(rows_out), \
        {k: np.concatenate(v).astype(float) for k, v in pooled.items()}


def _macro_rows(rows):
    """Per hazard and model, the metrics averaged over the zones (NaN left out)."""
    out = []
    for h in HAZARDS:
        for m in MODELS:
            sel = [r for r in rows if r["hazard"] == h and r["model"] == m.upper()]
            if sel:
                macro = {k: float(np.nanmean([r[k] for r in sel])) for k in METRICS}
                out.append(dict(zone="macro", hazard=h, model=m.upper(),
                                n=int(sum(r["n"] for r in sel)), **macro))
    return out


#: a zone's test split with fewer presences than this gets a warning about its AUCs
MIN_TEST_PRESENCES = 30


def auc_interval(y, p, n_boot=500, seed=0, level=0.95):
    """Percentile bootstrap interval of the AUC of (y, p): ``n_boot`` seeded resamples of the
    rows, stratified by class (each resample keeps the presences' and absences' counts)."""
    from ..stats.metrics import roc_auc
    y = np.asarray(y).astype(int)
    p = np.asarray(p, float)
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan"), float("nan")
    rng = np.random.default_rng([int(seed), 30])
    yy = np.r_[np.ones(len(pos), int), np.zeros(len(neg), int)]
    vals = np.empty(n_boot)
    for b in range(n_boot):
        idx = np.r_[rng.choice(pos, len(pos)), rng.choice(neg, len(neg))]
        vals[b] = roc_auc(yy, p[idx])
    a = (1 - level) / 2
    return float(np.quantile(vals, a)), float(np.quantile(vals, 1 - a))


def train_gate(Z, Y, seed=0, epochs=200, batch=256, patience=10, holdout=0.2):
    """Fit the MoE gate on expert probabilities ``Z`` and labels ``Y``; early stopping on a
    seeded ``holdout`` share of these (validation-split) rows."""
    from ..util import nnfit
    from ..util.deps import require
    require("tensorflow")
    gate, _ = build_gate(n_experts=2, h=len(HAZARDS))
    rng = np.random.default_rng(seed)
    perm = rng.permutation(len(Z))
    n_ho = max(1, int(round(holdout * len(Z))))
    ho, fit = perm[:n_ho], perm[n_ho:]
    return gate, nnfit.fit(gate, Z[fit], Y[fit], Z[ho], Y[ho], epochs=epochs, batch=batch,
                           patience=patience, seed=seed)


# -- applying the set --------------------------------------------------------------------------
class Predictor:
    """Applies a model set to factor values of any zone. Built from a bundle file's bytes so
    that it pickles small and loads its models lazily in each process (threads share them);
    ``manifest`` is the bundle's typed manifest. ``fast``: the networks run in the float32
    loops of core.multihazard.forward32 (True), in the float64 reference (False), or (None)
    in the loops when numba is here; the maps decide it once, before the tiles go out, so
    every worker computes the same numbers. With ``fast`` the Late Fusion models run in
    core.multihazard.trees' loops where those give XGBoost's bits (each model checked once per
    process; the others stay XGBoost's)."""

    def __init__(self, data, manifest=None, fast=None):
        self.data = data
        self.manifest = manifest if manifest is not None else read_manifest(data)
        self.fast = fast
        self._state = None
        self._trees = False  # the Late Fusion models put in compiled loops (with fast)
        self._lock = threading.Lock()

    @classmethod
    def from_result(cls, result):
        p = cls(None, bundle_manifest(result))
        p._state = (result.sets, result.sources)
        return p

    @classmethod
    def from_file(cls, path):
        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise InputError(f"The model bundle '{path}' cannot be read: {exc}", "MODEL")
        return cls(data, read_manifest(data, path))

    def __getstate__(self):
        return {"data": self.data, "manifest": self.manifest, "fast": self.fast}

    def __setstate__(self, state):
        self.data, self.manifest = state["data"], state["manifest"]
        self.fast = state.get("fast")
        self._state = None
        self._trees = False
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._state is None:
                self._state = _load_bundle(self.data)
            if self.fast and not self._trees:
                from . import trees
                for ms in self._state[0].values():
                    ms.lf = {h: trees.compiled(est) for h, est in ms.lf.items()}
                self._trees = True
        return self._state

    def predict_zone(self, z, Xall, wanted=MODELS):
        """Dict of arrays for the rows ``Xall`` (every bundle factor) in zone ``z``: p_lf,
        p_ef, p_moe (n, 2), logdet and rho (n,), w_ef (n,). With shrinkage weights in the
        bundle, the probabilities lean on the all-zone models (see :func:`train`)."""
        sets, sources = self._load()
        w = self.manifest.shrink.get(z)
        memo = {}  # a model the zone shares with all zones runs once
        out = self._predict_sources(sets, sources[z], Xall, wanted, memo)
        if w is None or all(v >= 1.0 for v in w.values()):
            return out
        base = self._predict_sources(sets, {k: ALL for k in sources[z]}, Xall,
                                     tuple(m for m in wanted if m in MODELS), memo)
        wz = np.array([w[h] for h in HAZARDS])[None, :]
        for m in MODELS:
            key = f"p_{m}"
            if key in out and self.use_fast():
                from .forward32 import shrink
                out[key] = shrink(out[key], base[key], wz[0])
            elif key in out:
                a = np.clip(out[key], 1e-7, 1 - 1e-7)
                b = np.clip(base[key], 1e-7, 1 - 1e-7)
                lg = wz * np.log(a / (1 - a)) + (1 - wz) * np.log(b / (1 - b))
                out[key] = 1 / (1 + np.exp(-lg))
        return out

    def _predict_sources(self, sets, src, Xall, wanted, memo=None):
        out = {}
        memo = {} if memo is None else memo
        fast = self.use_fast()
        need_ef = "ef" in wanted or "moe" in wanted
        need_lf = "lf" in wanted or "moe" in wanted

        def cols(k):  # a set's model columns, once per call
            if ("cols", k) not in memo:
                memo[("cols", k)] = sets[k].columns(Xall)
            return memo[("cols", k)]
        if need_lf:
            for h in HAZARDS:
                key = ("lf", src[f"lf_{h}"], h)
                if key not in memo:  # XGBoost reads float32 (the same values, cast once)
                    if ("cols32", key[1]) not in memo:
                        memo[("cols32", key[1])] = np.ascontiguousarray(cols(key[1]),
                                                                        np.float32)
                    memo[key] = sets[key[1]].lf_predict(h, Xall, memo[("cols32", key[1])])
            out["p_lf"] = np.column_stack([memo[("lf", src[f"lf_{h}"], h)] for h in HAZARDS])
        if need_ef:
            key = ("ef", src["ef"])
            if key not in memo:
                memo[key] = sets[key[1]].ef_predict(Xall, fast, cols(key[1]))
            out["p_ef"], out["logdet"], out["rho"] = memo[key]
        if "di" in wanted:  # the area of applicability of the zone's own (EF) model set
            ms = sets[src["ef"]]
            app = ms.applicability()
            if app is None:
                raise InputError("The model bundle keeps no training rows for the area of "
                                 "applicability (it was written by an earlier version): train "
                                 "it again with 'Train multi-hazard models'.", "MODEL")
            out["di"] = app.di(cols(src["ef"]))
            out["aoa"] = app.inside(out["di"])
        if "moe" in wanted:
            zz = np.column_stack([out["p_lf"], out["p_ef"]]).astype(np.float32)  # as in training
            g = sets[src["gate"]]
            if fast:
                from .forward32 import gate
                p_moe, w = gate(g.gate_w, zz, len(HAZARDS))
            else:
                p_moe, w = gate_forward(g.gate_w, zz, len(HAZARDS))
            out["p_moe"], out["w_ef"] = p_moe.astype(float), w[:, 1].astype(float)
        return out

    def use_fast(self):
        """Whether the networks run in the float32 loops (``fast``; None: when numba is
        here, decided once)."""
        if self.fast is None:
            from .forward32 import available
            self.fast = available()
        return self.fast

    @property
    def zones(self):
        return self.manifest.zones


# -- the bundle file ---------------------------------------------------------------------------
EF_WEIGHTS, GATE_WEIGHTS = 18, 6  # arrays of the Early Fusion network and of a gate


@dataclass
class ModelSetSpec:
    """One zone's (or all zones') models in a bundle's manifest."""

    key: str
    features: list[int]
    encoding: Encoding
    lf: list[str]
    lf_params: dict[str, Free] = field(default_factory=dict)
    ef_inputs: typing.Optional[int] = None
    ef_mean: typing.Optional[list[float]] = None
    ef_std: typing.Optional[list[float]] = None
    ef_cal: typing.Optional[list[list[float]]] = None
    gate: bool = False
    aoa_rows: int = 0  # real training rows kept for the area of applicability


@dataclass
class BundleManifest(Manifest):
    """The manifest of a multi-hazard model bundle (``.mhz``)."""

    FORMAT: typing.ClassVar[str] = "hazard-multihazard-bundle/2"
    LABEL: typing.ClassVar[str] = "multi-hazard model bundle (.mhz)"
    ADVICE: typing.ClassVar[str] = "Train it again with 'Train multi-hazard models'."
    MAX_BYTES: typing.ClassVar[int] = 2048 * MiB

    hazards: list[str]
    names: list[str]
    categorical: list[bool]
    zones: list[str]
    sources: dict[str, dict[str, str]]
    sets: list[ModelSetSpec]
    seed: int = 0
    crs_wkt: str = ""
    algorithm: str = ""
    metrics: Free = None
    notes: Free = None
    versions: dict[str, str] = field(default_factory=dict)
    shrink: dict[str, dict[str, float]] = field(default_factory=dict)

    def validate(self, where):
        keys = [s.key for s in self.sets]
        bad = self.hazards != list(HAZARDS) or len(self.names) != len(self.categorical) \
            or len(set(keys)) != len(keys) or set(self.sources) != set(self.zones)
        bad |= not set(self.shrink) <= set(self.zones) or (
            bool(self.shrink) and ALL not in keys) or any(
            set(w) != set(HAZARDS) or not all(0.0 <= v <= 1.0 for v in w.values())
            for w in self.shrink.values())
        for src in self.sources.values():
            bad |= not set(src) <= {"lf_flood", "lf_landslide", "ef", "gate"} or \
                not set(src.values()) <= set(keys)
        for s in self.sets:
            n = len(s.encoding.columns)
            bad |= any(not 0 <= i < len(self.names) for i in s.features) or \
                not set(s.lf) <= set(self.hazards) or len(s.features) != len(s.encoding.names)
            bad |= s.ef_inputs is not None and (
                s.ef_inputs != n or s.ef_mean is None or s.ef_std is None or s.ef_cal is None
                or len(s.ef_mean) != n or len(s.ef_std) != n or len(s.ef_cal) != len(HAZARDS)
                or any(len(c) != 3 for c in s.ef_cal))
        if bad:
            raise ModelFileError(f"{where}: zones, sources and model sets do not agree: the "
                                 f"file is damaged or altered.")


def bundle_manifest(result, **fields):
    """The typed manifest (core.io.modelfile.BundleManifest) of a TrainResult; ``fields``:
    provenance (seed, crs_wkt, algorithm)."""
    from ..susceptibility.estimators import versions
    sets = []
    for key, ms in result.sets.items():
        spec = ModelSetSpec(key, [int(i) for i in ms.features], ms.encoding, sorted(ms.lf),
                            ms.lf_params, gate=ms.gate_w is not None,
                            aoa_rows=len(ms.aoa[0]) if ms.aoa is not None else 0)
        if ms.ef_w is not None:
            spec.ef_inputs = int(ms.ef_w[0].shape[0])
            spec.ef_mean, spec.ef_std = ms.ef_mean.tolist(), ms.ef_std.tolist()
            spec.ef_cal = [[c.a, c.b, c.c] for c in ms.ef_cal]
        sets.append(spec)
    return BundleManifest(hazards=list(HAZARDS), names=list(result.names),
                          categorical=list(result.categorical), zones=list(result.zones),
                          sources=result.sources, sets=sets, metrics=result.metrics,
                          notes=result.notes, versions=versions(),
                          shrink=dict(result.shrink), **fields)


def save_bundle(path, result, **fields):
    """One model file (``.mhz``): the typed manifest, XGBoost JSON per Late Fusion model and
    the weights of the Early Fusion networks and gates as plain arrays. Nothing in it can run
    code: the networks are rebuilt from this plugin's code and only their weights are read."""
    from ..io import modelfile
    arrays, blobs = {}, {}
    for i, (key, ms) in enumerate(result.sets.items()):
        for h, est in ms.lf.items():
            blobs[f"sets/{i}/lf_{h}"] = bytes(est.get_booster().save_raw(raw_format="json"))
        for name, weights in (("ef_w", ms.ef_w), ("gate_w", ms.gate_w)):
            for j, w in enumerate(weights or ()):
                arrays[f"sets/{i}/{name}{j}"] = np.asarray(w)
        if ms.aoa is not None:
            rows, folds, w = ms.aoa
            arrays.update({f"sets/{i}/aoa_train": np.asarray(rows, float),
                           f"sets/{i}/aoa_folds": np.asarray(folds, np.int64),
                           f"sets/{i}/aoa_weights": np.asarray(w, float)})
    return modelfile.write(path, bundle_manifest(result, **fields), arrays, blobs)


def read_manifest(data, path=None):
    """The typed manifest of a bundle (its bytes or its path); no TensorFlow needed."""
    from ..io import modelfile
    return modelfile.read_manifest(data, BundleManifest,
                                   f"'{path}'" if path else None)


def _load_bundle(data):
    """(sets, sources) rebuilt from a bundle's bytes."""
    from ..io import modelfile
    from ..susceptibility.estimators import xgboost_from_json
    mf = modelfile.read(data, BundleManifest)
    sets = {}
    for i, e in enumerate(mf.manifest.sets):
        ms = ModelSet(e.key, list(e.features), e.encoding)
        for h in e.lf:
            est = xgboost_from_json(mf.blob(f"sets/{i}/lf_{h}"), len(e.encoding.columns),
                                    f"the bundle (Late Fusion, {h}, models '{e.key}')",
                                    mf.manifest.ADVICE)
            est.set_params(n_jobs=1)
            ms.lf[h] = est
        if e.ef_inputs is not None:
            ms.ef_w = _weights(mf, f"sets/{i}/ef_w", EF_WEIGHTS, e.ef_inputs)
            ms.ef_mean, ms.ef_std = np.array(e.ef_mean), np.array(e.ef_std)
            ms.ef_cal = []
            for a, b, c in e.ef_cal:
                cal = BetaCalibration()
                cal.a, cal.b, cal.c = a, b, c
                ms.ef_cal.append(cal)
        if e.gate:
            ms.gate_w = _weights(mf, f"sets/{i}/gate_w", GATE_WEIGHTS, 2 * len(HAZARDS))
        if e.aoa_rows:
            from ..susceptibility.applicability import read_rows
            ms.aoa = read_rows(mf, f"sets/{i}/aoa_", e.aoa_rows, len(e.encoding.columns),
                               f"the bundle (models '{e.key}')", mf.manifest.ADVICE)
        sets[e.key] = ms
    return sets, mf.manifest.sources


def _weights(mf, prefix, n, n_inputs):
    """Network weights as float64 arrays, checked by running the network on one row of
    ``n_inputs`` zeros, so that inference cannot fail midway through a map."""
    w = [mf.array(f"{prefix}{j}", "f").astype(np.float64) for j in range(n)]
    try:
        if f"{prefix}{n}" in mf.arrays or not all(np.isfinite(a).all() for a in w):
            raise ValueError("extra or non-finite arrays")
        z = np.zeros((1, n_inputs))
        if n == EF_WEIGHTS:
            if early_fusion_forward(w, z).shape[1] != len(HAZARDS) + n_chol(len(HAZARDS)):
                raise ValueError("the network's outputs are not a mean and a Cholesky factor")
        else:
            gate_forward(w, z, len(HAZARDS))
    except (ValueError, IndexError) as exc:
        raise ModelFileError(f"The network weights '{prefix}*' in the bundle do not fit the "
                             f"network ({exc}): the file is damaged or altered. "
                             f"{mf.manifest.ADVICE}")
    return w
