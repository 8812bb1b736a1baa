"""Evaluating susceptibility maps, frequency ratios and factor screening, block by block."""
from __future__ import annotations

import numpy as np

from ..stats import metrics as mt
from ..stats.breaks import BreakSample, class_names, classify, natural_breaks
from ..util.errors import InputError
from ..util.progress import as_feedback
from ..io.raster import sample_at
from .training import METRIC_COLS

HIST_BINS = np.linspace(0.0, 1.0, 21)


def map_statistics(stack, band=0, class_limits=None, feedback=None, sample=1_000_000, seed=0):
    """Exact mean, std and histogram (20 bins over [0, 1]) of a probability band, the pixel
    count of each class (natural breaks of a seeded sample when ``class_limits`` is None) and
    the limits used."""
    fb = as_feedback(feedback)
    sampler = BreakSample(sample, stack.grid.xsize * stack.grid.ysize, seed)
    n = s1 = s2 = 0.0
    lo, hi = np.inf, -np.inf
    hist = np.zeros(len(HIST_BINS) - 1, np.int64)
    kept = []
    wins = list(stack.windows())
    for k, win in enumerate(wins):
        fb.check()
        v = stack.read(win)[band]
        v = v[~np.isnan(v)]
        n += v.size
        s1 += v.sum()
        s2 += (v * v).sum()
        if v.size:
            lo, hi = min(lo, float(v.min())), max(hi, float(v.max()))
        hist += np.histogram(np.clip(v, 0, 1), HIST_BINS)[0]
        kept.append(sampler.take(v))
        fb.report(0.5 * (k + 1) / len(wins))
    if n == 0:
        raise InputError("The susceptibility map holds no valid pixel.", "PROBABILITY")
    if class_limits is None:
        class_limits = natural_breaks(np.concatenate(kept), 5, sample=0, seed=seed)
    counts = np.zeros(len(class_limits) + 1, np.int64)
    for k, win in enumerate(wins):
        fb.check()
        v = stack.read(win)[band]
        v = v[~np.isnan(v)]
        counts += np.bincount(classify(v, class_limits), minlength=len(counts))
        fb.report(0.5 + 0.5 * (k + 1) / len(wins))
    mean = s1 / n
    return {"mean": float(mean), "std": float(np.sqrt(max(s2 / n - mean * mean, 0.0))),
            "n": int(n), "hist": hist, "limits": np.asarray(class_limits), "counts": counts,
            "min": lo, "max": hi}


def evaluate_map(stack, presences_xy, absences_xy, class_limits=None, threshold=0.5,
                 feedback=None, seed=0):
    """Threshold metrics and AUC at the samples, SCAI per class and LSI statistics. A map with
    values outside [0, 1] is refused (it is not a probability); samples off the map or on its
    nodata are left out and counted in ``stats["dropped"]`` (presences, absences)."""
    fb = as_feedback(feedback)
    stats = map_statistics(stack, 0, class_limits, fb.sub(0.1, 1.0), seed=seed)
    if stats["min"] < 0 or stats["max"] > 1:
        raise InputError(f"The map holds values from {stats['min']:g} to {stats['max']:g}: it is "
                         f"not a probability (0 to 1) and its AUC, Brier score and thresholds "
                         f"would mean nothing. Evaluate the probability output of 'Apply "
                         f"susceptibility model'.", "PROBABILITY")
    metrics, rows, roc, stats["dropped"], stats["samples"] = score_at(
        stack, stats, presences_xy, absences_xy, threshold)
    return metrics, rows, stats, roc


def inside_outside(extra, limits, presences_xy, absences_xy, threshold=0.5, aoa=None,
                   uncertainty=None, feedback=None):
    """What an area-of-applicability mask and a prediction-uncertainty raster add to a map's
    evaluation. ``extra``: a stack whose band 0 is the probability, band ``aoa`` the AOA mask
    (1 inside, 0 outside) and band ``uncertainty`` the spread (either None when not given).
    Returns {"area": {"inside", "outside"} pixels, "rows": threshold metrics of the points
    inside and outside (with the shares of area and of presences), "class_uncertainty": mean
    spread per class of ``limits``}."""
    fb = as_feedback(feedback)
    n_cls = len(limits) + 1
    area = {"inside": 0, "outside": 0}
    s_unc = np.zeros(n_cls)
    n_unc = np.zeros(n_cls, np.int64)
    wins = list(extra.windows())
    for k, win in enumerate(wins):
        fb.check()
        d = extra.read(win)
        ok = ~np.isnan(d[0])
        if aoa is not None:
            area["inside"] += int((ok & (d[aoa] == 1)).sum())
            area["outside"] += int((ok & (d[aoa] == 0)).sum())
        if uncertainty is not None:
            c = classify(d[0][ok], limits)
            s_unc += np.bincount(c, d[uncertainty][ok], minlength=n_cls)
            n_unc += np.bincount(c, minlength=n_cls)
        fb.report((k + 1) / len(wins))
    out = {"area": area, "rows": [], "class_uncertainty": []}
    if uncertainty is not None:
        out["class_uncertainty"] = [
            {"class": n, "pixels": int(c), "mean_uncertainty": float(t / c) if c else None}
            for n, c, t in zip(class_names(n_cls), n_unc, s_unc)]
    if aoa is not None:
        v1 = sample_at(extra, *presences_xy)
        v0 = sample_at(extra, *absences_xy)
        total = max(1, area["inside"] + area["outside"])
        n_pres = max(1, int((~np.isnan(v1[:, aoa])).sum()))
        for name, code in (("inside the AOA", 1), ("outside the AOA", 0)):
            a, b = v1[v1[:, aoa] == code, 0], v0[v0[:, aoa] == code, 0]
            row = {"set": name, "area_pct": 100.0 * area["inside" if code else "outside"] /
                   total, "inventory_pct": 100.0 * len(a) / n_pres}
            if len(a) and len(b):
                y = np.r_[np.ones(len(a)), np.zeros(len(b))]
                row.update(mt.threshold_metrics(y, np.r_[a, b], threshold))
            else:
                row.update({"n": len(a) + len(b), "presences": len(a)})
            out["rows"].append(row)
    return out


def score_at(stack, stats, presences_xy, absences_xy, threshold=0.5,
             where=("HAZARDS", "ABSENCES")):
    """The map of ``stack`` scored at presences and absences, classes as in ``stats`` (of
    :func:`map_statistics`): (threshold metrics, SCAI rows, ROC curve, {presences, absences}
    left out off the map or on its nodata, (y, p)). ``where``: the inputs to name when no
    presence or no absence is left."""
    p1 = sample_at(stack, *presences_xy)[:, 0]
    p0 = sample_at(stack, *absences_xy)[:, 0]
    dropped = {"presences": int(np.isnan(p1).sum()), "absences": int(np.isnan(p0).sum())}
    p1, p0 = p1[~np.isnan(p1)], p0[~np.isnan(p0)]
    if not len(p1) or not len(p0):
        raise InputError(f"No {'presence' if not len(p1) else 'absence'} lies on a valid pixel of "
                         f"the map: check the layers' extent and CRS.",
                         where[0] if not len(p1) else where[1])
    y = np.r_[np.ones(len(p1)), np.zeros(len(p0))]
    p = np.r_[p1, p0]
    metrics = mt.threshold_metrics(y, p, threshold)
    hazard = np.bincount(classify(p1, stats["limits"]), minlength=len(stats["counts"]))
    rows = mt.scai(stats["counts"], hazard)
    for r, name in zip(rows, class_names(len(rows))):
        r["class"] = name
    return metrics, rows, mt.roc_curve(y, p), dropped, (y, p)


def check_aspect(name, values, input_name="ASPECT"):
    """Refuse a factor named as an aspect whose sampled values are not compass directions:
    values beyond -1 .. 360 (GDAL marks flat cells -1 or 0), or values that stay in the first
    quadrant the way a slope in degrees does (fewer than 5 % above 90: a real aspect over a
    study area faces every way, three quarters of it beyond east)."""
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if not len(v):
        return
    lo, hi = float(v.min()), float(v.max())
    beyond = lo < -1 or hi > 360
    one_way = (v > 90).mean() < 0.05
    if beyond or one_way:
        why = (f"its values run from {lo:.4g} to {hi:.4g}, beyond 0 .. 360" if beyond else
               f"only {100 * (v > 90).mean():.1f} % of its values exceed 90 (range {lo:.4g} .. "
               f"{hi:.4g}), as for a slope in degrees, not an aspect facing every way")
        raise InputError(f"Factor '{name}' is named as an aspect, to be binned into 8 compass "
                         f"sectors, but {why}. Name only aspect rasters (degrees clockwise "
                         f"from north, 0 .. 360) as aspect factors.", input_name)


def frequency_ratio_table(stack, presences_xy, classes=5, aspect=(), feedback=None,
                          sample=100_000, seed=0):
    """Li & Tian (2025) table 2 for every factor of ``stack``: classes (natural breaks for
    continuous
    factors, one class per value for categorical ones, 8 compass sectors for the factors named
    in ``aspect``), pixels, hazards, %area E, %hazard F, FR = F/E, RF and the factor's maximum
    FR. Returns (rows, plan) where plan[name] = ("breaks"|"values"|"aspect", limits/values)."""
    fb = as_feedback(feedback)
    sampler = BreakSample(sample, stack.grid.xsize * stack.grid.ysize, seed)
    nb = len(stack)
    wins = list(stack.windows())
    samples = [[] for _ in range(nb)]
    values = [set() for _ in range(nb)]
    for k, win in enumerate(wins):
        fb.check()
        d = stack.read(win)
        ok = ~np.isnan(d[0])
        keep = ok & sampler.pick(ok.shape)
        for j in range(nb):
            if stack.categorical[j]:
                values[j].update(np.unique(d[j][ok]).tolist())
            else:
                samples[j].append(d[j][keep])
        fb.report(0.3 * (k + 1) / len(wins))
    plan = {}
    for j, name in enumerate(stack.names):
        if name in aspect and not stack.categorical[j]:
            check_aspect(name, np.concatenate(samples[j]) if samples[j] else np.empty(0))
        if name in aspect:
            plan[name] = ("aspect", np.array([22.5, 67.5, 112.5, 157.5, 202.5, 247.5, 292.5,
                                              337.5]))
        elif stack.categorical[j]:
            plan[name] = ("values", np.array(sorted(values[j])))
        else:
            plan[name] = ("breaks", natural_breaks(np.concatenate(samples[j]), classes,
                                                   sample=0, seed=seed))
    counts = {n: np.zeros(_n_classes(plan[n]), np.int64) for n in stack.names}
    for k, win in enumerate(wins):
        fb.check()
        d = stack.read(win)
        ok = ~np.isnan(d[0])
        for j, name in enumerate(stack.names):
            c = codes(plan[name], d[j][ok])
            counts[name] += np.bincount(c, minlength=len(counts[name]))
        fb.report(0.3 + 0.6 * (k + 1) / len(wins))
    hv = sample_at(stack, *presences_xy)
    valid = ~np.isnan(hv).any(axis=1)
    if not valid.any():
        raise InputError(f"None of the {len(hv)} hazard(s) lies on a pixel with data in every "
                         f"factor: check the CRS and extent of the hazard layer and of the "
                         f"factors.", "HAZARDS")
    if not valid.all():
        fb.info(f"{int((~valid).sum())} of {len(hv)} hazard(s) outside the rasters or on "
                f"nodata were left out.")
    hv = hv[valid]
    rows = []
    for j, name in enumerate(stack.names):
        hc = np.bincount(codes(plan[name], hv[:, j]), minlength=len(counts[name]))
        E, F, fr, rf = mt.frequency_ratio(counts[name], hc)
        labels = class_labels(plan[name])
        for i in range(len(E)):
            rows.append({"factor": name, "class": labels[i], "pixels": int(counts[name][i]),
                         "hazards": int(hc[i]), "area_pct": float(E[i]),
                         "hazard_pct": float(F[i]), "FR": float(fr[i]), "RF": float(rf[i]),
                         "max_FR": float(fr.max())})
    return rows, plan


FR_COLUMNS = ["factor", "class", "pixels", "hazards", "area_pct", "hazard_pct", "FR", "RF",
              "max_FR"]


def write_fr_index(stack, rows, plan, path, feedback=None):
    """The FR index raster: the sum over the factors of the frequency ratio of the class each
    pixel falls in (``rows``, ``plan`` from :func:`frequency_ratio_table`); written block by
    block, NaN where the first factor has no value."""
    from ..io.raster import RasterWriter
    from ..util.partial import AtomicOutput
    fb = as_feedback(feedback)
    lookup = {}
    for r in rows:
        lookup.setdefault(r["factor"], []).append(r["FR"])
    wins = list(stack.windows())
    with AtomicOutput(path) as tmp:
        w = RasterWriter(tmp, stack.grid, ["fr_index"])
        try:
            for k, win in enumerate(wins):
                fb.check()
                d = stack.read(win)
                ok = ~np.isnan(d[0])
                out = np.full(ok.shape, np.nan, np.float32)
                tot = np.zeros(int(ok.sum()))
                for j, name in enumerate(stack.names):
                    tot += np.asarray(lookup[name])[codes(plan[name], d[j][ok])]
                out[ok] = tot
                w.write(win, out)
                fb.report((k + 1) / len(wins))
        finally:
            w.close()
    return path


MAP_EVALUATION_COLUMNS = (["table"] + METRIC_COLS[1:] +
                          ["TP", "FP", "TN", "FN", "class", "area_pixels", "area_pct", "hazard",
                           "hazard_pct", "SCAI", "set", "inventory_pct", "pixels",
                           "mean_uncertainty"])


def _n_classes(p):
    kind, v = p
    return 8 if kind == "aspect" else (len(v) if kind == "values" else len(v) + 1)


def codes(p, x):
    kind, v = p
    x = np.asarray(x, float)
    if kind == "aspect":  # N, NE, E, ... NW: north wraps around 360
        return (np.searchsorted(v, x % 360.0, side="right") % 8).astype(np.intp)
    if kind == "values":
        return np.clip(np.searchsorted(v, x), 0, max(0, len(v) - 1)).astype(np.intp)
    return classify(x, v)


def class_labels(p):
    kind, v = p
    if kind == "aspect":
        return ["N", "NE", "E", "SE", "S", "SW", "W", "NW"]
    if kind == "values":
        return [f"{x:g}" for x in v]
    edges = [f"{x:.4g}" for x in v]
    return ([f"<= {edges[0]}"] if edges else []) + [
        f"{edges[i]} - {edges[i + 1]}" for i in range(len(edges) - 1)] + (
        [f"> {edges[-1]}"] if edges else ["all"])
