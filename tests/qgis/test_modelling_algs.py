"""Train, apply and evaluate on the sample study area."""
import os

import numpy as np
import pytest
from osgeo import gdal

FACTS = ["slope", "ndvi", "pga", "rainfall", "plan_curv", "twi", "noise", "aspect"]


def _f(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


@pytest.fixture(scope="module")
def samples(run_module, sample_area, tmp_path_factory):
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("samples")
    res = run_module("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, ["slope"]),
        "RATIO": 2.0, "MIN_DISTANCE": 60.0, "SEED": 1, "OUTPUT": str(d / "s.gpkg")})
    return res["OUTPUT"]


@pytest.mark.parametrize("kind", [0, 1, 2])
def test_train_reaches_auc_and_ranks_true_factors(run, sample_area, samples, tmp_path, kind):
    import json
    import zipfile
    folder, truth = sample_area
    res = run("hazard:trainmodel", {
        "SAMPLES": samples, "FACTORS": _f(folder, FACTS),
        "CATEGORICAL": _f(folder, ["lithology"]), "MODEL": kind, "TREES": 200,
        "OUTPUT_MODEL": str(tmp_path / "m.hsm"), "OUTPUT_HTML": str(tmp_path / "m.html"),
        "OUTPUT_CSV": str(tmp_path / "m.csv")})
    with zipfile.ZipFile(res["OUTPUT_MODEL"]) as z:
        man = json.loads(z.read("manifest.json"))
    assert man["test_metrics"]["AUC"] >= 0.80
    imp = man["importance"]
    true = [f for f in truth["true_factors"]["landslide"] if f in imp]
    noise = [f for f in truth["noise_factors"] if f in imp]
    assert min(imp[f] for f in ["slope", "pga"]) > max(imp[f] for f in noise)
    assert "ROC" in (tmp_path / "m.html").read_text()
    assert (tmp_path / "m.csv").read_text().startswith("set,")


def test_apply_model_rasters_in_parallel_equal_serial(run, sample_area, samples, tmp_path):
    folder, _ = sample_area
    run("hazard:trainmodel", {
        "SAMPLES": samples, "FACTORS": _f(folder, FACTS), "MODEL": 1, "TREES": 50,
        "OUTPUT_MODEL": str(tmp_path / "m.hsm"), "OUTPUT_HTML": str(tmp_path / "m.html")})
    outs = {}
    for w in (1, 2):
        r = run("hazard:applymodel", {
            "MODEL": str(tmp_path / "m.hsm"), "FACTORS": _f(folder, FACTS[::-1]), "WORKERS": w,
            "OUTPUT": str(tmp_path / f"p{w}.tif"), "OUTPUT_CLASSES": str(tmp_path / f"c{w}.tif")})
        outs[w] = gdal.Open(r["OUTPUT"]).ReadAsArray()
        assert 0.5 < r["GVF"] <= 1.0
    np.testing.assert_array_equal(outs[1], outs[2])
    c = gdal.Open(str(tmp_path / "c1.tif")).ReadAsArray()
    assert set(np.unique(c)) <= {0, 1, 2, 3, 4, 5} and (c == 5).any()
    from qgis.core import QgsRasterLayer
    assert QgsRasterLayer(str(tmp_path / "c1.tif"), "c").renderer().type() == "paletted"


def test_apply_model_missing_factor_is_listed(run, sample_area, samples, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    run("hazard:trainmodel", {
        "SAMPLES": samples, "FACTORS": _f(folder, ["slope", "ndvi"]), "MODEL": 2,
        "OUTPUT_MODEL": str(tmp_path / "m.hsm"), "OUTPUT_HTML": str(tmp_path / "m.html")})
    with pytest.raises(QgsProcessingException, match="needs the factor\\(s\\) ndvi"):
        run("hazard:applymodel", {"MODEL": str(tmp_path / "m.hsm"),
                                  "FACTORS": _f(folder, ["slope"]),
                                  "OUTPUT": str(tmp_path / "p.tif")})
    assert not (tmp_path / "p.tif").exists()


def test_train_bad_inputs(run, sample_area, samples, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    with pytest.raises(QgsProcessingException, match="no field 'nolabel'"):
        run("hazard:trainmodel", {
            "SAMPLES": samples, "LABEL_FIELD": "nolabel", "FACTORS": _f(folder, ["slope"]),
            "OUTPUT_MODEL": str(tmp_path / "m.hsm"), "OUTPUT_HTML": str(tmp_path / "m.html")})
    assert not (tmp_path / "m.hsm").exists()


def test_evaluate_frequency_ratio_and_screening(run, sample_area, samples, tmp_path):
    import csv
    folder, _ = sample_area
    run("hazard:trainmodel", {
        "SAMPLES": samples, "FACTORS": _f(folder, FACTS), "MODEL": 1, "TREES": 100,
        "OUTPUT_MODEL": str(tmp_path / "m.hsm"), "OUTPUT_HTML": str(tmp_path / "m.html")})
    run("hazard:applymodel", {"MODEL": str(tmp_path / "m.hsm"), "FACTORS": _f(folder, FACTS),
                              "OUTPUT": str(tmp_path / "p.tif")})
    res = run("hazard:evaluatemap", {
        "PROBABILITY": str(tmp_path / "p.tif"), "HAZARDS": str(folder / "landslide_points.gpkg"),
        "OUTPUT_HTML": str(tmp_path / "e.html"), "OUTPUT_CSV": str(tmp_path / "e.csv")})
    rows = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    auc = float(rows[0]["AUC"])
    assert auc > 0.8
    scai = [float(r["SCAI"]) for r in rows[1:]]
    assert len(scai) == 5 and scai[0] > scai[-1]  # consistent: falls from very low to very high
    # samples labelled 1/0 in a field, three of them 2: left out of both samples, and said so
    from osgeo import ogr
    labelled = str(tmp_path / "labelled.gpkg")
    ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(samples), labelled)
    ds = ogr.Open(labelled, 1)
    lyr = ds.GetLayer(0)
    for k, f in enumerate(lyr):
        if k < 3:
            f["label"] = 2
            lyr.SetFeature(f)
    ds = None
    run("hazard:evaluatemap", {"PROBABILITY": str(tmp_path / "p.tif"), "HAZARDS": labelled,
                               "LABEL_FIELD": "label", "OUTPUT_HTML": str(tmp_path / "l.html")})
    html = (tmp_path / "l.html").read_text()
    assert "3 feature(s) of [HAZARDS] have a &#x27;label&#x27; other than 1 or 0 (2)" in html \
        or "3 feature(s) of [HAZARDS] have a 'label' other than 1 or 0 (2)" in html, html[:3000]
    assert "label 0 of" in html and "probability &gt; 0.5 counts as predicted presence" in html
    res = run("hazard:frequencyratio", {
        "HAZARDS": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, ["slope",
                                                                                 "aspect"]),
        "CATEGORICAL": _f(folder, ["lithology"]), "OUTPUT_HTML": str(tmp_path / "fr.html"),
        "OUTPUT_CSV": str(tmp_path / "fr.csv"), "OUTPUT_INDEX": str(tmp_path / "fri.tif")})
    fr = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    slope = [r for r in fr if r["factor"] == "slope"]
    assert len(slope) == 5 and float(slope[-1]["FR"]) > float(slope[0]["FR"])
    assert len([r for r in fr if r["factor"] == "aspect"]) == 8
    assert len([r for r in fr if r["factor"] == "lithology"]) == 4
    lith = {r["class"]: float(r["FR"]) for r in fr if r["factor"] == "lithology"}
    assert lith["2"] > lith["3"]  # the generator's lithology effects: +0.9 against -0.8
    assert gdal.Open(res["OUTPUT_INDEX"]).ReadAsArray().max() > 0
    res = run("hazard:factorscreening", {
        "FACTORS": _f(folder, ["elevation", "rainfall", "slope", "twi"]),
        "OUTPUT_HTML": str(tmp_path / "v.html"), "OUTPUT_CSV": str(tmp_path / "v.csv")})
    v = {r["factor"]: float(r["VIF"]) for r in csv.DictReader(open(res["OUTPUT_CSV"]))}
    assert all(x >= 1.0 for x in v.values()) and len(v) == 4


def test_compare_mahalanobis_against_slope_threshold(run, sample_area, tmp_path):
    import csv
    folder, _ = sample_area
    pts = str(folder / "landslide_points.gpkg")
    facts = _f(folder, ["slope", "ndvi", "pga", "rainfall", "twi"])
    a = run("hazard:mahalanobisabsences", {
        "PRESENCES": pts, "FACTORS": facts, "RATIO": 1, "OUTPUT": str(tmp_path / "a.gpkg"),
        "OUTPUT_D2": str(tmp_path / "d2.tif"), "OUTPUT_MASK": str(tmp_path / "mk.tif")})
    b = run("hazard:slopeabsences", {
        "PRESENCES": pts, "SLOPE": facts[0], "FACTORS": facts[1:], "RATIO": 1,
        "OUTPUT": str(tmp_path / "b.gpkg")})
    from qgis.core import QgsProcessingUtils
    temp = QgsProcessingUtils.tempFolder()
    res = run("hazard:comparesampling", {
        "SCENARIOS": [a["OUTPUT"], b["OUTPUT"]], "FACTORS": facts, "TREES": 100,
        "OUTPUT_HTML": str(tmp_path / "c.html"), "OUTPUT_CSV": str(tmp_path / "c.csv"),
        "OUTPUT_MAPS": str(tmp_path / "maps")})
    # the full-size map per scenario had stayed in the temporary folder after every run
    assert [n for n in os.listdir(temp) if n.startswith("hazard_")] == []
    rows = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    assert [r["scenario"] for r in rows] == ["a", "b"]
    assert rows[0]["factors"] == "5" and rows[1]["factors"] == "4"  # slope left out of b
    for r in rows:
        assert 0.5 < float(r["AUC"]) <= 1.0
    assert len(list((tmp_path / "maps").glob("*.tif"))) == 2
    assert "SCAI" in (tmp_path / "c.html").read_text()


def test_slope_unit_model_from_feature_fields(run, sample_area, tmp_path):
    folder, _ = sample_area
    su = run("hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"),
        "FACTORS": _f(folder, ["slope", "ndvi", "pga", "noise"]),
        "LANDSLIDES": str(folder / "landslides.gpkg"), "OUTPUT": str(tmp_path / "su.gpkg")})
    lab = run("native:fieldcalculator", {
        "INPUT": su["OUTPUT"], "FIELD_NAME": "label", "FIELD_TYPE": 1, "FIELD_LENGTH": 1,
        "FORMULA": 'if("ls_area" > 0, 1, 0)', "OUTPUT": str(tmp_path / "lab.gpkg")})
    fields = ["slope_mean", "slope_std", "ndvi_mean", "pga_mean", "noise_mean", "su_area"]
    run("hazard:trainmodel", {
        "SAMPLES": lab["OUTPUT"], "FEATURE_FIELDS": fields, "MODEL": 2,
        "OUTPUT_MODEL": str(tmp_path / "su.hsm"), "OUTPUT_HTML": str(tmp_path / "su.html")})
    res = run("hazard:applymodel", {"MODEL": str(tmp_path / "su.hsm"), "UNITS": lab["OUTPUT"],
                                    "OUTPUT_UNITS": str(tmp_path / "out.gpkg")})
    from qgis.core import QgsVectorLayer
    lyr = QgsVectorLayer(res["OUTPUT_UNITS"], "o", "ogr")
    p = np.array([f["probability"] for f in lyr.getFeatures()], float)
    lab_ = np.array([f["label"] for f in lyr.getFeatures()])
    assert np.isfinite(p).all() and p[lab_ == 1].mean() > p[lab_ == 0].mean()
    assert lyr.renderer().type() == "graduatedSymbol"
    # the GLM's fold models give a spread, and the units get their area of applicability,
    # the same as 'Area of applicability' gives it
    sd = np.array([f["spread"] for f in lyr.getFeatures()], float)
    assert np.isfinite(sd).all() and sd.max() > 0
    ap = run("hazard:applicability", {"MODEL": str(tmp_path / "su.hsm"), "UNITS": lab["OUTPUT"],
                                      "OUTPUT_UNITS": str(tmp_path / "aoa.gpkg")})
    al = QgsVectorLayer(ap["OUTPUT_UNITS"], "a", "ogr")
    np.testing.assert_allclose([f["di"] for f in lyr.getFeatures()],
                               [f["di"] for f in al.getFeatures()])
    assert [f["aoa"] for f in lyr.getFeatures()] == [f["aoa"] for f in al.getFeatures()]
