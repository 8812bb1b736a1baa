"""The multi-hazard chain on the sample area, in-process (no QGIS), scored against the truth
(core.stats.fidelity): for choosing the defaults of issue 30 on several seeds.

    python bench/mh_fidelity.py SEED ABSENCES [ZONE_MODE] [SHRINK_K] [BAND_PX]

writes .build/bench/mhfid/<seed>_<absences>_<zone mode>/ and prints one table row per map.
The chain is the demo's (steps 14-17): samples with KDE ratio 1.5, zone feature selection,
LF/EF/MoE training, the maps on 256 px tiles with 32 px overlap.
"""
import json
import os
import sys
import time

from _common import WORK, sample_area  # noqa: E402


def read_points(path):
    import numpy as np
    from osgeo import ogr
    ds = ogr.Open(path)
    xy = np.array([f.GetGeometryRef().GetPoint_2D() for f in ds.GetLayer(0)])
    ds = None
    return xy[:, 0], xy[:, 1]


KDE = float(os.environ.get("MHFID_KDE", 1.5))
RATIO = float(os.environ.get("MHFID_RATIO", 1.0))
FACTORS = ["slope", "dist_river", "elevation", "twi", "ndvi", "pga", "rainfall", "plan_curv",
           "prof_curv", "noise", "lithology"]


def run(seed, absences, zone_mode="paper", shrink_k=None, band_px=None, out=None):
    import numpy as np
    from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid, sample_at
    from hazard_susceptibility.core.multihazard import jobs, mapping
    from hazard_susceptibility.core.multihazard.selection import zone_feature_selection
    from hazard_susceptibility.core.multihazard.samples import multihazard_samples
    from hazard_susceptibility.core.stats import fidelity as F
    from hazard_susceptibility.core.util import worker
    sa = sample_area(600, seed)
    out = out or os.path.join(WORK, "mhfid", f"{seed}_{absences}_{zone_mode}_{shrink_k}_"
                                             f"{band_px}_{KDE}_{RATIO}")
    os.makedirs(out, exist_ok=True)
    bands = [Band(os.path.join(sa, "factors", n + ".tif"), 1, n, n == "lithology")
             for n in FACTORS]
    grid = Grid.from_path(os.path.join(sa, "dem.tif"))
    zone_band = Band(os.path.join(sa, "zones.tif"), 1, "zone", True)
    zone_names = {c: str(c) for c in (1, 2, 3, 4)}
    inv = {"flood": read_points(os.path.join(sa, "floods.gpkg")),
           "landslide": read_points(os.path.join(sa, "landslide_points.gpkg"))}

    def zones_at(x, y):
        with AlignedStack([zone_band], grid) as zs:
            v = sample_at(zs, x, y)[:, 0]
        return [None if not np.isfinite(a) or a == 0 else str(int(a)) for a in v]

    t0 = time.perf_counter()
    with AlignedStack(bands, grid) as stack:
        x, y, cols = multihazard_samples(stack, inv, zones_at, seed, KDE, 100.0, RATIO, 100.0,
                                         0.1, absences=absences)
        X = sample_at(stack, x, y)
    names = [b.name for b in bands]
    categorical = [b.categorical for b in bands]
    ok = np.isfinite(X).all(axis=1)
    tr = ok & (cols["split"] == "train")
    _, kept = zone_feature_selection(X[tr], cols["hazard"][tr], cols["label"][tr],
                                     cols["zone"][tr], names, 0.7, seed, categorical=categorical)
    bundle = os.path.join(out, "models.mhz")
    arrays = {"X": X[ok], "label": cols["label"][ok], "x": x[ok], "y": y[ok],
              "augmented": cols["augmented"][ok], "hazard": cols["hazard"][ok],
              "zone": cols["zone"][ok], "split": cols["split"][ok]}
    extra = {}
    if zone_mode != "paper":
        extra = dict(zone_mode=zone_mode)
        if shrink_k is not None:
            extra["shrink_k"] = float(shrink_k)
    result, _ = worker.run(jobs.TrainMultiHazard(
        names=names, categorical=categorical, features_by_zone=kept, seed=seed, radius=100.0,
        bundle_path=bundle, min_samples=10, min_val=5, n_iter=10, ef_epochs=100,
        gate_epochs=200, patience=10, batch=256, **extra), arrays)
    outputs = {f"{m}_{h}": os.path.join(out, f"{m}_{h}.tif") for m in ("lf", "ef", "moe")
               for h in ("flood", "landslide")}
    kw = {} if band_px is None else {"blend_px": int(band_px)}
    mapping.map_bundle(bundle, bands, grid, zone_band, zone_names, outputs, None, "moe", 256,
                       32, 1, None, **kw)
    truth = F.sample_area_truth(sa)
    maps = [(f"{m.upper()} {h}", h, outputs[f"{m}_{h}"]) for m in ("moe", "lf", "ef")
            for h in ("landslide", "flood")]
    rows = F.fidelity_table(maps, truth, seed=42)
    F.write_csv(os.path.join(out, "fidelity.csv"), rows)
    macro = [r for r in result["metrics"] if r["zone"] == "macro"]
    print(f"seed {seed} absences {absences} zones {zone_mode} k {shrink_k} band {band_px} "
          f"({time.perf_counter() - t0:.0f} s)")
    print(F.format_table(rows))
    print("macro test AUCs: " + ", ".join(f"{r['model']} {r['hazard']} {r['auc']:.3f}"
                                          for r in macro))
    with open(os.path.join(out, "rows.json"), "w") as fh:
        json.dump({"rows": rows, "macro": macro}, fh, default=float)
    return rows


if __name__ == "__main__":
    a = sys.argv[1:]
    run(int(a[0]), a[1], a[2] if len(a) > 2 else "paper",
        float(a[3]) if len(a) > 3 else None, int(a[4]) if len(a) > 4 else None)
