"""The sampling algorithms through processing.run on the sample study area."""
import numpy as np
import pytest
from osgeo import gdal

FACTS = ["slope", "ndvi", "pga", "rainfall", "plan_curv", "twi"]


def _f(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


def _read(path):
    from qgis.core import QgsVectorLayer
    lyr = QgsVectorLayer(path, "s", "ogr")
    assert lyr.isValid(), path
    rows = []
    for f in lyr.getFeatures():
        p = f.geometry().asPoint()
        rows.append(dict(zip(lyr.fields().names(), f.attributes()), x=p.x(), y=p.y()))
    return lyr, rows


def _values(folder, name, rows):
    ds = gdal.Open(str(folder / "factors" / f"{name}.tif"))
    a = ds.ReadAsArray()
    gt = ds.GetGeoTransform()
    return np.array([a[int((r["y"] - gt[3]) / gt[5]), int((r["x"] - gt[0]) / gt[1])]
                     for r in rows])


def test_mahalanobis_on_sample_area(run, sample_area, tmp_path):
    folder, _ = sample_area
    res = run("hazard:mahalanobisabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, FACTS),
        "RATIO": 2.0, "MIN_DISTANCE": 60.0, "SEED": 3,
        "OUTPUT": str(tmp_path / "m.gpkg"), "OUTPUT_D2": str(tmp_path / "d2.tif"),
        "OUTPUT_MASK": str(tmp_path / "mask.tif"), "OUTPUT_HTML": str(tmp_path / "m.html")})
    lyr, rows = _read(res["OUTPUT"])
    pres = [r for r in rows if r["label"] == 1]
    absn = [r for r in rows if r["label"] == 0]
    assert len(absn) == 2 * len(pres) and len(pres) > 300
    assert {r["sampler"] for r in absn} == {"mahalanobis"}
    assert lyr.renderer().type() == "categorizedSymbol"
    # every absence is in the sampling space (D2 > c), one per pixel, away from presences
    d2 = gdal.Open(res["OUTPUT_D2"])
    gt = d2.GetGeoTransform()
    a = d2.ReadAsArray()
    rc = {(int((r["y"] - gt[3]) / gt[5]), int((r["x"] - gt[0]) / gt[1])) for r in absn}
    assert len(rc) == len(absn)
    from scipy import stats
    c = stats.chi2.ppf(0.95, len(FACTS) - 1)
    assert all(a[r, cc] > c for r, cc in rc)
    mask = gdal.Open(res["OUTPUT_MASK"]).ReadAsArray()
    assert all(mask[r, cc] == 1 for r, cc in rc)
    px = np.array([(r["x"], r["y"]) for r in pres])
    ab = np.array([(r["x"], r["y"]) for r in absn])
    d = np.hypot(ab[:, None, 0] - px[None, :, 0], ab[:, None, 1] - px[None, :, 1]).min(axis=1)
    assert d.min() >= 60.0
    html = (tmp_path / "m.html").read_text()
    assert "critical" in html and "data:image/png" in html
    # same seed, same points
    res2 = run("hazard:mahalanobisabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, FACTS),
        "RATIO": 2.0, "MIN_DISTANCE": 60.0, "SEED": 3,
        "OUTPUT": str(tmp_path / "m2.gpkg"), "OUTPUT_D2": str(tmp_path / "d2b.tif"),
        "OUTPUT_MASK": str(tmp_path / "mask2.tif")})
    _, rows2 = _read(res2["OUTPUT"])
    assert [(r["x"], r["y"]) for r in rows] == [(r["x"], r["y"]) for r in rows2]


def test_mahalanobis_collinear_factors_error(run, sample_area, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    slope = _f(folder, ["slope"])[0]
    with pytest.raises(QgsProcessingException, match="slope.*slope_2|slope_2.*slope"):
        run("hazard:mahalanobisabsences", {
            "PRESENCES": str(folder / "landslide_points.gpkg"),
            "FACTORS": [slope, slope, _f(folder, ["ndvi"])[0]],
            "OUTPUT": str(tmp_path / "m.gpkg"), "OUTPUT_D2": str(tmp_path / "d2.tif"),
            "OUTPUT_MASK": str(tmp_path / "mask.tif")})
    assert not (tmp_path / "d2.tif").exists() and not (tmp_path / "m.gpkg").exists()


def test_too_many_absences_says_how_many_are_available(run, sample_area, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    with pytest.raises(QgsProcessingException, match=r"Only \d+ admissible pixels"):
        run("hazard:slopeabsences", {
            "PRESENCES": str(folder / "landslide_points.gpkg"),
            "SLOPE": _f(folder, ["slope"])[0], "THRESHOLD": 0.5, "COUNT": 200000,
            "OUTPUT": str(tmp_path / "s.gpkg")})
    assert not (tmp_path / "s.gpkg").exists()


def test_slope_threshold_samples(run, sample_area, tmp_path):
    folder, _ = sample_area
    res = run("hazard:slopeabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "SLOPE": _f(folder, ["slope"])[0],
        "FACTORS": _f(folder, ["ndvi"]), "THRESHOLD": 3.0, "COUNT": 300,
        "OUTPUT": str(tmp_path / "s.gpkg")})
    assert res["EXCLUDE_FACTOR"] == "slope"
    _, rows = _read(res["OUTPUT"])
    absn = [r for r in rows if r["label"] == 0]
    assert len(absn) == 300 and (_values(folder, "slope", absn) < 3.0).all()


def test_presences_in_another_crs_are_reprojected(run, sample_area, tmp_path):
    folder, _ = sample_area
    res_wgs = run("native:reprojectlayer", {
        "INPUT": str(folder / "landslide_points.gpkg"), "TARGET_CRS": "EPSG:4326",
        "OUTPUT": str(tmp_path / "wgs.gpkg")})
    res = run("hazard:bufferabsences", {
        "PRESENCES": res_wgs["OUTPUT"], "FACTORS": _f(folder, ["slope"]), "COUNT": 50,
        "MIN_DISTANCE": 100.0, "OUTPUT": str(tmp_path / "b.gpkg")})
    _, rows = _read(res["OUTPUT"])
    pres = np.array([(r["x"], r["y"]) for r in rows if r["label"] == 1])
    absn = np.array([(r["x"], r["y"]) for r in rows if r["label"] == 0])
    assert pres[:, 0].min() > 600000  # back in UTM metres
    d = np.hypot(absn[:, None, 0] - pres[None, :, 0], absn[:, None, 1] - pres[None, :, 1])
    assert d.min(axis=1).min() >= 99.0  # reprojection rounding


def test_multi_ratio_sets_and_splits(run, sample_area, tmp_path):
    folder, _ = sample_area
    res = run("hazard:multiratioabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, ["slope"]),
        "RATIOS": "1:1, 1:5, 1:20", "OUTPUT": str(tmp_path / "r.gpkg")})
    _, rows = _read(res["OUTPUT"])
    n = sum(1 for r in rows if r["ratio"] == "1:1" and r["label"] == 1)
    for ratio, k in (("1:1", 1), ("1:5", 5), ("1:20", 20)):
        sel = [r for r in rows if r["ratio"] == ratio]
        assert sum(r["label"] == 0 for r in sel) == k * n
        for lab in (0, 1):
            m = sum(r["label"] == lab for r in sel)
            t = sum(r["label"] == lab and r["split"] == "test" for r in sel)
            assert t == round(0.3 * m)


def test_ocsvm_and_kde(run, sample_area, tmp_path):
    folder, _ = sample_area
    res = run("hazard:ocsvmabsences", {
        "PRESENCES": str(folder / "floods.gpkg"), "FACTORS": _f(folder, ["slope"]),
        "COUNT": 200, "MIN_DISTANCE": 100.0, "OUTPUT": str(tmp_path / "o.gpkg")})
    _, rows = _read(res["OUTPUT"])
    assert sum(r["label"] == 0 for r in rows) == 200
    res = run("hazard:kdeaugmentation", {
        "PRESENCES": str(folder / "floods.gpkg"), "FACTORS": _f(folder, ["slope"]),
        "RATIO": 0.5, "MIN_DISTANCE": 100.0, "OUTPUT": str(tmp_path / "k.gpkg")})
    _, rows = _read(res["OUTPUT"])
    new = np.array([(r["x"], r["y"]) for r in rows if r["augmented"] == 1])
    allp = np.array([(r["x"], r["y"]) for r in rows])
    assert len(new) == round(0.5 * (len(allp) - len(new)))
    d = np.hypot(new[:, None, 0] - allp[None, :, 0], new[:, None, 1] - allp[None, :, 1])
    d[d == 0] = np.inf
    assert d.min() >= 100.0
    assert all(r["label"] == 1 for r in rows)


def test_factor_threshold_with_shap_and_susceptibility_ratio(run, sample_area, tmp_path):
    pytest.importorskip("xgboost")
    folder, truth = sample_area
    facts = _f(folder, ["ndvi", "slope", "pga", "rainfall", "plan_curv"])
    res = run("hazard:factorthresholdabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts,
        "THRESHOLD_FACTOR": facts[0], "RATIO": 1.0, "OUTPUT": str(tmp_path / "t.gpkg"),
        "OUTPUT_HTML": str(tmp_path / "t.html")})
    assert abs(res["THRESHOLD_USED"] - 0.45) < 0.05 and res["PRONE_SIDE_USED"] == "below"
    _, rows = _read(res["OUTPUT"])
    absn = [r for r in rows if r["label"] == 0]
    assert (_values(folder, "ndvi", absn) >= res["THRESHOLD_USED"] - 1e-6).all()
    assert "SHAP" in (tmp_path / "t.html").read_text()
    res = run("hazard:susceptibilityratioabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts, "TREES": 50,
        "OUTPUT": str(tmp_path / "sr.gpkg"), "OUTPUT_MAP": str(tmp_path / "map.tif"),
        "OUTPUT_HTML": str(tmp_path / "sr.html")})
    _, rows = _read(res["OUTPUT"])
    n1 = sum(r["label"] == 1 for r in rows)
    n0 = sum(r["label"] == 0 for r in rows)
    assert n0 > n1  # very low covers more area than very high
    assert "Ratio" in (tmp_path / "sr.html").read_text()
    m = gdal.Open(res["OUTPUT_MAP"]).ReadAsArray()
    assert 0 <= m[m != -9999].min() and m.max() <= 1


def test_merge_samples(run, sample_area, tmp_path):
    folder, _ = sample_area
    b = run("hazard:bufferabsences", {
        "PRESENCES": str(folder / "floods.gpkg"), "FACTORS": _f(folder, ["slope"]), "COUNT": 30,
        "INCLUDE_PRESENCES": False, "OUTPUT": str(tmp_path / "a.gpkg")})
    res = run("hazard:mergesamples", {"PRESENCES": str(folder / "landslides.gpkg"),
                                      "ABSENCES": b["OUTPUT"], "OUTPUT": str(tmp_path / "m.gpkg")})
    _, rows = _read(res["OUTPUT"])
    assert sum(r["label"] == 0 for r in rows) == 30
    assert {r["sampler"] for r in rows if r["label"] == 0} == {"buffer_random"}
    assert sum(r["label"] == 1 for r in rows) > 300


def test_categorical_factors_do_not_enter_the_distance(run, sample_area, tmp_path):
    folder, _ = sample_area
    common = {"PRESENCES": str(folder / "landslide_points.gpkg"), "COUNT": 20,
              "FACTORS": _f(folder, ["slope", "ndvi", "twi"])}
    a = run("hazard:mahalanobisabsences", dict(
        common, OUTPUT=str(tmp_path / "a.gpkg"), OUTPUT_D2=str(tmp_path / "a.tif"),
        OUTPUT_MASK=str(tmp_path / "am.tif")))
    b = run("hazard:mahalanobisabsences", dict(
        common, CATEGORICAL=_f(folder, ["lithology"]), OUTPUT=str(tmp_path / "b.gpkg"),
        OUTPUT_D2=str(tmp_path / "b.tif"), OUTPUT_MASK=str(tmp_path / "bm.tif")))
    da = gdal.Open(a["OUTPUT_D2"]).ReadAsArray()
    db = gdal.Open(b["OUTPUT_D2"]).ReadAsArray()
    ok = (da != -9999) & (db != -9999)
    assert ok.mean() > 0.9
    np.testing.assert_allclose(db[ok], da[ok], rtol=1e-5)


def test_a_labelled_inventory_gives_only_its_presences(run, sample_area, tmp_path):
    """Given the usual labelled layer (presences and the authors' absences), the sampler had
    taken every point as a presence, relabelling the absences as landslides."""
    folder, _ = sample_area
    facts = _f(folder, ["slope", "ndvi", "pga"])
    labelled = run("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts,
        "OUTPUT": str(tmp_path / "labelled.gpkg")})["OUTPUT"]
    res = run("hazard:mahalanobisabsences", {"PRESENCES": labelled, "FACTORS": facts,
                                             "OUTPUT": str(tmp_path / "m.gpkg")})
    _, rows = _read(res["OUTPUT"])
    assert sum(1 for r in rows if r["label"] == 1) == 467  # not 934
    # D² and the mask are optional outputs: not asked for, not written
    assert "OUTPUT_D2" not in res and "OUTPUT_MASK" not in res
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tif") == []
