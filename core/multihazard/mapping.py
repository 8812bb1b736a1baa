"""Multi-hazard maps (METHODS.md section 4): lattice tiles predicted independently (local
threads or a Dask cluster), each pixel once, the overlapping tiles' blends across zone borders
merged by inverse-distance weighting, written strip by strip so memory stays bounded, then the
25-class bivariate map from global natural breaks, and the evaluation of the maps (Jaccard
agreement of H+VH masks, MH density, zonal uncertainty and correlation). The networks run in
core.multihazard.forward32's float32 loops when numba is here."""
from __future__ import annotations

import os

import numpy as np

from .bivariate import LEVELS, bivariate_codes
from .tiling import edge_weights, tiles
from ..stats.breaks import BreakSample, classify, natural_breaks
from ..util.errors import InputError
from .training import HAZARDS, MODELS
from ..util.progress import as_feedback
from ..io.raster import AlignedStack, Band, Grid, RasterWriter, Window, open_raster, read_window
from ..util import tempfiles

# products a map run can write: "<model>_<hazard>" probabilities, EF's joint log-uncertainty
# (log det Sigma), the inter-hazard correlation, the gate's weight of the EF expert, and the
# dissimilarity index and area of applicability (1 inside, 0 outside) of each zone's models
PRODUCTS = tuple(f"{m}_{h}" for m in MODELS for h in HAZARDS) + ("logdet", "rho", "w_ef", "di",
                                                                 "aoa")
#: products of one value per pixel (not a probability per hazard)
SINGLE = ("logdet", "rho", "w_ef", "di", "aoa")
BIVARIATE_NODATA = 255
#: default half-width (pixels) of the transition band across zone borders of the algorithm
#: 'Map multi-hazard susceptibility' (measured on the sample area: README, issue 30)
BLEND_PX = 8


def _wanted_models(products):
    ms = {p.split("_")[0] for p in products if p.split("_")[0] in MODELS}
    if {"logdet", "rho"} & set(products):
        ms.add("ef")
    if "w_ef" in products:
        ms.add("moe")
    return tuple(m for m in MODELS if m in ms) + (
        ("di",) if {"di", "aoa"} & set(products) else ())


def predict_tile(stack, pad, predictor, zone_names, products, blend_px=0):
    """Every requested product on one window: dict product -> float32 (rows, cols), NaN on
    nodata or outside the zones the bundle knows. Each zone's portion of the window goes
    through that zone's models. With ``blend_px`` > 0 the probabilities are blended across
    zone borders: each zone's models weigh 0.5 + s / (2 blend_px) (clipped to 0..1) at a pixel
    at signed distance s pixels from the border (positive inside the zone), so the map passes
    from one zone's models to the next over 2 x ``blend_px`` pixels instead of jumping; the
    other products (uncertainty, correlation, gate weight, applicability) stay the pixel's own
    zone's. Zones farther than the window's edge are not seen: keep ``blend_px`` within the
    tiles' overlap."""
    data = stack.read(pad)
    wanted = _wanted_models(products)

    def ask(name, sel):
        return predictor.predict_zone(name, data[:-1, sel].T, wanted)
    return _predict_window(data, ask, predictor.zones, zone_names, products, blend_px)


def _predict_window(data, ask, known, zone_names, products, blend_px):
    """:func:`predict_tile` on a window's stack ``data`` (factors, then zone codes), the
    predictions of zone ``name`` at the pixels ``sel`` given by ``ask(name, sel)``."""
    zcode = data[-1]
    rows, cols = zcode.shape
    out = {p: np.full((rows, cols), np.nan, np.float32) for p in products}
    codes = [int(c) for c in np.unique(zcode[~np.isnan(zcode)])
             if zone_names.get(int(c)) in known]
    probs = [p for p in products if p not in SINGLE]
    blend = blend_px > 0 and len(codes) > 1 and probs
    if blend:
        valid = _valid(data, codes)
        num = {p: np.zeros((rows, cols)) for p in probs}
        den = np.zeros((rows, cols))
    for code in codes:
        name = zone_names[code]
        sel = zcode == code
        if blend:
            wgt = _zone_weight(sel, blend_px)
            reach = valid & (wgt > 0)
            res = ask(name, reach)
            w = wgt[reach]
            den[reach] += w
            for p in probs:
                m, h = p.split("_")
                num[p][reach] += w * res[f"p_{m}"][:, HAZARDS.index(h)]
            own = sel[reach]
            for p in products:
                if p in SINGLE:
                    out[p][sel & reach] = res[p][own]
            continue
        res = ask(name, sel)
        for p in products:
            if p in SINGLE:
                out[p][sel] = res[p]
            else:
                m, h = p.split("_")
                out[p][sel] = res[f"p_{m}"][:, HAZARDS.index(h)]
    if blend:
        ok = den > 0
        for p in probs:
            out[p][ok] = (num[p][ok] / den[ok]).astype(np.float32)
    return out


def _valid(data, codes):
    """Pixels of a window's stack with every factor and a zone among ``codes``."""
    zcode = data[-1]
    return ~np.isnan(zcode) & np.isin(np.nan_to_num(zcode, nan=-1), codes) & \
        ~np.isnan(data[:-1]).any(axis=0)


def _zone_weight(sel, blend_px):
    """A zone's weight at every pixel of a window (``sel``: the zone's pixels): 0.5 + s / (2
    ``blend_px``) clipped to 0..1, s the signed distance to the zone's border in the window."""
    from scipy import ndimage
    d_in = ndimage.distance_transform_edt(sel)
    d_out = ndimage.distance_transform_edt(~sel)
    signed = np.where(sel, d_in - 0.5, 0.5 - d_out)
    return np.clip(0.5 + signed / (2.0 * blend_px), 0.0, 1.0)


def predict_core(stack, core, views, predictor, zone_names, products, blend_px=0):
    """The merged products of the overlapping tiles (:func:`tile_plan`) on one tile's core,
    every pixel predicted once.

    The models are pointwise (a pixel's prediction depends on its own factor values only), so
    the tiles covering a pixel predicted the same values and their inverse-distance merge
    gave those values back: without blending, the core is simply predicted. The blending
    across zone borders depends on the neighbours: each tile weighs the zones by their
    distances within its own window (clipped to its column band), and the merge averages the
    tiles' blends. So where two zones meet within ``blend_px`` + 1 pixels of the core, each
    zone's models are run once on the core's pixels that any of these tiles sends to them,
    and every tile ``views`` lists ((padded window, the part it predicted), in the plan's
    order) blends and is merged exactly as when each predicted its whole window."""
    wanted = _wanted_models(products)
    if blend_px <= 0 or not views:
        return predict_tile(stack, core, predictor, zone_names, products, 0)
    grid = stack.grid
    reach = blend_px + 1  # a zone farther from the core weighs nothing there
    r0, c0 = max(0, core.row - reach), max(0, core.col - reach)
    halo = Window(r0, c0, min(grid.ysize, core.row + core.rows + reach) - r0,
                  min(grid.xsize, core.col + core.cols + reach) - c0)
    data = stack.read(halo)
    inner = (slice(core.row - r0, core.row - r0 + core.rows),
             slice(core.col - c0, core.col - c0 + core.cols))
    zcode = data[-1]
    codes = [int(c) for c in np.unique(zcode[~np.isnan(zcode)])
             if zone_names.get(int(c)) in predictor.zones]
    probs = [p for p in products if p not in SINGLE]
    if len(codes) < 2 or not probs:  # one zone near the core: nothing to blend
        part = data[:, inner[0], inner[1]]

        def ask(name, sel):
            return predictor.predict_zone(name, part[:-1, sel].T, wanted)
        return _predict_window(part, ask, predictor.zones, zone_names, products, 0)
    # each zone's models, once, on the core's pixels it weighs in (within blend_px + 0.5 of
    # the zone: a superset of what each tile's window sees)
    valid = _valid(data, codes)
    in_core = np.zeros(zcode.shape, bool)
    in_core[inner] = True
    needs = {}  # by zone name (two codes may name one zone)
    for code in codes:
        near = valid & in_core & (_zone_weight(zcode == code, blend_px) > 0)
        needs[zone_names[code]] = needs.get(zone_names[code], False) | near
    runs = {}
    for name, need in needs.items():
        index = np.full(zcode.shape, -1, np.int64)
        index[need] = np.arange(int(need.sum()))
        runs[name] = (index, predictor.predict_zone(name, data[:-1, need].T, wanted)
                      if need.any() else None)
    num = {p: np.zeros((core.rows, core.cols)) for p in products}
    den = np.zeros((core.rows, core.cols))
    for pad, sub in views:
        win = _intersect(sub, halo)
        at = (slice(win.row - r0, win.row - r0 + win.rows),
              slice(win.col - c0, win.col - c0 + win.cols))

        def ask(name, sel, at=at):  # outside the core: NaN, never merged
            index, res = runs[name]
            i = index[at][sel]
            got = {}
            for key in [f"p_{m}" for m in MODELS] + list(SINGLE):
                if res is not None and key in res:
                    v = res[key][np.maximum(i, 0)].astype(float)
                    v[i < 0] = np.nan
                else:
                    v = np.full((len(i), len(HAZARDS)) if key.startswith("p_") else len(i),
                                np.nan)
                got[key] = v
            return got
        arrays = _predict_window(data[:, at[0], at[1]], ask, predictor.zones, zone_names,
                                 products, blend_px)
        # the view's part of the core, merged as _StripMerger.add merges a tile
        part = _intersect(win, core)
        pr = slice(part.row - win.row, part.row - win.row + part.rows)
        pc = slice(part.col - win.col, part.col - win.col + part.cols)
        cr = slice(part.row - core.row, part.row - core.row + part.rows)
        cc = slice(part.col - core.col, part.col - core.col + part.cols)
        w = edge_weights(pad.rows, pad.cols)[part.row - pad.row:part.row - pad.row + part.rows,
                                             part.col - pad.col:part.col - pad.col + part.cols]
        ok = ~np.isnan(arrays[products[0]][pr, pc])
        den[cr, cc] += np.where(ok, w, 0.0)
        for p in products:
            a = arrays[p][pr, pc]
            num[p][cr, cc] += np.where(ok & ~np.isnan(a), a * w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {p: np.where(den > 0, num[p] / den, np.nan).astype(np.float32)
                for p in products}


def _intersect(a, b):
    r0, c0 = max(a.row, b.row), max(a.col, b.col)
    return Window(r0, c0, max(0, min(a.row + a.rows, b.row + b.rows) - r0),
                  max(0, min(a.col + a.cols, b.col + b.cols) - c0))


def _predict_item(stack, item, shared):
    """A plan item's products (see :func:`core_plan`), for ``run_tiles``."""
    predictor, zone_names, products, blend_px = shared
    return predict_core(stack, item[2], item[4], predictor, zone_names, products, blend_px)


class _StripMerger:
    """Inverse-distance-weighted merge of the tiles of one column band, row by row of tiles.

    Each tile brings its prediction on ``sub`` (its padded window clipped to the band's
    columns) and its weights from the whole padded window, so a pixel's weight still falls to
    zero at its tile's edge. Rows no later tile can touch are written out and dropped: memory
    holds one band's tile row (plus overlaps), whatever the raster's size."""

    def __init__(self, window, writers, on_rows=None):
        self.win, self.writers, self.on_rows = window, writers, on_rows
        self.top = window.row
        self.num = {p: np.zeros((0, window.cols)) for p in writers}
        self.den = np.zeros((0, window.cols))

    def add(self, pad, sub, arrays):
        self._grow(sub.row + sub.rows - self.top)
        w = edge_weights(pad.rows, pad.cols)[sub.row - pad.row:sub.row - pad.row + sub.rows,
                                             sub.col - pad.col:sub.col - pad.col + sub.cols]
        r0, c0 = sub.row - self.top, sub.col - self.win.col
        sl = (slice(r0, r0 + sub.rows), slice(c0, c0 + sub.cols))
        ok = ~np.isnan(next(iter(arrays.values())))
        self.den[sl] += np.where(ok, w, 0.0)
        for p in self.num:
            a = arrays[p]
            self.num[p][sl] += np.where(ok & ~np.isnan(a), a * w, 0.0)

    def put(self, core, arrays):
        """A tile's core that no other tile covers (:func:`core_plan`): its values as they
        are (the merge of one tile)."""
        self._grow(core.row + core.rows - self.top)
        r0, c0 = core.row - self.top, core.col - self.win.col
        sl = (slice(r0, r0 + core.rows), slice(c0, c0 + core.cols))
        ok = ~np.isnan(next(iter(arrays.values())))
        self.den[sl] = ok
        for p in self.num:
            a = arrays[p]
            self.num[p][sl] = np.where(ok & ~np.isnan(a), a, 0.0)

    def _grow(self, end):
        if end > len(self.den):
            grow = np.zeros((end - len(self.den), self.win.cols))
            self.den = np.vstack([self.den, grow])
            for p in self.num:
                self.num[p] = np.vstack([self.num[p], grow])

    def flush(self, until):
        """Write rows [top, until) of the band and drop them."""
        n = until - self.top
        if n <= 0:
            return
        den = self.den[:n]
        win = Window(self.top, self.win.col, n, self.win.cols)
        merged = {}
        with np.errstate(invalid="ignore", divide="ignore"):
            for p, w in self.writers.items():
                merged[p] = np.where(den > 0, self.num[p][:n] / den, np.nan).astype(np.float32)
                w.write(win, merged[p])
        if self.on_rows is not None:
            self.on_rows(merged)
        self.den = self.den[n:]
        for p in self.num:
            self.num[p] = self.num[p][n:]
        self.top = until


def tile_plan(grid, size, overlap, band_px=4096):
    """The overlapping tiles: column bands of about ``band_px`` pixels, each a list of items
    (band window, padded tile window, the part of it a tile sees, rows final after it or
    None), row-major within the band. A tile sees its padded window clipped to the band; where
    tiles overlap, their blends across zone borders are merged by their weights
    (:func:`predict_core`, which predicts each pixel once, and :class:`_StripMerger`)."""
    tl = tiles(grid, size, overlap)
    cols = sorted({core.col for _, core in tl})
    per_band = max(1, band_px // size)
    plan = []
    for b in range(0, len(cols), per_band):
        c0 = cols[b]
        c1 = cols[b + per_band] if b + per_band < len(cols) else grid.xsize
        band = Window(0, c0, grid.ysize, c1 - c0)
        items = []
        for pad, core in tl:
            lo, hi = max(pad.col, c0), min(pad.col + pad.cols, c1)
            if hi > lo:
                items.append([band, pad, Window(pad.row, lo, pad.rows, hi - lo), core.row])
        starts = sorted({it[3] for it in items})
        nxt = {r: (starts[i + 1] - overlap if i + 1 < len(starts) else grid.ysize)
               for i, r in enumerate(starts)}
        for k, it in enumerate(items):  # the last item of a tile row finalises rows
            last = k + 1 == len(items) or items[k + 1][3] != it[3]
            it[3] = nxt[it[3]] if last else None
        plan.extend(tuple(it) for it in items)
    return plan, len(tl)


def core_plan(grid, size, overlap, band_px=4096, blend_px=0):
    """The order of work when every pixel is predicted once (:func:`predict_core`): the column
    bands and tiles of :func:`tile_plan`, each item (band window, tile core, tile core, rows
    final after it or None, views), the rows written in the same chunks as tile_plan's merge
    writes them (so the bivariate breaks' sample is the same). ``views``: with ``blend_px``
    > 0, the (padded window, predicted part) of tile_plan's items that cover the core, in
    tile_plan's order; otherwise empty."""
    plan, n_tiles = tile_plan(grid, size, overlap, band_px)
    views = {}
    if blend_px > 0:
        for _, pad, sub, _ in plan:
            for ti in range(sub.row // size, (sub.row + sub.rows - 1) // size + 1):
                for tj in range(sub.col // size, (sub.col + sub.cols - 1) // size + 1):
                    views.setdefault((ti, tj), []).append((pad, sub))
    cores = [core for _, core in tiles(grid, size, overlap)]
    cols = sorted({c.col for c in cores})
    per_band = max(1, band_px // size)
    out = []
    for b in range(0, len(cols), per_band):
        c0 = cols[b]
        c1 = cols[b + per_band] if b + per_band < len(cols) else grid.xsize
        band = Window(0, c0, grid.ysize, c1 - c0)
        mine = [c for c in cores if c0 <= c.col < c1]
        starts = sorted({c.row for c in mine})
        nxt = {r: (starts[i + 1] - overlap if i + 1 < len(starts) else grid.ysize)
               for i, r in enumerate(starts)}
        for k, c in enumerate(mine):  # the last core of a tile row finalises rows
            last = k + 1 == len(mine) or mine[k + 1].row != c.row
            out.append((band, c, c, nxt[c.row] if last else None,
                        tuple(views.get((c.row // size, c.col // size), ()))))
    return out, n_tiles


def map_multihazard(predictor, bands, grid, zone_band, zone_names, outputs, bivariate=None,
                    bivariate_model="moe", size=512, overlap=32, workers=1, scheduler=None,
                    sample=1_000_000, seed=0, feedback=None, band_px=4096, blend_px=0):
    """Write the products named in ``outputs`` (product -> GeoTIFF path) and, if ``bivariate``
    is a path, the bivariate classes of ``bivariate_model``. ``zone_band`` is a raster of zone
    codes; ``zone_names`` maps a code to its zone's name. Returns a summary dict (breaks,
    class counts, valid pixels, pixels in zones the bundle does not know). ``blend_px``: the
    half-width of the transition band across zone borders (:func:`predict_tile`), at most the
    overlap. Each pixel is predicted once (:func:`predict_core`); the maps are those of
    overlapping tiles merged by inverse-distance weights. ``predictor.fast`` (None: numba
    here) is decided before the tiles go out."""
    from ..io.tiles import run_tiles
    if blend_px < 0 or (blend_px > overlap and blend_px > 0):
        raise InputError(f"The zone-border transition ({blend_px} px) must be between 0 and "
                         f"the tiles' overlap ({overlap} px): a tile sees no farther.",
                         "BLEND")
    fb = as_feedback(feedback)
    man = predictor.manifest
    names = man.names
    by_name = {b.name: b for b in bands}
    missing = [n for n in names if n not in by_name]
    if missing:
        raise InputError(f"The model bundle needs the factor(s) {', '.join(missing)}, which are "
                         f"not among the rasters given ({', '.join(by_name) or 'none'}).",
                         "FACTORS")
    ordered = [by_name[n] for n in names]
    for b, c in zip(ordered, man.categorical):
        b.categorical = bool(c)
    zb = Band(zone_band.path, zone_band.band, "__zone__", True, zone_band.layer_name)
    stack_bands = ordered + [zb]
    zone_names = {int(k): str(v) for k, v in zone_names.items()}
    unknown = sorted(set(zone_names.values()) - set(man.zones))
    products = dict(outputs)
    tmpdir = None
    if bivariate:
        for h in HAZARDS:
            key = f"{bivariate_model}_{h}"
            if key not in products:
                tmpdir = tmpdir or tempfiles.mkdtemp("hazard_mh_")
                products[key] = os.path.join(tmpdir, f"{key}.tif")
    bad = [p for p in products if p not in PRODUCTS]
    if bad:
        raise InputError(f"Unknown product(s) {bad}: choose among {', '.join(PRODUCTS)}.")
    if not products:
        raise InputError("Choose at least one output.", "OUTPUTS")
    if predictor.fast is None and not predictor.use_fast():  # decided once, for every worker
        fb.info("numba is not available (not installed, or HAZARD_NUMBA=0): the networks run "
                "in float64 numpy, about twice as slow as the compiled float32 loops ('Install "
                "Python dependencies' installs numba).")
    elif predictor.fast:
        from .forward32 import TOLERANCE, float32_safe
        sets, _ = predictor._load()
        steep = [k for k, ms in sets.items()
                 if ms.ef_w is not None and not float32_safe(ms.ef_w, ms.ef_cal)]
        if steep:
            fb.info(f"The Early Fusion network of model set(s) {', '.join(steep)} runs in "
                    f"float64: its beta calibration is too steep for float32 to keep the maps "
                    f"within {TOLERANCE:g} of float64 (core/multihazard/forward32.py).")
    try:
        plan, n_tiles = core_plan(grid, size, overlap, band_px, blend_px)
        sampler = BreakSample(sample, grid.xsize * grid.ysize, seed)
        kept = {h: [] for h in HAZARDS}
        n_valid = [0]

        def on_rows(merged):
            if not bivariate:
                first = next(iter(merged.values()))
                n_valid[0] += int((~np.isnan(first)).sum())
                return
            a = merged[f"{bivariate_model}_{HAZARDS[0]}"]
            b = merged[f"{bivariate_model}_{HAZARDS[1]}"]
            ok = ~np.isnan(a) & ~np.isnan(b)
            n_valid[0] += int(ok.sum())
            pick = ok & sampler.pick(a.shape)
            kept[HAZARDS[0]].append(a[pick].astype(float))
            kept[HAZARDS[1]].append(b[pick].astype(float))

        writers = {p: RasterWriter(path, grid, [p]) for p, path in products.items()}
        order = list(products)
        # parallelism comes from the tiles: BLAS runs single-threaded, as on Dask's workers, so
        # every pixel gets the same numbers whoever computes its tile
        from threadpoolctl import threadpool_limits
        blas = threadpool_limits(1, user_api="blas")
        try:
            state = {"merger": None}

            def consume(item, arrays, k):
                band, core, _, final, _ = item
                m = state["merger"]
                if m is None or m.win is not band:
                    if m is not None:
                        m.flush(grid.ysize)
                    m = state["merger"] = _StripMerger(band, writers, on_rows)
                m.put(core, arrays)
                if final is not None:
                    m.flush(final)
                fb.report(0.9 * (k + 1) / len(plan))

            with AlignedStack(stack_bands, grid):  # fail early on bad rasters, in this thread
                pass
            run_tiles(plan, _predict_item, consume, (stack_bands, grid),
                      (predictor, zone_names, order, int(blend_px)), workers, scheduler, fb)
            if state["merger"] is not None:
                state["merger"].flush(grid.ysize)
        finally:
            blas.restore_original_limits()
            for w in writers.values():
                w.close()
        summary = {"valid_pixels": n_valid[0], "unknown_zones": unknown, "tiles": n_tiles}
        if bivariate:
            values = {h: np.concatenate(kept[h]) if kept[h] else np.empty(0) for h in HAZARDS}
            if values[HAZARDS[0]].size == 0:
                raise InputError("No pixel was predicted: check that the factors and the zones "
                                 "overlap.", "ZONES")
            breaks = {h: natural_breaks(values[h], 5, sample=sample, seed=seed).tolist()
                      for h in HAZARDS}
            counts = write_bivariate(products[f"{bivariate_model}_{HAZARDS[0]}"],
                                     products[f"{bivariate_model}_{HAZARDS[1]}"], breaks, bivariate,
                                     fb.sub(0.9, 1.0))
            summary.update(breaks=breaks, counts=counts.tolist())
    finally:  # the temporary maps of the bivariate classes go, whatever happened
        if tmpdir:
            import shutil
            shutil.rmtree(tmpdir, ignore_errors=True)
    fb.report(1.0)
    return summary


def map_bundle(bundle_path, bands, grid, zone_band, zone_names, outputs, bivariate=None,
               bivariate_model="moe", size=512, overlap=32, workers=1, scheduler=None,
               sample=1_000_000, seed=0, feedback=None, blend_px=0):
    """:func:`map_multihazard` with the bundle read from ``bundle_path``: refuses an overlap not
    smaller than the tile or zones of which none is the bundle's, and writes every file under a
    temporary name, moved into place only when all are complete."""
    import contextlib
    from ..util.partial import AtomicOutput
    from .training import Predictor
    if overlap >= size:
        raise InputError(f"The overlap ({overlap} px) must be smaller than the tile size ({size} "
                         f"px).", "OVERLAP")
    if not outputs and not bivariate:
        raise InputError("Choose at least one output.")
    predictor = Predictor.from_file(bundle_path)  # refuses a file that is not a bundle
    known = set(predictor.manifest.zones)
    if not known & set(zone_names.values()):
        given = ", ".join(sorted(zone_names.values())) or "none"
        raise InputError(f"None of the zones given ({given}) is a zone of the model bundle "
                         f"({', '.join(sorted(known))}).", "ZONES")
    with contextlib.ExitStack() as stages:
        tmp = {product: stages.enter_context(AtomicOutput(dest))
               for product, dest in outputs.items()}
        biv_tmp = stages.enter_context(AtomicOutput(bivariate)) if bivariate else None
        return map_multihazard(predictor, bands, grid, zone_band, zone_names, tmp, biv_tmp,
                               bivariate_model, size, overlap, workers, scheduler, sample, seed,
                               feedback, blend_px=blend_px)


def bivariate_legend():
    """(code, label) of the 25 classes: 'flood X - landslide Y'."""
    return [(c, f"flood {LEVELS[c // 5]} - landslide {LEVELS[c % 5]}") for c in range(25)]


def write_bivariate(flood_path, landslide_path, breaks, out_path, feedback=None):
    """Byte raster of code = 5 * flood level + landslide level (255 = nodata); returns the pixel
    count of each of the 25 classes."""
    fb = as_feedback(feedback)
    from osgeo import gdal
    from ..io.raster import iter_windows
    fa, la = open_raster(flood_path), open_raster(landslide_path)
    grid = Grid.from_dataset(fa)
    counts = np.zeros(25, np.int64)
    w = RasterWriter(out_path, grid, ["bivariate_class"], gdal.GDT_Byte, BIVARIATE_NODATA)
    try:
        wins = list(iter_windows(grid, 2))
        for k, win in enumerate(wins):
            fb.check()
            codes = bivariate_codes(classify(read_window(fa, win), breaks[HAZARDS[0]]),
                                    classify(read_window(la, win), breaks[HAZARDS[1]]))
            counts += np.bincount(codes[codes >= 0], minlength=25)
            w.write(win, np.where(codes < 0, BIVARIATE_NODATA, codes).astype(np.uint8))
            fb.report((k + 1) / len(wins))
        w.set_metadata({f"class_{c}": lab for c, lab in bivariate_legend()})
    finally:
        w.close()
    return counts


# -- the factors given against the bundle's training rows ------------------------------------
def bundle_training(path):
    """{factor name: training values} of a multi-hazard bundle's kept training rows, pooled
    over its model sets (continuous factors only); read without XGBoost or TensorFlow."""
    from ..io import modelfile
    from ..susceptibility.applicability import read_rows
    from ..susceptibility.factor_fit import training_columns
    from .training import BundleManifest
    mf = modelfile.read(path, BundleManifest, f"'{path}'")
    pooled = {}
    for i, e in enumerate(mf.manifest.sets):
        if not e.aoa_rows:
            continue
        rows = read_rows(mf, f"sets/{i}/aoa_", e.aoa_rows, len(e.encoding.columns),
                         f"the bundle (models '{e.key}')", mf.manifest.ADVICE)[0]
        names = [n for n, c in zip(e.encoding.names, e.encoding.categorical) if not c]
        for n, v in training_columns(rows, e.encoding.columns, names).items():
            pooled.setdefault(n, []).append(v)
    return {n: np.concatenate(v) for n, v in pooled.items()}


def check_bundle(path, stack, seed=0, log=None, warn=None):
    """A multi-hazard bundle's training rows against a seeded sample of ``stack``'s bands
    (core.susceptibility.factor_fit's rules)."""
    from ..susceptibility.factor_fit import check, sample_stack
    train = bundle_training(path)
    if not train:
        (log or (lambda msg: None))("The model bundle keeps no training rows: the factors' "
                                    "values cannot be checked against them.")
        return []
    sampled = sample_stack(stack, set(train), seed=seed)
    return check(train, sampled, "FACTORS", log, warn)
