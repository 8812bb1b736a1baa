"""Sampling scenarios compared (papers 001 and 003): the same model trained on several labelled
sample sets and evaluated on the same held-out presences against one common background."""
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
from ..util.report import HtmlReport, figure
from .apply import CLASS_NAMES, apply_to_raster
from .estimators import Encoding, make_estimator
from .evaluation import HIST_BINS, map_statistics
from ..util import tempfiles


@dataclass
class Scenario:
    """One labelled sample set: point coordinates in the stack's CRS and labels 1/0.
    ``slope_threshold``: its absences were drawn by slope threshold (the slope factor is left
    out of its model, as paper 003 recommends)."""
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


def safe_name(name):
    """A file name for a scenario's map."""
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", name)


def compare_scenarios(stack, scenarios, kind="rf", params=None, holdout=0.3, slope_name=None,
                      seed=0, maps=None, feedback=None, log=None):
    """Hold a seeded share ``holdout`` of the unique presence locations of all scenarios out of
    every training set; train ``kind`` on each scenario's remaining samples; evaluate each on the
    held-out presences against 10 random valid background pixels per held-out presence (AUC,
    kappa and Brier at 0.5), classify its map by its own natural breaks (SCAI per class with the
    held-out presences, LSI statistics, class area shares). Maps go to the folder ``maps`` when
    given."""
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
    if maps:
        os.makedirs(maps, exist_ok=True)
    with tempfiles.workdir("hazard_compare_") as tmpdir:
        rows, hists = [], {}
        for k, sc in enumerate(scenarios):
            row, hists[sc.name] = _scenario(
                stack, sc, kind, params, slope_name, seed, held_keys, ex, ey,
                os.path.join(maps or tmpdir, f"{safe_name(sc.name)}.tif"),
                fb.sub(0.05 + 0.9 * k / len(scenarios), 0.05 + 0.9 * (k + 1) / len(scenarios)))
            rows.append(row)
            log(f"{sc.name}: AUC {row['AUC']:.3f}, kappa {row['kappa']:.3f}")
    return Comparison(rows, hists, kind, len(held))


def _scenario(stack, sc, kind, params, slope_name, seed, held_keys, ex, ey, path, step):
    """One scenario's row and LSI histogram: its model trained on its samples that are not held
    out, evaluated on the common set (``ex``, ``ey``), its map written to ``path``."""
    keep = np.array([tuple(p) not in held_keys for p in np.round(sc.xy, 3)])
    X = sample_at(stack, sc.xy[keep, 0], sc.xy[keep, 1])
    y = sc.y[keep]
    good = np.isfinite(X).all(axis=1)
    X, y = X[good], y[good]
    cols = [i for i, n in enumerate(stack.names) if not (sc.slope_threshold and n == slope_name)]
    enc = Encoding.fit(X[:, cols], [stack.names[i] for i in cols],
                       [stack.categorical[i] for i in cols])
    est = make_estimator(kind, params or {}, seed).fit(enc.transform(X[:, cols]), y)

    def predict(v):
        return est.predict_proba(enc.transform(v[:, cols]))[:, 1]
    p = predict(ex)
    m = mt.threshold_metrics(ey, p)
    _, sample = apply_to_raster(stack, predict, path, 1, None, step.sub(0, 0.7), seed=seed)
    limits = natural_breaks(sample, 5, sample=0, seed=seed)
    with AlignedStack([Band(path, 1, "p")], Grid.from_path(path)) as ms:
        st = map_statistics(ms, 0, limits, step.sub(0.7, 1.0))
    hz = np.bincount(classify(p[ey == 1], limits), minlength=5)
    row = {"scenario": sc.name, "presences": int((y == 1).sum()),
           "absences": int((y == 0).sum()), "factors": len(cols),
           "AUC": m["AUC"], "kappa": m["kappa"], "Brier": m["Brier"],
           "LSI_mean": st["mean"], "LSI_std": st["std"]}
    for name, r in zip(CLASS_NAMES, mt.scai(st["counts"], hz)):
        row[f"SCAI {name}"] = r["SCAI"]
        row[f"area % {name}"] = r["area_pct"]
    return row, st["hist"] / max(1, st["hist"].sum())


def comparison_report(path, comp):
    """The HTML report of a :class:`Comparison`."""
    rows = comp.rows
    rep = HtmlReport("Sampling scenarios compared")
    rep.paragraph(f"Model {comp.kind}; {comp.n_held} held-out presences against a common "
                  f"background of random valid pixels.")
    cols = ["scenario", "presences", "absences", "factors", "AUC", "kappa", "Brier", "LSI_mean",
            "LSI_std"]
    rep.table(rows, cols, left=("scenario",))
    rep.heading("SCAI per class (should fall from very low to very high)")
    rep.table(rows, ["scenario"] + [f"SCAI {n}" for n in CLASS_NAMES], left=("scenario",))
    rep.heading("Class area shares (%)")
    rep.table(rows, ["scenario"] + [f"area % {n}" for n in CLASS_NAMES], left=("scenario",))
    fig, ax = figure(6.5, 3.5)
    centres = (HIST_BINS[:-1] + HIST_BINS[1:]) / 2
    for name, h in comp.hists.items():
        ax.plot(centres, h, marker="o", ms=3, label=name)
    ax.set_xlabel("susceptibility index")
    ax.set_ylabel("share of pixels")
    ax.legend(fontsize=8)
    rep.add_figure(fig, "LSI distributions")
    fig, ax = figure(6.5, 3.5)
    for r in rows:
        ax.plot(CLASS_NAMES, [min(r[f"SCAI {n}"], 50) for n in CLASS_NAMES], marker="o",
                label=r["scenario"])
    ax.set_yscale("log")
    ax.set_ylabel("SCAI (capped at 50)")
    ax.legend(fontsize=8)
    rep.add_figure(fig, "SCAI")
    rep.write(path)
    return path
