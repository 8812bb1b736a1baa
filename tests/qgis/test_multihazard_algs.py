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
        "FACTORS": _f(folder, FACTS), "ZONES": str(folder / "zones.gpkg"),
        "OUTPUT": str(tmp_path / "mh.gpkg")})
    rows = _rows(res["OUTPUT"])
    assert {r["hazard"] for r in rows} == {"flood", "landslide"}
    assert {r["zone"] for r in rows} == {"1", "2", "3", "4"}
    for h in ("flood", "landslide"):
        pres = [r for r in rows if r["hazard"] == h and r["label"] == 1]
        assert any(r["augmented"] == 1 for r in pres)
        assert sum(r["label"] == 0 for r in rows if r["hazard"] == h) > 0
    splits = [r["split"] for r in rows]
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
