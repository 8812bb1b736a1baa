"""The maps stage of ``bench_region.py`` (its bundle: 15 factors, zones borrowing strength
from the all-zone models; the eight rasters and the bivariate map, 1,024 px tiles, 8 px blend)
with this tree's code against another revision's (default ``main``), in the same run.

``compare_maps_stage.py [REF [PIXELS [OURS]]]``: the region of ``bench_region.py`` at
``BENCH_REGION_PIXELS`` (default 20 million; run ``bench_region.py`` at that size first for its
bundle), a centred window of about PIXELS (default 4 million), ``BENCH_REGION_WORKERS`` workers
(default 2). REF is exported with ``git archive`` under .build/bench/ref_<REF>; so is OURS when
given (a revision of this tree, e.g. HEAD, so that editing the tree during the run changes
nothing), otherwise the tree is measured as it is. Each side runs
in a fresh process, after a warm-up map of a small window (numba's compilation is not
counted), twice, alternating (ref, ours, ref, ours): the machine is shared, so the CPU time of
each process (all its threads) is the figure to read, the wall time is given beside it. The
maps of the two sides are compared pixel by pixel (max difference per product).

Last line: ``maps stage, <n> mapped px: ref <cpu> CPU-s, ours <cpu> CPU-s: <ratio>x less CPU
(<min> CPU-min per 100 million mapped pixels, about <m> min on 2 idle cores; wall ...), load
<l>``.
"""
import os
import subprocess
import sys

from _common import ROOT, WORK, child_result

PIXELS = int(os.environ.get("BENCH_REGION_PIXELS", 20_000_000))
WORKERS = int(os.environ.get("BENCH_REGION_WORKERS", 2))
TILE = int(os.environ.get("BENCH_REGION_TILE", 1024))

CHILD = r"""
import os, resource, sys, time
os.environ.setdefault("GDAL_CACHEMAX", "64")
sys.path.insert(0, {plugins!r}); sys.path.insert(0, {bench!r})
from hazard_susceptibility.core.io.raster import Band, Grid
from hazard_susceptibility.core.multihazard import mapping
from bench_region import bands_of, region
folder, truth = region({pixels})
bands = bands_of(folder, truth)
full = Grid.from_path(bands[0].path)
zone = Band(os.path.join(folder, "zones.tif"), 1, "zone", True)

def window(want):
    rows = min(full.ysize, int(want ** 0.5))
    cols = min(full.xsize, want // rows)
    r0, c0 = (full.ysize - rows) // 2, (full.xsize - cols) // 2
    gt = full.transform
    return Grid(full.crs_wkt, (gt[0] + c0 * gt[1], gt[1], 0.0, gt[3] + r0 * gt[5], 0.0, gt[5]),
                cols, rows)

def run(grid, out):
    os.makedirs(out, exist_ok=True)
    outputs = {{f"{{m}}_{{h}}": os.path.join(out, f"{{m}}_{{h}}.tif") for m in ("lf", "ef", "moe")
               for h in ("flood", "landslide")}}
    outputs.update(logdet=os.path.join(out, "logdet.tif"), rho=os.path.join(out, "rho.tif"))
    return mapping.map_bundle({bundle!r}, bands, grid, zone, {{c: str(c) for c in (1, 2, 3, 4)}},
                              outputs, os.path.join(out, "bivariate.tif"), "moe", {tile}, 32,
                              {workers}, None, blend_px=mapping.BLEND_PX)

run(window(300 * 300), {out!r} + "_warm")  # numba's compilation or cache load, not counted
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime
c0, t0 = cpu(), time.perf_counter()
s = run(window({want}), {out!r})
print(repr({{"cpu": cpu() - c0, "wall": time.perf_counter() - t0, "px": s["valid_pixels"],
            "load": os.getloadavg()[0]}}))
"""

PRODUCTS = [f"{m}_{h}" for m in ("lf", "ef", "moe") for h in ("flood", "landslide")] + \
    ["logdet", "rho", "bivariate"]


def export(ref):
    """REF's tree under .build/bench/ref_<REF>/hazard_susceptibility (once per commit)."""
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", ref], capture_output=True,
                            text=True, check=True).stdout.strip()
    base = os.path.join(WORK, f"ref_{ref.replace('/', '_')}_{commit[:10]}")
    dest = os.path.join(base, "hazard_susceptibility")
    if not os.path.exists(dest):
        os.makedirs(dest)
        arch = subprocess.run(["git", "-C", ROOT, "archive", commit], capture_output=True,
                              check=True).stdout
        subprocess.run(["tar", "-x", "-C", dest], input=arch, check=True)
    return base, commit[:10]


def compare(a, b):
    """Max absolute difference of every product between two output folders (NaN where they
    disagree on nodata counts as infinite)."""
    import numpy as np
    from osgeo import gdal
    out = {}
    for p in PRODUCTS:
        x = gdal.Open(os.path.join(a, p + ".tif")).ReadAsArray().astype(float)
        y = gdal.Open(os.path.join(b, p + ".tif")).ReadAsArray().astype(float)
        if p == "bivariate":
            out[p] = int((x != y).sum())
            continue
        nx, ny = np.isnan(x), np.isnan(y)
        out[p] = float("inf") if (nx != ny).any() else float(np.abs(x[~nx] - y[~nx]).max(
            initial=0.0))
    return out


def main():
    ref = sys.argv[1] if len(sys.argv) > 1 else "main"
    want = int(sys.argv[2]) if len(sys.argv) > 2 else 4_000_000
    bundle = os.path.join(WORK, f"region_{PIXELS}_out", "bundle.mhz")
    if not os.path.exists(bundle):
        raise SystemExit(f"{bundle} is missing: run bench_region.py with "
                         f"BENCH_REGION_PIXELS={PIXELS} first")
    base, commit = export(ref)
    bench = os.path.dirname(os.path.abspath(__file__))
    plugins = os.path.join(ROOT, ".build", "plugins")
    ours = export(sys.argv[3])[0] if len(sys.argv) > 3 else plugins
    sides = {"ref": base, "ours": ours}
    res = {k: [] for k in sides}
    for rep in range(2):
        for side, plugins in sides.items():
            out = os.path.join(WORK, f"maps_stage_{side}")
            code = CHILD.format(plugins=plugins, bench=bench, pixels=PIXELS, bundle=bundle,
                                tile=TILE, workers=WORKERS, out=out, want=want)
            r = child_result(code, OMP_NUM_THREADS="1")
            res[side].append(r)
            name = ref if side == "ref" else (sys.argv[3] if len(sys.argv) > 3 else "this tree")
            print(f"  {side} ({name}), run {rep + 1}: CPU "
                  f"{r['cpu']:.1f} s, wall {r['wall']:.1f} s, {r['px']:,} mapped px, load "
                  f"{r['load']:.1f}", flush=True)
    diff = compare(os.path.join(WORK, "maps_stage_ref"), os.path.join(WORK, "maps_stage_ours"))
    print("  largest difference ours - ref: " + ", ".join(
        f"{p} {v:.2g}" if p != "bivariate" else f"bivariate {v} px" for p, v in diff.items()))
    cr = min(r["cpu"] for r in res["ref"])
    co = min(r["cpu"] for r in res["ours"])
    wr = min(r["wall"] for r in res["ref"])
    wo = min(r["wall"] for r in res["ours"])
    n = res["ours"][0]["px"]
    per = co / n * 1e8 / 60
    load = sum(r["load"] for v in res.values() for r in v) / 4
    print(f"maps stage, {n:,} mapped px ({WORKERS} workers, {TILE} px tiles): ref {ref} "
          f"({commit}) {cr:.1f} CPU-s, ours {co:.1f} CPU-s: {cr / co:.2f}x less CPU ({per:.1f} "
          f"CPU-min per 100 million mapped pixels, about {per / 2:.1f} min on 2 idle cores; wall "
          f"{wr:.1f} s against {wo:.1f} s, {wr / wo:.2f}x), best of 2 each, load {load:.1f}")


if __name__ == "__main__":
    main()
