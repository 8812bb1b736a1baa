"""Evaluation metrics of susceptibility maps and models (METHODS.md section 2)."""
from __future__ import annotations

import numpy as np

from ..util.errors import InputError


def confusion(y, p, threshold=0.5):
    """(TP, FP, TN, FN) of probabilities ``p`` at ``threshold``: a probability that *exceeds*
    the threshold is positive, as the Rangamati Mahalanobis study says (random-forest vote
    fractions hit 0.5
    exactly, and a tie is not a prediction of presence)."""
    y = np.asarray(y).astype(int)
    pred = np.asarray(p, float) > threshold
    tp = int(np.sum(pred & (y == 1)))
    fp = int(np.sum(pred & (y == 0)))
    tn = int(np.sum(~pred & (y == 0)))
    fn = int(np.sum(~pred & (y == 1)))
    return tp, fp, tn, fn


def kappa(tp, fp, tn, fn):
    """Cohen's kappa with P_obs = (TP+TN)/N and
    P_exp = [(TP+FN)(TP+FP) + (FN+TN)(FP+TN)] / N^2."""
    n = tp + fp + tn + fn
    if n == 0:
        return float("nan")
    p_obs = (tp + tn) / n
    p_exp = ((tp + fn) * (tp + fp) + (fn + tn) * (fp + tn)) / (n * n)
    return float((p_obs - p_exp) / (1 - p_exp)) if p_exp < 1 else float("nan")


def roc_auc(y, p):
    """Area under the ROC curve (Mann-Whitney, ties counted half)."""
    from scipy.stats import rankdata
    y = np.asarray(y).astype(int)
    p = np.asarray(p, float)
    n1, n0 = int((y == 1).sum()), int((y == 0).sum())
    if n1 == 0 or n0 == 0:
        raise InputError("AUC needs both presences and absences.", "SAMPLES")
    r = rankdata(p)
    return float((r[y == 1].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def roc_curve(y, p):
    """False and true positive rates over all thresholds (from (0,0) to (1,1))."""
    y = np.asarray(y).astype(int)
    p = np.asarray(p, float)
    order = np.argsort(-p, kind="mergesort")
    ys, ps = y[order], p[order]
    distinct = np.r_[np.nonzero(np.diff(ps))[0], len(ps) - 1]
    tps = np.cumsum(ys)[distinct]
    fps = (distinct + 1) - tps
    tpr = np.r_[0.0, tps / max(1, ys.sum())]
    fpr = np.r_[0.0, fps / max(1, (1 - ys).sum())]
    return fpr, tpr


def threshold_metrics(y, p, threshold=0.5):
    """Every metric of METHODS.md section 2 as a dict."""
    tp, fp, tn, fn = confusion(y, p, threshold)
    y = np.asarray(y).astype(int)
    p = np.asarray(p, float)

    def ratio(a, b):
        return float(a / b) if b else float("nan")
    prec = ratio(tp, tp + fp)
    rec = ratio(tp, tp + fn)
    return {"n": int(len(y)), "presences": int(y.sum()), "threshold": float(threshold),
            "TP": tp, "FP": fp, "TN": tn, "FN": fn,
            "TPR": rec, "TNR": ratio(tn, tn + fp), "accuracy": ratio(tp + tn, len(y)),
            "precision": prec, "recall": rec,
            "F1": (ratio(2 * prec * rec, prec + rec) if prec == prec and rec == rec
                   else float("nan")),
            "kappa": kappa(tp, fp, tn, fn), "AUC": roc_auc(y, p),
            "Brier": float(np.mean((p - y) ** 2))}


def _bin_ids(p, bins):
    """Equal-width bins of [0, 1]: bin k holds (k/bins, (k+1)/bins], the first one holds 0."""
    edges = np.linspace(0.0, 1.0, bins + 1)
    return np.searchsorted(edges[1:-1], np.clip(p, 0.0, 1.0), side="left")


def reliability(y, p, bins=10):
    """The reliability curve: per non-empty equal-width probability bin, rows lo, hi, n,
    mean_predicted and observed (the share of presences). A calibrated model's rows lie on
    the diagonal."""
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    ids = _bin_ids(p, bins)
    rows = []
    for k in range(bins):
        sel = ids == k
        if sel.any():
            rows.append({"lo": k / bins, "hi": (k + 1) / bins, "n": int(sel.sum()),
                         "mean_predicted": float(p[sel].mean()),
                         "observed": float(y[sel].mean())})
    return rows


def brier_decomposition(y, p, bins=10):
    """Murphy's decomposition of the Brier score over equal-width probability bins:
    Brier = reliability - resolution + uncertainty + within-bin variance - within-bin
    covariance (Stephenson, Coelho & Jolliffe 2008; the last two vanish when the forecasts
    within a bin are equal). ``reliability`` is the calibration part (0: calibrated)."""
    y = np.asarray(y, float)
    p = np.asarray(p, float)
    if len(y) == 0:
        raise InputError("The Brier decomposition needs samples.", "SAMPLES")
    ids = _bin_ids(p, bins)
    n = len(y)
    obar = float(y.mean())
    rel = res = wbv = wbc = 0.0
    for k in np.unique(ids):
        sel = ids == k
        pk, ok = p[sel].mean(), y[sel].mean()
        rel += sel.sum() * (pk - ok) ** 2
        res += sel.sum() * (ok - obar) ** 2
        wbv += np.sum((p[sel] - pk) ** 2)
        wbc += 2 * np.sum((y[sel] - ok) * (p[sel] - pk))
    return {"brier": float(np.mean((p - y) ** 2)), "reliability": rel / n,
            "resolution": res / n, "uncertainty": obar * (1 - obar),
            "within_variance": wbv / n, "within_covariance": wbc / n}


def calibration(groups, bins=10):
    """The calibration of each of ``groups`` {name: (y, p)} with at least 2 samples:
    {name: (reliability curve, row)}, the row holding the model's name, n, the mean predicted
    probability, the observed share of presences and the Brier score's decomposition."""
    out = {}
    for name, (y, p) in groups.items():
        if len(y) < 2:
            continue
        y, p = np.asarray(y, float), np.asarray(p, float)
        d = brier_decomposition(y, p, bins)
        out[name] = (reliability(y, p, bins),
                     {"model": name, "n": len(y), "mean predicted": float(p.mean()),
                      "observed share": float(y.mean()), "Brier": d["brier"],
                      "reliability": d["reliability"], "resolution": d["resolution"],
                      "uncertainty": d["uncertainty"]})
    return out


def scai(area_counts, hazard_counts):
    """SCAI_i = (% of area in class i) / (% of hazard samples in class i); inf where a class
    holds no hazard. Returns a list of dicts per class."""
    a = np.asarray(area_counts, float)
    h = np.asarray(hazard_counts, float)
    pa = 100 * a / a.sum() if a.sum() else np.full(len(a), np.nan)
    ph = 100 * h / h.sum() if h.sum() else np.full(len(h), np.nan)
    rows = []
    for i in range(len(a)):
        s = float("inf") if ph[i] == 0 else float(pa[i] / ph[i])
        rows.append({"class": i, "area_pixels": int(a[i]), "area_pct": float(pa[i]),
                     "hazard": int(h[i]), "hazard_pct": float(ph[i]), "SCAI": s})
    return rows


def vif(X, names):
    """Variance inflation factors: VIF_j = 1 / (1 - R_j^2), R_j^2 from regressing factor j on
    the others (the diagonal of the inverse correlation matrix)."""
    X = np.asarray(X, float)
    sd = X.std(axis=0)
    const = [names[i] for i in range(len(names)) if sd[i] == 0]
    if const:
        raise InputError(f"Factor(s) {', '.join(const)} are constant over the samples: VIF is "
                         f"undefined; leave them out.", "FACTORS")
    out = []
    for j in range(X.shape[1]):
        others = np.delete(X, j, axis=1)
        if others.shape[1] == 0:
            out.append(1.0)
            continue
        A = np.column_stack([np.ones(len(X)), others])
        coef, *_ = np.linalg.lstsq(A, X[:, j], rcond=None)
        resid = X[:, j] - A @ coef
        r2 = 1 - resid @ resid / ((X[:, j] - X[:, j].mean()) ** 2).sum()
        out.append(float("inf") if r2 >= 1 - 1e-12 else float(1 / (1 - r2)))
    return out


def frequency_ratio(pixel_counts, hazard_counts):
    """Per class: %area E, %hazard F, FR = F / E, RF = FR / sum(FR) (in %)."""
    a = np.asarray(pixel_counts, float)
    h = np.asarray(hazard_counts, float)
    E = 100 * a / a.sum()
    F = 100 * h / h.sum() if h.sum() else np.zeros(len(h))
    with np.errstate(invalid="ignore", divide="ignore"):
        fr = np.where(E > 0, F / E, 0.0)
    rf = 100 * fr / fr.sum() if fr.sum() else np.zeros(len(fr))
    return E, F, fr, rf
