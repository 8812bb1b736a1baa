"""Zone-wise feature selection of the FL-MHSM study (METHODS.md section 4, table 4): Pearson
screening of the continuous factors, then SHAP shares of an XGBoost model per hazard and zone."""
from __future__ import annotations

import numpy as np


def pearson_screen(X, names, r_max=0.7, categorical=None):
    """Drop one factor of each pair of continuous factors with |r| > r_max, in factor order
    (the later one goes): returns (kept names, {dropped: (kept partner, r)}). Categorical
    factors (``categorical[j]`` true) are not screened: a Pearson correlation of category codes
    means nothing (the FL-MHSM study screens continuous predictors); only a constant one is
    dropped."""
    X = np.asarray(X, float)
    cat = list(categorical) if categorical is not None else [False] * X.shape[1]
    sd = X.std(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.corrcoef(X, rowvar=False) if X.shape[1] > 1 else np.ones((1, 1))
    kept, dropped = [], {}
    for j, n in enumerate(names):
        if sd[j] == 0:
            dropped[n] = ("(constant)", float("nan"))
            continue
        if cat[j]:
            kept.append(n)
            continue
        partner = next((k for k in kept if not cat[names.index(k)]
                        and abs(r[names.index(k), j]) > r_max), None)
        if partner is None:
            kept.append(n)
        else:
            dropped[n] = (partner, float(r[names.index(partner), j]))
    return kept, dropped


SHAP_SAMPLE = 2000  # rows explained by SHAP in the zone-wise selection (the model sees all)


def shap_shares(X, y, seed=0, sample=SHAP_SAMPLE, with_used=False):
    """Share (%) of the mean |SHAP| of each column in an XGBoost model of y on X. The model is
    fitted on every row; SHAP explains a seeded sample of at most ``sample`` rows (0: all),
    so its cost stops growing with the samples (the shares move by about a percentage point
    at 2,000 rows: tests/core/multihazard/test_selection.py). ``with_used`` also returns which
    columns the model splits on at all: a column's mean |SHAP| over the training rows is zero
    exactly when it splits on none, so that decides "zero" whatever the sample."""
    from ..util.deps import require
    xgb = require("xgboost")
    m = xgb.XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1, subsample=0.8,
                          random_state=seed, n_jobs=1, tree_method="hist").fit(X, y)
    rows = X
    if sample and len(X) > sample:
        rows = X[np.sort(np.random.default_rng(seed).choice(len(X), sample, replace=False))]
    contrib = m.get_booster().predict(xgb.DMatrix(rows), pred_contribs=True)[:, :-1]
    mean_abs = np.abs(contrib).mean(axis=0)
    tot = mean_abs.sum()
    shares = 100 * mean_abs / tot if tot > 0 else np.zeros(X.shape[1])
    if not with_used:
        return shares
    split_on = m.get_booster().get_score(importance_type="weight")  # {"f3": splits, ...}
    used = np.array([split_on.get(f"f{j}", 0) > 0 for j in range(X.shape[1])])
    return shares, used


def zone_feature_selection(X, hazard, label, zone, names, r_max=0.7, seed=0, min_samples=20,
                           categorical=None, shap_sample=SHAP_SAMPLE):
    """Per zone: Pearson screening of the continuous factors (categorical ones are reported
    as not screened), then a factor is dropped only if its SHAP share is zero for every
    hazard in that zone (:func:`shap_shares`, SHAP on at most ``shap_sample`` rows; zero
    decided on every row). Returns rows (zone, factor, kept, reason, shap shares) and
    {zone: kept factor names}."""
    X = np.asarray(X, float)
    cat = list(categorical) if categorical is not None else [False] * len(names)
    rows, kept_by_zone = [], {}
    for z in np.unique(zone):
        in_z = zone == z
        kept, dropped = pearson_screen(X[in_z], names, r_max, cat)
        cols = [names.index(n) for n in kept]
        shares, used = {}, {}
        for h in np.unique(hazard):
            sel = in_z & (hazard == h)
            if sel.sum() < min_samples or len(np.unique(label[sel])) < 2:
                continue
            sh, u = shap_shares(X[sel][:, cols], label[sel], seed, shap_sample, with_used=True)
            shares[h], used[h] = dict(zip(kept, sh)), dict(zip(kept, u))
        final = [n for n in kept if not used or any(u[n] for u in used.values())]
        kept_by_zone[str(z)] = final
        for n in names:
            row = {"zone": str(z), "factor": n, "kept": n in final}
            if n in dropped:
                p, r = dropped[n]
                row["reason"] = f"|r| = {abs(r):.2f} with {p}" if p != "(constant)" \
                    else "constant in the zone"
            elif n not in final:
                row["reason"] = "SHAP share 0 for every hazard"
            elif cat[names.index(n)]:
                row["reason"] = "categorical: not screened by Pearson's r"
            else:
                row["reason"] = ""
            for h, s in shares.items():
                row[f"shap_{h}_pct"] = float(s.get(n, float("nan")))
            rows.append(row)
    return rows, kept_by_zone
