"""The Hierarchical NN algorithms on the sample study area's slope units."""
import csv
import json
import zipfile

import numpy as np
import pytest

from hazard_susceptibility.core.util.deps import available  # noqa: E402

if not available("tensorflow"):  # not imported here: the plugin imports it (core.hnn)
    pytest.skip("tensorflow is not installed", allow_module_level=True)

FACTS = ["slope", "ndvi", "pga", "rainfall", "plan_curv", "noise"]


@pytest.fixture(scope="module")
def units(run_module, sample_area, tmp_path_factory):
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("hnn")
    su = run_module("hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"),
        "FACTORS": [str(folder / "factors" / f"{n}.tif") for n in FACTS],
        "LANDSLIDES": str(folder / "landslides.gpkg"), "OUTPUT": str(d / "su.gpkg")})
    sc = run_module("hazard:hnnsizeclasses", {
        "UNITS": su["OUTPUT"], "OUTPUT": str(d / "classes.gpkg"),
        "OUTPUT_HTML": str(d / "classes.html"), "OUTPUT_CSV": str(d / "classes.csv")})
    return sc, d


def test_size_classes(units):
    sc, d = units
    rows = list(csv.DictReader(open(sc["OUTPUT_CSV"])))
    counts = [int(r["count"]) for r in rows]
    assert rows[0]["class"] == "0" and len(rows) >= 3
    assert all(c >= 6 for c in counts[1:])
    assert float(rows[1]["min_excl"]) > 0


def test_train_hnn_beats_chance_and_matches_the_glm(run, units, tmp_path):
    sc, _ = units
    res = run("hazard:trainhnn", {
        "UNITS": sc["OUTPUT"], "N1": 2, "U1": 16, "N2": 1, "U2": 16, "EPOCHS": 80,
        "PATIENCE": 10, "OUTPUT_MODEL": str(tmp_path / "m.hnn"),
        "OUTPUT": str(tmp_path / "out.gpkg"), "OUTPUT_HTML": str(tmp_path / "r.html"),
        "OUTPUT_CSV": str(tmp_path / "m.csv")})
    with zipfile.ZipFile(res["OUTPUT_MODEL"]) as z:
        man = json.loads(z.read("manifest.json"))
    m = man["metrics"]
    assert m["binary_auc"] >= man["glm_auc"] - 0.02, (m["binary_auc"], man["glm_auc"])
    assert all(a > 0.5 for a in m["per_class"].values()), m["per_class"]
    html = (tmp_path / "r.html").read_text()
    assert "Moran" in html and "one-vs-one" in html.lower() or "OvO" in html
    from qgis.core import QgsVectorLayer
    lyr = QgsVectorLayer(res["OUTPUT"], "o", "ogr")
    names = lyr.fields().names()
    assert "p_landslide" in names and "pred_class" in names and "p_class_0" in names
    # the split of every unit, so that another model can be scored on the same test units
    split = [f["split"] for f in lyr.getFeatures()]
    assert set(split) == {"train", "validation", "test"}
    # the area of applicability of the units: the training units (real, before SMOTE) have
    # DI 0 against themselves; every unit gets a DI and an AOA flag
    ap = run("hazard:applicability", {
        "MODEL": res["OUTPUT_MODEL"], "UNITS": sc["OUTPUT"],
        "OUTPUT_UNITS": str(tmp_path / "aoa.gpkg"), "OUTPUT_HTML": str(tmp_path / "aoa.html")})
    al = QgsVectorLayer(ap["OUTPUT_UNITS"], "a", "ogr")
    di = np.array([f["di"] for f in al.getFeatures()], float)
    inside = np.array([f["aoa"] for f in al.getFeatures()])
    train = np.array(split) == "train"
    assert (di[train] == 0).all() and (di[~train] > 0).mean() > 0.9
    assert set(np.unique(inside)) <= {0, 1}
    assert ((di <= ap["THRESHOLD_USED"]) == (inside == 1)).all()
    assert "every feature weighs the same" in (tmp_path / "aoa.html").read_text()
    # Monte Carlo dropout spread: seeded (the same twice), within [0, 0.5], 0 without passes
    spreads = []
    for k, passes in enumerate((20, 20, 0)):
        r = run("hazard:applyhnn", {"MODEL": res["OUTPUT_MODEL"], "UNITS": sc["OUTPUT"],
                                    "MC_PASSES": passes, "SEED": 4,
                                    "OUTPUT": str(tmp_path / f"apply{k}.gpkg")})
        lyr = QgsVectorLayer(r["OUTPUT"], "a", "ogr")
        spreads.append([f["spread"] for f in lyr.getFeatures()] if
                       "spread" in lyr.fields().names() else None)
    lyr = QgsVectorLayer(str(tmp_path / "apply0.gpkg"), "a", "ogr")
    np.testing.assert_allclose([f["di"] for f in lyr.getFeatures()], di)  # as applicability
    assert [f["aoa"] for f in lyr.getFeatures()] == list(inside)
    s20 = np.array(spreads[0], float)
    assert spreads[0] == spreads[1] and spreads[2] is None
    assert (s20 >= 0).all() and (s20 <= 0.5).all() and s20.max() > 0.01
    rows = {r["metric"]: float(r["value"]) for r in csv.DictReader(open(tmp_path / "m.csv"))}
    assert rows["binary AUC (HNN)"] == pytest.approx(m["binary_auc"])
    assert rows["test units"] == split.count("test")
    assert "m²" in html  # the classes with the landslide areas of their units
    assert "Block 1: 2 layer(s) of 16 units" in html and "SMOTE on the training part only: " \
        "class 0:" in html and "{" not in html.split("</style>")[-1].split("<img")[0]
    res2 = run("hazard:applyhnn", {"MODEL": res["OUTPUT_MODEL"], "UNITS": sc["OUTPUT"],
                                   "OUTPUT": str(tmp_path / "applied.gpkg")})
    a = [f["p_landslide"] for f in QgsVectorLayer(res2["OUTPUT"], "a", "ogr").getFeatures()]
    b = [f["p_landslide"] for f in lyr.getFeatures()]
    np.testing.assert_allclose(a, b, rtol=1e-5)


def test_loss_weights_and_ablation(run, units, tmp_path):
    sc, _ = units
    small = {"UNITS": sc["OUTPUT"], "N1": 1, "U1": 8, "N2": 1, "U2": 8, "EPOCHS": 4}
    res = run("hazard:hnnlossweights", dict(small, OUTPUT_HTML=str(tmp_path / "lw.html"),
                                            OUTPUT_CSV=str(tmp_path / "lw.csv")))
    rows = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    assert [float(r["alpha"]) for r in rows] == pytest.approx(np.linspace(0, 1, 11))
    res = run("hazard:hnnablation", dict(small, OUTPUT_HTML=str(tmp_path / "ab.html"),
                                         OUTPUT_CSV=str(tmp_path / "ab.csv")))
    rows = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    assert {r["factor"] for r in rows} == set(FACTS) | {"su_area"}


def test_hnn_bad_inputs(run, units, tmp_path):
    from qgis.core import QgsProcessingException
    sc, _ = units
    with pytest.raises(QgsProcessingException, match="no field 'nope'"):
        run("hazard:hnnsizeclasses", {"UNITS": sc["OUTPUT"], "AREA_FIELD": "nope",
                                      "OUTPUT": str(tmp_path / "x.gpkg")})
    with pytest.raises(QgsProcessingException, match="no field 'size_klass'"):
        run("hazard:trainhnn", {"UNITS": sc["OUTPUT"], "CLASS_FIELD": "size_klass",
                                "OUTPUT_MODEL": str(tmp_path / "m.hnn"),
                                "OUTPUT": str(tmp_path / "o.gpkg"),
                                "OUTPUT_HTML": str(tmp_path / "r.html")})
