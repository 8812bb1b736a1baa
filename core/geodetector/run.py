"""GeoDetector on tables and on rasters, optionally per zone.

Data come as chunks ``(y, X, z)`` (response (n,), factors (p, n), zone values (n,) or None),
already restricted to complete samples. Three passes: (1) counts, categories and a seeded
sample of each continuous factor per zone, from which class limits are computed; (2)
per-stratum statistics of every factor; (3) statistics of the overlays of the top factors'
pairs. Every pass adds sufficient statistics, so rasters are read block by block and memory
stays bounded.
"""
from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from ..stats.breaks import classify, keep_share, natural_breaks, quantile_breaks
from ..util.errors import InputError
from .detectors import Strata, factor_from_stats, screen
from ..stats.kernels import sums_by_codes, sums_by_limits
from ..io.tiles import ordered_results
from ..util.progress import as_feedback

EDGE_SAMPLE = 1_000_000
#: categorical factors of integer classes spanning fewer values than this are coded by look-up
LOOKUP_SPAN = 1 << 16


@dataclass
class Plan:
    zones: list            # zone values (floats); [None] when no zones
    limits: dict           # (zone index, factor index) -> class limits (continuous)
    categories: dict       # factor index -> sorted category values (categorical)
    n_codes: list          # factor index -> number of codes
    labels: dict           # (zone index, factor index) -> list of stratum labels
    total: int
    shift: float
    # factor index -> code of each integer class min..max (categorical, short range)
    lookup: dict = field(default_factory=dict)


def _codes(plan, zi_arr, X, j, categorical):
    """Stratum codes of factor j for rows with zone indices ``zi_arr``."""
    x = X[j]
    if categorical[j]:
        lut = plan.lookup.get(j)
        if lut is not None:  # integer classes in a short range: a table look-up
            return lut[(x - plan.categories[j][0]).astype(np.intp)]
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


def make_plan(chunks, categorical, classes, method, seed, fb, workers=1, value_labels=None):
    """Pass 1: zones, categories, per-zone samples of continuous factors -> class limits.

    A categorical factor's strata are labelled by its values (the user's codes: 1, 2, 3, 5, 7
    stay 1, 2, 3, 5, 7); ``value_labels`` {factor index: labels} names the values 0..k-1 of a
    factor given as codes of text categories (see :func:`category_codes`).

    Values for the limits are kept with probability EDGE_SAMPLE / ``chunks.upper`` (an upper
    bound of the number of samples), drawn by a generator seeded with (``seed``, chunk number),
    so one pass suffices and the chunks can be summarised on ``workers`` threads with the same
    result."""
    p = len(categorical)
    share = keep_share(EDGE_SAMPLE, getattr(chunks, "upper", EDGE_SAMPLE))
    cont = [j for j in range(p) if not categorical[j]]

    def summarise(k, chunk):
        y, X, z = chunk
        if share < 1:  # the kept values of every continuous factor, gathered at once
            kept = np.flatnonzero(np.random.default_rng([seed, k]).random(len(y)) < share)
            rows_k = list(X[np.ix_(cont, kept)]) if cont else []
            zk = None if z is None else z[kept]
        else:
            rows_k, zk = [X[j] for j in cont], z
        per_zone = {}
        for zv in (np.unique(z) if z is not None else [None]):
            in_zone = None if zv is None else zk == zv
            n = len(y) if zv is None else int((z == zv).sum())
            per_zone[None if zv is None else float(zv)] = (
                n, [r if in_zone is None else r[in_zone] for r in rows_k])
        cats = {j: np.unique(X[j]) for j in range(p) if categorical[j]}
        ext = {j: (float(X[j].min()), float(X[j].max())) for j in cont} if len(y) else {}
        return (float(y.mean()) if y.size else None), per_zone, cats, ext

    zone_set, cat_sets = set(), [set() for _ in range(p)]
    counts, samples = {}, {}
    first_mean = None
    lo = {j: np.inf for j in range(p)}
    hi = {j: -np.inf for j in range(p)}
    for mean, per_zone, cats, ext in _chunk_results(chunks, summarise, workers, fb):
        if first_mean is None:
            first_mean = mean
        for key, (n, rows) in per_zone.items():
            zone_set.add(key)
            counts[key] = counts.get(key, 0) + n
            for r, j in zip(rows, cont):
                samples.setdefault((key, j), []).append(r)
        for j, u in cats.items():
            cat_sets[j].update(u.tolist())
        for j, (a, b) in ext.items():
            lo[j], hi[j] = min(lo[j], a), max(hi[j], b)
    total = sum(counts.values())
    if total < 3:
        raise InputError(f"Only {total} complete sample(s) (response and every factor with data"
                         f"{', inside a zone' if None not in zone_set else ''}): GeoDetector needs "
                         f"more. Check the layers' nodata, extent and CRS.", "RESPONSE")
    zones = [None] if None in zone_set else sorted(zone_set)
    samples = {(zones.index(k), j): v for (k, j), v in samples.items()}
    labels, n_codes = {}, [0] * p
    categories = {}
    lookup = {}
    for j in range(p):
        if categorical[j]:
            categories[j] = cats = np.array(sorted(cat_sets[j]), float)
            n_codes[j] = len(cats)
            span = cats[-1] - cats[0] if len(cats) else 0
            if len(cats) and np.all(cats == np.round(cats)) and span < LOOKUP_SPAN:
                lookup[j] = np.zeros(int(span) + 1, np.intp)
                lookup[j][(cats - cats[0]).astype(np.intp)] = np.arange(len(cats))
            names = (value_labels or {}).get(j)
            lab = [f"{v:g}" if names is None else str(names[int(v)]) for v in categories[j]]
            for zi in range(len(zones)):
                labels[(zi, j)] = list(lab)
            continue

    def breaks(key):
        v = np.concatenate(samples[key]) if samples[key] else np.empty(0)
        if v.size == 0:
            return np.empty(0)
        if method == "natural":
            return natural_breaks(v, classes, sample=0, seed=seed)
        return quantile_breaks(v, classes, overwrite=True)

    keys = [(zi, j) for j in cont for zi in range(len(zones))]
    # sorting dominates: one factor per thread (numpy sorts outside the GIL)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as ex:
        limits = dict(zip(keys, ex.map(breaks, keys)))
    for zi, j in keys:
        lim = limits[(zi, j)]
        labels[(zi, j)] = [_label(lim, k, lo[j], hi[j]) for k in range(len(lim) + 1)]
        n_codes[j] = max(n_codes[j], len(lim) + 1)
    return Plan(zones, limits, categories, n_codes, labels, total, first_mean or 0.0, lookup)


def _chunk_results(chunks, fn, workers, fb):
    """``fn(chunk number, chunk)`` for every chunk, in chunk order: the chunks are read here while
    ``workers`` threads compute (numpy works outside the GIL), at most 2 x workers chunks in
    flight. Results come back in order, so their sums are the same on any number of threads."""
    if workers <= 1:
        for k, chunk in enumerate(chunks()):
            fb.check()
            yield fn(k, chunk)
        return
    with ThreadPoolExecutor(max_workers=workers) as ex:
        for _, res in ordered_results(enumerate(chunks()), lambda kc: ex.submit(fn, *kc),
                                      2 * workers, fb.check):
            yield res


def _check_strata(n_strata, what):
    """Refuse per-stratum sums (a count and two sums, 24 bytes a stratum, with the workers'
    partial copies) that would not fit in memory: categorical factors of very many classes."""
    from ..util.memory import require
    if n_strata > 1_000_000:
        require(n_strata * 24 * 3, f"GeoDetector's sums over {what} ({n_strata:,} strata)",
                "CATEGORICAL", "give categorical factors of fewer classes [CATEGORICAL] or "
                "fewer top factors for the interactions [TOP_N]")


def run_chunks(chunks, names, categorical, classes=5, method="quantile", top_n=5,
               risk_factors=None, alpha=0.05, seed=0, feedback=None, workers=None,
               value_labels=None):
    """GeoDetector over re-iterable ``chunks``; returns ({zone label: result}, plan).
    ``workers``: threads computing the per-stratum statistics (default: CPU count, at most
    4); the results do not depend on it. ``value_labels`` {factor name: labels}: the text
    category of each value 0..k-1 of a categorical factor given as codes (the tables then
    name its strata by those labels)."""
    fb = as_feedback(feedback)
    p = len(names)
    if p == 0:
        raise InputError("Give at least one explanatory factor.", "FACTORS")
    if method not in ("quantile", "natural"):
        raise InputError(f"Unknown stratification '{method}'.", "STRATIFICATION")
    workers = max(1, min(4, os.cpu_count() or 1)) if workers is None else workers
    vl = {names.index(k): v for k, v in (value_labels or {}).items() if k in names}
    plan = make_plan(chunks, categorical, classes, method, seed, fb.sub(0, 0.35), workers, vl)
    Z = len(plan.zones)

    def single_stats(_, chunk):
        y, X, z = chunk
        zi_arr = _zone_index(z, plan.zones)
        zi0 = np.zeros(len(y), np.intp) if zi_arr is None else zi_arr
        d = y - plan.shift
        out = []
        for j in range(p):
            size = Z * plan.n_codes[j]
            if not categorical[j] and Z == 1:  # classified and summed in one pass
                out.append(sums_by_limits(X[j], plan.limits[(0, j)], d, size))
                continue
            codes = _codes(plan, zi0, X, j, categorical)
            if zi_arr is not None:
                codes += zi0 * plan.n_codes[j]
            out.append(sums_by_codes(codes, d, size))
        return out

    _check_strata(Z * sum(plan.n_codes), "the strata of every factor")
    single = [Strata.empty(Z * plan.n_codes[j], plan.shift) for j in range(p)]
    for part in _chunk_results(chunks, single_stats, workers, fb):
        for j in range(p):
            single[j].add_sums(*part[j])
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
    _check_strata(sum(Z * plan.n_codes[a] * plan.n_codes[b] for a, b in needed),
                  "the overlays of the top factors' pairs")
    pair = {(a, b): Strata.empty(Z * plan.n_codes[a] * plan.n_codes[b], plan.shift)
            for a, b in needed}

    def pair_stats_of(_, chunk):
        y, X, z = chunk
        zi_arr = _zone_index(z, plan.zones)
        zi0 = np.zeros(len(y), np.intp) if zi_arr is None else zi_arr
        codes = {}
        d = y - plan.shift
        out = {}
        for a, b in needed:
            for j in (a, b):
                if j not in codes:
                    codes[j] = _codes(plan, zi0, X, j, categorical)
            nb_ = plan.n_codes[b]
            out[(a, b)] = sums_by_codes((zi0 * plan.n_codes[a] + codes[a]) * nb_ + codes[b], d,
                                        len(pair[(a, b)].n))
        return out

    if needed:
        for part in _chunk_results(chunks, pair_stats_of, workers, fb):
            for key, sums in part.items():
                pair[key].add_sums(*sums)
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
            fb.check()  # blocks of nodata yield nothing: a cancel is heard here too
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


def categories(values):
    """Distinct non-null values (sorted as text) and the code 0.. of each value (NaN for NULL:
    None or a null QVariant)."""
    keys = sorted({str(v) for v in values if v is not None and not (
        hasattr(v, "isNull") and v.isNull())})
    index = {k: i for i, k in enumerate(keys)}
    codes = np.array([index.get(str(v), np.nan) if v is not None else np.nan for v in values],
                     float)
    return keys, codes


def category_codes(values):
    """A categorical field's values as stratum values: (None, the values as floats) when every
    non-null value is a number (integer codes such as 1, 2, 3, 5, 7 are kept, so the tables
    name the strata by them), else (text labels sorted, codes 0..k-1 into them) as
    :func:`categories`. NULL is NaN either way."""
    nums = []
    for v in values:
        if v is None or (hasattr(v, "isNull") and v.isNull()):
            nums.append(np.nan)
        elif isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            return categories(values)
        else:
            nums.append(float(v))
    return None, np.array(nums, float)


def rename_zones(results, zone_values):
    """Zone codes 1..Z back to the zone field's values."""
    if zone_values is None:
        return results
    out = {}
    for key, r in results.items():
        try:
            out[str(zone_values[int(float(key)) - 1])] = r
        except (ValueError, IndexError):
            out[key] = r
    return out


@dataclass
class Options:
    """How GeoDetector stratifies and what it reports (the algorithm's parameters)."""
    classes: int = 5
    method: str = "quantile"      # or "natural"
    top_n: int = 5
    risk: list = field(default_factory=list)
    alpha: float = 0.05
    seed: int = 0


#: grids from this many pixels get their reading time measured and said before the work
ESTIMATE_PIXELS = 100_000_000


def raster_estimate(stack, n_continuous, sample=0, workers=None, zone=False):
    """Before a raster GeoDetector: refuse (InputError) a run whose arrays would not fit in the
    available memory, naming the parameter to change; else a sentence with its memory and, for
    grids of ESTIMATE_PIXELS or more, the time of its passes over the grid (timed on a few
    blocks). The memory: the blocks in flight on ``workers`` threads, the seeded sample of
    every continuous factor for its class limits, and with ``sample`` the drawn pixel indices
    (numpy draws a sample above 1/50 of the population through a permutation of all of it)."""
    from ..util.memory import duration_text, require
    workers = max(1, min(4, os.cpu_count() or 1)) if workers is None else workers
    n = stack.grid.xsize * stack.grid.ysize
    win = next(iter(stack.windows()))
    block = win.rows * win.cols * len(stack) * 8
    need_blocks = (2 * workers + 2) * block * 3      # read, gathered, codes and sums
    need_edges = EDGE_SAMPLE * max(0, n_continuous) * 8 * 2 * (2 if zone else 1)
    need_sample = 0
    if sample:
        need_sample = 8 * n if sample > n // 50 else 32 * sample
        need_sample += 8 * (n // max(1, win.rows * win.cols) + 1)  # pixels counted per block
    passes = 3 + (1 if sample else 0)
    timing = ""
    if n >= ESTIMATE_PIXELS:
        seconds, probes = stack.read_seconds()
        timing = (f"; reading it takes about {duration_text(seconds)} a pass (timed on {probes} "
                  f"blocks) and GeoDetector makes {passes} passes: about "
                  f"{duration_text(seconds * passes)} in all")
    using = f" with a sample of {sample:,} pixels" if sample else " (every pixel)"
    what = (f"GeoDetector on {stack.grid.xsize:,} x {stack.grid.ysize:,} = {n:,} pixels x "
            f"{len(stack)} bands{using}{timing},")
    if need_sample > need_blocks + need_edges:
        param, advice = "SAMPLE_SIZE", ("draw fewer pixels [SAMPLE_SIZE] (at most 1/50 of the "
                                        "grid's pixels avoids a permutation of all of them), "
                                        "or 0 for every pixel, read block by block")
    else:
        param, advice = "FACTORS", ("give fewer factor rasters [FACTORS] or a coarser "
                                    "response grid [RESPONSE]")
    return require(need_blocks + need_edges + need_sample, what, param, advice)


def detect_raster(bands, grid, zone_index=None, opts=None, sample=0, feedback=None):
    """GeoDetector with ``bands[0]`` the response and the other bands the factors (the band at
    ``zone_index``, when given, the zone codes 1..Z), block by block on ``grid``; all complete
    pixels or a seeded sample of ``sample``. Returns (results per zone, pixels used)."""
    from ..io.raster import AlignedStack
    opts = opts or Options()
    fb = as_feedback(feedback)
    factors = [b for k, b in enumerate(bands[1:], 1) if k != zone_index]
    with AlignedStack(bands, grid, "bilinear") as stack:
        fb.info(raster_estimate(stack, sum(not b.categorical for b in factors), sample,
                                zone=zone_index is not None))
        chunks, _ = raster_chunks(stack, 0, zone_index, sample, opts.seed, fb.sub(0, 0.1))
        results, plan = run_chunks(chunks, [b.name for b in factors],
                                   [b.categorical for b in factors], opts.classes, opts.method,
                                   opts.top_n, opts.risk, opts.alpha, opts.seed,
                                   fb.sub(0.1, 0.95))
    return results, plan.total


def detect_table(y, X, names, categorical, zones=None, opts=None, feedback=None,
                 value_labels=None):
    """GeoDetector on a table (response ``y``, factor columns ``X``, zone codes 1..Z or None);
    rows missing a value are left out. ``value_labels`` {factor name: labels} for categorical
    columns holding codes 0..k-1 of text categories. Returns (results per zone, rows used,
    rows left out)."""
    opts = opts or Options()
    chunks, dropped = table_chunks(y, X, zones)
    results, plan = run_chunks(chunks, names, categorical, opts.classes, opts.method,
                               opts.top_n, opts.risk, opts.alpha, opts.seed, feedback,
                               value_labels=value_labels)
    return results, plan.total, dropped
