"""The area-of-applicability pass (dissimilarity index of every pixel, core.susceptibility
.applicability) against the apply-model pass on the same stack, in the same process: about 23
million pixels x 10 factors (a VRT mosaic of the sample), one worker each (target: at most
1.5x the apply pass of the model it describes), and the peak memory of the DI pass for a
quarter of the stack and for all of it (flat).

The random forest has 100 trees here (the plugin's default is 500, five times the apply
cost): the ratio printed is the least favourable to the DI pass that a forest gives. The
XGBoost model of bench_apply.py (50 trees, depth 6), much faster to apply than any forest, is
printed too, with its own ratio. The training rows (the model's samples, whose count drives
the nearest-neighbour search) are 1,000, about what the sample area's inventory gives.

BENCH_APPLICABILITY_TILES (default 8: 4,800 x 4,800 = 23 million pixels) sets the mosaic's
side in sample areas. The times are per pixel (the sample repeated), so the ratios are those
of 104 million pixels (17, the size before 2026-12-08, which took 4.5 times as long).
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
from hazard_susceptibility.core.susceptibility.apply import apply_to_raster
from hazard_susceptibility.core.susceptibility import applicability as aoa
from hazard_susceptibility.core.susceptibility.estimators import column_importance, make_estimator
from hazard_susceptibility.core.io.raster import AlignedStack, Grid
sys.path.insert(0, {bench!r})
from _common import mosaic_bands
bands = mosaic_bands({folder!r}, {names!r}, {tiles})
grid = Grid.from_path(bands[0].path)
rng = np.random.default_rng(0)
with AlignedStack(bands, Grid(grid.crs_wkt, grid.transform, 600, 600)) as sub:
    d = sub.read(sub.grid.full_window()).reshape(len(bands), -1).T
    d = d[np.isfinite(d).all(axis=1)]
    X = d[rng.choice(len(d), 1000, replace=False)]
    y = (X[:, 1] + rng.normal(0, 10, len(X)) > 25).astype(int)
models = {{"rf": make_estimator("rf", {{"n_estimators": 100}}, 0).fit(X, y),
          "xgboost": make_estimator("xgboost", {{"n_estimators": 50, "max_depth": 6}},
                                    0).fit(X, y)}}
app = aoa.fit(X, NAMES, column_importance(models["rf"], "rf"), rng.integers(0, 5, len(X)))
out = {{}}
with AlignedStack(bands, grid) as st:
    if {mode!r} == "compare":
        for kind, est in models.items():
            t0 = time.perf_counter()
            apply_to_raster(st, lambda v: est.predict_proba(v)[:, 1],
                            os.path.join({work!r}, "apply_" + kind + ".tif"), workers=1)
            out["apply_" + kind] = time.perf_counter() - t0
    t0 = time.perf_counter()
    apply_to_raster(st, app.di, os.path.join({work!r}, "di.tif"), workers=1)
    out["di"] = time.perf_counter() - t0
out["px"] = grid.xsize * grid.ysize
out["rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
print(repr(out))
""".replace("NAMES", repr(NAMES))


def run(folder, tiles, mode):
    code = CHILD.format(plugins=PLUGINS, bench=os.path.dirname(os.path.abspath(__file__)),
                        folder=folder, tiles=tiles, mode=mode, names=NAMES, work=WORK)
    return child_result(code, OMP_NUM_THREADS="1")


def main():
    folder = sample_area(600)
    os.makedirs(WORK, exist_ok=True)
    tiles = int(os.environ.get("BENCH_APPLICABILITY_TILES", "8"))
    r = run(folder, tiles, "compare")
    print(f"stack: {r['px'] / 1e6:.1f} million pixels x {len(NAMES)} factors (VRT mosaic); "
          f"1,000 training rows; one worker")
    print(f"applicability (DI) pass: {r['di']:.1f} s")
    print(f"apply, random forest (100 trees): {r['apply_rf']:.1f} s; DI / apply "
          f"{r['di'] / r['apply_rf']:.2f} (target <= 1.5)")
    print(f"apply, XGBoost (50 trees, depth 6): {r['apply_xgboost']:.1f} s; DI / apply "
          f"{r['di'] / r['apply_xgboost']:.2f} (target <= 1.5: the cheapest model to apply)")
    q = run(folder, max(1, tiles // 2), "memory")
    f = run(folder, tiles, "memory")
    print(f"peak memory of the DI pass: {q['rss']:.0f} MiB for {q['px'] / 1e6:.1f} million "
          f"pixels, {f['rss']:.0f} MiB for {f['px'] / 1e6:.0f} million (ratio "
          f"{f['rss'] / q['rss']:.2f})")


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark wall time {time.perf_counter() - t:.0f} s)")
