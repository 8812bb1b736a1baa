"""A synthetic region of any size, for regional-scale runs (bench/bench_region.py): the sample
area's idea (factors whose hazard processes are known) written block by block, so that a
Nepal-size region (160 million pixels x 15 factors) needs no more memory than a small one.

``generate_region(folder, pixels, seed)`` writes, in UTM 45N at 30 m, a grid about twice as wide
as high with an irregular outline (nodata outside):

* ``factors/<name>.tif``: 15 factors (14 continuous, ``lithology`` categorical), tiled
  compressed GeoTIFFs. Each is a smooth seeded field (octaves of lattice value noise) mapped to
  plausible units; ``temperature`` follows elevation (|r| > 0.7, so the Pearson screening has a
  pair to drop) and ``noise`` plays no part in either process;
* ``zones.tif``: four contextual zones (codes 1-4) split by wavy boundaries;
* ``landslides.gpkg`` and ``floods.gpkg``: points drawn from two known logistic processes on the
  factors' latent (standardised) values, the landslide one stronger on rainfall in zone 2 and on
  shaking in zone 3, as contextual zones are meant to capture;
* ``truth.json``: the processes and the grid.

Every value is a function of the pixel's row and column, so a block, or the points of an
inventory, are computed without the rest of the raster: same seed, same files, whatever the
block order. Memory: the noise lattices (a few MB) plus one block of rows.

:func:`region_truth` evaluates the processes on seeded pixels and :func:`region_fidelity`
scores a map of the region against them (core.stats.fidelity's measures).
"""
from __future__ import annotations

import json
import math
import os

import numpy as np

from ..stats.fidelity import fidelity, sigmoid
from ..util.progress import as_feedback

EPSG = 32645  # UTM 45N (Nepal)
ORIGIN = (200000.0, 3450000.0)  # upper-left corner
CELL = 30.0
NODATA = -9999.0
#: octaves of every field: (lattice spacing in pixels, amplitude)
OCTAVES = ((2048, 1.0), (512, 0.6), (128, 0.35), (32, 0.2))
#: continuous factors: name -> (scale, offset) of the physical value = offset + scale * latent
#: (latent ~ N(0, 1)); a few are transformed further in :func:`_physical`
CONTINUOUS = {
    "elevation": (900.0, 2200.0), "slope": (9.0, 22.0), "aspect": (100.0, 180.0),
    "plan_curv": (0.004, 0.0), "prof_curv": (0.004, 0.0), "twi": (2.0, 8.0),
    "dist_river": (700.0, 900.0), "ndvi": (0.15, 0.5), "rainfall": (600.0, 2000.0),
    "pga": (0.08, 0.3), "soil_depth": (0.8, 2.0), "dist_road": (1500.0, 2000.0),
    "temperature": (4.5, 14.0), "landcover_age": (12.0, 30.0), "noise": (1.0, 0.0)}
FACTORS = ["elevation", "slope", "aspect", "plan_curv", "prof_curv", "twi", "dist_river",
           "ndvi", "lithology", "rainfall", "pga", "soil_depth", "dist_road", "temperature",
           "noise"]
CATEGORICAL = ["lithology"]
#: the known processes, on latent values: logit = b0 + sum(coef * latent) (+ lithology)
LANDSLIDE_COEF = {"slope": 1.5, "pga": 0.7, "rainfall": 0.6, "plan_curv": -0.5}
LANDSLIDE_LITHO = {1: 0.0, 2: 0.9, 3: -0.8, 4: 0.4}
#: contextual zones: an extra coefficient in one zone each
LANDSLIDE_ZONE = {2: {"rainfall": 1.0}, 3: {"pga": 1.0}}
FLOOD_COEF = {"slope": -1.6, "dist_river": -2.2, "elevation": -0.8, "twi": 0.6}


def region_shape(pixels):
    """(rows, cols) of a region of about ``pixels`` pixels, twice as wide as high."""
    rows = max(64, int(round(math.sqrt(pixels / 2.0))))
    return rows, max(128, int(round(pixels / rows)))


class Region:
    """The fields of a region: every value as a function of (row, col) pixel indices, which
    may be broadcastable arrays (a block: rows[:, None], cols[None, :]) or points."""

    def __init__(self, rows, cols, seed=0):
        self.rows, self.cols, self.seed = rows, cols, seed
        self._lattices = {}

    def _lattice(self, key, spacing):
        k = (key, spacing)
        if k not in self._lattices:
            rng = np.random.default_rng([self.seed, _key(key), spacing])
            self._lattices[k] = rng.standard_normal(
                (self.rows // spacing + 3, self.cols // spacing + 3)).astype(np.float32)
        return self._lattices[k]

    def noise(self, key, r, c):
        """A smooth field of unit variance (about): octaves of value noise, bilinear with
        smoothstep weights, each lattice offset by its own seeded shift."""
        r, c = np.asarray(r, np.float32), np.asarray(c, np.float32)
        block = r.ndim == 2 and c.ndim == 2 and r.shape[1] == 1 and c.shape[0] == 1
        out = 0.0
        total = 0.0
        for spacing, amp in OCTAVES:
            g = self._lattice(key, spacing)
            fr, fc = (r + 0.5) / spacing, (c + 0.5) / spacing
            i, j = np.floor(fr).astype(np.int32), np.floor(fc).astype(np.int32)
            tr, tc = fr - i, fc - j
            tr = tr * tr * (3 - 2 * tr)
            tc = tc * tc * (3 - 2 * tc)
            if block:  # separable: along the columns on the few lattice rows, then the rows
                i0 = int(i.min())
                sub = g[i0:int(i.max()) + 2]
                across = sub[:, j[0]] * (1 - tc[0]) + sub[:, j[0] + 1] * tc[0]
                li = i[:, 0] - i0
                val = across[li] * (1 - tr) + across[li + 1] * tr
            else:
                top = g[i, j] * (1 - tc) + g[i, j + 1] * tc
                bot = g[i + 1, j] * (1 - tc) + g[i + 1, j + 1] * tc
                val = top * (1 - tr) + bot * tr
            out = out + amp * val
            total += amp * amp
        # bilinear smoothing shrinks a lattice's variance to about 0.44 (smoothstep weights)
        return out / np.float32(math.sqrt(total * 0.44))

    def latent(self, name, r, c):
        """The standardised value of a factor (what the processes act on)."""
        if name == "temperature":  # follows elevation, with some noise of its own
            return -0.9 * self.latent("elevation", r, c) + 0.44 * self.noise(name, r, c)
        if name == "slope":  # steeper where high
            return 0.6 * self.latent("elevation", r, c) + 0.8 * self.noise(name, r, c)
        if name == "twi":  # wetter where flat
            return -0.7 * self.noise("slope", r, c) + 0.7 * self.noise(name, r, c)
        return self.noise(name, r, c)

    def factor(self, name, r, c):
        """The physical value of a factor (lithology: class codes 1-4)."""
        if name == "lithology":
            u = self.noise(name, r, c)
            return np.digitize(u, [-0.7, 0.0, 0.7]).astype(np.uint8) + 1
        u = self.latent(name, r, c)
        scale, off = CONTINUOUS[name]
        v = off + scale * u
        if name in ("slope", "dist_river", "dist_road", "soil_depth", "rainfall", "pga",
                    "elevation"):
            v = np.maximum(v, 0.0)
        if name == "aspect":
            v = np.mod(v, 360.0)
        if name == "ndvi":
            v = np.clip(v, -0.1, 0.95)
        return v.astype(np.float32)

    def valid(self, r, c):
        """Inside the region's outline (an ellipse roughened by a field of its own)."""
        r, c = np.asarray(r, np.float32), np.asarray(c, np.float32)
        y = (r + 0.5) / self.rows * 2 - 1
        x = (c + 0.5) / self.cols * 2 - 1
        return (x ** 4 + y ** 4) ** 0.25 + 0.12 * self.noise("outline", r, c) < 0.97

    def zone(self, r, c):
        """Contextual zone 1-4: west/east and north/south of two wavy lines."""
        r, c = np.asarray(r, np.float32), np.asarray(c, np.float32)
        east = c > self.cols * (0.5 + 0.08 * np.sin(r / self.rows * 2 * math.pi * 1.5))
        south = r > self.rows * (0.5 + 0.1 * np.sin(c / self.cols * 2 * math.pi * 2.0))
        return (1 + east.astype(np.uint8) + 2 * south.astype(np.uint8)).astype(np.uint8)

    def logit(self, hazard, r, c):
        """The known process without its intercept."""
        if hazard == "flood":
            return sum(b * self.latent(n, r, c) for n, b in FLOOD_COEF.items())
        out = sum(b * self.latent(n, r, c) for n, b in LANDSLIDE_COEF.items())
        lith = self.factor("lithology", r, c)
        out = out + np.choose(lith - 1, [LANDSLIDE_LITHO[k] for k in (1, 2, 3, 4)])
        z = self.zone(r, c)
        for code, extra in LANDSLIDE_ZONE.items():
            for n, b in extra.items():
                out = out + np.where(z == code, b * self.latent(n, r, c), 0.0)
        return out


def _key(name):
    """A stable integer of a field's name (Python's hash is salted per process)."""
    return int.from_bytes(name.encode()[:8].ljust(8, b"\0"), "little") % (2 ** 31)


def transform():
    return (ORIGIN[0], CELL, 0.0, ORIGIN[1], 0.0, -CELL)


def _srs_wkt():
    from osgeo import osr
    srs = osr.SpatialReference()
    srs.ImportFromEPSG(EPSG)
    return srs.ExportToWkt()


def generate_region(folder, pixels=160_000_000, seed=0, n_landslides=4000, n_floods=3000,
                    feedback=None, block_rows=256):
    """Write the region into ``folder`` (see the module's docstring) unless ``truth.json``
    there already says it is this one. Returns the truth dict."""
    from osgeo import gdal
    fb = as_feedback(feedback)
    rows, cols = region_shape(pixels)
    truth_path = os.path.join(folder, "truth.json")
    want = {"rows": rows, "cols": cols, "seed": seed, "n_landslides": n_landslides,
            "n_floods": n_floods, "factors": FACTORS, "categorical": CATEGORICAL,
            "epsg": EPSG, "cell": CELL, "landslide": LANDSLIDE_COEF,
            "landslide_lithology": {str(k): v for k, v in LANDSLIDE_LITHO.items()},
            "landslide_zone": {str(k): v for k, v in LANDSLIDE_ZONE.items()},
            "flood": FLOOD_COEF}
    if os.path.exists(truth_path):
        with open(truth_path) as fh:
            old = json.load(fh)
        if {k: old.get(k) for k in want} == json.loads(json.dumps(want)):
            return old
    os.makedirs(os.path.join(folder, "factors"), exist_ok=True)
    reg = Region(rows, cols, seed)
    wkt = _srs_wkt()
    opts = ["TILED=YES", "COMPRESS=DEFLATE", "ZLEVEL=1", "PREDICTOR=2", "BIGTIFF=IF_SAFER",
            "BLOCKXSIZE=256", "BLOCKYSIZE=256", "NUM_THREADS=ALL_CPUS"]
    outs = [(n, os.path.join(folder, "factors", n + ".tif"),
             gdal.GDT_Byte if n in CATEGORICAL else gdal.GDT_Float32,
             0 if n in CATEGORICAL else NODATA) for n in FACTORS]
    outs.append(("zone", os.path.join(folder, "zones.tif"), gdal.GDT_Byte, 0))
    drv = gdal.GetDriverByName("GTiff")
    cc = np.arange(cols)[None, :]
    for k, (name, path, dtype, nodata) in enumerate(outs):
        tmp = path + ".part"
        ds = drv.Create(tmp, cols, rows, 1, dtype, options=opts)
        ds.SetGeoTransform(transform())
        ds.SetProjection(wkt)
        band = ds.GetRasterBand(1)
        band.SetNoDataValue(nodata)
        band.SetDescription(name)
        for r0 in range(0, rows, block_rows):
            fb.check()
            rr = np.arange(r0, min(rows, r0 + block_rows))[:, None]
            a = reg.zone(rr, cc) if name == "zone" else reg.factor(name, rr, cc)
            a = np.where(reg.valid(rr, cc), a, nodata).astype(a.dtype)
            band.WriteArray(a, 0, r0)
            fb.report((k + (r0 + len(rr)) / rows) / (len(outs) + 1))
        ds.FlushCache()
        ds = None
        os.replace(tmp, path)
    from osgeo import osr
    from .synthetic import _write_points
    srs = osr.SpatialReference()
    srs.ImportFromWkt(wkt)
    truth = dict(want, transform=transform(), intercepts={})
    rng = np.random.default_rng([seed, 1])
    for hazard, n, fname in (("landslide", n_landslides, "landslides.gpkg"),
                             ("flood", n_floods, "floods.gpkg")):
        xy, b0 = _inventory(reg, hazard, n, rng)
        _write_points(os.path.join(folder, fname), hazard + "s", "id", xy, srs)
        truth["intercepts"][hazard] = b0
        truth[f"n_{hazard}_points"] = len(xy)
    with open(truth_path, "w") as fh:
        json.dump(truth, fh, indent=1)
    fb.report(1.0)
    return truth


def _inventory(reg, hazard, n, rng, per=60):
    """About ``n`` points of a hazard: uniform candidates on valid pixels kept with the
    process's probability, its intercept set so the expected count is ``n``. Returns the
    points' (x, y) pixel centres and the intercept."""
    m = per * n
    r = rng.integers(0, reg.rows, m)
    c = rng.integers(0, reg.cols, m)
    ok = reg.valid(r, c)
    r, c = r[ok], c[ok]
    lg = np.asarray(reg.logit(hazard, r, c), float)
    lo, hi = -30.0, 10.0
    for _ in range(60):  # the intercept giving n expected presences among the candidates
        mid = 0.5 * (lo + hi)
        if (1 / (1 + np.exp(-(lg + mid)))).sum() > n:
            hi = mid
        else:
            lo = mid
    p = 1 / (1 + np.exp(-(lg + lo)))
    keep = rng.random(len(p)) < p
    r, c = r[keep], c[keep]
    _, first = np.unique(r.astype(np.int64) * reg.cols + c, return_index=True)  # one per pixel
    first.sort()
    r, c = r[first], c[first]
    x = ORIGIN[0] + (c + 0.5) * CELL
    y = ORIGIN[1] - (r + 0.5) * CELL
    return np.column_stack([x, y]), float(lo)


# -- the maps against the region's truth (issue 30) ------------------------------------------
def region_truth(folder, n_pixels=2_000_000, seed=42):
    """The bench region's truth at ``n_pixels`` seeded valid pixels: dict rows, cols (pixel
    indices), ``landslide`` and ``flood`` (true logits with their intercepts) and zones."""
    with open(os.path.join(folder, "truth.json"), encoding="utf-8") as fh:
        truth = json.load(fh)
    reg = Region(truth["rows"], truth["cols"], truth["seed"])
    rng = np.random.default_rng(seed)
    r = rng.integers(0, reg.rows, 3 * n_pixels)
    c = rng.integers(0, reg.cols, 3 * n_pixels)
    ok = reg.valid(r, c)
    r, c = r[ok][:n_pixels], c[ok][:n_pixels]
    out = {"rows": r, "cols": c, "zones": reg.zone(r, c).astype(int)}
    for h in ("landslide", "flood"):
        out[h] = np.asarray(reg.logit(h, r, c), float) + truth["intercepts"][h]
    return out


def region_fidelity(maps, folder, n_pixels=2_000_000, n_draws=200_000, seed=42):
    """Rows for the bench region's maps [(name, hazard, path)]: Spearman and AUC at seeded
    pixels; the seam ratios on the map's full rows through the middle of the region (a band
    of 64 rows around each of the two zone borders would need the whole map: instead every
    ``step``-th row block is read, see :func:`_region_seams`)."""
    from osgeo import gdal
    gdal.UseExceptions()
    tr = region_truth(folder, n_pixels, seed)
    with open(os.path.join(folder, "truth.json"), encoding="utf-8") as fh:
        truth = json.load(fh)
    reg = Region(truth["rows"], truth["cols"], truth["seed"])
    rows = []
    for name, hazard, path in maps:
        if not os.path.exists(path):
            continue
        ds = gdal.Open(path)
        b = ds.GetRasterBand(1)
        nd = b.GetNoDataValue()
        vals = np.empty(len(tr["rows"]))
        order = np.argsort(tr["rows"], kind="stable")
        rr = tr["rows"][order]
        for r0 in range(0, ds.RasterYSize, 1024):
            lo, hi = np.searchsorted(rr, [r0, r0 + 1024])
            if lo == hi:
                continue
            h_ = min(1024, ds.RasterYSize - r0)
            blk = b.ReadAsArray(0, r0, ds.RasterXSize, h_).astype(float)
            if nd is not None:
                blk[blk == nd] = np.nan
            idx = order[lo:hi]
            vals[idx] = blk[tr["rows"][idx] - r0, tr["cols"][idx]]
        r = fidelity(vals[None, :], tr[hazard][None, :], None, n_draws, seed)
        r["seam"], r["seam_truth"] = _region_seams(b, nd, reg, hazard, truth)
        rows.append(dict(map=name, hazard=hazard, **r))
    return rows


def _region_seams(band, nodata, reg, hazard, truth, n_strips=16, height=64):
    """Seam ratios of a region map and of its truth on ``n_strips`` evenly spaced strips of
    ``height`` full rows (bounded memory, every zone border crossed)."""
    acc = {"map": [[0.0, 0], [0.0, 0]], "truth": [[0.0, 0], [0.0, 0]]}
    rows, cols = band.YSize, band.XSize
    cc = np.arange(cols)[None, :]
    for k in range(n_strips):
        r0 = int((k + 0.5) * rows / n_strips) - height // 2
        r0 = max(0, min(rows - height, r0))
        v = band.ReadAsArray(0, r0, cols, height).astype(float)
        if nodata is not None:
            v[v == nodata] = np.nan
        rr = np.arange(r0, r0 + height)[:, None]
        zz = reg.zone(rr, cc).astype(int)
        t = sigmoid(np.asarray(reg.logit(hazard, rr, cc), float)
                    + truth["intercepts"][hazard])
        t = np.where(np.isfinite(v), t, np.nan)
        for key, arr in (("map", v), ("truth", t)):
            for a, b, za, zb in ((arr[:, :-1], arr[:, 1:], zz[:, :-1], zz[:, 1:]),
                                 (arr[:-1, :], arr[1:, :], zz[:-1, :], zz[1:, :])):
                ok = np.isfinite(a) & np.isfinite(b)
                d = np.abs(a - b)
                for i, m in enumerate((ok & (za != zb), ok & (za == zb))):
                    acc[key][i][0] += float(d[m].sum())
                    acc[key][i][1] += int(m.sum())
    out = []
    for key in ("map", "truth"):
        (sa, na), (sw, nw) = acc[key]
        out.append((sa / na) / (sw / nw) if na and nw and sw else float("nan"))
    return tuple(out)
