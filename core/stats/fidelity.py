"""Fidelity of a probability map to the known truth of a synthetic area (issue 30).

The sample area (core.io.synthetic) and the regional bench's region (core.io.region) are drawn
from known logistic processes; ``truth.json`` records them. :func:`sample_area_truth` rebuilds
each hazard's true logit on the sample area's 30 m grid from its factor rasters (rainfall and
PGA warped back to that grid, as 'Align factors' does); ``core.io.region.region_truth``
evaluates the region's process on a seeded set of pixels. :func:`fidelity` then compares a map
with it:

* ``spearman``: the rank correlation of the map with the true logit (1 for any monotone
  transform of the truth);
* ``auc`` / ``auc_truth``: the map's AUC against ``n_draws`` seeded Bernoulli draws from the
  true probability at seeded pixels, and the truth's own AUC on the same draws (the best any
  map can score on them);
* ``seam`` / ``seam_truth``: the mean absolute jump between 4-neighbour pixels in different
  zones divided by the mean jump between 4-neighbours within a zone, for the map and for the
  true probability (a map whose zone models disagree tears at the zone borders: a high ratio).
"""
from __future__ import annotations

import csv
import json
import math
import os

import numpy as np

from ..util.errors import InputError

FIELDS = ("map", "hazard", "spearman", "auc", "auc_truth", "seam", "seam_truth", "n_pixels",
          "n_draws", "n_events")


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _read_to_grid(path, ref, resample):
    """``path`` read on the grid of the GDAL dataset ``ref`` (float64, NaN on nodata)."""
    from osgeo import gdal
    gdal.UseExceptions()
    src = gdal.Open(path)
    same = (src.RasterXSize, src.RasterYSize) == (ref.RasterXSize, ref.RasterYSize) and \
        np.allclose(src.GetGeoTransform(), ref.GetGeoTransform())
    if not same:
        src = gdal.Warp("", src, format="MEM", dstSRS=ref.GetProjection(),
                        outputBounds=_bounds(ref), width=ref.RasterXSize,
                        height=ref.RasterYSize, resampleAlg=resample, multithread=False)
    b = src.GetRasterBand(1)
    a = b.ReadAsArray().astype(np.float64)
    nd = b.GetNoDataValue()
    if nd is not None:
        a[a == nd] = np.nan
    return a


def _bounds(ds):
    t = ds.GetGeoTransform()
    return (t[0], t[3] + t[5] * ds.RasterYSize, t[0] + t[1] * ds.RasterXSize, t[3])


def sample_area_truth(folder):
    """The true logits of the sample area written into ``folder`` (by 'Create sample study
    area'): dict with ``landslide`` and ``flood`` (float64 rasters on the DEM's grid, NaN where
    a factor is nodata), ``zones`` (int, 0 outside), ``transform`` and ``crs_wkt``."""
    from osgeo import gdal
    gdal.UseExceptions()
    tpath = os.path.join(folder, "truth.json")
    try:
        with open(tpath, encoding="utf-8") as fh:
            truth = json.load(fh)
        stats = truth["factor_mean_std"]
        ls, fl = truth["landslide"], truth["flood"]
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(f"{tpath} is not the truth of a sample area ({exc}).", "TRUTH")
    ref = gdal.Open(os.path.join(folder, "dem.tif"))
    fdir = os.path.join(folder, "factors")

    def z(name):
        a = _read_to_grid(os.path.join(fdir, name + ".tif"), ref, "bilinear")
        m, s = stats[name]
        return (a - m) / s

    logit_ls = sum(c * z(n) for n, c in ls["coef_standardised"].items())
    lith = _read_to_grid(os.path.join(fdir, "lithology.tif"), ref, "near")
    eff = np.full(lith.shape, np.nan)
    for code, v in ls["lithology_effect"].items():
        eff[lith == int(code)] = v
    ndvi = _read_to_grid(os.path.join(fdir, "ndvi.tif"), ref, "bilinear")
    step = ls["ndvi_step"]
    logit_ls = logit_ls + eff + np.where(np.isnan(ndvi), np.nan,
                                         step["effect_below"] * (ndvi < step["threshold"]))
    logit_ls = logit_ls + ls["intercept"]
    logit_fl = sum(c * z(n) for n, c in fl["coef_standardised"].items()) + fl["intercept"]
    zones = _read_to_grid(os.path.join(folder, "zones.tif"), ref, "near")
    return {"landslide": logit_ls, "flood": logit_fl,
            "zones": np.nan_to_num(zones, nan=0).astype(int),
            "transform": ref.GetGeoTransform(), "crs_wkt": ref.GetProjection()}


def read_map(path, shape=None):
    """A single-band probability map as float64 with NaN on nodata."""
    from osgeo import gdal
    gdal.UseExceptions()
    try:
        ds = gdal.Open(path)
    except RuntimeError as exc:
        raise InputError(f"The map '{path}' cannot be read: {exc}", "MAP")
    b = ds.GetRasterBand(1)
    a = b.ReadAsArray().astype(np.float64)
    nd = b.GetNoDataValue()
    if nd is not None:
        a[a == nd] = np.nan
    if shape is not None and a.shape != tuple(shape):
        raise InputError(f"The map '{path}' is {a.shape[1]} x {a.shape[0]} px, the truth "
                         f"{shape[1]} x {shape[0]}: it is not on the sample area's grid.",
                         "MAP")
    return a


def seam_ratio(values, zones):
    """Mean |jump| between 4-neighbour pixels in different zones / mean |jump| between
    4-neighbours in the same zone (pairs with a NaN or a zone 0 left out); NaN when either
    kind of pair is missing."""
    v = np.asarray(values, float)
    zz = np.asarray(zones)
    across, within = [0.0, 0], [0.0, 0]
    for a, b, za, zb in ((v[:, :-1], v[:, 1:], zz[:, :-1], zz[:, 1:]),
                         (v[:-1, :], v[1:, :], zz[:-1, :], zz[1:, :])):
        ok = np.isfinite(a) & np.isfinite(b) & (za != 0) & (zb != 0)
        d = np.abs(a - b)
        diff = ok & (za != zb)
        same = ok & (za == zb)
        across[0] += float(d[diff].sum())
        across[1] += int(diff.sum())
        within[0] += float(d[same].sum())
        within[1] += int(same.sum())
    if not across[1] or not within[1] or within[0] == 0:
        return float("nan")
    return (across[0] / across[1]) / (within[0] / within[1])


def bernoulli_draws(true_logit, valid, n_draws=200_000, seed=42):
    """(flat pixel indices, 0/1 outcomes): ``n_draws`` pixels drawn uniformly (seeded, with
    replacement) among ``valid``, each an event with its true probability."""
    rng = np.random.default_rng(seed)
    flat = np.flatnonzero(np.asarray(valid).ravel())
    if flat.size == 0:
        raise InputError("The map and the truth share no valid pixel.", "MAP")
    pix = flat[rng.integers(0, flat.size, n_draws)]
    y = (rng.random(n_draws) < sigmoid(np.asarray(true_logit, float).ravel()[pix])).astype(int)
    return pix, y


def fidelity(values, true_logit, zones=None, n_draws=200_000, seed=42, max_pixels=5_000_000):
    """Fidelity of one map to the truth (see the module's docstring): dict spearman, auc,
    auc_truth, seam, seam_truth, n_pixels, n_draws, n_events. The Bernoulli draws depend on the
    pixels valid in both only, so maps with the same valid pixels are scored on the same
    draws. Spearman runs on at most ``max_pixels`` seeded pixels."""
    from scipy.stats import spearmanr
    from .metrics import roc_auc as _auc
    v = np.asarray(values, float)
    t = np.asarray(true_logit, float)
    if v.shape != t.shape:
        raise InputError(f"The map ({v.shape}) and the truth ({t.shape}) differ in shape.",
                         "MAP")
    valid = np.isfinite(v) & np.isfinite(t)
    n = int(valid.sum())
    if n < 2:
        raise InputError("The map and the truth share fewer than 2 valid pixels.", "MAP")
    flat = np.flatnonzero(valid.ravel())
    if flat.size > max_pixels:
        flat = np.sort(np.random.default_rng(seed + 1).choice(flat, max_pixels, replace=False))
    rho = float(spearmanr(v.ravel()[flat], t.ravel()[flat])[0])
    pix, y = bernoulli_draws(t, valid, n_draws, seed)
    both = 0 < y.sum() < len(y)
    out = {"spearman": rho,
           "auc": float(_auc(y, v.ravel()[pix])) if both else float("nan"),
           "auc_truth": float(_auc(y, t.ravel()[pix])) if both else float("nan"),
           "n_pixels": n, "n_draws": int(n_draws), "n_events": int(y.sum())}
    if zones is not None:
        out["seam"] = seam_ratio(v, zones)
        out["seam_truth"] = seam_ratio(np.where(np.isfinite(v), sigmoid(t), np.nan), zones)
    else:
        out["seam"] = out["seam_truth"] = float("nan")
    return out


def fidelity_table(maps, truth, n_draws=200_000, seed=42):
    """Rows (dicts of :data:`FIELDS`) for ``maps`` [(name, hazard, path or array)] against
    ``truth`` (from :func:`sample_area_truth`); missing files are skipped."""
    rows = []
    for name, hazard, src in maps:
        if isinstance(src, str):
            if not os.path.exists(src):
                continue
            src = read_map(src, truth[hazard].shape)
        r = fidelity(src, truth[hazard], truth.get("zones"), n_draws, seed)
        rows.append(dict(map=name, hazard=hazard, **r))
    return rows


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{v:.4f}" if isinstance(v, float) else v) for k, v in r.items()})


def format_table(rows):
    """The table as Markdown: map, Spearman, AUC (truth), zone seams (truth)."""
    def f(v, d=3):
        return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{d}f}"
    lines = ["| map | hazard | Spearman | AUC (truth) | zone seams (truth) |",
             "|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['map']} | {r['hazard']} | {f(r['spearman'])} | {f(r['auc'])} "
                     f"({f(r['auc_truth'])}) | {f(r['seam'], 2)} ({f(r['seam_truth'], 2)}) |")
    return "\n".join(lines)


#: the demo's probability maps: (name, hazard, path relative to demo_output)
DEMO_MAPS = (
    ("random forest, Mahalanobis absences (susceptibility.tif)", "landslide",
     "susceptibility.tif"),
    ("MoE landslide", "landslide", "multihazard/moe_landslide.tif"),
    ("LF landslide", "landslide", "multihazard/lf_landslide.tif"),
    ("EF landslide", "landslide", "multihazard/ef_landslide.tif"),
    ("MoE flood", "flood", "multihazard/moe_flood.tif"),
    ("LF flood", "flood", "multihazard/lf_flood.tif"),
    ("EF flood", "flood", "multihazard/ef_flood.tif"),
    ("FL-MHSM settings: MoE landslide", "landslide", "multihazard_paper/moe_landslide.tif"),
    ("FL-MHSM settings: LF landslide", "landslide", "multihazard_paper/lf_landslide.tif"),
    ("FL-MHSM settings: EF landslide", "landslide", "multihazard_paper/ef_landslide.tif"),
    ("FL-MHSM settings: MoE flood", "flood", "multihazard_paper/moe_flood.tif"),
    ("FL-MHSM settings: LF flood", "flood", "multihazard_paper/lf_flood.tif"),
    ("FL-MHSM settings: EF flood", "flood", "multihazard_paper/ef_flood.tif"),
)


def demo_table(out_dir, extra=(), seed=42):
    """The fidelity rows of the demo's maps under ``out_dir`` (its sample_area/ holds the
    truth), plus ``extra`` maps [(name, hazard, path)]; comparison maps found under
    comparison_maps/ are added as well."""
    truth = sample_area_truth(os.path.join(out_dir, "sample_area"))
    maps = [(n, h, os.path.join(out_dir, p)) for n, h, p in DEMO_MAPS]
    cdir = os.path.join(out_dir, "comparison_maps")
    if os.path.isdir(cdir):
        for f in sorted(os.listdir(cdir)):
            if f.endswith(".tif"):
                maps.append((f"comparison_maps/{f}", "landslide", os.path.join(cdir, f)))
    return fidelity_table(maps + list(extra), truth, seed=seed)


def main(argv=None):
    """``python -m core.stats.fidelity OUT_DIR [SEED]``: print the demo's fidelity table and
    write OUT_DIR/fidelity.csv."""
    import sys
    argv = sys.argv[1:] if argv is None else argv
    out_dir = argv[0]
    seed = int(argv[1]) if len(argv) > 1 else 42
    rows = demo_table(out_dir, seed=seed)
    write_csv(os.path.join(out_dir, "fidelity.csv"), rows)
    print(format_table(rows))
    return rows


if __name__ == "__main__":
    main()
