"""The sample study area: a seeded synthetic region whose true hazard processes are known.

``generate_study_area(folder, seed)`` writes, in a projected CRS (UTM 17S, near Loja, Ecuador):

* ``dem.tif`` and one GeoTIFF per factor in ``factors/`` (30 m unless noted): elevation, slope,
  aspect, plan and profile curvature, TWI, distance to rivers (from D8 flow accumulation), NDVI,
  lithology (categorical), rainfall (a coarser grid in geographic WGS 84, as climate data come),
  PGA (a coarser 120 m grid) and a pure-noise factor;
* ``landslides.gpkg``: polygons with heavy-tailed areas, placed by a known logistic process, and
  ``landslide_points.gpkg``: their initiation (scarp) points, where the process acted;
* ``floods.gpkg``: points in low flat land near rivers from a second known process;
* ``zones.gpkg`` / ``zones.tif``: four contextual zones;
* ``slope_units.gpkg``: a few thousand slope units bounded by ridges and channels
  (half-basins of channel links);
* ``truth.json``: the processes (coefficients on standardised factors, thresholds, the factors
  that matter and the noise factors), so tests can check that the models recover them.

Same seed, byte-identical files.
"""
from __future__ import annotations

import json
import math
import os

import numpy as np
from osgeo import gdal, ogr, osr
from scipy import ndimage

from . import terrain
from ..util.errors import HazardError
from ..util.progress import as_feedback
from .raster import GTIFF_OPTIONS, NODATA, Grid

gdal.UseExceptions()
ogr.UseExceptions()

EPSG = 32717
ORIGIN = (690000.0, 9570000.0)  # upper-left corner, UTM 17S
CELL = 30.0

#: landslide initiation process: logit = b0 + sum(coef * z(factor)) + lithology + NDVI step
LANDSLIDE_COEF = {"slope": 1.5, "plan_curv": -0.6, "pga": 0.7, "rainfall": 0.5}
LANDSLIDE_LITHO = {1: 0.0, 2: 0.9, 3: -0.8, 4: 0.4}
NDVI_STEP = {"threshold": 0.45, "effect_below": 1.2}
#: flood process on standardised factors
FLOOD_COEF = {"slope": -1.6, "dist_river": -2.2, "elevation": -0.8, "twi": 0.6}
#: log-size shift of landslide area per standardised factor (bigger landslides there)
SIZE_COEF = {"slope": 0.35, "rainfall": 0.30, "pga": 0.25}
NOISE_FACTORS = ["aspect", "noise"]
FACTORS = ["elevation", "slope", "aspect", "plan_curv", "prof_curv", "twi", "dist_river", "ndvi",
           "lithology", "rainfall", "pga", "noise"]
CATEGORICAL = ["lithology"]


def fractal_field(shape, beta, rng):
    """Gaussian random field with power spectrum ~ f^-beta, zero mean, unit std."""
    rows, cols = shape
    fy = np.fft.fftfreq(rows)[:, None]
    fx = np.fft.rfftfreq(cols)[None, :]
    f = np.hypot(fx, fy)
    f[0, 0] = 1.0
    amp = f ** (-beta / 2.0)
    amp[0, 0] = 0.0
    phase = rng.uniform(0, 2 * np.pi, amp.shape)
    noise = rng.normal(size=amp.shape)
    spec = amp * noise * np.exp(1j * phase)
    out = np.fft.irfft2(spec, s=shape)
    return (out - out.mean()) / out.std()


def _z(a):
    return (a - a.mean()) / a.std()


def _srs(epsg=EPSG):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    return s


def _write_tif(path, arr, transform, srs, dtype=gdal.GDT_Float32, nodata=NODATA, name=None):
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(path, arr.shape[1], arr.shape[0], 1, dtype, options=GTIFF_OPTIONS)
    ds.SetGeoTransform(transform)
    ds.SetProjection(srs.ExportToWkt())
    b = ds.GetRasterBand(1)
    if nodata is not None:
        b.SetNoDataValue(nodata)
    if name:
        b.SetDescription(name)
    b.WriteArray(arr)
    ds.FlushCache()
    ds = None


def _gpkg(path, name, geom_type, srs, fields):
    if os.path.exists(path):
        os.remove(path)
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(path)
    lyr = ds.CreateLayer(name, srs, geom_type, options=["SPATIAL_INDEX=YES"])
    for fname, ftype in fields:
        lyr.CreateField(ogr.FieldDefn(fname, ftype))
    return ds, lyr


def _write_points(path, layer, id_field, xy, srs):
    """A point GeoPackage with an id field numbered from 1."""
    ds, lyr = _gpkg(path, layer, ogr.wkbPoint, srs, [(id_field, ogr.OFTInteger)])
    lyr.StartTransaction()
    for k, (px, py) in enumerate(xy):
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(float(px), float(py))
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField(id_field, k + 1)
        f.SetGeometry(g)
        _create(lyr, f, path)
    lyr.CommitTransaction()
    ds = None  # noqa: F841 (closes the file)
    _closed_with(path, len(xy))


def _calibrate(logit, target, rng_free=True):
    """Intercept b0 such that sum(sigmoid(logit + b0)) == target (bisection)."""
    lo, hi = -40.0, 10.0
    for _ in range(80):
        mid = (lo + hi) / 2
        s = (1 / (1 + np.exp(-(logit + mid)))).sum()
        if s > target:
            hi = mid
        else:
            lo = mid
    return (lo + hi) / 2


def _ellipse(cx, cy, length, width, angle, n=24):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    ca, sa = math.cos(angle), math.sin(angle)
    for k in range(n + 1):
        t = 2 * math.pi * (k % n) / n
        u, v = length / 2 * math.cos(t), width / 2 * math.sin(t)
        ring.AddPoint_2D(cx + u * ca - v * sa, cy + u * sa + v * ca)
    poly = ogr.Geometry(ogr.wkbPolygon)
    poly.AddGeometry(ring)
    return poly


def _slope_unit_labels(filled, rec, order, acc, channel_cells, min_px):
    """Half-basins of channel links, as a label raster 1..n (every cell labelled)."""
    rows, cols = filled.shape
    n = filled.size
    channel = (acc.ravel() >= channel_cells)
    link = np.full(n, -1, np.int64)
    side = np.zeros(n, np.int8)
    recl = rec
    # channel donors
    ch_idx = np.nonzero(channel)[0]
    ch_rec = recl[ch_idx]
    ok = (ch_rec >= 0) & channel[np.maximum(ch_rec, 0)]
    ndon = np.bincount(ch_rec[ok], minlength=n)
    donor = np.full(n, -1, np.int64)
    donor[ch_rec[ok]] = ch_idx[ok]
    next_id = 0
    linkl = link.tolist()
    ndonl = ndon.tolist()
    donorl = donor.tolist()
    chl = channel.tolist()
    order_l = order.tolist()  # upstream first
    for i in order_l:
        if chl[i]:
            if ndonl[i] == 1:
                linkl[i] = linkl[donorl[i]]
            else:
                linkl[i] = next_id
                next_id += 1
    # hillslope cells, downstream first
    sidel = side.tolist()
    rec_l = recl.tolist()
    for i in reversed(order_l):
        if chl[i]:
            sidel[i] = 1
            continue
        r = rec_l[i]
        if r < 0:
            linkl[i] = next_id
            next_id += 1
            sidel[i] = 1
            continue
        if chl[r]:
            rr, rc = divmod(r, cols)
            nr = rec_l[r]
            if nr >= 0:
                dr, dc = nr // cols - rr, nr % cols - rc
            elif donorl[r] >= 0:
                dr, dc = rr - donorl[r] // cols, rc - donorl[r] % cols
            else:
                dr, dc = 1, 0
            vr, vc = i // cols - rr, i % cols - rc
            cross = dc * vr - dr * vc
            linkl[i] = linkl[r]
            sidel[i] = 1 if cross >= 0 else 2
        else:
            linkl[i] = linkl[r]
            sidel[i] = sidel[r]
    link = np.array(linkl, np.int64)
    side = np.array(sidel, np.int64)
    key = link * 3 + side
    _, lab = np.unique(key, return_inverse=True)
    lab = (lab + 1).reshape(rows, cols)
    return _clean_units(lab, min_px)


def _clean_units(lab, min_px):
    """Split units into 4-connected parts, then merge parts smaller than ``min_px`` pixels
    into the neighbour they share the longest border with; relabel 1..n in scan order."""
    out = np.zeros_like(lab)
    next_id = 1
    for k, sl in enumerate(ndimage.find_objects(lab)):
        if sl is None:
            continue
        m = lab[sl] == k + 1
        comp, nc = ndimage.label(m)
        sub = out[sl]
        for c in range(1, nc + 1):
            sub[comp == c] = next_id
            next_id += 1
    lab = out
    for _ in range(10):
        sizes = np.bincount(lab.ravel())
        small = np.nonzero((sizes < min_px) & (sizes > 0))[0]
        if len(small) == 0:
            break
        a = np.concatenate([lab[:, :-1].ravel(), lab[:-1, :].ravel()])
        b = np.concatenate([lab[:, 1:].ravel(), lab[1:, :].ravel()])
        d = a != b
        a, b = a[d], b[d]
        pairs = np.concatenate([np.stack([a, b], 1), np.stack([b, a], 1)])
        uniq, cnt = np.unique(pairs, axis=0, return_counts=True)
        mapping = np.arange(sizes.size)
        is_small = np.zeros(sizes.size, bool)
        is_small[small] = True
        # best neighbour of each small unit (longest shared border, ties to the lower id)
        for s in small:
            sel = uniq[:, 0] == s
            if not sel.any():
                continue
            nb, c = uniq[sel, 1], cnt[sel]
            best = nb[np.lexsort((nb, -c))[0]]
            # two small units pointing at each other: the lower id absorbs
            if is_small[best] and mapping[best] == s:
                continue
            mapping[s] = best
        # resolve chains
        for _ in range(20):
            nm = mapping[mapping]
            if np.array_equal(nm, mapping):
                break
            mapping = nm
        lab = mapping[lab]
    _, inv = np.unique(lab.ravel(), return_inverse=True)
    # relabel in order of first appearance (scan order) for stable ids
    first = np.full(inv.max() + 1, lab.size)
    np.minimum.at(first, inv, np.arange(lab.size))
    rank = np.argsort(np.argsort(first))
    return (rank[inv] + 1).reshape(lab.shape)


def _polygonize(lab, transform, srs, path, layer, field):
    mem = gdal.GetDriverByName("MEM").Create("", lab.shape[1], lab.shape[0], 1, gdal.GDT_Int32)
    mem.SetGeoTransform(transform)
    mem.SetProjection(srs.ExportToWkt())
    band = mem.GetRasterBand(1)
    band.Fill(0)
    band.WriteArray(lab.astype(np.int32))
    vds = ogr.GetDriverByName("Memory").CreateDataSource("p")
    vl = vds.CreateLayer("p", srs, ogr.wkbPolygon)
    vl.CreateField(ogr.FieldDefn(field, ogr.OFTInteger))
    gdal.Polygonize(band, band, vl, 0, [], callback=None)
    geoms = {}
    for f in vl:
        k = f.GetField(field)
        g = f.GetGeometryRef().Clone()
        geoms.setdefault(k, []).append(g)
    ds, lyr = _gpkg(path, layer, ogr.wkbMultiPolygon, srs,
                    [(field, ogr.OFTInteger), ("area_m2", ogr.OFTReal)])
    lyr.StartTransaction()
    for k in sorted(geoms):
        mp = ogr.Geometry(ogr.wkbMultiPolygon)
        for g in geoms[k]:
            mp.AddGeometry(g)
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField(field, int(k))
        f.SetField("area_m2", float(mp.GetArea()))
        f.SetGeometry(mp)
        _create(lyr, f, path)
    lyr.CommitTransaction()
    del ds  # closes the file
    _closed_with(path, len(geoms))
    return len(geoms)


def generate_study_area(folder, seed=42, size=600, feedback=None, n_landslides=450,
                        n_floods=350, channel_cells=80, min_unit_px=30):
    """Write the sample study area into ``folder``; returns the truth dictionary."""
    fb = as_feedback(feedback)
    old_date = gdal.GetConfigOption("OGR_CURRENT_DATE")
    gdal.SetConfigOption("OGR_CURRENT_DATE", "2024-01-01T00:00:00Z")  # reproducible GeoPackages
    try:
        return _generate(folder, seed, size, fb, n_landslides, n_floods, channel_cells,
                         min_unit_px)
    except (RuntimeError, OSError) as exc:  # GDAL/OGR and file errors: a full disk, rights
        raise HazardError(f"Writing the sample area into {folder} failed: {exc}. Check the "
                          f"free space and the permissions there.", "OUTPUT_FOLDER") from None
    finally:
        gdal.SetConfigOption("OGR_CURRENT_DATE", old_date)


def _create(lyr, feature, path):
    """CreateFeature, checked (without OGR exceptions a refused feature is only a code)."""
    if lyr.CreateFeature(feature) != 0:
        raise OSError(f"a feature could not be written to {path}")


def _closed_with(path, n):
    """Reopen the GeoPackage just closed and check it holds ``n`` features."""
    ds = ogr.Open(path)
    found = ds.GetLayer(0).GetFeatureCount() if ds is not None and ds.GetLayerCount() else -1
    ds = None
    if found != n:
        raise OSError(f"{path} holds {max(found, 0)} of the {n} features written")


def _generate(folder, seed, size, fb, n_landslides, n_floods, channel_cells, min_unit_px):
    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(folder, "factors"), exist_ok=True)
    shape = (size, size)
    srs = _srs()
    transform = (ORIGIN[0], CELL, 0.0, ORIGIN[1], 0.0, -CELL)
    grid = Grid(srs.ExportToWkt(), transform, size, size)
    rr, cc = np.indices(shape)
    xn, yn = cc / size, rr / size

    # --- DEM: a main valley across the area, ridged mountains, fractal roughness -----------
    # ridged noise, high-passed so that it makes local ridges and valleys without large
    # closed basins, on a regional trend (a valley draining west); then channels incise the
    # depression-filled surface in proportion to a power of flow accumulation (a stream-power
    # caricature), which leaves a surface that drains with almost no pits.
    ridges = 1.0 - np.abs(fractal_field(shape, 3.4, rng))
    ridges = ridges - ndimage.gaussian_filter(ridges, size / 20, mode="reflect")
    ridges = ndimage.gaussian_filter(ridges, 2.0)
    rough = fractal_field(shape, 2.6, rng)
    valley = np.abs(yn - 0.55 - 0.12 * np.sin(2 * np.pi * xn * 1.3))
    dem0 = 1900 + 1800 * valley ** 1.2 + 150 * ridges / ridges.std() + 3 * rough + 700 * xn
    filled0 = terrain.fill_depressions(dem0)
    acc0, _ = terrain.flow_accumulation(filled0, terrain.d8_receivers(filled0, CELL))
    dem = ndimage.gaussian_filter(filled0 - 3.0 * (acc0 ** 0.38 - 1.0), 1.0)
    fb.report(0.1)
    fb.check()
    filled = terrain.fill_depressions(dem)
    fb.report(0.2)
    fb.check()
    rec = terrain.d8_receivers(filled, CELL)
    acc, order = terrain.flow_accumulation(filled, rec)
    fb.report(0.3)
    slope, aspect = terrain.slope_aspect(dem, CELL)
    plan, prof = terrain.curvatures(dem, CELL)
    twi = terrain.twi(acc, slope, CELL)
    rivers = acc >= 400
    dist_river = ndimage.distance_transform_edt(~rivers) * CELL

    # --- other factors ----------------------------------------------------------------------
    litho_field = fractal_field(shape, 3.6, rng)
    litho = np.digitize(litho_field, np.quantile(litho_field, [0.3, 0.55, 0.8])) + 1
    noise = fractal_field(shape, 2.8, rng)
    ndvi = np.clip(0.62 + 0.16 * fractal_field(shape, 2.4, rng) - 0.08 * _z(dem)
                   + 0.04 * np.cos(np.radians(aspect)) + 0.03 * rng.normal(size=shape), -0.1, 0.95)
    rain = 1100 + 250 * _z(dem) * 0.4 + 220 * (1 - xn) + 60 * fractal_field(shape, 3.0, rng)
    ex, ey = 0.15 * size, 0.2 * size
    dist_epi = np.hypot(cc - ex, rr - ey) * CELL / 1000.0  # km
    pga = 0.45 * np.exp(-dist_epi / 14.0) + 0.03 * fractal_field(shape, 3.0, rng) + 0.08
    fb.report(0.4)
    fb.check()

    factors = {"elevation": dem, "slope": slope, "aspect": aspect, "plan_curv": plan,
               "prof_curv": prof, "twi": twi, "dist_river": dist_river, "ndvi": ndvi,
               "lithology": litho.astype(np.float64), "rainfall": rain, "pga": pga,
               "noise": noise}
    stats = {k: (float(v.mean()), float(v.std())) for k, v in factors.items()}
    zf = {k: (v - stats[k][0]) / stats[k][1] for k, v in factors.items()}

    # --- landslides: logistic initiation, heavy-tailed sizes --------------------------------
    logit = sum(c * zf[k] for k, c in LANDSLIDE_COEF.items())
    logit = logit + np.vectorize(LANDSLIDE_LITHO.get)(litho)
    logit = logit + NDVI_STEP["effect_below"] * (ndvi < NDVI_STEP["threshold"])
    b0 = _calibrate(logit, n_landslides)
    p_ls = 1 / (1 + np.exp(-(logit + b0)))
    hits = np.nonzero(rng.random(shape) < p_ls)
    size_shift = sum(c * zf[k] for k, c in SIZE_COEF.items())
    alpha, amin, amax = 1.3, 900.0, 250000.0
    ls_ds, ls_lyr = _gpkg(os.path.join(folder, "landslides.gpkg"), "landslides", ogr.wkbPolygon,
                          srs, [("ls_id", ogr.OFTInteger), ("area_m2", ogr.OFTReal)])
    ls_lyr.StartTransaction()
    ls_records = []
    u = rng.random(len(hits[0]))
    elong = rng.uniform(1.6, 3.5, len(hits[0]))
    jitter = rng.uniform(-0.5, 0.5, (len(hits[0]), 2))
    x0, y0 = ORIGIN
    env = (x0, y0 - size * CELL, x0 + size * CELL, y0)
    bbox = ogr.CreateGeometryFromWkt(
        f"POLYGON(({env[0]} {env[1]},{env[2]} {env[1]},{env[2]} {env[3]},{env[0]} {env[3]},"
        f"{env[0]} {env[1]}))")
    for k, (r, c) in enumerate(zip(*hits)):
        area = min(amin * (1 - u[k]) ** (-1 / alpha) * math.exp(size_shift[r, c]), amax)
        length = math.sqrt(area * elong[k] * 4 / math.pi)
        width = 4 * area / (math.pi * length)
        # downslope direction (aspect is the compass bearing the slope faces)
        az = math.radians(aspect[r, c])
        dx, dy = math.sin(az), math.cos(az)
        px = x0 + (c + 0.5 + jitter[k, 0]) * CELL
        py = y0 - (r + 0.5 + jitter[k, 1]) * CELL
        cx, cy = px + dx * length * 0.4, py + dy * length * 0.4
        poly = _ellipse(cx, cy, length, width, math.atan2(dy, dx)).Intersection(bbox)
        if poly is None or poly.IsEmpty() or poly.GetArea() <= 0:
            continue
        if poly.GetGeometryType() != ogr.wkbPolygon:
            continue
        f = ogr.Feature(ls_lyr.GetLayerDefn())
        f.SetField("ls_id", len(ls_records) + 1)
        f.SetField("area_m2", float(poly.GetArea()))
        f.SetGeometry(poly)
        _create(ls_lyr, f, "landslides.gpkg")
        ls_records.append((px, py))
    ls_lyr.CommitTransaction()
    del ls_ds  # closes the file
    _closed_with(os.path.join(folder, "landslides.gpkg"), len(ls_records))
    # the initiation (scarp) points, as inventories often give them
    _write_points(os.path.join(folder, "landslide_points.gpkg"), "landslide_points", "ls_id",
                  ls_records, srs)
    fb.report(0.5)
    fb.check()

    # --- floods: low, flat land near rivers ------------------------------------------------
    flogit = sum(c * zf[k] for k, c in FLOOD_COEF.items())
    f0 = _calibrate(flogit, n_floods)
    p_fl = 1 / (1 + np.exp(-(flogit + f0)))
    fhits = np.nonzero(rng.random(shape) < p_fl)
    fj = rng.uniform(-0.45, 0.45, (len(fhits[0]), 2))
    _write_points(os.path.join(folder, "floods.gpkg"), "floods", "fl_id",
                  [(x0 + (c + 0.5 + fj[k, 0]) * CELL, y0 - (r + 0.5 + fj[k, 1]) * CELL)
                   for k, (r, c) in enumerate(zip(*fhits))], srs)
    fb.report(0.55)

    # --- contextual zones: 4 regions with wavy borders ---------------------------------------
    centres = np.array([[0.25, 0.25], [0.75, 0.25], [0.25, 0.75], [0.75, 0.75]])
    centres += rng.uniform(-0.08, 0.08, centres.shape)
    warp = 0.06 * fractal_field(shape, 3.4, rng)
    d = np.stack([np.hypot(xn - cx_, yn - cy_) for cx_, cy_ in centres]) + warp
    zones = (np.argmin(d, axis=0) + 1).astype(np.int32)
    _write_tif(os.path.join(folder, "zones.tif"), zones, transform, srs, gdal.GDT_Byte, 0,
               "zone")
    _polygonize(zones, transform, srs, os.path.join(folder, "zones.gpkg"), "zones", "zone")
    fb.report(0.6)
    fb.check()

    # --- slope units -------------------------------------------------------------------------
    lab = _slope_unit_labels(filled, rec, order, acc, channel_cells, min_unit_px)
    n_units = _polygonize(lab, transform, srs, os.path.join(folder, "slope_units.gpkg"),
                          "slope_units", "su_id")
    fb.report(0.85)
    fb.check()

    # --- rasters -------------------------------------------------------------------------------
    _write_tif(os.path.join(folder, "dem.tif"), dem, transform, srs, name="elevation")
    fdir = os.path.join(folder, "factors")
    for name, arr in factors.items():
        if name == "rainfall" or name == "pga":
            continue
        dtype = gdal.GDT_Byte if name == "lithology" else gdal.GDT_Float32
        _write_tif(os.path.join(fdir, f"{name}.tif"), arr, transform, srs, dtype,
                   0 if name == "lithology" else NODATA, name)
    # PGA on a coarser 120 m grid (block means), as hazard maps come
    k = 4
    m = size // k * k
    pga_c = pga[:m, :m].reshape(m // k, k, m // k, k).mean(axis=(1, 3))
    _write_tif(os.path.join(fdir, "pga.tif"), pga_c,
               (x0, CELL * k, 0.0, y0, 0.0, -CELL * k), srs, name="pga")
    _write_rain_wgs84(os.path.join(fdir, "rainfall.tif"), rain, grid)
    fb.report(0.95)

    truth = {
        "seed": seed, "crs": f"EPSG:{EPSG}", "cell_size": CELL, "size": [size, size],
        "factors": FACTORS, "categorical": CATEGORICAL,
        "landslide": {"intercept": b0, "coef_standardised": LANDSLIDE_COEF,
                      "lithology_effect": {str(k): v for k, v in LANDSLIDE_LITHO.items()},
                      "ndvi_step": NDVI_STEP, "n_polygons": len(ls_records),
                      "size_model": {"pareto_alpha": alpha, "min_area_m2": amin,
                                     "max_area_m2": amax, "log_shift_coef": SIZE_COEF}},
        "flood": {"intercept": f0, "coef_standardised": FLOOD_COEF, "n_points": int(len(fhits[0]))},
        "true_factors": {"landslide": sorted(set(LANDSLIDE_COEF) | {"lithology", "ndvi"}),
                         "flood": sorted(FLOOD_COEF)},
        "noise_factors": NOISE_FACTORS,
        "factor_mean_std": stats,
        "rivers_flow_accumulation_cells": 400,
        "n_zones": 4, "n_slope_units": int(n_units),
        "notes": "rainfall is written on a geographic (EPSG:4326) grid and pga on a 120 m grid, "
                 "so that alignment is exercised; the processes were drawn on the 30 m grid.",
    }
    with open(os.path.join(folder, "truth.json"), "w", encoding="utf-8") as fh:
        json.dump(truth, fh, indent=2, sort_keys=True)
    fb.report(1.0)
    return truth


def _write_rain_wgs84(path, rain, grid):
    """Rainfall as climate grids come: geographic WGS 84, about 3 arc-seconds."""
    src = gdal.GetDriverByName("MEM").Create("", grid.xsize, grid.ysize, 1, gdal.GDT_Float32)
    src.SetGeoTransform(grid.transform)
    src.SetProjection(grid.crs_wkt)
    b = src.GetRasterBand(1)
    b.Fill(0)
    b.WriteArray(rain)
    tmp = f"/vsimem/rain_{os.getpid()}.tif"
    gdal.Warp(tmp, src, dstSRS="EPSG:4326", xRes=0.0009, yRes=0.0009, resampleAlg="bilinear",
              dstNodata=NODATA, targetAlignedPixels=True, multithread=False)
    gdal.Translate(path, tmp, creationOptions=GTIFF_OPTIONS)
    ds = gdal.Open(path, gdal.GA_Update)
    ds.GetRasterBand(1).SetDescription("rainfall")
    ds = None
    gdal.Unlink(tmp)
