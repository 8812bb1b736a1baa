"""A regional-scale multi-hazard run (the FL-MHSM study's Nepal: about 160 million pixels at 30 m, 15
factors) through the plugin's own code, stage by stage, with each stage's time and the peak
memory of every process it runs (this one, the training worker, Dask's workers).

The region is synthetic (core.io.region: seeded, written once as tiled compressed GeoTIFFs
under .build/bench/, its generation not counted): 15 factors, 4 contextual zones, flood and
landslide inventories from known processes. The chain, with the Processing algorithms' defaults:

1. samples: random absences outside a 100 m buffer, 3 per presence, no synthetic presences,
   80/10/10 per zone (core.multihazard.samples, as 'Prepare multi-hazard samples' by default);
2. factor values at the samples (core.io.raster.sample_at, as every algorithm reads them);
3. zone-wise feature selection (Pearson screening, then SHAP shares on a seeded sample of the
   training rows: core.multihazard.selection.zone_feature_selection);
4. training LF, EF and the MoE gate per zone and on all zones, each zone leaning on the
   all-zone models by its sample size, in the TensorFlow worker process
   (core.multihazard.jobs.TrainMultiHazard, as 'Train multi-hazard models');
5. maps: the three models' probabilities per hazard (blended across zone borders), the EF
   uncertainty and correlation, and the bivariate classes of the MoE maps
   (core.multihazard.mapping.map_bundle);
6. evaluation: Jaccard of H+VH masks, MH density, class shares and zonal means
   (core.multihazard.evaluation.evaluate) and its report;
7. (not timed) the maps' fidelity to the processes the region was drawn from
   (core.io.region.region_fidelity): Spearman with the true logit, AUC against Bernoulli
   draws from the true probability beside the truth's own, zone-seam ratios.

Environment: ``BENCH_REGION_PIXELS`` (default 160000000), ``BENCH_REGION_WORKERS`` (default 2),
``BENCH_REGION_TILE`` (tile side of the maps, default 1024 with the default 32 px overlap),
``BENCH_REGION_SCHEDULER`` (a Dask scheduler address: the maps are computed there).
``bench_region.py parallel`` instead measures the mapping stage alone on one thread, two
threads, and Dask LocalClusters of one and of two single-threaded worker processes, and checks
that the four runs write identical maps, on a region of ``BENCH_REGION_PARALLEL_PIXELS``
(default 5 million; the chain runs first there when its bundle is missing) with tiles of
``BENCH_REGION_PARALLEL_TILE`` px (default 512, the algorithm's).

The last line reads: ``region: <pixels> px x <factors> factors: <total> min (<m> min per 100
million pixels), peak <g> GB, <w> workers``.
"""
import os
import sys
import threading
import time

os.environ.setdefault("GDAL_CACHEMAX", "64")  # MB, as in the other benchmarks (GDAL's own
# default is 5 % of the RAM, which would count as our memory)
from _common import WORK  # noqa: E402  (puts the plugin on the import path)

PIXELS = int(os.environ.get("BENCH_REGION_PIXELS", 160_000_000))
PARALLEL_PIXELS = int(os.environ.get("BENCH_REGION_PARALLEL_PIXELS", 5_000_000))
#: tile side of the maps (the algorithm's default is 512): with the default 32 px overlap, a
#: 512 px tile predicts 1.27x its pixels and a 1,024 px tile 1.13x
TILE = int(os.environ.get("BENCH_REGION_TILE", 1024))
#: tile side of the parallel comparison: the algorithm's default, so that a small region still
#: has enough tiles to keep two workers busy (with 1,024 px tiles a 5-million-pixel region has
#: a dozen, and workers wait at its end: 1.54x instead of 1.78x)
PARALLEL_TILE = int(os.environ.get("BENCH_REGION_PARALLEL_TILE", 512))
WORKERS = int(os.environ.get("BENCH_REGION_WORKERS", 2))
SCHEDULER = os.environ.get("BENCH_REGION_SCHEDULER") or None


class TreeMemory:
    """Peak resident memory of this process and all its descendants together, polled from
    /proc every ``every`` seconds (training runs in a child process, Dask in others)."""

    def __init__(self, every=0.25):
        self.every, self.peak, self._stop = every, 0, threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    @staticmethod
    def _tree(pid):
        out, todo = [], [pid]
        while todo:
            p = todo.pop()
            out.append(p)
            try:
                for t in os.listdir(f"/proc/{p}/task"):
                    with open(f"/proc/{p}/task/{t}/children") as fh:
                        todo += [int(c) for c in fh.read().split()]
            except OSError:
                pass
        return out

    def now(self):
        total = 0
        for p in self._tree(os.getpid()):
            try:
                with open(f"/proc/{p}/statm") as fh:
                    total += int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            except OSError:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            self._stop.wait(self.every)

    def reset(self):
        self.peak = self.now()

    def stop(self):
        self._stop.set()
        self._t.join()


def region(pixels=PIXELS):
    from hazard_susceptibility.core.io.region import generate_region
    folder = os.path.join(WORK, f"region_{pixels}")
    t = time.perf_counter()
    truth = generate_region(folder, pixels, seed=0)
    dt = time.perf_counter() - t
    if dt > 1:
        print(f"region generated in {dt / 60:.1f} min (not counted)", flush=True)
    return folder, truth


def bands_of(folder, truth):
    from hazard_susceptibility.core.io.raster import Band
    return [Band(os.path.join(folder, "factors", n + ".tif"), 1, n, n in truth["categorical"])
            for n in truth["factors"]]


def read_points(path):
    import numpy as np
    from osgeo import ogr
    ds = ogr.Open(path)
    xy = np.array([f.GetGeometryRef().GetPoint_2D() for f in ds.GetLayer(0)])
    ds = None
    return xy[:, 0], xy[:, 1]


class Stages:
    def __init__(self, mem):
        self.mem, self.rows = mem, []

    def run(self, name, fn, *a, **kw):
        self.mem.reset()
        t = time.perf_counter()
        out = fn(*a, **kw)
        dt = time.perf_counter() - t
        self.rows.append((name, dt, self.mem.peak))
        print(f"  {name:<22s} {dt / 60:6.2f} min   peak {self.mem.peak / 2 ** 30:5.2f} GB",
              flush=True)
        return out


def chain(folder, truth, mem, pixels=PIXELS):
    import numpy as np
    from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid, sample_at
    from hazard_susceptibility.core.multihazard import evaluation as mh_eval
    from hazard_susceptibility.core.multihazard import report as mh_report
    from hazard_susceptibility.core.multihazard import jobs, mapping
    from hazard_susceptibility.core.multihazard.selection import zone_feature_selection
    from hazard_susceptibility.core.multihazard.samples import (
        DEFAULT_ABSENCE_RATIO, DEFAULT_KDE_RATIO, multihazard_samples)
    from hazard_susceptibility.core.util import worker
    bands = bands_of(folder, truth)
    grid = Grid.from_path(bands[0].path)
    zone_band = Band(os.path.join(folder, "zones.tif"), 1, "zone", True)
    zone_names = {c: str(c) for c in (1, 2, 3, 4)}
    inv = {"flood": read_points(os.path.join(folder, "floods.gpkg")),
           "landslide": read_points(os.path.join(folder, "landslides.gpkg"))}
    out = os.path.join(WORK, f"region_{pixels}_out")
    os.makedirs(out, exist_ok=True)
    st = Stages(mem)
    print(f"region {grid.ysize} x {grid.xsize} px, {len(bands)} factors, "
          f"{len(inv['flood'][0])} flood and {len(inv['landslide'][0])} landslide points",
          flush=True)

    def zones_at(x, y):
        with AlignedStack([zone_band], grid) as zs:
            v = sample_at(zs, x, y)[:, 0]
        return [None if not np.isfinite(a) or a == 0 else str(int(a)) for a in v]

    with AlignedStack(bands, grid) as stack:
        x, y, cols = st.run("samples", multihazard_samples, stack, inv, zones_at, 0,
                            DEFAULT_KDE_RATIO, 100.0, DEFAULT_ABSENCE_RATIO, 100.0, 0.1)
        X = st.run("factor values", sample_at, stack, x, y)
    names = [b.name for b in bands]
    categorical = [b.categorical for b in bands]
    ok = np.isfinite(X).all(axis=1)
    tr = ok & (cols["split"] == "train")
    _, kept = st.run("feature selection", zone_feature_selection, X[tr], cols["hazard"][tr],
                     cols["label"][tr], cols["zone"][tr], names, 0.7, 0,
                     categorical=categorical)
    bundle = os.path.join(out, "bundle.mhz")
    arrays = {"X": X[ok], "label": cols["label"][ok], "x": x[ok], "y": y[ok],
              "augmented": cols["augmented"][ok], "hazard": cols["hazard"][ok],
              "zone": cols["zone"][ok], "split": cols["split"][ok]}
    result, _ = st.run("training", worker.run, jobs.TrainMultiHazard(
        names=names, categorical=categorical, features_by_zone=kept, seed=0, radius=100.0,
        bundle_path=bundle, min_samples=10, min_val=5, n_iter=10, ef_epochs=100,
        gate_epochs=200, patience=10, batch=256, zone_mode="shrink"), arrays)
    maps = {m: {h: os.path.join(out, f"{m}_{h}.tif") for h in ("flood", "landslide")}
            for m in ("lf", "ef", "moe")}
    outputs = {f"{m}_{h}": p for m, d in maps.items() for h, p in d.items()}
    outputs.update(logdet=os.path.join(out, "logdet.tif"), rho=os.path.join(out, "rho.tif"))
    biv = os.path.join(out, "bivariate.tif")
    summary = st.run("maps", mapping.map_bundle, bundle, bands, grid, zone_band, zone_names,
                     outputs, biv, "moe", TILE, 32, WORKERS, SCHEDULER,
                     blend_px=mapping.BLEND_PX)
    ev = st.run("evaluation", lambda: mh_eval.evaluate(
        maps, biv, {f"{h} inventory": v for h, v in inv.items()},
        {"logdet": outputs["logdet"], "rho": outputs["rho"]}, (zone_band, zone_names)))
    mh_report.evaluation_report(os.path.join(out, "evaluation.html"), ev)
    macro = [r for r in result["metrics"] if r["zone"] == "macro"]
    for r in macro:
        print(f"  test AUC {r['hazard']:9s} {r['model']:3s} {r['auc']:.3f}")
    for r in ev.jaccard:
        print(f"  Jaccard {r['hazard']} {r['pair']}: {r['jaccard']:.3f}")
    print(f"  {summary['valid_pixels']:,} pixels mapped in {summary['tiles']} tiles of {TILE} px")
    t_maps = next(r[1] for r in st.rows if r[0] == "maps")
    print(f"  maps: {t_maps / 60 / summary['valid_pixels'] * 1e8:.1f} min per 100 million mapped "
          f"pixels (target 7)")
    # fidelity to the processes the region was drawn from (not timed: a check, not a stage)
    from hazard_susceptibility.core.io.region import region_fidelity
    from hazard_susceptibility.core.stats import fidelity as F
    fid = region_fidelity([(f"{m.upper()} {h}", h, p) for m, d in maps.items()
                           for h, p in d.items()], folder)
    F.write_csv(os.path.join(out, "fidelity.csv"), fid)
    print("fidelity to the region's truth (Spearman with the true logit at 2 million seeded "
          "pixels; AUC on 200,000 Bernoulli draws, the truth's own in brackets; zone seams on "
          "16 strips of 64 rows, the truth's own in brackets):")
    print(F.format_table(fid), flush=True)
    return st.rows


def main_chain():
    mem = TreeMemory()
    folder, truth = region()
    px = truth["rows"] * truth["cols"]
    rows = chain(folder, truth, mem)
    mem.stop()
    total = sum(r[1] for r in rows) / 60
    peak = max(r[2] for r in rows) / 2 ** 30
    top = max(rows, key=lambda r: r[1])
    print(f"slowest stage: {top[0]}, {top[1] / 60 / total:.0%} of the time")
    workers = "a Dask cluster's" if SCHEDULER else WORKERS
    print(f"region: {px} px x {len(truth['factors'])} factors: {total:.1f} min "
          f"({total / px * 1e8:.1f} min per 100 million pixels), peak {peak:.2f} GB, "
          f"{workers} workers")


def main_parallel():
    """The mapping stage alone: 1 and 2 threads, LocalClusters of 1 and 2 worker processes
    (one thread each); the maps must be identical."""
    import numpy as np
    from hazard_susceptibility.core.io.raster import Band, Grid, open_raster
    from hazard_susceptibility.core.multihazard import mapping
    folder, truth = region(PARALLEL_PIXELS)
    bundle = os.path.join(WORK, f"region_{PARALLEL_PIXELS}_out", "bundle.mhz")
    if not os.path.exists(bundle):
        mem = TreeMemory()
        chain(folder, truth, mem, PARALLEL_PIXELS)
        mem.stop()
    bands = bands_of(folder, truth)
    grid = Grid.from_path(bands[0].path)
    zone_band = Band(os.path.join(folder, "zones.tif"), 1, "zone", True)
    names = ("moe_flood", "moe_landslide", "logdet", "rho")
    runs = {}
    for label, workers, n_dask in (("1 thread", 1, 0), ("2 threads", 2, 0),
                                   ("Dask, 1 worker process", 1, 1),
                                   ("Dask, 2 worker processes", 1, 2)):
        out = os.path.join(WORK, f"region_{PARALLEL_PIXELS}_par",
                           label.replace(" ", "_").replace(",", ""))
        os.makedirs(out, exist_ok=True)
        outputs = {p: os.path.join(out, p + ".tif") for p in names}
        cluster = None
        sched = None
        if n_dask:
            from distributed import LocalCluster
            cluster = LocalCluster(n_workers=n_dask, threads_per_worker=1, processes=True,
                                   dashboard_address=None)
            sched = cluster.scheduler_address
        t = time.perf_counter()
        mapping.map_bundle(bundle, bands, grid, zone_band, {c: str(c) for c in (1, 2, 3, 4)},
                           outputs, None, "moe", PARALLEL_TILE, 32, workers, sched)
        runs[label] = (time.perf_counter() - t, outputs)
        if cluster is not None:
            cluster.close()
        print(f"  {label:<26s} {runs[label][0]:7.1f} s", flush=True)
    base = runs["1 thread"]
    same = True
    for label, (t, outputs) in runs.items():
        for p in names:
            da, db = open_raster(base[1][p]), open_raster(outputs[p])  # held: bands need them
            a, b = da.GetRasterBand(1), db.GetRasterBand(1)
            for r0 in range(0, grid.ysize, 1024):
                n = min(1024, grid.ysize - r0)
                if not np.array_equal(a.ReadAsArray(0, r0, grid.xsize, n),
                                      b.ReadAsArray(0, r0, grid.xsize, n)):
                    same = False
                    print(f"  {label}: {p} differs from the 1-thread map")
                    break
    t1 = runs["1 thread"][0]
    d1 = runs["Dask, 1 worker process"][0]
    print(f"maps, {grid.xsize * grid.ysize} px: 2 threads {t1 / runs['2 threads'][0]:.2f}x "
          f"faster than 1; Dask 2 workers {d1 / runs['Dask, 2 worker processes'][0]:.2f}x "
          f"faster than Dask 1 worker ({t1 / runs['Dask, 2 worker processes'][0]:.2f}x against "
          f"1 thread); maps {'identical' if same else 'NOT identical'} across the four runs")


if __name__ == "__main__":
    t0 = time.perf_counter()
    if sys.argv[1:] == ["parallel"]:
        main_parallel()
    else:
        main_chain()
    print(f"(benchmark wall time {time.perf_counter() - t0:.0f} s)", file=sys.stderr)
