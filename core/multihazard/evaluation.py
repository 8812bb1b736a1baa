"""Evaluation of the multi-hazard maps as the FL-MHSM study does: spatial agreement of the high
+ very high areas (Jaccard), MH density of the inventories over the 25 bivariate cells, and
zonal means of the maps and their uncertainty (table 6); the report of all three is
:func:`.report.evaluation_report`."""
from __future__ import annotations

import collections
import os
from dataclasses import dataclass, field

import numpy as np

from ..io.raster import AlignedStack, Band, Grid, open_raster, read_window
from ..stats.breaks import BreakSample, classify, natural_breaks
from ..util.errors import InputError
from ..util.progress import as_feedback
from .bivariate import LEVELS
from .training import HAZARDS
from ..util import tempfiles


def _check_same_grid(paths):
    grids = {k: Grid.from_path(p) for k, p in paths.items()}
    first_key, first = next(iter(grids.items()))
    for k, g in grids.items():
        if not g.same_as(first):
            raise InputError(f"Map '{k}' is not on the grid of '{first_key}': give maps from one "
                             f"'Map multi-hazard susceptibility' run.", k)
    return first


def level_edges(maps, sample=1_000_000, seed=0, feedback=None):
    """The edges of the 5 natural-breaks levels of every map, breaks from one seeded sample of
    pixels shared by all maps (they are on one grid): {(model, hazard): [sample minimum, 4
    breaks, sample maximum]}. ``maps``: {model: {hazard: path}}."""
    from ..io.raster import iter_windows
    fb = as_feedback(feedback)
    flat = {(m, h): p for m, d in maps.items() for h, p in d.items()}
    grid = _check_same_grid({f"{m} {h}": p for (m, h), p in flat.items()})
    ds = {k: open_raster(p) for k, p in flat.items()}
    wins = list(iter_windows(grid, len(flat)))
    sampler = BreakSample(sample, grid.xsize * grid.ysize, seed)
    kept = {k: [] for k in flat}
    for k, win in enumerate(wins):
        fb.check()
        pick = sampler.pick((win.rows, win.cols))
        for key, d in ds.items():
            a = read_window(d, win)
            kept[key].append(a[pick & ~np.isnan(a)])
        fb.report((k + 1) / len(wins))
    edges = {}
    for key in flat:
        v = np.concatenate(kept[key])
        if v.size == 0:
            raise InputError(f"Map '{key[0]} {key[1]}' holds no value.", key[0])
        edges[key] = [float(v.min())] + [float(t) for t in natural_breaks(
            v, 5, sample=sample, seed=seed)] + [float(v.max())]
    return edges


def jaccard_high(maps, sample=1_000_000, seed=0, feedback=None, edges=None):
    """Jaccard index of the high + very high masks (natural-breaks levels 4 and 5 of each map,
    breaks from a seeded sample of that map: :func:`level_edges`, or ``edges`` already
    computed) for every pair of models, per hazard.
    ``maps``: {model: {hazard: path}}. Returns rows (hazard, pair, jaccard, pixels)."""
    from ..io.raster import iter_windows
    fb = as_feedback(feedback)
    if edges is None:
        edges = level_edges(maps, sample, seed, fb.sub(0, 0.5))
    flat = {(m, h): p for m, d in maps.items() for h, p in d.items()}
    grid = _check_same_grid({f"{m} {h}": p for (m, h), p in flat.items()})
    ds = {k: open_raster(p) for k, p in flat.items()}
    wins = list(iter_windows(grid, len(flat)))
    limits = {key: edges[key][1:-1] for key in flat}
    models = list(maps)
    pairs = [(a, b) for i, a in enumerate(models) for b in models[i + 1:]]
    hazards = sorted({h for d in maps.values() for h in d}, key=lambda h: (h not in HAZARDS, h))
    inter = collections.Counter()
    union = collections.Counter()
    for k, win in enumerate(wins):  # pass 2: intersections and unions
        fb.check()
        high = {key: classify(read_window(d, win), limits[key]) >= 3 for key, d in ds.items()}
        for h in hazards:
            for a, b in pairs:
                if (a, h) in high and (b, h) in high:
                    A, B = high[(a, h)], high[(b, h)]
                    inter[(h, a, b)] += int((A & B).sum())
                    union[(h, a, b)] += int((A | B).sum())
        fb.report(0.5 + 0.5 * (k + 1) / len(wins))
    rows = []
    for h in hazards:
        for a, b in pairs:
            if (h, a, b) in union:
                u = union[(h, a, b)]
                rows.append({"hazard": h, "pair": f"{a.upper()}-{b.upper()}",
                             "jaccard": inter[(h, a, b)] / u if u else float("nan"),
                             "intersection_px": inter[(h, a, b)], "union_px": u})
    return rows


def class_shares(maps, inventories, sample=1_000_000, seed=0, feedback=None, edges=None):
    """Share of area and of the hazard's own inventory in each natural-breaks level of every
    map (the levels of :func:`level_edges`, or ``edges`` already computed): a saturated map
    shows as much area in its high levels. ``maps`` {model: {hazard: path}}, ``inventories``
    {"<hazard> inventory": (x, y)} in the maps' CRS. Rows (model, hazard, level, lo, hi,
    area_pct, inventory_pct, points)."""
    from ..io.raster import iter_windows, sample_at
    fb = as_feedback(feedback)
    todo = [(m, h, p) for m, d in maps.items() for h, p in d.items()
            if f"{h} inventory" in inventories]
    if edges is None and todo:
        edges = level_edges({m: {h: p} for m, h, p in todo}, sample, seed, fb.sub(0, 0.5))
        fb = fb.sub(0.5, 1.0)
    rows = []
    for k, (m, h, path) in enumerate(todo):
        step = fb.sub(k / len(todo), (k + 1) / len(todo))
        grid = Grid.from_path(path)
        ds = open_raster(path)
        wins = list(iter_windows(grid, 1))
        e = edges[(m, h)]
        limits = e[1:-1]
        area = np.zeros(5, np.int64)
        for i, win in enumerate(wins):
            step.check()
            a = read_window(ds, win)
            area += np.bincount(classify(a[~np.isnan(a)], limits), minlength=5)[:5]
            step.report((i + 1) / len(wins))
        x, y = inventories[f"{h} inventory"]
        with AlignedStack([Band(path, 1, "map")], grid) as st:
            pv = sample_at(st, x, y)[:, 0]
        pv = pv[np.isfinite(pv)]
        inv = np.bincount(classify(pv, limits), minlength=5)[:5] if pv.size else np.zeros(5)
        for lev in range(5):
            rows.append({"model": m.upper(), "hazard": h, "level": LEVELS[lev],
                         "lo": e[lev], "hi": e[lev + 1],
                         "area_pct": 100 * area[lev] / max(1, area.sum()),
                         "inventory_pct": 100 * inv[lev] / max(1, pv.size),
                         "points": int(pv.size)})
    return rows


def mh_density(bivariate_path, points):
    """% of inventory points in each of the 25 bivariate cells: ``points`` {name: (x, y)}
    (map CRS). Returns {name: 5x5 array of % (rows flood level, columns landslide level)} and
    the number of points on a class of each."""
    from ..io.raster import sample_at
    out, n_on = {}, {}
    with AlignedStack([Band(bivariate_path, 1, "bivariate", True)],
                      Grid.from_path(bivariate_path)) as st:
        for name, (x, y) in points.items():
            v = sample_at(st, x, y)[:, 0]  # NaN outside the raster and on nodata
            codes = v[np.isfinite(v) & (v < 25)].astype(int)
            counts = np.bincount(codes, minlength=25).astype(float)
            n_on[name] = int(codes.size)
            out[name] = (100 * counts / codes.size if codes.size else counts).reshape(5, 5)
    return out, n_on


def zonal_means(paths, zone_path, zone_names, feedback=None):
    """Mean of each raster in ``paths`` {name: path} per zone (table 6 of the FL-MHSM study);
    ``zone_names`` maps the zone raster's codes to zone names. Rows (zone, mean_<name>,
    pixels_<name>)."""
    from ..io.raster import iter_windows
    fb = as_feedback(feedback)
    grid = _check_same_grid(dict(paths, zones=zone_path))
    ds = {k: open_raster(p) for k, p in paths.items()}
    zds = open_raster(zone_path)
    zone_names = {int(k): v for k, v in zone_names.items()}
    nz = max(zone_names, default=0) + 1
    sums = {k: np.zeros(nz) for k in paths}
    cnt = {k: np.zeros(nz, np.int64) for k in paths}
    wins = list(iter_windows(grid, len(paths) + 1))
    for i, win in enumerate(wins):
        fb.check()
        z = np.nan_to_num(read_window(zds, win), nan=0).astype(np.int64).ravel()
        for k, d in ds.items():
            a = read_window(d, win).ravel()
            ok = ~np.isnan(a) & (z > 0) & (z < nz)
            sums[k] += np.bincount(z[ok], a[ok], minlength=nz)
            cnt[k] += np.bincount(z[ok], minlength=nz)
        fb.report((i + 1) / len(wins))
    rows = []
    for code, name in sorted(zone_names.items()):
        row = {"zone": str(name)}
        for k in paths:
            row[f"mean_{k}"] = sums[k][code] / cnt[k][code] if cnt[k][code] else float("nan")
            row[f"pixels_{k}"] = int(cnt[k][code])
        rows.append(row)
    return rows


@dataclass
class MhEvaluation:
    """What :func:`evaluate` found; a part is empty when its inputs were not given."""
    jaccard: list = field(default_factory=list)
    density: dict = field(default_factory=dict)   # inventory -> 5x5 % (flood down, slide across)
    n_on: dict = field(default_factory=dict)      # inventory -> points on a bivariate class
    zonal: list = field(default_factory=list)
    zonal_columns: list = field(default_factory=list)
    shares: list = field(default_factory=list)  # class_shares rows
    held_out: list = field(default_factory=list)  # heldout_scores rows

    def density_rows(self):
        return [{"inventory": k, "cell": f"flood {LEVELS[i]} - landslide {LEVELS[j]}",
                 "code": 5 * i + j, "percent": float(d[i, j])}
                for k, d in self.density.items() for i in range(5) for j in range(5)]


def heldout_scores(maps, held, n_background=10_000, seed=0):
    """AUC of each map on held-out presences against random background: ``maps`` {model:
    {hazard: path}}, ``held`` {hazard: (x, y)} in the maps' CRS (presences split off before
    any sampling, e.g. by 'Prepare multi-hazard samples'). The background is ``n_background``
    seeded pixels drawn uniformly among the map's valid pixels (the same pixels for every map
    on one grid with the same valid area), so no sampler's choice of absences enters the
    score. Rows model, hazard, presences (on valid pixels), background, auc, auc_low,
    auc_high (95 % bootstrap interval)."""
    from ..stats.metrics import roc_auc
    from .training import auc_interval
    rows = []
    for m, d in maps.items():
        for h, path in d.items():
            if h not in held or len(held[h][0]) == 0:
                continue
            ds = open_raster(path)
            b = ds.GetRasterBand(1)
            nd = b.GetNoDataValue()
            nx, ny = ds.RasterXSize, ds.RasterYSize
            t = ds.GetGeoTransform()
            x, y = (np.asarray(v, float) for v in held[h])
            col = np.floor((x - t[0]) / t[1]).astype(np.int64)
            row = np.floor((y - t[3]) / t[5]).astype(np.int64)
            inside = (col >= 0) & (col < nx) & (row >= 0) & (row < ny)
            rng = np.random.default_rng([int(seed), 31])
            bg_r = rng.integers(0, ny, 4 * n_background)
            bg_c = rng.integers(0, nx, 4 * n_background)
            rr = np.r_[row[inside], bg_r]
            cc = np.r_[col[inside], bg_c]
            vals = np.full(len(rr), np.nan)
            order = np.argsort(rr, kind="stable")
            for r0 in range(0, ny, 512):
                lo, hi = np.searchsorted(rr[order], [r0, r0 + 512])
                if lo == hi:
                    continue
                blk = b.ReadAsArray(0, r0, nx, min(512, ny - r0)).astype(float)
                if nd is not None:
                    blk[blk == nd] = np.nan
                idx = order[lo:hi]
                vals[idx] = blk[rr[idx] - r0, cc[idx]]
            ds = None
            n_in = int(inside.sum())
            pv, bv = vals[:n_in], vals[n_in:]
            pv = pv[np.isfinite(pv)]
            bv = bv[np.isfinite(bv)][:n_background]
            if len(pv) == 0 or len(bv) == 0:
                rows.append(dict(model=m, hazard=h, presences=len(pv), background=len(bv),
                                 auc=float("nan"), auc_low=float("nan"),
                                 auc_high=float("nan")))
                continue
            yy = np.r_[np.ones(len(pv), int), np.zeros(len(bv), int)]
            pp = np.r_[pv, bv]
            lo_, hi_ = auc_interval(yy, pp, seed=seed)
            rows.append(dict(model=m, hazard=h, presences=int(len(pv)),
                             background=int(len(bv)), auc=roc_auc(yy, pp), auc_low=lo_,
                             auc_high=hi_))
    return rows


def evaluate(maps, bivariate=None, inventories=None, extra=None, zones=None, sample=1_000_000,
             seed=0, feedback=None, held_out=None, n_background=10_000):
    """Each part runs when its inputs are given: ``maps`` {model: {hazard: path}} (Jaccard when
    two models map a hazard), ``bivariate`` path with ``inventories`` {name: (x, y)} in its CRS
    (MH density; "both inventories" is added when there are two), ``extra`` {name: path} of
    further rasters (uncertainty, correlation) and ``zones`` (Band, {code: name}) for the zonal
    means of every map (the zones are resampled to the maps' grid when on another);
    ``held_out`` {hazard: (x, y)}: held-out presences, each map scored on them against random
    background (:func:`heldout_scores`)."""
    fb = as_feedback(feedback)
    ev = MhEvaluation()
    if held_out and maps:
        ev.held_out = heldout_scores(maps, held_out, n_background, seed)
    inv = dict(inventories or {})
    two_models = sum(1 for d in maps.values() if d) >= 2
    edges = level_edges(maps, sample, seed, fb.sub(0, 0.3)) if maps and (two_models or inv) \
        else None  # one sample and one set of breaks for the Jaccard and the shares
    if two_models:
        ev.jaccard = jaccard_high(maps, sample, seed, fb.sub(0.3, 0.6), edges)
    if bivariate and inv:
        if len(inv) > 1:
            inv["both inventories"] = tuple(np.concatenate([v[i] for v in inv.values()])
                                            for i in (0, 1))
        ev.density, ev.n_on = mh_density(bivariate, inv)
    if inv and maps:
        ev.shares = class_shares(maps, inv, sample, seed, edges=edges)
    zonal_inputs = dict(extra or {}, **{f"{m}_{h}": p for m, d in maps.items()
                                        for h, p in d.items()})
    if zonal_inputs and zones is not None:
        band, codes = zones
        grid = Grid.from_path(next(iter(zonal_inputs.values())))
        with tempfiles.workdir("hazard_mheval_") as tmp:
            zpath = band.path
            if not Grid.from_path(zpath).same_as(grid):
                from ..io.raster import write_stack
                zpath = os.path.join(tmp, "zones_aligned.tif")
                with AlignedStack([band], grid) as zs:
                    write_stack(zs, zpath)
            ev.zonal = zonal_means(zonal_inputs, zpath, codes, fb.sub(0.6, 1.0))
            ev.zonal_columns = ["zone"] + [f"mean_{k}" for k in zonal_inputs]
    if not (ev.jaccard or ev.density or ev.zonal or ev.held_out):
        raise InputError("Nothing to evaluate: give at least two models' maps of a hazard "
                         "(Jaccard), the bivariate classes with an inventory (MH density), or "
                         "maps with zones (zonal means).")
    return ev
