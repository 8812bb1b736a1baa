"""Extremely randomized trees through the algorithms, on the sample study area: the 'Model'
enums come from the registry (the first three choices unchanged, the new kind last), and the
new kind trains, maps with its trees' spread, gives an area of applicability and compares
sampling scenarios."""
import json
import zipfile

import numpy as np
from osgeo import gdal

FACTS = ["slope", "ndvi", "plan_curv", "twi", "noise", "aspect"]  # all on the 30 m grid


def _f(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


def test_model_enums_come_from_the_registry(provider):
    from qgis.core import QgsApplication
    for alg in ("hazard:trainmodel", "hazard:comparesampling"):
        param = QgsApplication.processingRegistry().algorithmById(alg) \
            .parameterDefinition("MODEL")
        assert param.options() == ["Random forest", "XGBoost", "Logistic GLM",
                                   "Extremely randomized trees"], alg
        assert param.defaultValue() == 0


def test_extra_trees_train_map_spread_and_applicability(run, sample_area, tmp_path):
    folder, _ = sample_area
    s = run("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, ["slope"]),
        "RATIO": 2.0, "MIN_DISTANCE": 60.0, "SEED": 1, "OUTPUT": str(tmp_path / "s.gpkg")})
    m = run("hazard:trainmodel", {
        "SAMPLES": s["OUTPUT"], "FACTORS": _f(folder, FACTS), "MODEL": 3, "TREES": 60,
        "LEARNING_RATE": 0.3, "SEED": 2, "SHAP_SAMPLE": 100,
        "OUTPUT_MODEL": str(tmp_path / "et.hsm"), "OUTPUT_HTML": str(tmp_path / "et.html")})
    with zipfile.ZipFile(m["OUTPUT_MODEL"]) as z:
        man = json.loads(z.read("manifest.json"))
    assert man["kind"] == "extratrees" and man["estimator"]["n_trees"] == 60
    assert man["params"] == {"n_estimators": 60}  # XGBoost's learning rate not taken
    assert man["test_metrics"]["AUC"] > 0.8
    imp = man["importance"]
    assert min(imp["slope"], imp["plan_curv"]) > max(imp["noise"], imp["aspect"])
    html = (tmp_path / "et.html").read_text()
    assert "extremely randomized trees" in html and "SHAP summary" in html
    res = run("hazard:applymodel", {
        "MODEL": m["OUTPUT_MODEL"], "FACTORS": _f(folder, FACTS[::-1]),
        "OUTPUT": str(tmp_path / "p.tif"), "OUTPUT_UNCERTAINTY": str(tmp_path / "u.tif")})
    p = gdal.Open(res["OUTPUT"]).ReadAsArray().astype(float)
    u = gdal.Open(res["OUTPUT_UNCERTAINTY"]).ReadAsArray().astype(float)
    from hazard_susceptibility.core.susceptibility import estimators
    est, mf = estimators.load_model(m["OUTPUT_MODEL"])
    F = np.stack([gdal.Open(f).ReadAsArray().astype(float) for f in _f(folder, FACTS)], -1)
    rng = np.random.default_rng(1)
    rows, cols = rng.integers(0, F.shape[0], 200), rng.integers(0, F.shape[1], 200)
    ok = np.isfinite(F[rows, cols]).all(1) & (p[rows, cols] >= 0)
    trees = np.array([t.predict_proba(mf.encoding.transform(F[rows, cols][ok]))[:, 1]
                      for t in est.estimators_])
    np.testing.assert_allclose(p[rows, cols][ok], trees.mean(0), atol=1e-6)
    np.testing.assert_allclose(u[rows, cols][ok], trees.std(0), atol=1e-6)
    a = run("hazard:applicability", {
        "MODEL": m["OUTPUT_MODEL"], "FACTORS": _f(folder, FACTS), "SEED": 3,
        "OUTPUT_DI": str(tmp_path / "di.tif"), "OUTPUT_AOA": str(tmp_path / "aoa.tif")})
    mask = gdal.Open(a["OUTPUT_AOA"]).ReadAsArray()
    assert (mask == 1).sum() > (mask == 0).sum() > 0 and 0 < a["OUTSIDE_SHARE"] < 50
