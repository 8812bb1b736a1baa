"""GeoDetector on tables and on rasters, optionally per zone.

Data come as chunks ``(y, X, z)`` (response (n,), factors (p, n), zone values (n,) or None),
already restricted to complete samples. Three passes: (1) counts, categories and a seeded sample of each continuous
factor per zone, from which class limits are computed; (2) per-stratum statistics of every
factor; (3) statistics of the overlays of the top factors' pairs. Every pass adds sufficient
statistics, so rasters are read block by block and memory stays bounded.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .breaks import classify, natural_breaks, quantile_breaks
from .errors import InputError
from .geodetector import Strata, factor_from_stats, screen
from .progress import as_feedback

EDGE_SAMPLE = 1_000_000


@dataclass
class Plan:
    zones: list            # zone values (floats); [None] when no zones
    limits: dict           # (zone index, factor index) -> class limits (continuous)
    categories: dict       # factor index -> sorted category values (categorical)
    n_codes: list          # factor index -> number of codes
    labels: dict           # (zone index, factor index) -> list of stratum labels
    total: int
    shift: float


def _codes(plan, zi_arr, X, j, categorical):
    """Stratum codes of factor j for rows with zone indices ``zi_arr``."""
    x = X[j]
    if categorical[j]:
        cats = plan.categories[j]
        c = np.searchsorted(cats, x)
        return np.clip(c, 0, len(cats) - 1)
    if len(plan.zones) == 1:
        return classify(x, plan.limits[(0, j)])
    out = np.empty(x.size, np.intp)
    for zi in np.unique(zi_arr):
        sel = zi_arr == zi
        out[sel] = classify(x[sel], plan.limits[(int(zi), j)])
    return out


def _zone_index(zone_values, zones):
    if zones == [None]:
        return None
    return np.searchsorted(np.asarray(zones, float), zone_values)


def _label(limits, k, lo, hi):
    a = lo if k == 0 else limits[k - 1]
    b = hi if k == len(limits) else limits[k]
    return f"{'[' if k == 0 else '('}{a:.4g}, {b:.4g}]"


def make_plan(chunks, categorical, classes, method, seed, fb):
    """Pass 1: zones, categories, per-zone samples of continuous factors -> class limits.

    Values for the limits are kept with probability EDGE_SAMPLE / ``chunks.upper`` (an upper
    bound of the number of samples), seeded, so one pass suffices."""
    p = len(categorical)
    zone_set, cat_sets = set(), [set() for _ in range(p)]
    counts = {}
    first_mean = None
    rng = np.random.default_rng(seed)
    keep_p = min(1.0, EDGE_SAMPLE / max(1, getattr(chunks, "upper", EDGE_SAMPLE)))
    samples = {}
    lo = {j: np.inf for j in range(p)}
    hi = {j: -np.inf for j in range(p)}
    for y, X, z in chunks():
        fb.check()
        if first_mean is None and y.size:
            first_mean = float(y.mean())
        keep = rng.random(len(y)) < keep_p if keep_p < 1 else np.ones(len(y), bool)
        zs = np.unique(z) if z is not None else [None]
        for zv in zs:
            key = None if zv is None else float(zv)
            zone_set.add(key)
            rows = np.ones(len(y), bool) if zv is None else (z == zv)
            counts[key] = counts.get(key, 0) + int(rows.sum())
            sel = rows & keep
            for j in range(p):
                if not categorical[j]:
                    samples.setdefault((key, j), []).append(X[j][sel])
        for j in range(p):
            if categorical[j]:
                cat_sets[j].update(np.unique(X[j]).tolist())
            elif len(y):
                lo[j] = min(lo[j], float(X[j].min()))
                hi[j] = max(hi[j], float(X[j].max()))
    total = sum(counts.values())
    if total < 3:
        raise InputError(f"Only {total} complete sample(s) (response and every factor with data"
                         f"{', inside a zone' if None not in zone_set else ''}): GeoDetector needs "
                         f"more. Check the layers' nodata, extent and CRS.", "RESPONSE")
    zones = [None] if None in zone_set else sorted(zone_set)
    samples = {(zones.index(k), j): v for (k, j), v in samples.items()}
    limits, labels, n_codes = {}, {}, [0] * p
    categories = {}
    for j in range(p):
        if categorical[j]:
            categories[j] = np.array(sorted(cat_sets[j]), float)
            n_codes[j] = len(categories[j])
            for zi in range(len(zones)):
                labels[(zi, j)] = [f"{v:g}" for v in categories[j]]
            continue
        for zi in range(len(zones)):
            v = np.concatenate(samples[(zi, j)]) if samples[(zi, j)] else np.empty(0)
            if v.size == 0:
                lim = np.empty(0)
            elif method == "natural":
                lim = natural_breaks(v, classes, sample=0, seed=seed)
            else:
                lim = quantile_breaks(v, classes)
            limits[(zi, j)] = lim
            labels[(zi, j)] = [_label(lim, k, lo[j], hi[j]) for k in range(len(lim) + 1)]
            n_codes[j] = max(n_codes[j], len(lim) + 1)
    return Plan(zones, limits, categories, n_codes, labels, total, first_mean or 0.0)


def run_chunks(chunks, names, categorical, classes=5, method="quantile", top_n=5,
               risk_factors=None, alpha=0.05, seed=0, feedback=None):
    """GeoDetector over re-iterable ``chunks``; returns ({zone label: result}, plan)."""
    fb = as_feedback(feedback)
    p = len(names)
    if p == 0:
        raise InputError("Give at least one explanatory factor.", "FACTORS")
    if method not in ("quantile", "natural"):
        raise InputError(f"Unknown stratification '{method}'.", "STRATIFICATION")
    plan = make_plan(chunks, categorical, classes, method, seed, fb.sub(0, 0.35))
    Z = len(plan.zones)
    single = [Strata.empty(Z * plan.n_codes[j], plan.shift) for j in range(p)]
    for y, X, z in chunks():
        fb.check()
        zi_arr = _zone_index(z, plan.zones)
        zi0 = np.zeros(len(y), np.intp) if zi_arr is None else zi_arr
        d = y - plan.shift
        d2 = d * d
        for j in range(p):
            codes = _codes(plan, zi0, X, j, categorical)
            if zi_arr is not None:
                codes += zi0 * plan.n_codes[j]
            single[j].add(d, codes, d2)
    fb.report(0.7)

    def per_zone(st, zi, n):
        sl = slice(zi * n, (zi + 1) * n)
        return Strata(st.n[sl].copy(), st.s1[sl].copy(), st.s2[sl].copy(), st.shift)

    # which pairs are needed: the top factors of each zone
    tops, results = {}, {}
    for zi in range(Z):
        scored = []
        for j in range(p):
            try:
                scored.append((factor_from_stats(per_zone(single[j], zi, plan.n_codes[j]),
                                                 names[j]).q, names[j]))
            except InputError:
                continue
        tops[zi] = [n for _, n in sorted(scored, key=lambda t: -t[0])[:top_n]]
    needed = sorted({(names.index(a), names.index(b)) for zi in range(Z) for i, a in
                     enumerate(tops[zi]) for b in tops[zi][i + 1:]})
    pair = {(a, b): Strata.empty(Z * plan.n_codes[a] * plan.n_codes[b], plan.shift)
            for a, b in needed}
    if needed:
        for y, X, z in chunks():
            fb.check()
            zi_arr = _zone_index(z, plan.zones)
            zi0 = np.zeros(len(y), np.intp) if zi_arr is None else zi_arr
            codes = {}
            d = y - plan.shift
            d2 = d * d
            for a, b in needed:
                for j in (a, b):
                    if j not in codes:
                        codes[j] = _codes(plan, zi0, X, j, categorical)
                nb_ = plan.n_codes[b]
                pair[(a, b)].add(d, (zi0 * plan.n_codes[a] + codes[a]) * nb_ + codes[b], d2)
    fb.report(0.95)
    for zi, zv in enumerate(plan.zones):
        st = {names[j]: per_zone(single[j], zi, plan.n_codes[j]) for j in range(p)}

        def pair_stats(a, b, zi=zi):
            ia, ib = names.index(a), names.index(b)
            if (ia, ib) not in pair:
                ia, ib = ib, ia
            n = plan.n_codes[ia] * plan.n_codes[ib]
            return per_zone(pair[(ia, ib)], zi, n)

        labels = {names[j]: plan.labels[(zi, j)] for j in range(p)}
        key = "all" if zv is None else f"{zv:g}"
        try:
            results[key] = screen(st, pair_stats, names, top_n, risk_factors, labels, alpha)
        except InputError as exc:
            if zv is None:
                raise
            results[key] = None
            fb.info(f"Zone {key}: skipped ({exc})")
    fb.report(1.0)
    return results, plan


def table_chunks(y, X, zones=None):
    """Chunks for in-memory tables, dropping incomplete rows; returns (chunks, n dropped)."""
    y = np.asarray(y, float)
    X = np.asarray(X, float).reshape(len(y), -1)
    ok = np.isfinite(y) & np.isfinite(X).all(axis=1)
    z = None
    if zones is not None:
        z = np.asarray(zones, float)
        ok &= np.isfinite(z)
        z = z[ok]
    yy, XX = y[ok], np.ascontiguousarray(X[ok].T)

    def chunks():
        yield yy, XX, z
    chunks.upper = len(yy)
    return chunks, int((~ok).sum())


def raster_chunks(stack, response=0, zone=None, sample_size=0, seed=0, feedback=None):
    """Chunks of a stack (response band ``response``, optional zone band ``zone``, the other
    bands the factors), block by block; with ``sample_size`` > 0 a seeded random sample of that
    many complete pixels (the same in every pass). Returns (chunks, n complete pixels), the
    count being known (not None) only when sampling; otherwise the plan counts them."""
    fb = as_feedback(feedback)
    wins = list(stack.windows())
    factor_idx = [i for i in range(len(stack)) if i != response and i != zone]
    chosen, counts, total = None, None, None
    if sample_size:
        # a counting pass, so that exactly ``sample_size`` pixels are drawn
        counts = np.zeros(len(wins), np.int64)
        for k, win in enumerate(wins):
            fb.check()
            counts[k] = int((~np.isnan(stack.read(win)[0])).sum())
            fb.report((k + 1) / len(wins))
        total = int(counts.sum())
        if sample_size < total:
            chosen = np.sort(np.random.default_rng(seed).choice(total, sample_size,
                                                                replace=False))
        starts = np.concatenate([[0], np.cumsum(counts)])

    def chunks():
        for k, win in enumerate(wins):
            if counts is not None and counts[k] == 0:
                continue
            data = stack.read(win)
            ok = ~np.isnan(data[0])
            if ok.all():  # no gathering: views of the block
                vals = data.reshape(len(data), -1)
            elif ok.any():
                vals = data[:, ok]
            else:
                continue
            if chosen is not None:
                a, b = np.searchsorted(chosen, [starts[k], starts[k + 1]])
                vals = vals[:, chosen[a:b] - starts[k]]
                if vals.shape[1] == 0:
                    continue
            X = vals[1:] if (response == 0 and zone is None) else vals[factor_idx]
            yield vals[response], X, (vals[zone] if zone is not None else None)
    chunks.upper = min(sample_size, total) if sample_size else stack.grid.xsize * stack.grid.ysize
    return chunks, total
