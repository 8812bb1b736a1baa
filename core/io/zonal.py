"""Slope-unit (zonal) statistics: rasterise the unit ids once, aggregate with bincount.

The pixel rule is the one QGIS's zonal statistics use: a pixel belongs to a polygon when its
centre lies inside it. The standard deviation is the population one (ddof=0), as in QGIS.
"""
from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from osgeo import gdal, ogr, osr

from ..util.errors import InputError
from ..stats.kernels import zone_sums
from ..util.progress import as_feedback
from .raster import GTIFF_OPTIONS, Grid, iter_windows

gdal.UseExceptions()
ogr.UseExceptions()


def geometries_from_wkb(wkbs, what="polygon"):
    """OGR geometries from WKB, repaired when invalid; None for empty or missing ones."""
    out = []
    for w in wkbs:
        if w is None:
            out.append(None)
            continue
        g = ogr.CreateGeometryFromWkb(bytes(w))
        if g is None or g.IsEmpty():
            out.append(None)
            continue
        if not g.IsValid():
            g = g.MakeValid()
        out.append(g)
    return out


def point_coordinates(geoms, centroids=False):
    """(n, 2) array of the point of each OGR geometry (NaN for a missing one); with
    ``centroids``, the centroid of every geometry that is not a point."""
    if centroids:
        geoms = [g.Centroid() if g is not None and g.GetGeometryType() != ogr.wkbPoint else g
                 for g in geoms]
    return np.array([g.GetPoint_2D() if g is not None else (np.nan, np.nan) for g in geoms],
                    float).reshape(-1, 2)


def memory_layer(geoms, srs_wkt, field_values=None):
    drv = ogr.GetDriverByName("Memory")
    ds = drv.CreateDataSource("zones")
    srs = None
    if srs_wkt:
        srs = osr.SpatialReference()
        srs.ImportFromWkt(srs_wkt)
    lyr = ds.CreateLayer("zones", srs, ogr.wkbUnknown)
    lyr.CreateField(ogr.FieldDefn("zid", ogr.OFTInteger))
    values = np.arange(1, len(geoms) + 1) if field_values is None else field_values
    # one feature object refilled for every polygon (the layer stores a copy): a third
    # faster than a new feature each time, which counts for thousands of slope units
    f = ogr.Feature(lyr.GetLayerDefn())
    set_fid, set_value, set_geom, create = f.SetFID, f.SetFieldInteger64, f.SetGeometry, \
        lyr.CreateFeature
    for g, v in zip(geoms, values.tolist() if hasattr(values, "tolist") else values):
        if g is None:
            continue
        set_fid(-1)
        set_value(0, int(v))
        set_geom(g)
        create(f)
    return ds, lyr


def rasterize_ids(geoms, grid, path, values=None, all_touched=False):
    """Burn ``values`` (default 1..n in order) of polygons into an Int32 GeoTIFF on ``grid``.

    Pixels outside every polygon hold 0. Written to disk and read back block by block, so the
    id raster never has to fit in memory.
    """
    ds_vec, lyr = memory_layer(geoms, grid.crs_wkt, values)
    drv = gdal.GetDriverByName("GTiff")
    ds = drv.Create(str(path), grid.xsize, grid.ysize, 1, gdal.GDT_Int32,
                    options=GTIFF_OPTIONS[:2] + ["BIGTIFF=IF_SAFER"])
    ds.SetGeoTransform(grid.transform)
    if grid.crs_wkt:
        ds.SetProjection(grid.crs_wkt)
    band = ds.GetRasterBand(1)
    band.Fill(0)
    opts = ["ATTRIBUTE=zid"] + (["ALL_TOUCHED=TRUE"] if all_touched else [])
    gdal.RasterizeLayer(ds, [1], lyr, options=opts)
    ds.FlushCache()
    return ds


@dataclass
class ZonalResult:
    count: np.ndarray  # (n_zones,) valid pixels of each zone
    mean: np.ndarray   # (n_zones, n_bands), NaN where count == 0
    std: np.ndarray    # (n_zones, n_bands), population std, NaN where count == 0
    names: list
    majority: dict = None  # band index -> (n_zones,) most frequent class (categorical bands)


def zonal_statistics(stack, geoms, feedback=None, workers=None, envelopes=None):
    """Mean, population standard deviation and valid-pixel count of every band per zone.

    ``geoms`` are OGR polygons in the stack's CRS, zone k being ``geoms[k]`` (None allowed).
    Zones share the stack's combined nodata mask, so one count serves every band.

    Thread k of ``workers`` (default: the CPU count, at most 4) takes blocks k, k + workers,
    ... (interleaved, so each gets a share of every part of the grid), and the threads' sums
    are merged in thread order: the same bits on every run. Every
    thread reads through its own datasets (GDAL decodes each read on several threads, see
    :func:`core.io.raster.decoding_threads`); the zones, one in-memory OGR layer, are rasterised
    block by block under a lock (an OGR layer is not thread-safe). The sums are exact whatever
    the split, and memory is bounded by the block size. ``envelopes``: the zones' bounding
    boxes when the caller has them (:func:`bounding_boxes`).
    """
    fb = as_feedback(feedback)
    nz, nb = len(geoms), len(stack)
    cats = [j for j, c in enumerate(getattr(stack, "categorical", [False] * nb)) if c]
    wins = list(iter_windows(stack.grid, nb + 1))
    if workers is None:
        workers = min(4, os.cpu_count() or 1)
    n_workers = max(1, min(len(wins), workers))
    env = bounding_boxes(geoms) if envelopes is None else envelopes
    gx = stack.grid.extent
    touch = ~np.isnan(env[:, 0]) & (env[:, 0] <= gx[2]) & (env[:, 2] >= gx[0]) & \
        (env[:, 1] <= gx[3]) & (env[:, 3] >= gx[1])
    idx = np.nonzero(touch)[0]
    lock = threading.Lock()
    done = [0]

    def windows_of(k):
        for win in wins[k::n_workers]:
            with lock:
                if done[0]:
                    fb.report(done[0] / len(wins))
                done[0] += 1
            yield win

    if len(idx) == 0:
        parts = []
    else:
        ds_vec, lyr = memory_layer([geoms[i] for i in idx], stack.grid.crs_wkt, idx + 1)
        rasterize = _window_rasterizer(stack.grid, lyr)
        # the first thread reads through the caller's stack (idle meanwhile)
        stacks = [stack] + [stack.reopen() for _ in range(n_workers - 1)]
        try:
            def run(k):
                return _zonal_worker(stacks[k], nz, windows_of(k), rasterize, cats, fb)

            if n_workers > 1:
                with ThreadPoolExecutor(max_workers=n_workers) as ex:
                    parts = list(ex.map(run, range(n_workers)))
            else:
                parts = [run(0)]
        finally:
            for st in stacks[1:]:
                st.close()
            del rasterize, lyr, ds_vec  # the layer before its dataset
    fb.report(1.0)
    count = sum((p[0] for p in parts), np.zeros(nz + 1, np.int64))
    # each thread summed v - a with its own shift a (a typical value of the band, which keeps
    # the sums of squares well conditioned); move every thread to the first one's shift c:
    # sum(v - c) = sum(v - a) + n d and sum((v - c)^2) = sum((v - a)^2) + 2 d sum(v - a) + n d^2
    # with d = a - c
    shifts = [p[4] for p in parts if p[4] is not None]
    shift = shifts[0] if shifts else np.zeros(nb)
    s1 = np.zeros((nb, nz + 1))
    s2 = np.zeros((nb, nz + 1))
    for p in parts:
        if p[4] is None:
            continue
        d = (p[4] - shift)[:, None]
        n = p[0][None, :]
        s2 += p[2] + 2 * d * p[1] + n * d * d
        s1 += p[1] + n * d
    class_counts = {j: {} for j in cats}
    for p in parts:
        for j in cats:
            for v, c in p[3][j].items():
                if v in class_counts[j]:
                    class_counts[j][v] = class_counts[j][v] + c
                else:
                    class_counts[j][v] = c
    c = count[1:].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        m = s1[:, 1:] / c
        var = np.maximum(s2[:, 1:] / c - m * m, 0.0)
    mean = (m + shift[:, None]).T
    std = np.sqrt(var).T
    mean[count[1:] == 0] = np.nan
    std[count[1:] == 0] = np.nan
    majority = {}
    for j in cats:
        values = sorted(class_counts[j])
        if not values:
            majority[j] = np.full(nz, np.nan)
            continue
        table = np.stack([class_counts[j][v][1:] for v in values])  # (classes, zones)
        maj = np.asarray(values)[np.argmax(table, axis=0)]  # ties: the lowest class
        majority[j] = np.where(count[1:] > 0, maj, np.nan)
    return ZonalResult(count[1:], mean, std, list(stack.names), majority)


def _window_rasterizer(grid, lyr):
    """A function giving the zone ids (int32, 0 outside every zone) of a window of ``grid``,
    rasterised in memory from ``lyr`` (field ``zid``); calls are serialised by a lock."""
    mem = gdal.GetDriverByName("MEM")
    lock = threading.Lock()

    def rasterize(win):
        wt = grid.window_transform(win)
        with lock:
            ids_ds = mem.Create("", win.cols, win.rows, 1, gdal.GDT_Int32)
            ids_ds.SetGeoTransform(wt)
            band = ids_ds.GetRasterBand(1)
            band.Fill(0)
            lyr.SetSpatialFilterRect(*Grid(grid.crs_wkt, wt, win.cols, win.rows).extent)
            gdal.RasterizeLayer(ids_ds, [1], lyr, options=["ATTRIBUTE=zid"])
            ids = band.ReadAsArray()
            band = ids_ds = None
        return ids

    return rasterize


def _zonal_worker(local, nz, windows, rasterize, cats, fb):
    """Sums over the windows ``windows`` (an iterable), for ``nz``
    zones: count, sum and sum of squares of the values minus the thread's shift (a typical
    value per band, from its first valid pixels; None when it saw none), class counts per
    zone, and the shift. Reads through ``local``, a stack of its own."""
    nb = len(local)
    count = np.zeros(nz + 1, np.int64)
    s1 = np.zeros((nb, nz + 1), np.float64)
    s2 = np.zeros((nb, nz + 1), np.float64)
    class_counts = {j: {} for j in cats}
    shift = None
    for win in windows:
        fb.check()
        ids = rasterize(win)
        inside = ids > 0
        if not inside.any():
            continue
        data = local.read(win, masked=False)
        if shift is None or cats:
            # the combined mask in one pass: a NaN in any band makes the band sum NaN
            ok = inside & ~np.isnan(data.sum(axis=0))
            if not ok.any():
                continue
            if shift is None:
                shift = data.reshape(nb, -1)[:, ok.ravel()][:, :1000].mean(axis=1)
            z = np.where(ok, ids, 0).astype(np.intp).ravel()
            for j in cats:
                cls = data[j].ravel()
                for v in np.unique(cls[ok.ravel()]):
                    sel = (cls == v) & (z > 0)
                    acc = class_counts[j].setdefault(float(v), np.zeros(nz + 1, np.int64))
                    acc += np.bincount(z[sel], minlength=nz + 1)
        zone_sums(data, ids, shift, count, s1, s2)
    return count, s1, s2, class_counts, shift


def polygon_areas(geoms):
    return np.array([g.GetArea() if g is not None else 0.0 for g in geoms], np.float64)


def bounding_boxes(geoms):
    """(minx, miny, maxx, maxy) of each geometry; NaN for a missing one."""
    env = np.full((len(geoms), 4), np.nan)
    for i, g in enumerate(geoms):
        if g is not None:
            minx, maxx, miny, maxy = g.GetEnvelope()
            env[i] = (minx, miny, maxx, maxy)
    return env


def overlap_area(zones, parts, feedback=None):
    """Sum, for every zone, of the area of the parts of ``parts`` polygons inside it.

    Exact planimetric intersection (GEOS through OGR); candidate pairs are found by bounding
    boxes first. Overlapping parts are each counted, as the inventory lists them.
    """
    fb = as_feedback(feedback)
    out = np.zeros(len(zones), np.float64)
    zenv = bounding_boxes(zones)
    valid = ~np.isnan(zenv[:, 0])
    for k, g in enumerate(parts):
        if k % 50 == 0:
            fb.check()
            fb.report(k / max(1, len(parts)))
        if g is None:
            continue
        minx, maxx, miny, maxy = g.GetEnvelope()
        cand = np.nonzero(valid & (zenv[:, 0] <= maxx) & (zenv[:, 2] >= minx)
                          & (zenv[:, 1] <= maxy) & (zenv[:, 3] >= miny))[0]
        for i in cand:
            z = zones[i]
            if g.Intersects(z):
                inter = g.Intersection(z)
                if inter is not None and not inter.IsEmpty():
                    out[i] += inter.GetArea()
    fb.report(1.0)
    return out


def slope_unit_statistics(stack, unit_geoms, landslide_geoms=None, feedback=None):
    """Slope-unit features of Aguilera et al. (2022): per unit and continuous factor, mean and std
    (categorical factors: the majority class, ``<name>_major``); unit area;
    number of valid pixels; landslide area inside the unit (when polygons are given).

    Returns a dict of column name -> array, in unit order.
    """
    fb = as_feedback(feedback)
    if not len(unit_geoms) or all(g is None for g in unit_geoms):
        raise InputError("The slope-unit layer has no polygon.", "SLOPE_UNITS")
    gx = stack.grid.extent
    uenv = bounding_boxes(unit_geoms)
    ok = ~np.isnan(uenv[:, 0])
    hit = ok & (uenv[:, 0] < gx[2]) & (uenv[:, 2] > gx[0]) & (uenv[:, 1] < gx[3]) & \
        (uenv[:, 3] > gx[1])
    if not hit.any():
        raise InputError("No slope unit overlaps the factor rasters: check the CRS and extent of "
                         "the slope-unit layer and of the factors.", "SLOPE_UNITS")
    stats = zonal_statistics(stack, unit_geoms, fb.sub(0, 0.8 if landslide_geoms else 1.0),
                             envelopes=uenv)
    if stats.count.sum() == 0:
        raise InputError("No pixel centre with data in every factor falls inside a slope unit: "
                         "the slope units and the valid factor pixels do not overlap.",
                         "SLOPE_UNITS")
    cols = {}
    for j, name in enumerate(stats.names):
        if j in stats.majority:  # categorical: the most frequent class, not a mean
            cols[f"{name}_major"] = stats.majority[j]
            continue
        cols[f"{name}_mean"] = stats.mean[:, j]
        cols[f"{name}_std"] = stats.std[:, j]
    cols["su_area"] = polygon_areas(unit_geoms)
    cols["n_pixels"] = stats.count
    if landslide_geoms is not None:
        cols["ls_area"] = overlap_area(unit_geoms, landslide_geoms, fb.sub(0.8, 1.0))
    return cols


def zone_codes(values):
    """Sorted distinct zone values and the code 1..Z of each input value."""
    vals = np.asarray(values, dtype=object)
    uniq = sorted({v for v in vals.tolist() if v is not None})
    index = {v: i + 1 for i, v in enumerate(uniq)}
    return uniq, np.array([index.get(v, 0) for v in vals.tolist()], np.int64)


def raster_zone_values(path, band=1):
    """The distinct zone codes of a zone raster (0 and nodata: outside every zone), sorted,
    read block by block."""
    from .raster import AlignedStack, Band
    vals = set()
    with AlignedStack([Band(path, band, "zone", True)], Grid.from_path(path)) as zs:
        for win in zs.windows():
            a = zs.read(win)[0]
            vals.update(np.unique(a[np.isfinite(a) & (a != 0)]).tolist())
    return sorted(vals)


def zones_raster(geoms, values, grid, path):
    """Rasterise zone polygons on ``grid`` as codes 1..Z (0 = outside, nodata).
    Returns the distinct zone values, code k standing for ``values[k - 1]``."""
    uniq, codes = zone_codes(values)
    ds = rasterize_ids(geoms, grid, path, values=codes)
    ds.GetRasterBand(1).SetNoDataValue(0)
    ds.FlushCache()
    ds = None
    return uniq


def overlapping_pairs(geoms, values=None, feedback=None, first=False):
    """Index pairs (i, j), i < j, of polygons that overlap: a 2-D intersection larger than
    1e-6 of the smaller one (neighbours sharing a boundary do not). With ``values``, only
    pairs of different values count; ``first`` stops at the first pair. Candidate pairs come
    from their bounding boxes, so only those are intersected."""
    fb = as_feedback(feedback)
    env = bounding_boxes(geoms)
    ok = ~np.isnan(env[:, 0])
    idx = np.arange(len(geoms))
    pairs = []
    for i in range(len(geoms)):
        if not ok[i]:
            continue
        if i % 50 == 0:
            fb.check()
        cand = np.nonzero(ok & (idx > i) & (env[:, 0] < env[i, 2]) & (env[:, 2] > env[i, 0])
                          & (env[:, 1] < env[i, 3]) & (env[:, 3] > env[i, 1]))[0]
        gi = geoms[i]
        for j in cand:
            gj = geoms[j]
            if values is not None and values[i] == values[j] or not gi.Intersects(gj):
                continue
            inter = gi.Intersection(gj)
            if inter is not None and inter.GetDimension() == 2 and \
                    inter.GetArea() > 1e-6 * min(gi.GetArea(), gj.GetArea()):
                pairs.append((i, int(j)))
                if first:
                    return pairs
    return pairs


def check_zones_disjoint(geoms, values, feedback=None):
    """Refuse zone polygons of different zone values that overlap."""
    pairs = overlapping_pairs(geoms, values, feedback, first=True)
    if pairs:
        i, j = pairs[0]
        raise InputError(f"Zones {values[i]} and {values[j]} overlap: each place must "
                         f"belong to one zone; fix the zone polygons.", "ZONES")


def points_in_zones(x, y, geoms, values):
    """Zone value of each point (the first polygon that contains it), None outside all."""
    env = bounding_boxes(geoms)
    out = [None] * len(x)
    ok = ~np.isnan(env[:, 0])
    for k, (px, py) in enumerate(zip(np.asarray(x, float), np.asarray(y, float))):
        cand = np.nonzero(ok & (env[:, 0] <= px) & (env[:, 2] >= px) & (env[:, 1] <= py)
                          & (env[:, 3] >= py))[0]
        if len(cand) == 0:
            continue
        pt = ogr.Geometry(ogr.wkbPoint)
        pt.AddPoint_2D(float(px), float(py))
        for i in cand:
            if geoms[i].Contains(pt):
                out[k] = values[i]
                break
    return out
