"""Where the maps stage spends its time, component by component: the mapping stage of
``bench_region.py`` (its bundle, 15 factors, zones borrowing strength from the all-zone models,
1,024 px tiles, 8 px blend) on a window of its region, one worker, with timers around each
component (reading, column encoding, XGBoost, the Early Fusion network and its outputs, the
gate, the shrinkage, the zones' blend weights, merge and writing) and the number of model
passes per mapped pixel.

``profile_mh_map.py [PIXELS]``: the region of ``bench_region.py`` at ``BENCH_REGION_PIXELS``
(default 20 million; its bundle must exist: run ``bench_region.py`` with the same size first),
a centred window of about PIXELS (default 3 million). Prints one line per component (CPU
seconds of this process, share) and the passes per pixel. Not a ratio: it explains the
ratios the other scripts print.
"""
import collections
import os
import sys
import threading
import time

os.environ.setdefault("GDAL_CACHEMAX", "64")
from _common import WORK  # noqa: E402

PIXELS = int(os.environ.get("BENCH_REGION_PIXELS", 20_000_000))


class Timers:
    """CPU time of this thread in each wrapped function, nested calls not double-counted."""

    def __init__(self):
        self.t = collections.Counter()
        self.n = collections.Counter()
        self.rows = collections.Counter()
        self.local = threading.local()

    def wrap(self, owner, name, label, rows=None):
        fn = getattr(owner, name)
        tm = self

        def inner(*a, **kw):
            stack = getattr(tm.local, "stack", None)
            if stack is None:
                stack = tm.local.stack = []
            t0 = time.thread_time()
            stack.append(0.0)
            try:
                return fn(*a, **kw)
            finally:
                dt = time.thread_time() - t0
                child = stack.pop()
                tm.t[label] += dt - child
                tm.n[label] += 1
                if rows is not None:
                    tm.rows[label] += rows(a, kw)
                if stack:
                    stack[-1] += dt
        setattr(owner, name, inner)


def main():
    import numpy as np
    from hazard_susceptibility.core.io import raster
    from hazard_susceptibility.core.io.raster import Band, Grid
    from hazard_susceptibility.core.multihazard import forward32, mapping, training, tiling, trees
    import xgboost
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from bench_region import bands_of, region
    want = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
    folder, truth = region(PIXELS)
    bundle = os.path.join(WORK, f"region_{PIXELS}_out", "bundle.mhz")
    bands = bands_of(folder, truth)
    full = Grid.from_path(bands[0].path)
    side = int(np.sqrt(want))
    rows, cols = min(full.ysize, side), min(full.xsize, want // min(full.ysize, side))
    r0, c0 = (full.ysize - rows) // 2, (full.xsize - cols) // 2
    gt = full.transform
    grid = Grid(full.crs_wkt, (gt[0] + c0 * gt[1], gt[1], 0.0, gt[3] + r0 * gt[5], 0.0, gt[5]),
                cols, rows)
    zone_band = Band(os.path.join(folder, "zones.tif"), 1, "zone", True)
    tm = Timers()
    n_of = (lambda a, kw: len(a[1]))
    tm.wrap(raster.AlignedStack, "read", "reading")
    tm.wrap(training.ModelSet, "columns", "column encoding", lambda a, kw: len(a[1]))
    tm.wrap(xgboost.XGBClassifier, "predict_proba", "XGBoost (LF)", lambda a, kw: len(a[1]))
    tm.wrap(trees.CompiledTrees, "predict_proba", "LF trees in our loops",
            lambda a, kw: len(a[1]))
    tm.wrap(trees, "compiled", "compiling the trees (once a process)")
    tm.wrap(forward32.EarlyFusion32, "raw", "EF network (float32)", lambda a, kw: len(a[1]))
    tm.wrap(forward32.EarlyFusion32, "raw_columns", "EF network (float32)",
            lambda a, kw: len(a[1]))
    tm.wrap(training, "early_fusion_forward", "EF network (float64)",
            lambda a, kw: len(a[1]))
    tm.wrap(training.ModelSet, "ef_raw", "EF z-scoring", n_of)
    tm.wrap(forward32, "early_fusion_outputs", "EF outputs (cal, logdet, rho)")
    tm.wrap(forward32, "gate", "gate", lambda a, kw: len(a[1]))
    tm.wrap(forward32, "shrink", "shrinkage", lambda a, kw: len(a[0]))
    tm.wrap(training.Predictor, "_predict_sources", "predict_sources (glue)")
    tm.wrap(training.Predictor, "predict_zone", "predict_zone (glue)")
    tm.wrap(mapping, "_zone_weight", "blend weights (distance transforms)")
    tm.wrap(mapping, "_predict_window", "predict_window (glue)")
    tm.wrap(mapping, "predict_core", "predict_core (glue, merge of views)")
    tm.wrap(mapping._StripMerger, "put", "strip merge")
    tm.wrap(mapping._StripMerger, "flush", "flush (writing)")
    tm.wrap(raster.RasterWriter, "write", "writing")
    tm.wrap(mapping, "write_bivariate", "bivariate map")
    tm.wrap(mapping, "natural_breaks", "natural breaks")
    del tiling
    out = os.path.join(WORK, f"region_{PIXELS}_profile")
    os.makedirs(out, exist_ok=True)
    outputs = {f"{m}_{h}": os.path.join(out, f"{m}_{h}.tif") for m in ("lf", "ef", "moe")
               for h in ("flood", "landslide")}
    outputs.update(logdet=os.path.join(out, "logdet.tif"), rho=os.path.join(out, "rho.tif"))
    c0t, w0 = time.process_time(), time.perf_counter()
    summary = mapping.map_bundle(bundle, bands, grid, zone_band, {c: str(c) for c in (1, 2, 3, 4)},
                                 outputs, os.path.join(out, "bivariate.tif"), "moe",
                                 int(os.environ.get("BENCH_REGION_TILE", 1024)), 32, 1, None,
                                 blend_px=mapping.BLEND_PX)
    cpu, wall = time.process_time() - c0t, time.perf_counter() - w0
    n = summary["valid_pixels"]
    print(f"profile: {grid.ysize} x {grid.xsize} px window of the {PIXELS} px region, {n:,} "
          f"mapped, 1 worker: CPU {cpu:.1f} s, wall {wall:.1f} s, "
          f"{cpu / n * 1e8 / 60:.1f} CPU-min per 100 million mapped pixels (load "
          f"{os.getloadavg()[0]:.1f})")
    total = sum(tm.t.values())
    for label, t in tm.t.most_common():
        extra = f", {tm.rows[label] / n:.2f} rows a mapped pixel" if tm.rows[label] else ""
        print(f"  {label:<38s} {t:7.1f} s  {t / cpu:5.1%}  ({tm.n[label]} calls{extra})")
    print(f"  {'(outside the timers)':<38s} {cpu - total:7.1f} s  {(cpu - total) / cpu:5.1%}")


if __name__ == "__main__":
    main()
