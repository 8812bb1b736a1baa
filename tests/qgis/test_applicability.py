"""Area of applicability and prediction spread on the sample study area, checked against numpy
on the rasters themselves and against the model's own trees and fold models."""
import numpy as np
import pytest
from osgeo import gdal

FACTS = ["slope", "ndvi", "twi", "elevation", "dist_river"]  # all on the 30 m grid


def _f(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


def _stack(folder, names):
    return np.stack([gdal.Open(p).ReadAsArray().astype(float) for p in _f(folder, names)], -1)


@pytest.fixture(scope="module")
def model(run_module, sample_area, tmp_path_factory):
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("aoa")
    s = run_module("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, ["slope"]),
        "RATIO": 1.0, "MIN_DISTANCE": 60.0, "SEED": 1, "OUTPUT": str(d / "s.gpkg")})["OUTPUT"]
    res = run_module("hazard:trainmodel", {
        "SAMPLES": s, "FACTORS": _f(folder, FACTS), "MODEL": 0, "TREES": 40, "SEED": 2,
        "OUTPUT_MODEL": str(d / "rf.hsm"), "OUTPUT_HTML": str(d / "rf.html")})
    return d, res["OUTPUT_MODEL"], s


def test_di_raster_equals_numpy_and_the_mask_follows_the_threshold(model, sample_area, run,
                                                                  tmp_path):
    from hazard_susceptibility.core.susceptibility import estimators as models
    folder, _ = sample_area
    d, path, samples = model
    res = run("hazard:applicability", {
        "MODEL": path, "FACTORS": _f(folder, FACTS[::-1]), "SEED": 3,
        "OUTPUT_DI": str(tmp_path / "di.tif"), "OUTPUT_AOA": str(tmp_path / "aoa.tif"),
        "OUTPUT_HTML": str(tmp_path / "aoa.html")})
    ds = gdal.Open(res["OUTPUT_DI"])
    di = ds.ReadAsArray().astype(float)
    nod = ds.GetRasterBand(1).GetNoDataValue()
    ds = None
    mask = gdal.Open(res["OUTPUT_AOA"]).ReadAsArray()
    # brute force from the model file's own training rows, on the rasters as read by GDAL
    _, man, ex = models.load_model(path, extras=True)
    X, folds, w, _ = ex.aoa
    mean, sd = X.mean(0), X.std(0, ddof=1)
    Z = (X - mean) / sd * w
    n = len(Z)
    D = np.sqrt(((Z[:, None] - Z[None]) ** 2).sum(-1))
    d_bar = D.sum() / (n * (n - 1))
    F = _stack(folder, FACTS)
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, F.shape[0], 300), rng.integers(0, F.shape[1], 300)
    V = F[rows, cols]
    ok = np.isfinite(V).all(1) & (di[rows, cols] != nod)
    Zv = (V[ok] - mean) / sd * w
    expect = np.sqrt(((Zv[:, None] - Z[None]) ** 2).sum(-1)).min(1) / d_bar
    np.testing.assert_allclose(di[rows, cols][ok], expect, rtol=1e-5)
    thr = res["THRESHOLD_USED"]
    valid = di != nod
    assert ((mask == 1) == (valid & (di <= thr))).all()
    assert ((mask == 0) == (valid & (di > thr))).all() and (mask[~valid] == 255).all()
    share = 100 * (mask == 0).sum() / valid.sum()
    assert res["OUTSIDE_SHARE"] == pytest.approx(share)
    html = (tmp_path / "aoa.html").read_text()
    assert f"{share:.1f} %" in html and "Meyer" in html
    # what a person sees: the mask labelled inside/outside, the DI dark past the threshold
    from qgis.core import QgsRasterLayer
    lyr = QgsRasterLayer(res["OUTPUT_AOA"], "m")
    classes = {c.value: (c.color.name(), c.label) for c in lyr.renderer().classes()}
    assert classes[1][1].startswith("inside") and classes[0][1].startswith("outside")
    assert classes[0][0] == "#525252"
    lyr = QgsRasterLayer(res["OUTPUT_DI"], "d")
    items = lyr.renderer().shader().rasterShaderFunction().colorRampItemList()
    assert any(f"{thr:.2f} = critical value" in i.label for i in items)
    # same seed, same DI
    again = run("hazard:applicability", {
        "MODEL": path, "FACTORS": _f(folder, FACTS), "SEED": 3,
        "OUTPUT_DI": str(tmp_path / "di2.tif")})
    np.testing.assert_array_equal(gdal.Open(again["OUTPUT_DI"]).ReadAsArray(), di)


def test_random_forest_spread_is_the_trees_standard_deviation(model, sample_area, run,
                                                              tmp_path):
    from hazard_susceptibility.core.susceptibility import estimators as models
    folder, _ = sample_area
    _, path, _ = model
    res = run("hazard:applymodel", {
        "MODEL": path, "FACTORS": _f(folder, FACTS), "OUTPUT": str(tmp_path / "p.tif"),
        "OUTPUT_UNCERTAINTY": str(tmp_path / "u.tif")})
    plain = run("hazard:applymodel", {
        "MODEL": path, "FACTORS": _f(folder, FACTS), "OUTPUT": str(tmp_path / "p0.tif")})
    p = gdal.Open(res["OUTPUT"]).ReadAsArray()
    np.testing.assert_array_equal(p, gdal.Open(plain["OUTPUT"]).ReadAsArray())  # unchanged
    u = gdal.Open(res["OUTPUT_UNCERTAINTY"]).ReadAsArray().astype(float)
    est, man = models.load_model(path)
    F = _stack(folder, FACTS)
    rng = np.random.default_rng(1)
    rows, cols = rng.integers(0, F.shape[0], 200), rng.integers(0, F.shape[1], 200)
    V = F[rows, cols]
    ok = np.isfinite(V).all(1) & (p[rows, cols] >= 0)
    Xt = man.encoding.transform(V[ok])
    trees = np.array([t.predict_proba(Xt)[:, 1] for t in est.estimators_])
    np.testing.assert_allclose(u[rows, cols][ok], trees.std(0), atol=1e-6)
    assert u[rows, cols][ok].max() > 0.05


def test_glm_spread_from_its_fold_models_and_old_files_are_refused(model, sample_area, run,
                                                                   tmp_path):
    from qgis.core import QgsProcessingException
    from hazard_susceptibility.core.susceptibility import estimators as models
    folder, _ = sample_area
    _, _, samples = model
    m = run("hazard:trainmodel", {
        "SAMPLES": samples, "FACTORS": _f(folder, FACTS), "MODEL": 2, "FOLDS": 4,
        "OUTPUT_MODEL": str(tmp_path / "glm.hsm"), "OUTPUT_HTML": str(tmp_path / "g.html")})
    _, man, ex = models.load_model(m["OUTPUT_MODEL"], extras=True)
    assert man.n_fold_models == 4 and len(ex.fold_models) == 4
    res = run("hazard:applymodel", {
        "MODEL": m["OUTPUT_MODEL"], "FACTORS": _f(folder, FACTS),
        "OUTPUT": str(tmp_path / "p.tif"), "OUTPUT_UNCERTAINTY": str(tmp_path / "u.tif")})
    u = gdal.Open(res["OUTPUT_UNCERTAINTY"]).ReadAsArray().astype(float)
    F = _stack(folder, FACTS)
    V = F[100:110, 200]
    Xt = man.encoding.transform(V)
    expect = np.std([f.predict_proba(Xt)[:, 1] for f in ex.fold_models], axis=0)
    np.testing.assert_allclose(u[100:110, 200], expect, atol=1e-6)
    # without fold models: the uncertainty output is refused, naming what to do
    m2 = run("hazard:trainmodel", {
        "SAMPLES": samples, "FACTORS": _f(folder, FACTS), "MODEL": 2, "FOLD_MODELS": False,
        "OUTPUT_MODEL": str(tmp_path / "g2.hsm"), "OUTPUT_HTML": str(tmp_path / "g2.html")})
    with pytest.raises(QgsProcessingException, match="FOLD_MODELS"):
        run("hazard:applymodel", {
            "MODEL": m2["OUTPUT_MODEL"], "FACTORS": _f(folder, FACTS),
            "OUTPUT": str(tmp_path / "q.tif"), "OUTPUT_UNCERTAINTY": str(tmp_path / "v.tif")})
    assert not (tmp_path / "q.tif").exists()
    # a model file of an earlier version (no training rows): refused by the applicability
    est, man = models.load_model(m2["OUTPUT_MODEL"])
    old = str(tmp_path / "old.hsm")
    models.save_model(old, est, man.kind, man.encoding, man.seed, grid=man.grid,
                      crs_authid=man.crs_authid)
    with pytest.raises(QgsProcessingException, match="keeps no training samples"):
        run("hazard:applicability", {"MODEL": old, "FACTORS": _f(folder, FACTS),
                                     "OUTPUT_DI": str(tmp_path / "di.tif")})
    assert not (tmp_path / "di.tif").exists()


def _points(path, xy):
    from tests.helpers import write_points
    return write_points(path, xy)


def test_evaluation_inside_and_outside_the_aoa_and_uncertainty_per_class(run, tmp_path):
    """A synthetic map whose truth is known: the west half inside the AOA, where the map
    ranks presences well; the east half outside, where it ranks them at random. Metrics on
    each side equal scikit-learn's; the uncertainty per class equals numpy's mean."""
    import csv
    from sklearn.metrics import roc_auc_score
    from tests.helpers import write_raster
    n = 100
    t = (700000.0, 30.0, 0.0, 9500000.0, 0.0, -30.0)
    rng = np.random.default_rng(4)
    prob = rng.random((n, n)).astype(np.float32)
    aoa = np.zeros((n, n), np.uint8)
    aoa[:, : n // 2] = 1
    unc = (0.1 + 0.2 * prob).astype(np.float32)
    write_raster(tmp_path / "p.tif", prob, t)
    write_raster(tmp_path / "a.tif", aoa, t, nodata=255, dtype=gdal.GDT_Byte)
    write_raster(tmp_path / "u.tif", unc, t)
    r, c = np.unravel_index(rng.permutation(n * n)[:600], (n, n))
    west = c < n // 2
    # presences: in the west where p is high, in the east anywhere; absences anywhere
    is_pres = np.where(west, prob[r, c] > 0.6, rng.random(600) < 0.3)
    xy = np.c_[t[0] + (c + 0.5) * 30, t[3] - (r + 0.5) * 30]
    pres = _points(tmp_path / "pres.gpkg", xy[is_pres])
    absn = _points(tmp_path / "abs.gpkg", xy[~is_pres])
    res = run("hazard:evaluatemap", {
        "PROBABILITY": str(tmp_path / "p.tif"), "HAZARDS": pres, "ABSENCES": absn,
        "AOA": str(tmp_path / "a.tif"), "UNCERTAINTY": str(tmp_path / "u.tif"),
        "CLASS_LIMITS": "0.2,0.4,0.6,0.8", "OUTPUT_HTML": str(tmp_path / "e.html"),
        "OUTPUT_CSV": str(tmp_path / "e.csv")})
    rows = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    sides = {r["set"]: r for r in rows if r["table"] == "applicability"}
    p = prob[r, c]
    for name, side in (("inside the AOA", west), ("outside the AOA", ~west)):
        y = is_pres[side].astype(int)
        assert float(sides[name]["AUC"]) == pytest.approx(roc_auc_score(y, p[side]), abs=1e-6)
        assert float(sides[name]["inventory_pct"]) == pytest.approx(
            100 * is_pres[side].sum() / is_pres.sum())
        assert float(sides[name]["area_pct"]) == pytest.approx(50.0)
    assert float(sides["inside the AOA"]["AUC"]) > 0.95 > 0.7 > float(
        sides["outside the AOA"]["AUC"])
    unc_rows = [r for r in rows if r["table"] == "uncertainty"]
    cls = np.digitize(prob.ravel(), [0.2, 0.4, 0.6, 0.8], right=True)
    for k, row in enumerate(unc_rows):
        assert float(row["mean_uncertainty"]) == pytest.approx(
            unc.ravel()[cls == k].astype(float).mean(), rel=1e-6)
    html = (tmp_path / "e.html").read_text()
    assert "50.0 % of the map&#x27;s area" in html or "50.0 % of the map's area" in html
    assert "does worse where it extrapolates" in html
