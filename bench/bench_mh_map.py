"""Multi-hazard mapping on about 23 million pixels (a VRT mosaic of the sample area: 10 factors
and the 4 contextual zones repeated 8 x 8; BENCH_MH_MAP_TILES sets the side, 17 gives the 104
million pixels measured before 2026-12-08, about four times as long for the same per-pixel
figures and ratios):

* speed-up from 1 to 2 local workers, and to a 2-worker dask.distributed LocalCluster;
* the overhead of the tiles' overlap against the same tiles with no overlap (each pixel is
  predicted once either way: the overlap now costs only its merge);
* peak memory for a quarter of the mosaic and for all of it (flat in raster size), also above
  the memory of only reading each mosaic (``bench_mh_map.py memory`` runs just this part).

These use the Late Fusion products (two XGBoost models per zone): what is measured is the
tiling, the merge and the parallel machinery, the same for every product. The cost of the full
set (LF + EF network + gate, uncertainty and correlation) is measured per million pixels on a
3 x 3 mosaic, with the networks in core.multihazard.forward32's float32 loops and in float64
numpy (HAZARD_NUMBA=0) in the same run (``bench_mh_map.py full`` runs just this part). The
bundle is trained here on the sample area's inventories with a reduced search space (100
trees, depth 4), so the benchmark takes minutes, not hours.
"""
import os
import sys
import time

from _common import PLUGINS, WORK, child_result, sample_area

NAMES = ["slope", "dist_river", "elevation", "twi", "ndvi", "pga", "rainfall", "plan_curv",
         "prof_curv", "noise"]

CHILD = r"""
import os, resource, sys, time
sys.path.insert(0, {plugins!r}); sys.path.insert(0, {bench!r})
from _common import mosaic_bands
from hazard_susceptibility.core.multihazard import mapping as mh_map
from hazard_susceptibility.core.multihazard import training as mh_train
from hazard_susceptibility.core.io.raster import Band, Grid
# Dask's worker processes read the mosaic too: keep it on disk for them
where = os.path.join({work!r}, "mosaic") if {dask} else "/vsimem"
bands = mosaic_bands({folder!r}, {names!r} + ["zones"], {tiles}, where)
zone = bands.pop()
grid = Grid.from_path(bands[0].path)
pred = mh_train.Predictor.from_file({bundle!r})
products = {products!r}
outs = {{p: os.path.join({work!r}, "mh_%s.tif" % p) for p in products}}
kw = dict(size=512, overlap={overlap}, workers={workers})
cluster = None
if {dask}:
    from distributed import LocalCluster
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                           dashboard_address=None)
    kw.update(workers=1, scheduler=cluster.scheduler_address)
# the peak from here on (Linux: VmHWM reset), not the loading's: the bundle and its compiled
# loops take more than reading or mapping 23 million pixels adds
try:
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    reset = True
except OSError:
    reset = False
t0 = time.perf_counter()
if {read_only}:  # the baseline: reading the mosaic once, block by block
    from hazard_susceptibility.core.io.raster import AlignedStack
    with AlignedStack(bands + [zone], grid) as st:
        for win in st.windows():
            st.read(win)
else:
    mh_map.map_multihazard(pred, bands, grid, zone, {{1: "1", 2: "2", 3: "3", 4: "4"}}, outs,
                           **kw)
t = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
if reset:
    with open("/proc/self/status") as f:
        rss = [int(l.split()[1]) / 1024.0 for l in f if l.startswith("VmHWM")][0]
out = {{"t": t, "px": grid.xsize * grid.ysize, "rss": rss}}
if cluster is not None:
    cluster.close()
print(repr(out))
"""


def zones_as_factor(folder):
    """The sample's zone raster beside its factors, so the mosaic helper repeats it too."""
    import shutil
    dst = os.path.join(folder, "factors", "zones.tif")
    if not os.path.exists(dst):
        shutil.copy(os.path.join(folder, "zones.tif"), dst)


def train_bundle(folder, path):
    """A bundle from the sample's inventories (flood points, landslide polygon centroids), as
    many random absences, 80/10/10."""
    import numpy as np
    from osgeo import ogr
    from hazard_susceptibility.core.multihazard import training as mh_train
    from hazard_susceptibility.core.multihazard import experts, samples
    from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid, sample_at
    if os.path.exists(path):
        return
    experts.LF_SPACE = {"n_estimators": [100], "max_depth": [4], "learning_rate": [0.1],
                        "subsample": [0.85], "colsample_bytree": [0.85]}
    grid = Grid.from_path(os.path.join(folder, "dem.tif"))
    bands = [Band(os.path.join(folder, "factors", n + ".tif"), 1, n) for n in NAMES]
    rng = np.random.default_rng(0)
    xs, ys, hz, lab = [], [], [], []
    for name, f in (("flood", "floods.gpkg"), ("landslide", "landslides.gpkg")):
        ds = ogr.Open(os.path.join(folder, f))  # keep the dataset while reading its layer
        pts = np.array([g.GetGeometryRef().Centroid().GetPoint_2D() for g in ds.GetLayer(0)])
        ds = None
        ext = grid.extent
        rnd = np.column_stack([rng.uniform(ext[0], ext[2], len(pts)),
                               rng.uniform(ext[1], ext[3], len(pts))])
        for p, lb in ((pts, 1), (rnd, 0)):
            xs.append(p[:, 0])
            ys.append(p[:, 1])
            hz += [name] * len(p)
            lab += [lb] * len(p)
    x, y = np.concatenate(xs), np.concatenate(ys)
    hz, lab = np.array(hz), np.array(lab)
    with AlignedStack(bands + [Band(os.path.join(folder, "zones.tif"), 1, "zone", True)],
                      grid) as st:
        v = sample_at(st, x, y)
    ok = np.isfinite(v).all(axis=1)
    X, zone = v[ok, :-1], v[ok, -1].astype(int).astype(str)
    hz, lab, x, y = hz[ok], lab[ok], x[ok], y[ok]
    split = samples.split_three(lab, np.char.add(zone, hz), seed=0)
    res = mh_train.train(X, NAMES, [False] * len(NAMES), hz, lab, zone, split, x, y, seed=0,
                         n_iter=1, ef_epochs=30, gate_epochs=50)
    mh_train.save_bundle(path, res)


def run(folder, bundle, tiles, products, overlap=32, workers=1, dask=False, read_only=False,
        **env):
    code = CHILD.format(plugins=PLUGINS, bench=os.path.dirname(os.path.abspath(__file__)),
                        folder=folder, names=NAMES, tiles=tiles, bundle=bundle,
                        products=products, work=WORK, overlap=overlap, workers=workers,
                        dask=dask, read_only=read_only)
    return child_result(code, OMP_NUM_THREADS="1", **env)


def memory(folder, bundle, lf, tiles, full=None):
    """Peak memory of mapping a quarter and all of the mosaic, and of only reading each: the
    VRT mosaic itself grows with its number of pieces, so ours is also given above reading."""
    q = run(folder, bundle, tiles // 2, lf, workers=1)
    f = full or run(folder, bundle, tiles, lf, workers=1)
    rq = run(folder, bundle, tiles // 2, lf, read_only=True)
    rf = run(folder, bundle, tiles, lf, read_only=True)
    print(f"peak memory: {q['rss']:.0f} MiB for {q['px'] / 1e6:.0f} million pixels, "
          f"{f['rss']:.0f} MiB for {f['px'] / 1e6:.0f} million (ratio {f['rss'] / q['rss']:.2f}); "
          f"reading the same mosaics alone: {rq['rss']:.0f} and {rf['rss']:.0f} MiB, so the "
          f"mapping adds {q['rss'] - rq['rss']:.0f} and {f['rss'] - rf['rss']:.0f} MiB "
          f"({_ratio(f['rss'] - rf['rss'], q['rss'] - rq['rss'])})")


def _ratio(a, b):
    """'ratio a/b', or what the two resident sizes say when b is (nearly) zero: the mapping
    added nothing measurable above reading for the smaller mosaic."""
    if abs(b) < 1.0:  # MiB: resident sizes are measured in pages, equal runs give 0
        return f"both within 1 MiB of reading alone: {a:.0f} vs {b:.0f} MiB"
    return f"ratio {a / b:.2f}"


def main():
    folder = sample_area(600)
    zones_as_factor(folder)
    os.makedirs(WORK, exist_ok=True)
    bundle = os.path.join(WORK, "bench_bundle.mhz")
    train_bundle(folder, bundle)
    lf = ["lf_flood", "lf_landslide"]
    tiles = int(os.environ.get("BENCH_MH_MAP_TILES", "8"))
    if sys.argv[1:] == ["memory"]:  # only the memory part
        return memory(folder, bundle, lf, tiles)
    full = ["moe_flood", "moe_landslide", "logdet", "rho"]
    if sys.argv[1:] == ["full"]:  # only the full set, float32 against float64
        lf = None
    f1 = run(folder, bundle, 3, full, workers=1)
    f2 = run(folder, bundle, 3, full, workers=2)
    f64 = run(folder, bundle, 3, full, workers=1, HAZARD_NUMBA="0")
    print(f"full set (LF + EF + gate, {len(full)} rasters), {f1['px'] / 1e6:.1f} million pixels: "
          f"1 worker {f1['t']:.1f} s ({f1['t'] / f1['px'] * 1e6:.1f} s per million pixels), "
          f"2 workers {f2['t']:.1f} s (speed-up {f1['t'] / f2['t']:.2f}x); the networks in "
          f"float64 numpy (HAZARD_NUMBA=0) {f64['t']:.1f} s: float32 loops "
          f"{f64['t'] / f1['t']:.2f}x faster")
    if lf is None:
        return
    a = run(folder, bundle, tiles, lf, workers=1)
    print(f"Late Fusion maps, {a['px'] / 1e6:.0f} million pixels, tiles 512 px + 32 px overlap:")
    print(f"  1 worker: {a['t']:.1f} s (peak memory {a['rss']:.0f} MiB)")
    b = run(folder, bundle, tiles, lf, overlap=0, workers=1)
    print(f"  no overlap: {b['t']:.1f} s; the overlap's overhead {a['t'] / b['t']:.2f}x (each "
          f"pixel is predicted once; {((512 + 64) / 512) ** 2:.2f}x the pixels when the "
          f"overlaps were predicted twice)")
    c = run(folder, bundle, tiles, lf, workers=2)
    print(f"  2 local workers: {c['t']:.1f} s, speed-up {a['t'] / c['t']:.2f}x")
    d = run(folder, bundle, tiles, lf, dask=True)
    print(f"  2-worker dask LocalCluster: {d['t']:.1f} s, speed-up {a['t'] / d['t']:.2f}x")
    memory(folder, bundle, lf, tiles, a)


if __name__ == "__main__":
    t = time.perf_counter()
    main()
    print(f"(benchmark wall time {time.perf_counter() - t:.0f} s)")
