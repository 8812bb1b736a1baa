"""The multi-hazard defaults recover a known truth (issue 30): the chain with the algorithms'
defaults (random absences outside a 100 m buffer, no synthetic presences, zones that borrow
strength from all zones, maps blended across zone borders) on a small sample area (seed 42,
240 x 240 px: the demo's full area holds the same targets, see README), scored against the
processes it was drawn from."""
import os

import numpy as np
import pytest


def _tf_or_skip():
    from hazard_susceptibility.core.util.deps import available
    if not (available("tensorflow") and available("xgboost")):
        pytest.skip("TensorFlow and XGBoost are needed")


def _points(path):
    from osgeo import ogr
    ds = ogr.Open(path)
    xy = np.array([f.GetGeometryRef().GetPoint_2D() for f in ds.GetLayer(0)])
    return xy[:, 0], xy[:, 1]


def test_defaults_recover_the_truth_of_a_small_sample_area(tmp_path):
    _tf_or_skip()
    from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid, sample_at
    from hazard_susceptibility.core.io.synthetic import generate_study_area
    from hazard_susceptibility.core.multihazard import mapping, samples, training
    from hazard_susceptibility.core.stats import fidelity as F
    sa = str(tmp_path / "sa")
    generate_study_area(sa, seed=42, size=240, n_landslides=350, n_floods=300)
    names = ["slope", "dist_river", "elevation", "twi", "ndvi", "pga", "rainfall",
             "plan_curv", "prof_curv", "noise", "lithology"]
    bands = [Band(os.path.join(sa, "factors", n + ".tif"), 1, n, n == "lithology")
             for n in names]
    grid = Grid.from_path(os.path.join(sa, "dem.tif"))
    zband = Band(os.path.join(sa, "zones.tif"), 1, "zone", True)
    inv = {"flood": _points(os.path.join(sa, "floods.gpkg")),
           "landslide": _points(os.path.join(sa, "landslide_points.gpkg"))}

    def zones_at(x, y):
        with AlignedStack([zband], grid) as zs:
            v = sample_at(zs, x, y)[:, 0]
        return [None if not np.isfinite(a) or a == 0 else str(int(a)) for a in v]

    with AlignedStack(bands, grid) as st:
        x, y, cols = samples.multihazard_samples(st, inv, zones_at, seed=42,
                                                 kde_ratio=samples.DEFAULT_KDE_RATIO)
        X = sample_at(st, x, y)
    assert set(cols["sampler"][cols["label"] == 0]) == \
        {samples.ABSENCE_METHODS[samples.DEFAULT_ABSENCES][0]}
    ok = np.isfinite(X).all(axis=1)
    res = training.train(X[ok], names, [n == "lithology" for n in names],
                         cols["hazard"][ok], cols["label"][ok], cols["zone"][ok],
                         cols["split"][ok], x[ok], y[ok], seed=42,
                         augmented=cols["augmented"][ok], zone_mode=training.ZONE_MODES[0])
    path = str(tmp_path / "m.mhz")
    training.save_bundle(path, res, seed=42)
    out = {h: str(tmp_path / f"moe_{h}.tif") for h in training.HAZARDS}
    mapping.map_multihazard(training.Predictor.from_file(path), bands, grid, zband,
                            {c: str(c) for c in (1, 2, 3, 4)},
                            {f"moe_{h}": p for h, p in out.items()}, size=256, overlap=32,
                            blend_px=mapping.BLEND_PX)
    truth = F.sample_area_truth(sa)
    rows = {r["hazard"]: r for r in F.fidelity_table(
        [(f"MoE {h}", h, p) for h, p in out.items()], truth, seed=42)}
    for h, r in rows.items():
        assert r["spearman"] >= 0.80, (h, r)
        assert r["auc"] >= r["auc_truth"] - 0.05, (h, r)
        assert r["seam"] <= 2 * r["seam_truth"], (h, r)
