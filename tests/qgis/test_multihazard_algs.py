"""The multi-hazard preparation algorithms on the sample study area (two known processes)."""
import csv
import json

import numpy as np
import pytest

FACTS = ["slope", "dist_river", "elevation", "twi", "ndvi", "pga", "noise"]


def _f(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


def _rows(path):
    from qgis.core import QgsVectorLayer
    lyr = QgsVectorLayer(path, "s", "ogr")
    return [dict(zip(lyr.fields().names(), f.attributes())) for f in lyr.getFeatures()]


def test_prepare_samples_and_select_features(run, sample_area, tmp_path):
    pytest.importorskip("xgboost")
    folder, _ = sample_area
    res = run("hazard:multihazardsamples", {
        "FLOODS": str(folder / "floods.gpkg"), "LANDSLIDES": str(folder / "landslide_points.gpkg"),
        "FACTORS": _f(folder, FACTS), "ZONES": str(folder / "zones.gpkg"), "KDE_RATIO": 0.5,
        "OUTPUT": str(tmp_path / "mh.gpkg")})
    rows = _rows(res["OUTPUT"])
    assert {r["hazard"] for r in rows} == {"flood", "landslide"}
    # the default absences: random outside the buffer, 3 per presence (real and synthetic)
    for h in ("flood", "landslide"):
        ab = [r for r in rows if r["hazard"] == h and r["label"] == 0]
        pr = [r for r in rows if r["hazard"] == h and r["label"] == 1]
        assert {r["sampler"] for r in ab} == {"buffer_random"}
        assert abs(len(ab) - 3 * len(pr)) <= 0.05 * len(ab)  # a few fall outside the zones
    assert {r["zone"] for r in rows} == {"1", "2", "3", "4"}
    for h in ("flood", "landslide"):
        pres = [r for r in rows if r["hazard"] == h and r["label"] == 1]
        assert any(r["augmented"] == 1 for r in pres)
        assert sum(r["label"] == 0 for r in rows if r["hazard"] == h) > 0
    assert {r["split"] for r in rows if r["augmented"] == 1} == {"train"}
    splits = [r["split"] for r in rows if r["augmented"] == 0]
    share = {s: splits.count(s) / len(splits) for s in ("train", "val", "test")}
    assert abs(share["train"] - 0.8) < 0.03 and abs(share["val"] - 0.1) < 0.03
    res = run("hazard:zonefeatureselection", {
        "SAMPLES": res["OUTPUT"], "FACTORS": _f(folder, FACTS),
        "OUTPUT_HTML": str(tmp_path / "fs.html"), "OUTPUT_CSV": str(tmp_path / "fs.csv")})
    kept = json.loads(res["FEATURES"])
    assert set(kept) == {"1", "2", "3", "4"}
    table = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    assert {r["factor"] for r in table} == set(FACTS)
    # every zone keeps the flood process's strongest factor or its correlated twin
    for z, k in kept.items():
        assert "slope" in k or "dist_river" in k


def test_overlapping_zones_are_refused(run, sample_area, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    buf = run("native:buffer", {"INPUT": str(folder / "zones.gpkg"), "DISTANCE": 500,
                                "OUTPUT": str(tmp_path / "zb.gpkg")})
    with pytest.raises(QgsProcessingException, match="overlap"):
        run("hazard:multihazardsamples", {
            "FLOODS": str(folder / "floods.gpkg"),
            "LANDSLIDES": str(folder / "landslide_points.gpkg"),
            "FACTORS": _f(folder, ["slope"]), "ZONES": buf["OUTPUT"],
            "OUTPUT": str(tmp_path / "mh.gpkg")})
    assert not (tmp_path / "mh.gpkg").exists()


MODEL_FACTS = ["slope", "dist_river", "elevation", "twi", "ndvi", "pga", "rainfall",
               "plan_curv", "prof_curv", "noise"]


@pytest.fixture(scope="module")
def mh_run(run_module, sample_area, tmp_path_factory):
    """The whole multi-hazard chain of paper 002 on the sample area, once per module."""
    pytest.importorskip("xgboost")
    from hazard_susceptibility.core.util.deps import available
    if not available("tensorflow"):
        pytest.skip("tensorflow is not installed")
    folder, _ = sample_area
    tmp = tmp_path_factory.mktemp("mh_chain")
    fac = {"FACTORS": _f(folder, MODEL_FACTS),
           "CATEGORICAL": [str(folder / "factors" / "lithology.tif")],
           "REFERENCE": str(folder / "dem.tif")}
    s = run_module("hazard:multihazardsamples", dict(
        fac, FLOODS=str(folder / "floods.gpkg"), LANDSLIDES=str(folder / "landslide_points.gpkg"),
        ZONES=str(folder / "zones.gpkg"), KDE_RATIO=1.5, ABSENCE_RATIO=1, SEED=42,
        TEST_SHARE=0.2, BLOCK_SIZE=2000, OUTPUT=str(tmp / "mh.gpkg"),
        OUTPUT_HELD_OUT=str(tmp / "held.gpkg")))
    fs = run_module("hazard:zonefeatureselection", dict(
        fac, SAMPLES=s["OUTPUT"], OUTPUT_HTML=str(tmp / "fs.html")))
    tr = run_module("hazard:trainmultihazard", dict(
        fac, SAMPLES=s["OUTPUT"], FEATURES=fs["FEATURES"], SEED=42, ZONE_MODE=1,  # cheaper
        EF_HOLDOUT=0,  # the FL-MHSM study's early stopping, as its zones alone and KDE 1.5
        OUTPUT_MODEL=str(tmp / "m.mhz"), OUTPUT_HTML=str(tmp / "train.html"),
        OUTPUT_CSV=str(tmp / "train.csv")))
    outs = {k: str(tmp / f"{k.lower()}.tif") for k in (
        "OUTPUT_MOE_FLOOD", "OUTPUT_MOE_LANDSLIDE", "OUTPUT_LF_FLOOD", "OUTPUT_LF_LANDSLIDE",
        "OUTPUT_EF_FLOOD", "OUTPUT_EF_LANDSLIDE", "OUTPUT_UNCERTAINTY", "OUTPUT_CORRELATION",
        "OUTPUT_BIVARIATE")}
    mp = run_module("hazard:mapmultihazard", dict(
        fac, MODEL=tr["OUTPUT_MODEL"], ZONES=str(folder / "zones.gpkg"), TILE_SIZE=256,
        OVERLAP=32, WORKERS=2, **outs))
    ev = run_module("hazard:evaluatemultihazard", dict(
        MAP_MOE_FLOOD=mp["OUTPUT_MOE_FLOOD"], MAP_MOE_LANDSLIDE=mp["OUTPUT_MOE_LANDSLIDE"],
        MAP_LF_FLOOD=mp["OUTPUT_LF_FLOOD"], MAP_LF_LANDSLIDE=mp["OUTPUT_LF_LANDSLIDE"],
        MAP_EF_FLOOD=mp["OUTPUT_EF_FLOOD"], MAP_EF_LANDSLIDE=mp["OUTPUT_EF_LANDSLIDE"],
        BIVARIATE=mp["OUTPUT_BIVARIATE"], FLOODS=str(folder / "floods.gpkg"),
        LANDSLIDES=str(folder / "landslides.gpkg"), UNCERTAINTY=mp["OUTPUT_UNCERTAINTY"],
        CORRELATION=mp["OUTPUT_CORRELATION"], ZONES=str(folder / "zones.gpkg"),
        HELD_OUT=s["OUTPUT_HELD_OUT"], OUTPUT_HTML=str(tmp / "eval.html"), OUTPUT_JACCARD_CSV=str(tmp / "jac.csv"),
        OUTPUT_DENSITY_CSV=str(tmp / "dens.csv"), OUTPUT_ZONAL_CSV=str(tmp / "zonal.csv")))
    return dict(samples=s, train=tr, map=mp, eval=ev, tmp=tmp, fac=fac, folder=folder)


def test_moe_is_as_good_as_the_better_expert_on_the_sample_area(mh_run):
    rows = list(csv.DictReader(open(mh_run["train"]["OUTPUT_CSV"])))
    macro = {(r["hazard"], r["model"]): float(r["auc"]) for r in rows if r["zone"] == "macro"}
    for h in ("flood", "landslide"):
        best = max(macro[(h, "LF")], macro[(h, "EF")])
        assert macro[(h, "MOE")] >= best - 0.02, (h, macro)
        assert macro[(h, "MOE")] >= 0.80, (h, macro)
    assert {r["zone"] for r in rows} == {"1", "2", "3", "4", "macro"}
    html = open(mh_run["train"]["OUTPUT_HTML"]).read()
    assert "Macro-averaged" in html and "<img" in html
    assert "Samples per split" in html and "synthetic" in html


def test_held_out_presences_scores_and_cautions(mh_run):
    """The held-out presences are never sampled; the evaluation scores each map on them against
    random background; the training report gives bootstrap intervals and the caution."""
    from scipy.spatial import cKDTree
    held = _rows(mh_run["samples"]["OUTPUT_HELD_OUT"])
    assert {r["hazard"] for r in held} == {"flood", "landslide"}
    from qgis.core import QgsVectorLayer

    def xy(path, **flt):
        lyr = QgsVectorLayer(path, "s", "ogr")
        out = []
        for f in lyr.getFeatures():
            if all(f[k] == v for k, v in flt.items()):
                p = f.geometry().asPoint()
                out.append((p.x(), p.y()))
        return np.array(out)
    h = xy(mh_run["samples"]["OUTPUT_HELD_OUT"])
    s = xy(mh_run["samples"]["OUTPUT"], label=1, augmented=0)
    assert cKDTree(s).query(h)[0].min() > 0  # no held-out presence among the samples
    html = open(mh_run["eval"]["OUTPUT_HTML"]).read()
    assert "Held-out presences against random background" in html
    train = open(mh_run["train"]["OUTPUT_HTML"]).read()
    assert "optimistic" in train and "auc_low" in train
    rows = list(csv.DictReader(open(mh_run["train"]["OUTPUT_CSV"])))
    z = [r for r in rows if r["zone"] != "macro"]
    assert all(float(r["auc_low"]) <= float(r["auc"]) <= float(r["auc_high"]) for r in z)


def test_maps_bivariate_classes_and_styles(mh_run):
    from osgeo import gdal
    from qgis.core import QgsRasterLayer
    mp = mh_run["map"]
    moe = gdal.Open(mp["OUTPUT_MOE_FLOOD"]).ReadAsArray()
    lf = gdal.Open(mp["OUTPUT_LF_FLOOD"]).ReadAsArray()
    ef = gdal.Open(mp["OUTPUT_EF_FLOOD"]).ReadAsArray()
    ok = moe > -1
    assert ok.mean() > 0.9
    # MoE between the experts, away from the zone borders (across a border the maps blend
    # each zone's MoE, LF and EF separately, 8 px each side by default)
    from scipy import ndimage
    z = gdal.Open(str(mh_run["folder"] / "zones.tif")).ReadAsArray()
    inner = ok & (ndimage.maximum_filter(z, 19) == ndimage.minimum_filter(z, 19))
    lo, hi = np.minimum(lf, ef)[inner], np.maximum(lf, ef)[inner]
    assert inner.mean() > 0.5
    assert ((moe[inner] >= lo - 1e-5) & (moe[inner] <= hi + 1e-5)).all()
    rho = gdal.Open(mp["OUTPUT_CORRELATION"]).ReadAsArray()[ok]
    assert (np.abs(rho) <= 1).all()
    biv = gdal.Open(mp["OUTPUT_BIVARIATE"]).ReadAsArray()
    # the two hazards' high levels hardly meet (floods on flat valley floors, landslides on
    # steep slopes), so some of the 25 cells stay (nearly) empty
    codes = np.unique(biv[ok])
    assert set(codes) <= set(range(25)) and len(codes) >= 15
    lyr = QgsRasterLayer(mp["OUTPUT_BIVARIATE"], "b")
    lyr.loadDefaultStyle()
    assert lyr.renderer().type() == "paletted"
    labels = [c.label for c in lyr.renderer().classes()]
    assert len(labels) == 25 and labels[8] == "flood L - landslide H"


def test_evaluation_tables(mh_run):
    jac = list(csv.DictReader(open(mh_run["eval"]["OUTPUT_JACCARD_CSV"])))
    assert {(r["hazard"], r["pair"]) for r in jac} == {
        (h, p) for h in ("flood", "landslide") for p in ("MOE-LF", "MOE-EF", "LF-EF")}
    assert all(0 < float(r["jaccard"]) <= 1 for r in jac)
    dens = list(csv.DictReader(open(mh_run["eval"]["OUTPUT_DENSITY_CSV"])))
    for inv in ("flood inventory", "landslide inventory", "both inventories"):
        assert sum(float(r["percent"]) for r in dens if r["inventory"] == inv) == \
            pytest.approx(100)
    # floods concentrate in high flood levels, landslides in high landslide levels
    fl = [r for r in dens if r["inventory"] == "flood inventory"]
    assert sum(float(r["percent"]) for r in fl if int(r["code"]) >= 15) > 50
    ls = [r for r in dens if r["inventory"] == "landslide inventory"]
    assert sum(float(r["percent"]) for r in ls if int(r["code"]) % 5 >= 3) > 50
    zonal = list(csv.DictReader(open(mh_run["eval"]["OUTPUT_ZONAL_CSV"])))
    assert [r["zone"] for r in zonal] == ["1", "2", "3", "4"]
    assert all(-1 <= float(r["mean_rho"]) <= 1 for r in zonal)


def test_tile_smaller_than_overlap_and_foreign_zones_are_refused(mh_run, run):
    from qgis.core import QgsProcessingException
    base = dict(mh_run["fac"], MODEL=mh_run["train"]["OUTPUT_MODEL"],
                ZONES=str(mh_run["folder"] / "zones.gpkg"),
                OUTPUT_MOE_FLOOD=str(mh_run["tmp"] / "x.tif"))
    with pytest.raises(QgsProcessingException, match=r"OVERLAP"):
        run("hazard:mapmultihazard", dict(base, TILE_SIZE=32, OVERLAP=40))
    assert not (mh_run["tmp"] / "x.tif").exists()


def test_hazard_layers_in_another_crs_give_the_same_samples(run, sample_area, tmp_path):
    folder, _ = sample_area
    geo = run("native:reprojectlayer", {"INPUT": str(folder / "floods.gpkg"),
                                        "TARGET_CRS": "EPSG:4326",
                                        "OUTPUT": str(tmp_path / "floods_wgs84.gpkg")})
    common = {"LANDSLIDES": str(folder / "landslide_points.gpkg"),
              "FACTORS": _f(folder, ["slope", "dist_river"]),
              "ZONES": str(folder / "zones.gpkg"), "KDE_RATIO": 0, "SEED": 3}
    a = _rows(run("hazard:multihazardsamples", dict(
        common, FLOODS=str(folder / "floods.gpkg"), OUTPUT=str(tmp_path / "a.gpkg")))["OUTPUT"])
    b = _rows(run("hazard:multihazardsamples", dict(
        common, FLOODS=geo["OUTPUT"], OUTPUT=str(tmp_path / "b.gpkg")))["OUTPUT"])
    key = lambda r: (r["hazard"], r["label"], r["zone"], r["split"])  # noqa: E731
    assert sorted(map(key, a)) == sorted(map(key, b))
