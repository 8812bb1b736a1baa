"""Block processing keeps memory bounded: peak memory of aligning a 4-factor stack (one factor
reprojected) for the 600 x 600 sample and for a raster 16x its size (2400 x 2400), each in its
own process. Target: the large run's peak within 1.5x of the small one's.

GDAL's block cache grows with what is read and written until GDAL_CACHEMAX (by default 5 % of
RAM; QGIS sets its own), whatever the plugin does. So the runs are made twice: with the cache
at 1 MB, which leaves the plugin's own memory (the target applies to it), and with 64 MB, to
show that the cache only adds up to its cap (flat from 16x to 64x).
"""
import os
import subprocess
import sys

from _common import WORK, sample_area

CHILD = r"""
import os, resource, sys
sys.path.insert(0, {plugins!r})
import numpy as np
from osgeo import gdal
from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid, write_stack
folder, factor = {folder!r}, {factor}
src = os.path.join(folder, "factors")
names = ["slope", "ndvi", "noise", "rainfall"]
if factor == 1:
    paths = [os.path.join(src, n + ".tif") for n in names]
    grid = Grid.from_path(paths[0])
else:
    # a factor-times larger mosaic of the sample (VRT of tiles shifted side by side)
    paths = []
    g0 = Grid.from_path(os.path.join(src, "slope.tif"))
    for n in names:
        tiles = []
        ds = gdal.Open(os.path.join(src, n + ".tif"))
        for i in range(factor):
            for j in range(factor):
                gt = list(ds.GetGeoTransform())
                w = gt[1] * ds.RasterXSize
                h = -gt[5] * ds.RasterYSize
                if n == "rainfall":
                    tiles.append(os.path.join(src, n + ".tif"))
                    break
                p = "/vsimem/%s_%d_%d.vrt" % (n, i, j)
                gdal.Translate(p, ds, format="VRT", outputBounds=None)
                t = gdal.Open(p, gdal.GA_Update)
                t.SetGeoTransform((gt[0] + j * w, gt[1], 0, gt[3] - i * h, 0, gt[5]))
                t = None
                tiles.append(p)
        out = "/vsimem/%s_mosaic.vrt" % n
        gdal.BuildVRT(out, tiles)
        paths.append(out)
    grid = Grid(g0.crs_wkt, g0.transform, g0.xsize * factor, g0.ysize * factor)
bands = [Band(p, 1, n) for p, n in zip(paths, names)]
with AlignedStack(bands, grid) as st:
    write_stack(st, os.path.join({work!r}, "blocks_%d.tif" % factor))
print(grid.xsize, grid.ysize, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(folder, factor, cache_mb):
    from _common import PLUGINS
    code = CHILD.format(plugins=PLUGINS, folder=folder, factor=factor, work=WORK)
    env = dict(os.environ, GDAL_CACHEMAX=str(cache_mb))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    x, y, kb = out.stdout.split()
    return int(x), int(y), int(kb) / 1024.0


def main():
    folder = sample_area(600)
    os.makedirs(WORK, exist_ok=True)
    for cache in (1, 64):
        x1, y1, m1 = run(folder, 1, cache)
        x4, y4, m4 = run(folder, 4, cache)
        x8, y8, m8 = run(folder, 8, cache)
        print(f"GDAL_CACHEMAX={cache} MB")
        print(f"  sample {x1} x {y1}: peak {m1:.0f} MiB")
        print(f"  16x    {x4} x {y4}: peak {m4:.0f} MiB")
        print(f"  64x    {x8} x {y8}: peak {m8:.0f} MiB")
        print(f"  peak memory ratio 16x/sample: {m4 / m1:.2f}, 64x/16x: {m8 / m4:.2f}"
              + (" (target <= 1.5 for the plugin's own memory)" if cache == 1 else ""))

if __name__ == "__main__":
    main()
