"""Helpers shared by the benchmarks: import path, timing, sample data."""
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLUGINS = os.path.join(ROOT, ".build", "plugins")
if not os.path.exists(os.path.join(PLUGINS, "hazard_susceptibility")):
    os.makedirs(PLUGINS, exist_ok=True)
    os.symlink(ROOT, os.path.join(PLUGINS, "hazard_susceptibility"))
sys.path.insert(0, PLUGINS)
WORK = os.path.join(ROOT, ".build", "bench")


def timed(fn, *args, **kw):
    t = time.perf_counter()
    out = fn(*args, **kw)
    return time.perf_counter() - t, out


def sample_area(size, seed=42):
    """Generate (once) a sample study area of ``size`` pixels per side under .build/bench."""
    from hazard_susceptibility.core.io.synthetic import generate_study_area
    folder = os.path.join(WORK, f"sample_{size}_{seed}")
    if not os.path.exists(os.path.join(folder, "truth.json")):
        generate_study_area(folder, seed=seed, size=size)
    return folder


def mosaic_bands(folder, names, tiles, where="/vsimem"):
    """A ``tiles`` x ``tiles`` VRT mosaic of the sample area's factor rasters, one Band per
    factor (the sample repeated side by side): large rasters for benchmarks, no disk needed
    (give a folder as ``where`` for other processes, e.g. Dask workers, to see them)."""
    if where != "/vsimem":
        os.makedirs(where, exist_ok=True)
    from osgeo import gdal
    from hazard_susceptibility.core.io.raster import Band
    bands = []
    for n in names:
        ds = gdal.Open(os.path.join(folder, "factors", n + ".tif"))
        gt = ds.GetGeoTransform()
        w, h = gt[1] * ds.RasterXSize, -gt[5] * ds.RasterYSize
        parts = []
        for i in range(tiles):
            for j in range(tiles):
                p = f"{where}/{n}_{tiles}_{i}_{j}.vrt"
                gdal.Translate(p, ds, format="VRT")
                t = gdal.Open(p, gdal.GA_Update)
                t.SetGeoTransform((gt[0] + j * w, gt[1], 0, gt[3] - i * h, 0, gt[5]))
                t = None
                parts.append(p)
        out = f"{where}/{n}_{tiles}_mosaic.vrt"
        gdal.BuildVRT(out, parts)
        bands.append(Band(out, 1, n))
    return bands


def run_child(code, **env):
    """Run ``code`` in a fresh Python (so its peak memory is its own), GDAL's block cache at
    64 MB plus ``env``; returns its standard output, or stops with its error."""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, GDAL_CACHEMAX="64", **env))
    if out.returncode:
        raise SystemExit(out.stderr[-3000:])
    return out.stdout


def child_result(code, **env):
    """The dict a child prints as its last line (the repr of our own child's dict)."""
    return eval(run_child(code, **env).strip().splitlines()[-1])
