"""Applying a model to about 50 million pixels x 10 factors (a VRT mosaic of the sample):

* our tiled apply against the model's bare in-memory prediction of the same pixel count plus
  reading the same stack, in the same process (target within 1.3x);
* the speed-up with 2 local workers over 1 (target at least 1.7x), each side the better of
  two runs made in the order 1, 2, 2, 1 (the machine may be shared); the maps of 1 and 2
  workers are compared bit for bit;
* peak memory for a quarter of the stack and for all of it (flat).

BENCH_APPLY_TILES (default 12: 7,200 x 7,200 = 52 million pixels) sets the mosaic's side in
sample areas. Every figure is per pixel or a ratio, the same at 104 million (17; the size
before 2026-12-08, which took twice as long).

Also: natural breaks of 10 million values, ours (exact, O(k n)) against jenkspy on a
20,000-value sample (jenkspy is O(k n^2)).
"""
import os
import time

from _common import PLUGINS, WORK, child_result, sample_area

NAMES = ["elevation", "slope", "aspect", "plan_curv", "prof_curv", "twi", "dist_river", "ndvi",
         "noise", "lithology"]

CHILD = r"""
import os, resource, sys, time
sys.path.insert(0, {plugins!r})
import numpy as np
from osgeo import gdal
from hazard_susceptibility.core.susceptibility.apply import apply_to_raster
from hazard_susceptibility.core.susceptibility.estimators import make_estimator
from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid, sample_at
folder, tiles, mode = {folder!r}, {tiles}, {mode!r}
sys.path.insert(0, {bench!r})
from _common import mosaic_bands
bands = mosaic_bands(folder, {names!r}, tiles)
grid = Grid.from_path(bands[0].path)
rng = np.random.default_rng(0)
with AlignedStack(bands, Grid(grid.crs_wkt, grid.transform, 600, 600)) as sub:
    d = sub.read(sub.grid.full_window()).reshape(len(bands), -1).T
    d = d[np.isfinite(d).all(axis=1)]
    X = d[rng.choice(len(d), 4000, replace=False)]
    y = (X[:, 1] + rng.normal(0, 10, len(X)) > 25).astype(int)
est = make_estimator("xgboost", {{"n_estimators": 50, "max_depth": 6}}, 0).fit(X, y)
predict = lambda v: est.predict_proba(v)[:, 1]
out = {{}}
with AlignedStack(bands, grid) as st:
    if mode == "compare":
        t0 = time.perf_counter()
        n = 0
        for win in st.windows():
            n += int((~np.isnan(st.read(win)[0])).sum())
        out["read"] = time.perf_counter() - t0
        m = np.ascontiguousarray(d[rng.choice(len(d), 2_000_000, replace=True)])
        t0 = time.perf_counter()
        predict(m)
        out["bare"] = (time.perf_counter() - t0) * n / len(m)
        cpu = lambda: sum(resource.getrusage(resource.RUSAGE_SELF)[:2])
        for w in (1, 2, 2, 1):
            t0, c0 = time.perf_counter(), cpu()
            apply_to_raster(st, predict, os.path.join({work!r}, "apply_%d.tif" % w), workers=w)
            t = time.perf_counter() - t0
            out["apply%d" % w] = min(t, out.get("apply%d" % w, t))
            out.setdefault("runs%d" % w, []).append(round(t, 1))
            out.setdefault("cpu%d" % w, []).append(round(cpu() - c0, 1))
        maps = [gdal.Open(os.path.join({work!r}, "apply_%d.tif" % w)).ReadAsArray()
                for w in (1, 2)]
        out["same"] = maps[0].tobytes() == maps[1].tobytes()
        out["n"] = n
    else:
        apply_to_raster(st, predict, os.path.join({work!r}, "apply_mem.tif"), workers=1)
out["px"] = grid.xsize * grid.ysize
out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(repr(out))
"""


def run(folder, tiles, mode):
    code = CHILD.format(plugins=PLUGINS, bench=os.path.dirname(os.path.abspath(__file__)),
                        folder=folder, tiles=tiles, mode=mode, names=NAMES,
                        work=WORK)
    return child_result(code, OMP_NUM_THREADS="1")


def natural_breaks_bench():
    import numpy as np
    from hazard_susceptibility.core.stats.breaks import natural_breaks
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.gamma(2, 0.1, 6_000_000), rng.beta(5, 2, 4_000_000)])
    t0 = time.perf_counter()
    natural_breaks(v, 5, sample=0)
    t_ours = time.perf_counter() - t0
    try:
        import jenkspy
    except ImportError:
        print("jenkspy not installed: no comparison")
        return
    s = rng.choice(v, 20_000, replace=False)
    t0 = time.perf_counter()
    jenkspy.jenks_breaks(s.tolist(), n_classes=5)
    t_j = time.perf_counter() - t0
    print(f"natural breaks, 5 classes: ours on 10,000,000 values {t_ours:.1f} s; jenkspy on "
          f"a 20,000-value sample {t_j:.1f} s (O(k n^2): about {t_j * (10e6 / 2e4) ** 2 / 3600:.0f}"
          f" h on all of them)")


def main():
    folder = sample_area(600)
    os.makedirs(WORK, exist_ok=True)
    natural_breaks_bench()
    tiles = int(os.environ.get("BENCH_APPLY_TILES", "12"))
    r = run(folder, tiles, "compare")
    print(f"stack: {r['px'] / 1e6:.0f} million pixels x {len(NAMES)} factors (VRT mosaic); "
          f"XGBoost, 50 trees")
    print(f"reading the stack {r['read']:.1f} s + bare in-memory prediction of {r['n']} pixels "
          f"{r['bare']:.1f} s (from 2 million) = {r['read'] + r['bare']:.1f} s")
    print(f"our apply, 1 worker: {r['apply1']:.1f} s, ratio "
          f"{r['apply1'] / (r['read'] + r['bare']):.2f} (target <= 1.3)")
    print(f"our apply, 2 workers: {r['apply2']:.1f} s, speed-up {r['apply1'] / r['apply2']:.2f}x"
          f" (target >= 1.7; runs in s: 1 worker {r['runs1']}, 2 workers {r['runs2']}); maps "
          f"{'identical bit for bit' if r['same'] else 'DIFFERENT'}")
    print(f"  CPU time of the runs (s): 1 worker {r['cpu1']}, 2 workers {r['cpu2']} (on a "
          f"shared machine the wall times follow the share of the cores the run gets)")
    q = run(folder, tiles // 2, "memory")
    f = run(folder, tiles, "memory")
    print(f"peak memory: {q['rss']:.0f} MiB for {q['px'] / 1e6:.0f} million pixels, "
          f"{f['rss']:.0f} MiB for {f['px'] / 1e6:.0f} million (ratio {f['rss'] / q['rss']:.2f})")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark wall time {time.perf_counter() - t:.0f} s)")
