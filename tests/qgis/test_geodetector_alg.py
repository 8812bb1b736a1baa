import csv

import numpy as np
import pytest
from osgeo import gdal

from tests.helpers import write_raster


def _read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_geodetector_on_sample_area_rasters_per_zone(run, sample_area, tmp_path):
    folder, truth = sample_area
    f = folder / "factors"
    # response: the generator's flood-prone lowlands -> use distance to river as a proxy map
    # built from known factors: y = slope + noise-free function; dist_river must rank first
    slope = gdal.Open(str(f / "slope.tif"))
    s = slope.ReadAsArray().astype(float)
    dr = gdal.Open(str(f / "dist_river.tif")).ReadAsArray().astype(float)
    y = np.log1p(dr) + 0.05 * s
    resp = write_raster(tmp_path / "resp.tif", y, slope.GetGeoTransform())
    html = tmp_path / "gd.html"
    res = run("hazard:geodetector", {
        "RESPONSE": resp, "FACTORS": [str(f / n) + ".tif" for n in ("dist_river", "slope",
                                                                    "noise", "elevation")],
        "CATEGORICAL": [str(f / "lithology.tif")],
        "ZONES": str(folder / "zones.gpkg"), "ZONE_FIELD": "zone", "TOP_N": 3,
        "OUTPUT_HTML": str(html), "OUTPUT_TABLES": str(tmp_path / "tables")})
    assert res["OUTPUT_HTML"] == str(html)
    text = html.read_text()
    assert "Zone 1" in text and "Interaction detector" in text and "data:image/png" in text
    rows = _read_csv(tmp_path / "tables" / "factor_detector.csv")
    zones = {r["zone"] for r in rows}
    assert zones == {"1", "2", "3", "4"}
    for z in zones:
        ranked = [r for r in rows if r["zone"] == z]
        assert ranked[0]["factor"] == "dist_river" and float(ranked[0]["q"]) > 0.5
        noise = [r for r in ranked if r["factor"] == "noise"][0]
        assert float(noise["q"]) < 0.2
    inter = _read_csv(tmp_path / "tables" / "interaction_detector.csv")
    assert len(inter) == 4 * 3  # 3 pairs among the top 3, per zone
    risk = _read_csv(tmp_path / "tables" / "risk_detector.csv")
    assert {r["factor"] for r in risk} == {"dist_river"}


def test_geodetector_vector_response_with_fields(run, tmp_path):
    from qgis.core import QgsFeature, QgsGeometry, QgsPointXY, QgsVectorLayer

    from hazard_susceptibility.algorithms import compat
    lyr = QgsVectorLayer("Point?crs=EPSG:32717", "pts", "memory")
    pr = lyr.dataProvider()
    pr.addAttributes([compat.double_field("y"), compat.double_field("a"),
                      compat.string_field("lith")])
    lyr.updateFields()
    rng = np.random.default_rng(1)
    feats = []
    for i in range(500):
        a = float(rng.random())
        lith = ["granite", "shale", "limestone"][i % 3]
        yv = 2.0 * (a > 0.4) + (1.0 if lith == "shale" else 0.0) + float(rng.normal(0, 0.2))
        ft = QgsFeature(lyr.fields())
        ft.setGeometry(QgsGeometry.fromPointXY(QgsPointXY(700000 + i, 9500000)))
        ft.setAttributes([yv, a, lith])
        feats.append(ft)
    pr.addFeatures(feats)
    html = tmp_path / "v.html"
    run("hazard:geodetector", {"RESPONSE_VECTOR": lyr, "RESPONSE_FIELD": "y",
                               "FACTOR_FIELDS": ["a"], "CATEGORICAL_FIELDS": ["lith"],
                               "OUTPUT_HTML": str(html),
                               "OUTPUT_TABLES": str(tmp_path / "t")})
    rows = _read_csv(tmp_path / "t" / "factor_detector.csv")
    assert rows[0]["factor"] == "a" and rows[1]["factor"] == "lith"
    assert float(rows[0]["p"]) < 1e-6


def test_geodetector_bad_inputs(run, sample_area, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    f = folder / "factors"
    html = tmp_path / "x.html"
    with pytest.raises(QgsProcessingException, match="either a response raster"):
        run("hazard:geodetector", {"FACTORS": [str(f / "slope.tif")], "OUTPUT_HTML": str(html)})
    # response with nodata everywhere
    g = gdal.Open(str(f / "slope.tif"))
    nod = write_raster(tmp_path / "nod.tif", np.full((600, 600), -1.0), g.GetGeoTransform(),
                       nodata=-1)
    with pytest.raises(QgsProcessingException, match="0 complete sample"):
        run("hazard:geodetector", {"RESPONSE": nod, "FACTORS": [str(f / "slope.tif")],
                                   "OUTPUT_HTML": str(html)})
    # a factor with a single stratum only: nothing can be tested
    const = write_raster(tmp_path / "const.tif", np.ones((600, 600)), g.GetGeoTransform())
    with pytest.raises(QgsProcessingException, match="single stratum"):
        run("hazard:geodetector", {"RESPONSE": str(f / "slope.tif"), "FACTORS": [const],
                                   "OUTPUT_HTML": str(html)})
    assert not html.exists()
