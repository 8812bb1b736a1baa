"""Mahalanobis D^2 over a stack of about 100 million pixels x 10 bands (a VRT mosaic of the
sample area): its time against only reading the same stack, in the same run (target within
2x), and peak memory for a quarter and the whole of it, each in its own process (flat).
"""
import os
import time

from _common import PLUGINS, WORK, run_child, sample_area

NAMES = ["elevation", "slope", "aspect", "plan_curv", "prof_curv", "twi", "dist_river", "ndvi",
         "noise", "lithology"]

CHILD = r"""
import os, resource, sys, time
sys.path.insert(0, {plugins!r})
import numpy as np
from osgeo import gdal
from hazard_susceptibility.core.sampling import samplers as smp
from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid, RasterWriter
folder, tiles, mode = {folder!r}, {tiles}, {mode!r}
sys.path.insert(0, {bench!r})
from _common import mosaic_bands
bands = mosaic_bands(folder, {names!r}, tiles)
grid = Grid.from_path(bands[0].path)
rng = np.random.default_rng(0)
with AlignedStack(bands, grid) as st:
    # presences: 500 random valid pixels of the first tile
    sub = AlignedStack(bands, Grid(grid.crs_wkt, grid.transform, 600, 600))
    data = sub.read(sub.grid.full_window()).reshape(len(bands), -1)
    X = data[:, rng.choice(data.shape[1], 500, replace=False)].T
    model = smp.mahalanobis_model(X, {names!r})
    t0 = time.perf_counter()
    n = 0
    if mode == "read":
        for win in st.windows():
            n += int((~np.isnan(st.read(win)[0])).sum())
    else:
        w = RasterWriter(os.path.join({work!r}, "d2_bench.tif"), grid, ["d2"])
        for win in st.windows():
            with np.errstate(invalid="ignore"):
                d2 = smp.mahalanobis_d2(model, st.read(win))
            n += int((d2 > model.critical).sum())
            w.write(win, d2.astype(np.float32))
        w.close()
    dt = time.perf_counter() - t0
print(grid.xsize * grid.ysize, dt, n, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def run(folder, tiles, mode):
    code = CHILD.format(plugins=PLUGINS, bench=os.path.dirname(os.path.abspath(__file__)),
                        folder=folder, tiles=tiles, mode=mode, names=NAMES,
                        work=WORK)
    px, dt, n, kb = run_child(code).split()
    return int(px), float(dt), int(n), int(kb) / 1024.0


def main():
    folder = sample_area(600)
    os.makedirs(WORK, exist_ok=True)
    tiles = 17  # 10,200 x 10,200 = 104 million pixels
    px, t_read, _, m_read = run(folder, tiles, "read")
    _, t_d2, n_adm, m_d2 = run(folder, tiles, "d2")
    _, _, _, m_quarter = run(folder, tiles // 2, "d2")
    print(f"stack: {px / 1e6:.0f} million pixels x {len(NAMES)} bands (VRT mosaic)")
    print(f"only reading the stack: {t_read:.1f} s")
    print(f"D2 (read, compute, write the D2 raster): {t_d2:.1f} s; {n_adm} pixels beyond the "
          f"critical value")
    print(f"ratio: {t_d2 / t_read:.2f} (target <= 2)")
    print(f"peak memory: {m_quarter:.0f} MiB for a quarter of the stack, {m_d2:.0f} MiB for all "
          f"of it (ratio {m_d2 / m_quarter:.2f}; GDAL_CACHEMAX 64 MB)")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark wall time {time.perf_counter() - t:.0f} s)")
