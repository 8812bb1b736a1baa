"""Sampling scenarios compared (Li & Tian (2025) and the Rangamati Mahalanobis study): the same
model trained on several labelled
sample sets and evaluated by three protocols: each set on its own test split (the papers'
protocol), all sets on the same held-out presences against one common background (a common
yardstick), and optionally all sets on an independent inventory."""
import os
import re
from dataclasses import dataclass

import numpy as np

from ..io.raster import AlignedStack, Band, Grid, sample_at
from ..sampling import samplers as smp
from ..stats import metrics as mt
from ..stats.breaks import classify, natural_breaks
from ..util.errors import InputError
from ..util.progress import as_feedback
from .apply import CLASS_NAMES, apply_to_raster
from .estimators import Encoding, make_estimator
from .evaluation import map_statistics
from ..util import tempfiles


@dataclass
class Scenario:
    """One labelled sample set: point coordinates in the stack's CRS and labels 1/0.
    ``slope_threshold``: its absences were drawn by slope threshold (the slope factor is left
    out of its model, as the Rangamati Mahalanobis study recommends)."""
    name: str
    xy: np.ndarray
    y: np.ndarray
    slope_threshold: bool = False


@dataclass
class Comparison:
    rows: list          # one dict per scenario: counts, AUC, kappa, Brier, LSI, SCAI, areas
    hists: dict         # scenario name -> LSI histogram shares over HIST_BINS
    kind: str
    n_held: int
    holdout: float = 0.3
    independent: dict = None  # {"how", "presences", "absences", "left_out"} when given


#: the metrics of each protocol: (column suffix, what it is)
PROTOCOLS = ((" (own split)", "own test split"), ("", "common yardstick"),
             (" (independent)", "independent inventory"))


def safe_name(name):
    """A file name for a scenario's map."""
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", name)


def compare_scenarios(stack, scenarios, kind="rf", params=None, holdout=0.3, slope_name=None,
                      seed=0, maps=None, feedback=None, log=None, independent=None):
    """Hold a seeded share ``holdout`` of the unique presence locations of all scenarios out of
    every training set, and the same share of each scenario's absences (seeded, per scenario);
    train ``kind`` on each scenario's remaining samples and score it by three protocols:

    * own test split (Li & Tian (2025) and the Rangamati Mahalanobis study): its held-out
    presences and its held-out absences;
    * common yardstick: all held-out presences against 10 random valid background pixels per
      held-out presence, the same for every scenario (columns without a suffix);
    * independent inventory, when ``independent`` = (presences xy, absences xy, how) is given:
      its points, less those in a pixel of any scenario's sample.

    AUC, kappa and Brier at 0.5 for each; each map classified by its own natural breaks (SCAI
    per class with the held-out presences, LSI statistics, class area shares). Maps go to the
    folder ``maps`` when given."""
    fb = as_feedback(feedback)
    log = log or (lambda msg: None)
    if len(scenarios) < 2:
        raise InputError("Give at least two scenarios (layers, or groups of the group field).",
                         "SCENARIOS")
    rng = np.random.default_rng(seed)
    # common held-out presences: unique presence locations of all scenarios
    allp = np.unique(np.round(np.vstack([s.xy[s.y == 1] for s in scenarios]), 3), axis=0)
    held = allp[rng.random(len(allp)) < holdout]
    if len(held) < 5:
        raise InputError(f"Only {len(held)} presences held out: too few to evaluate; give more "
                         f"presences or a larger share.", "HOLDOUT")
    held_keys = {tuple(p) for p in held}
    pres = smp.locate_presences(stack, allp[:, 0], allp[:, 1])
    bx, by, _ = smp.draw(smp.Admissible(stack, pres), 10 * len(held), rng, fb.sub(0, 0.05),
                         what="background pixels")
    ex = np.vstack([sample_at(stack, held[:, 0], held[:, 1]), sample_at(stack, bx, by)])
    ey = np.r_[np.ones(len(held)), np.zeros(len(bx))]
    ok = np.isfinite(ex).all(axis=1)
    ex, ey = ex[ok], ey[ok]
    ind_info, ind = None, None
    if independent is not None:
        ind, ind_info = _independent_set(stack, scenarios, independent)
    if maps:
        os.makedirs(maps, exist_ok=True)
    with tempfiles.workdir("hazard_compare_") as tmpdir:
        rows, hists = [], {}
        for k, sc in enumerate(scenarios):
            row, hists[sc.name] = _scenario(
                stack, sc, kind, params, slope_name, seed, held_keys, ex, ey,
                os.path.join(maps or tmpdir, f"{safe_name(sc.name)}.tif"),
                fb.sub(0.05 + 0.9 * k / len(scenarios), 0.05 + 0.9 * (k + 1) / len(scenarios)),
                holdout, k, ind)
            rows.append(row)
            log(f"{sc.name}: AUC {row['AUC (own split)']:.3f} on its own test split, "
                f"{row['AUC']:.3f} on the common yardstick" +
                (f", {row['AUC (independent)']:.3f} on the independent inventory"
                 if ind is not None else "") + f"; kappa {row['kappa (own split)']:.3f}, "
                f"{row['kappa']:.3f}" + (f", {row['kappa (independent)']:.3f}"
                                         if ind is not None else ""))
    return Comparison(rows, hists, kind, len(held), holdout, ind_info)


def _independent_set(stack, scenarios, independent):
    """The factor values and labels of the independent inventory, less the points in a pixel
    of any scenario's sample (they are no independent evidence) and those off the rasters."""
    from .holdout import sample_independent
    pres, absn, how = independent
    X, lab, left = sample_independent(
        stack, np.concatenate([s.xy[:, 0] for s in scenarios]),
        np.concatenate([s.xy[:, 1] for s in scenarios]), pres, absn, "a scenario's sample")
    info = {"how": how, "presences": int((lab == 1).sum()), "absences": int((lab == 0).sum()),
            "left_out": left}
    return (X, lab), info


def _scenario(stack, sc, kind, params, slope_name, seed, held_keys, ex, ey, path, step,
              holdout=0.3, index=0, ind=None):
    """One scenario's row and LSI histogram: its model trained on its samples that are not held
    out (its presences in ``held_keys``, a seeded share ``holdout`` of its absences), scored on
    its own test split, on the common set (``ex``, ``ey``) and on the independent set ``ind``
    (X, y) when given; its map written to ``path``."""
    test = np.array([tuple(p) in held_keys for p in np.round(sc.xy, 3)]) & (sc.y == 1)
    absent = np.nonzero(sc.y != 1)[0]
    rng = np.random.default_rng([seed, index])  # each scenario's own absence split
    test[absent[rng.random(len(absent)) < holdout]] = True
    Xall = sample_at(stack, sc.xy[:, 0], sc.xy[:, 1])
    good = np.isfinite(Xall).all(axis=1)
    X, y = Xall[good & ~test], sc.y[good & ~test]
    Xo, yo = Xall[good & test], sc.y[good & test]
    cols = [i for i, n in enumerate(stack.names) if not (sc.slope_threshold and n == slope_name)]
    enc = Encoding.fit(X[:, cols], [stack.names[i] for i in cols],
                       [stack.categorical[i] for i in cols])
    est = make_estimator(kind, params or {}, seed, n_rows=len(X)).fit(
        enc.transform(X[:, cols]), y)

    def predict(v):
        return est.predict_proba(enc.transform(v[:, cols]))[:, 1]
    p = predict(ex)
    m = mt.threshold_metrics(ey, p)
    if not (yo == 1).any() or not (yo == 0).any():
        raise InputError(f"Scenario '{sc.name}' has no " +
                         ("presence" if not (yo == 1).any() else "absence") +
                         " in its own test split: give it more samples or hold out a larger "
                         "share.", "HOLDOUT")
    mo = mt.threshold_metrics(yo, predict(Xo))
    mi = mt.threshold_metrics(ind[1], predict(ind[0])) if ind is not None else None
    _, sample = apply_to_raster(stack, predict, path, 1, None, step.sub(0, 0.7), seed=seed)
    limits = natural_breaks(sample, 5, sample=0, seed=seed)
    with AlignedStack([Band(path, 1, "p")], Grid.from_path(path)) as ms:
        st = map_statistics(ms, 0, limits, step.sub(0.7, 1.0))
    hz = np.bincount(classify(p[ey == 1], limits), minlength=5)
    row = {"scenario": sc.name, "presences": int((y == 1).sum()),
           "absences": int((y == 0).sum()), "factors": len(cols),
           "test presences (own)": int((yo == 1).sum()),
           "test absences (own)": int((yo == 0).sum()),
           "AUC": m["AUC"], "kappa": m["kappa"], "Brier": m["Brier"],
           "AUC (own split)": mo["AUC"], "kappa (own split)": mo["kappa"],
           "Brier (own split)": mo["Brier"],
           "LSI_mean": st["mean"], "LSI_std": st["std"]}
    if mi is not None:
        row.update({"AUC (independent)": mi["AUC"], "kappa (independent)": mi["kappa"],
                    "Brier (independent)": mi["Brier"]})
    for name, r in zip(CLASS_NAMES, mt.scai(st["counts"], hz)):
        row[f"SCAI {name}"] = r["SCAI"]
        row[f"area % {name}"] = r["area_pct"]
    return row, st["hist"] / max(1, st["hist"].sum())
