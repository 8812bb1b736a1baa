"""Multi-hazard maps (METHODS.md section 4): overlapping lattice tiles predicted independently
(local threads or a Dask cluster), merged by inverse-distance weighting strip by strip so memory
stays bounded, then the 25-class bivariate map from global natural breaks, and the evaluation of
the maps (Jaccard agreement of H+VH masks, MH density, zonal uncertainty and correlation)."""
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
    zcode = data[-1]
    out = {p: np.full((pad.rows, pad.cols), np.nan, np.float32) for p in products}
    wanted = _wanted_models(products)
    known = predictor.zones
    codes = [int(c) for c in np.unique(zcode[~np.isnan(zcode)])
             if zone_names.get(int(c)) in known]
    probs = [p for p in products if p not in SINGLE]
    blend = blend_px > 0 and len(codes) > 1 and probs
    if blend:
        from scipy import ndimage
        valid = ~np.isnan(zcode) & np.isin(np.nan_to_num(zcode, nan=-1), codes) & \
            ~np.isnan(data[:-1]).any(axis=0)
        num = {p: np.zeros((pad.rows, pad.cols)) for p in probs}
        den = np.zeros((pad.rows, pad.cols))
    for code in codes:
        name = zone_names[code]
        sel = zcode == code
        if blend:
            d_in = ndimage.distance_transform_edt(sel)
            d_out = ndimage.distance_transform_edt(~sel)
            signed = np.where(sel, d_in - 0.5, 0.5 - d_out)
            wgt = np.clip(0.5 + signed / (2.0 * blend_px), 0.0, 1.0)
            reach = valid & (wgt > 0)
            res = predictor.predict_zone(name, data[:-1, reach].T, wanted)
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
        res = predictor.predict_zone(name, data[:-1, sel].T, wanted)
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


def _predict_item(stack, item, shared):
    """A tile-plan item's part to predict (see :func:`tile_plan`), for ``run_tiles``."""
    predictor, zone_names, products, blend_px = shared
    return predict_tile(stack, item[2], predictor, zone_names, products, blend_px)


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
        end = sub.row + sub.rows - self.top
        if end > len(self.den):
            grow = np.zeros((end - len(self.den), self.win.cols))
            self.den = np.vstack([self.den, grow])
            for p in self.num:
                self.num[p] = np.vstack([self.num[p], grow])
        w = edge_weights(pad.rows, pad.cols)[sub.row - pad.row:sub.row - pad.row + sub.rows,
                                             sub.col - pad.col:sub.col - pad.col + sub.cols]
        r0, c0 = sub.row - self.top, sub.col - self.win.col
        sl = (slice(r0, r0 + sub.rows), slice(c0, c0 + sub.cols))
        ok = ~np.isnan(next(iter(arrays.values())))
        self.den[sl] += np.where(ok, w, 0.0)
        for p in self.num:
            a = arrays[p]
            self.num[p][sl] += np.where(ok & ~np.isnan(a), a * w, 0.0)

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
    """The order of work: column bands of about ``band_px`` pixels, each a list of items
    (band window, padded tile window, the part of it to predict, rows final after it or None),
    row-major within the band. Every model here is pointwise (a pixel's prediction depends on
    its own factor values only), so a tile is predicted on its padded window clipped to the
    band; the overlap rows and columns are predicted by every tile that covers them and merged
    by their weights."""
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


def map_multihazard(predictor, bands, grid, zone_band, zone_names, outputs, bivariate=None,
                    bivariate_model="moe", size=512, overlap=32, workers=1, scheduler=None,
                    sample=1_000_000, seed=0, feedback=None, band_px=4096, blend_px=0):
    """Write the products named in ``outputs`` (product -> GeoTIFF path) and, if ``bivariate``
    is a path, the bivariate classes of ``bivariate_model``. ``zone_band`` is a raster of zone
    codes; ``zone_names`` maps a code to its zone's name. Returns a summary dict (breaks,
    class counts, valid pixels, pixels in zones the bundle does not know). ``blend_px``: the
    half-width of the transition band across zone borders (:func:`predict_tile`), at most the
    overlap."""
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
    try:
        plan, n_tiles = tile_plan(grid, size, overlap, band_px)
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
                band, pad, sub, final = item
                m = state["merger"]
                if m is None or m.win is not band:
                    if m is not None:
                        m.flush(grid.ysize)
                    m = state["merger"] = _StripMerger(band, writers, on_rows)
                m.add(pad, sub, arrays)
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
