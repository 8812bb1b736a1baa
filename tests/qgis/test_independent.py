"""Evaluation on data the training never saw: the inventory split, and the independent
inventory of trainmodel, evaluatemap and comparesampling, checked against scikit-learn on the
map's own pixels."""
import csv

import numpy as np
import pytest
from osgeo import gdal, ogr

FACTS = ["slope", "ndvi", "pga", "rainfall", "twi"]


def _f(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


def _xy(path):
    ds = ogr.Open(str(path))
    lyr = ds.GetLayer(0)
    out = []
    for f in lyr:
        g = f.GetGeometryRef()
        out.append((g.GetX(), g.GetY(), {k: f[k] for k in f.keys()}))
    return out


@pytest.fixture(scope="module")
def split(run_module, sample_area, tmp_path_factory):
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("split")
    res = run_module("hazard:splitinventory", {
        "INVENTORY": str(folder / "landslide_points.gpkg"), "TEST_SHARE": 0.3,
        "BLOCK_SIZE": 1500.0, "SEED": 3, "OUTPUT_TRAINING": str(d / "train.gpkg"),
        "OUTPUT_HELD_OUT": str(d / "held.gpkg")})
    return d, res


def test_split_keeps_every_feature_once_and_whole_blocks(split, sample_area, run, tmp_path):
    folder, _ = sample_area
    d, res = split
    train, held = _xy(res["OUTPUT_TRAINING"]), _xy(res["OUTPUT_HELD_OUT"])
    allp = _xy(folder / "landslide_points.gpkg")
    assert len(train) + len(held) == len(allp)
    assert {(x, y) for x, y, _ in train} | {(x, y) for x, y, _ in held} == \
        {(x, y) for x, y, _ in allp}
    assert abs(len(held) / len(allp) - 0.3) < 0.1
    assert set(held[0][2]) == set(allp[0][2])  # every field kept
    tb = {(np.floor(x / 1500), np.floor(y / 1500)) for x, y, _ in train}
    hb = {(np.floor(x / 1500), np.floor(y / 1500)) for x, y, _ in held}
    assert not tb & hb  # no block in both parts
    again = run("hazard:splitinventory", {
        "INVENTORY": str(folder / "landslide_points.gpkg"), "TEST_SHARE": 0.3,
        "BLOCK_SIZE": 1500.0, "SEED": 3, "OUTPUT_TRAINING": str(tmp_path / "t.gpkg"),
        "OUTPUT_HELD_OUT": str(tmp_path / "h.gpkg")})
    assert _xy(again["OUTPUT_HELD_OUT"]) == held  # same seed, same split


def _labelled(path, pts, labels):
    from tests.helpers import write_points
    return write_points(path, pts, ints={"lab": labels})


def _at(raster, xs, ys):
    ds = gdal.Open(str(raster))
    a = ds.ReadAsArray()
    x0, dx, _, y0, _, dy = ds.GetGeoTransform()
    c = np.floor((np.asarray(xs) - x0) / dx).astype(int)
    r = np.floor((np.asarray(ys) - y0) / dy).astype(int)
    return a[r, c].astype(float)


def test_independent_scores_equal_the_map_at_those_points(split, sample_area, run, tmp_path):
    from sklearn.metrics import roc_auc_score
    folder, _ = sample_area
    d, sp = split
    samples = run("hazard:mahalanobisabsences", {
        "PRESENCES": sp["OUTPUT_TRAINING"], "FACTORS": _f(folder, FACTS), "RATIO": 1,
        "MIN_DISTANCE": 100, "SEED": 1, "OUTPUT": str(tmp_path / "s.gpkg")})["OUTPUT"]
    held = [(x, y) for x, y, _ in _xy(sp["OUTPUT_HELD_OUT"])]
    rng = np.random.default_rng(0)
    ds = gdal.Open(_f(folder, ["slope"])[0])
    x0, dx, _, y0, _, dy = ds.GetGeoTransform()
    bg = [(x0 + (c + 0.5) * dx, y0 + (r + 0.5) * dy) for r, c in zip(
        rng.integers(0, ds.RasterYSize, 300), rng.integers(0, ds.RasterXSize, 300))]
    ind = _labelled(tmp_path / "ind.gpkg", held + bg, [1] * len(held) + [0] * len(bg))
    res = run("hazard:trainmodel", {
        "SAMPLES": samples, "FACTORS": _f(folder, FACTS), "MODEL": 2, "INDEPENDENT": ind,
        "INDEPENDENT_LABEL_FIELD": "lab", "OUTPUT_MODEL": str(tmp_path / "m.hsm"),
        "OUTPUT_HTML": str(tmp_path / "m.html"), "OUTPUT_CSV": str(tmp_path / "m.csv")})
    rows = {r["set"]: r for r in csv.DictReader(open(res["OUTPUT_CSV"]))}
    assert {"test", "independent inventory"} <= set(rows)
    mp = run("hazard:applymodel", {"MODEL": res["OUTPUT_MODEL"], "FACTORS": _f(folder, FACTS),
                                   "OUTPUT": str(tmp_path / "p.tif")})["OUTPUT"]
    # the same points scored on the map, by scikit-learn (float32 map: 1e-6)
    p = _at(mp, [x for x, _ in held + bg], [y for _, y in held + bg])
    y = np.r_[np.ones(len(held)), np.zeros(len(bg))]
    # points in a pixel of a training sample are no evidence: left out
    pix = lambda xs, ys: set(zip(np.floor((np.asarray(xs) - x0) / dx).astype(int),  # noqa
                                 np.floor((np.asarray(ys) - y0) / dy).astype(int)))
    trained = pix(*zip(*[(x, y_) for x, y_, _ in _xy(samples)]))
    on_training = np.array([next(iter(pix([x], [y_]))) in trained for x, y_ in held + bg])
    assert on_training.any()  # the case is exercised
    ok = np.isfinite(p) & (p >= 0) & ~on_training
    expected = roc_auc_score(y[ok], p[ok])
    assert float(rows["independent inventory"]["AUC"]) == pytest.approx(expected, abs=1e-4)
    assert int(rows["independent inventory"]["presences"]) == int(y[ok].sum())
    # Mahalanobis absences flatter the internal score: the independent one is lower
    assert float(rows["test"]["AUC"]) > float(rows["independent inventory"]["AUC"])
    import json
    import zipfile
    with zipfile.ZipFile(res["OUTPUT_MODEL"]) as z:  # the model file keeps both scores
        man = json.loads(z.read("manifest.json"))
    assert man["independent_metrics"]["AUC"] == pytest.approx(
        float(rows["independent inventory"]["AUC"]))
    html = (tmp_path / "m.html").read_text()
    assert "On the independent inventory the model scores AUC" in html
    assert "Independent evaluation" in html and ">independent inventory<" in html
    # the map evaluation: the held-out part as inventory, the labelled set as independent
    ev = run("hazard:evaluatemap", {
        "PROBABILITY": mp, "HAZARDS": sp["OUTPUT_HELD_OUT"], "INDEPENDENT": ind,
        "INDEPENDENT_LABEL_FIELD": "lab", "OUTPUT_HTML": str(tmp_path / "e.html"),
        "OUTPUT_CSV": str(tmp_path / "e.csv")})
    er = list(csv.DictReader(open(ev["OUTPUT_CSV"])))
    mi = [r for r in er if r["table"] == "metrics (independent)"]
    ok = np.isfinite(p) & (p >= 0)  # the map alone does not know the training pixels
    assert len(mi) == 1 and float(mi[0]["AUC"]) == pytest.approx(roc_auc_score(y[ok], p[ok]),
                                                                  abs=1e-4)
    assert len([r for r in er if r["table"] == "SCAI (independent)"]) == 5
    assert "independent inventory" in (tmp_path / "e.html").read_text()


def test_training_samples_given_as_independent_are_refused(split, sample_area, run, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    _, sp = split
    samples = run("hazard:bufferabsences", {
        "PRESENCES": sp["OUTPUT_TRAINING"], "FACTORS": _f(folder, ["slope"]), "RATIO": 1.0,
        "MIN_DISTANCE": 60.0, "SEED": 1, "OUTPUT": str(tmp_path / "s.gpkg")})["OUTPUT"]
    with pytest.raises(QgsProcessingException, match="No independent presence is left") as e:
        run("hazard:trainmodel", {
            "SAMPLES": samples, "FACTORS": _f(folder, FACTS), "MODEL": 2,
            "INDEPENDENT": samples, "INDEPENDENT_LABEL_FIELD": "label",
            "OUTPUT_MODEL": str(tmp_path / "m.hsm"), "OUTPUT_HTML": str(tmp_path / "m.html")})
    assert "in a pixel of a training sample" in str(e.value) and "[INDEPENDENT]" in str(e.value)
    assert not (tmp_path / "m.hsm").exists() and not (tmp_path / "m.html").exists()


def test_compare_sampling_reports_three_protocols(split, sample_area, run, tmp_path):
    folder, _ = sample_area
    _, sp = split
    facts = _f(folder, FACTS)
    a = run("hazard:mahalanobisabsences", {
        "PRESENCES": sp["OUTPUT_TRAINING"], "FACTORS": facts, "RATIO": 1, "SEED": 1,
        "OUTPUT": str(tmp_path / "mahalanobis.gpkg")})
    b = run("hazard:slopeabsences", {
        "PRESENCES": sp["OUTPUT_TRAINING"], "SLOPE": facts[0], "FACTORS": facts[1:], "RATIO": 1,
        "SEED": 1, "OUTPUT": str(tmp_path / "slope.gpkg")})
    res = run("hazard:comparesampling", {
        "SCENARIOS": [a["OUTPUT"], b["OUTPUT"]], "FACTORS": facts, "MODEL": 2,
        "INDEPENDENT": sp["OUTPUT_HELD_OUT"], "SEED": 4,
        "OUTPUT_HTML": str(tmp_path / "c.html"), "OUTPUT_CSV": str(tmp_path / "c.csv")})
    rows = list(csv.DictReader(open(res["OUTPUT_CSV"])))
    for r in rows:
        own, common, ind = (float(r[k]) for k in ("AUC (own split)", "AUC",
                                                  "AUC (independent)"))
        assert 0.5 < ind <= 1 and 0.5 < common <= 1
        # each sampler judged by its own absences scores higher than on random background
        assert own > ind
    html = (tmp_path / "c.html").read_text()
    assert "independent inventory" in html and "Own test split" in html


def test_split_parts_load_styled_apart(split):
    """Training points dark grey, the held-out part purple (both stand out over a green-to-red
    map and from each other): a person sees which landslides the model never saw."""
    from qgis.core import QgsVectorLayer
    _, res = split
    colours = []
    for key in ("OUTPUT_TRAINING", "OUTPUT_HELD_OUT"):
        lyr = QgsVectorLayer(res[key], key, "ogr")
        assert lyr.renderer().type() == "singleSymbol"
        colours.append(lyr.renderer().symbol().color().name())
    assert colours == ["#404040", "#7b3294"]
