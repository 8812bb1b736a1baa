import numpy as np
import pytest
from osgeo import gdal, ogr

from hazard_susceptibility.core.io.raster import AlignedStack, Grid, bands_of
from hazard_susceptibility.core.io.zonal import geometries_from_wkb, slope_unit_statistics
from tests.helpers import write_raster

FACTS = ["slope", "rainfall", "pga", "ndvi"]


def _factor_paths(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


def test_alignfactors_on_sample_area(run, sample_area, tmp_path):
    folder, _ = sample_area
    out = str(tmp_path / "stack.tif")
    res = run("hazard:alignfactors", {
        "FACTORS": _factor_paths(folder, FACTS),
        "CATEGORICAL": _factor_paths(folder, ["lithology"]),
        "OUTPUT": out})
    assert res["FACTOR_NAMES"] == "slope,rainfall,pga,ndvi,lithology"
    ds = gdal.Open(out)
    assert ds.RasterCount == 5 and (ds.RasterXSize, ds.RasterYSize) == (600, 600)
    slope_in = gdal.Open(_factor_paths(folder, ["slope"])[0]).ReadAsArray()
    slope_out = ds.GetRasterBand(1).ReadAsArray()
    nd = ds.GetRasterBand(1).GetNoDataValue()
    ok = slope_out != nd
    assert ok.mean() > 0.95  # rainfall's geographic grid leaves a thin rim uncovered
    np.testing.assert_allclose(slope_out[ok], slope_in[ok], rtol=1e-6)
    litho = ds.GetRasterBand(5).ReadAsArray()
    assert set(np.unique(litho[ok])) == {1, 2, 3, 4}  # nearest neighbour keeps classes
    # style saved with the file, loaded by QGIS as its default style
    from qgis.core import QgsRasterLayer
    lyr = QgsRasterLayer(out, "s")
    assert lyr.renderer().type() == "singlebandpseudocolor"


def test_slopeunitstats_on_sample_area_matches_core_and_is_styled(run, sample_area, tmp_path):
    folder, _ = sample_area
    out = str(tmp_path / "su.gpkg")
    res = run("hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"),
        "FACTORS": _factor_paths(folder, FACTS),
        "CATEGORICAL": _factor_paths(folder, ["lithology"]),
        "LANDSLIDES": str(folder / "landslides.gpkg"),
        "OUTPUT": out})
    from qgis.core import QgsVectorLayer
    lyr = QgsVectorLayer(res["OUTPUT"], "su", "ogr")
    assert lyr.isValid() and lyr.featureCount() == 0 + _count(folder / "slope_units.gpkg")
    names = lyr.fields().names()
    for n in FACTS:
        assert f"{n}_mean" in names and f"{n}_std" in names
    assert {"lithology_major", "su_area", "n_pixels", "ls_area", "su_id"} <= set(names)
    assert lyr.renderer().type() == "graduatedSymbol"
    # same numbers as the core on its own
    bands = [b for p in _factor_paths(folder, FACTS) for b in bands_of(p)]
    bands += bands_of(_factor_paths(folder, ["lithology"])[0], categorical=True)
    ds = ogr.Open(str(folder / "slope_units.gpkg"))
    geoms = geometries_from_wkb([f.GetGeometryRef().ExportToWkb() for f in ds.GetLayer()])
    ds_ls = ogr.Open(str(folder / "landslides.gpkg"))
    ls = geometries_from_wkb([f.GetGeometryRef().ExportToWkb() for f in ds_ls.GetLayer()])
    with AlignedStack(bands, Grid.from_path(bands[0].path)) as st:
        cols = slope_unit_statistics(st, geoms, ls)
    feats = list(lyr.getFeatures())
    got = np.array([f["slope_mean"] if f["slope_mean"] is not None else np.nan for f in feats],
                   float)
    np.testing.assert_allclose(got, cols["slope_mean"], rtol=1e-9, equal_nan=True)
    ls_area = np.array([f["ls_area"] for f in feats], float)
    np.testing.assert_allclose(ls_area, cols["ls_area"], rtol=1e-9)
    # landslide area is conserved: the parts inside units add up to the polygons' area
    total_ls = sum(g.GetArea() for g in ls)
    assert ls_area.sum() == pytest.approx(total_ls, rel=1e-6)


def _count(path):
    ds = ogr.Open(str(path))
    return ds.GetLayer().GetFeatureCount()


def test_slope_unit_stats_agree_with_qgis_zonal_statistics(run, sample_area, tmp_path):
    folder, _ = sample_area
    slope = _factor_paths(folder, ["slope"])[0]
    ours = run("hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"), "FACTORS": [slope],
        "OUTPUT": str(tmp_path / "ours.gpkg")})["OUTPUT"]
    theirs = run("native:zonalstatisticsfb", {
        "INPUT": str(folder / "slope_units.gpkg"), "INPUT_RASTER": slope, "RASTER_BAND": 1,
        "COLUMN_PREFIX": "q_", "STATISTICS": [0, 2, 4], "OUTPUT": str(tmp_path / "q.gpkg")})[
        "OUTPUT"]
    from qgis.core import QgsVectorLayer
    a = {f["su_id"]: f for f in QgsVectorLayer(ours, "a", "ogr").getFeatures()}
    b = {f["su_id"]: f for f in QgsVectorLayer(theirs, "b", "ogr").getFeatures()}
    assert a.keys() == b.keys()
    ids = sorted(a)
    n_ours = np.array([a[i]["n_pixels"] for i in ids])
    n_q = np.array([b[i]["q_count"] for i in ids])
    same = n_ours == n_q  # QGIS switches to area weighting for units smaller than a pixel
    assert same.mean() > 0.999
    m_ours = np.array([a[i]["slope_mean"] for i in ids])[same]
    m_q = np.array([b[i]["q_mean"] for i in ids])[same]
    np.testing.assert_allclose(m_ours, m_q, rtol=1e-5)
    s_ours = np.array([a[i]["slope_std"] for i in ids])[same]
    s_q = np.array([b[i]["q_stdev"] for i in ids])[same]
    np.testing.assert_allclose(s_ours, s_q, rtol=1e-4, atol=1e-6)


def test_alignfactors_on_real_loja_data(run, loja, tmp_path):
    out = str(tmp_path / "loja.tif")
    res = run("hazard:alignfactors", {"FACTORS": [f"{loja}/factors.tif"], "OUTPUT": out})
    assert res["FACTOR_NAMES"] == "slope,cplan,cprof,elev,log10_carea"
    src = gdal.Open(f"{loja}/factors.tif").ReadAsArray()
    got = gdal.Open(out).ReadAsArray()
    valid = ~np.isnan(src).any(axis=0)
    np.testing.assert_allclose(got[:, valid], src[:, valid], rtol=1e-6)
    assert (got[:, ~valid] == -9999).all()


# ---- bad input: a clear error naming the input, nothing written --------------------------
def _expect_error(run, alg, params, match, out_path):
    from qgis.core import QgsProcessingException
    with pytest.raises(QgsProcessingException, match=match):
        run(alg, params)
    import os
    assert not os.path.exists(out_path), "a failed run left output behind"


def test_rasters_not_overlapping_units(run, sample_area, tmp_path):
    folder, _ = sample_area
    far = write_raster(tmp_path / "far.tif", np.ones((10, 10)), (100000, 30, 0, 1000000, 0, -30))
    out = str(tmp_path / "o.gpkg")
    _expect_error(run, "hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"), "FACTORS": [far], "OUTPUT": out},
        "No slope unit overlaps", out)


def test_empty_slope_unit_layer(run, sample_area, tmp_path):
    folder, _ = sample_area
    from tests.helpers import write_polygons
    empty = write_polygons(tmp_path / "empty.gpkg", [])
    out = str(tmp_path / "o.gpkg")
    _expect_error(run, "hazard:slopeunitstats", {
        "SLOPE_UNITS": empty, "FACTORS": _factor_paths(folder, ["slope"]), "OUTPUT": out},
        r"empty \[SLOPE_UNITS\]", out)


def test_all_nodata_factor(run, sample_area, tmp_path):
    folder, _ = sample_area
    ref = gdal.Open(_factor_paths(folder, ["slope"])[0])
    nod = write_raster(tmp_path / "allnodata.tif", np.full((600, 600), -1.0),
                       ref.GetGeoTransform(), nodata=-1)
    out = str(tmp_path / "stack.tif")
    _expect_error(run, "hazard:alignfactors", {
        "FACTORS": _factor_paths(folder, ["slope"]) + [nod], "OUTPUT": out},
        "'allnodata'.*no valid", out)


def test_non_numeric_factor(run, sample_area, tmp_path):
    folder, _ = sample_area
    ref = gdal.Open(_factor_paths(folder, ["slope"])[0])
    cplx = write_raster(tmp_path / "cplx.tif", np.ones((60, 60)), ref.GetGeoTransform(),
                        dtype=gdal.GDT_CFloat32)
    out = str(tmp_path / "o.gpkg")
    _expect_error(run, "hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"),
        "FACTORS": _factor_paths(folder, ["slope"]) + [cplx], "OUTPUT": out},
        "'cplx'.*complex", out)


def test_outputs_carry_their_provenance(run, sample_area, tmp_path):
    import hashlib
    import json
    folder, _ = sample_area
    slope = str(folder / "factors" / "slope.tif")
    out = str(tmp_path / "stack.tif")
    run("hazard:alignfactors", {"FACTORS": [slope], "OUTPUT": out})
    rec = json.loads(open(out + ".provenance.json").read())
    assert rec["algorithm"] == "hazard:alignfactors"
    assert rec["parameters"]["FACTORS"] == [slope]
    assert rec["inputs_sha256"][slope] == hashlib.sha256(open(slope, "rb").read()).hexdigest()
    assert rec["plugin_version"] == "0.1.0" and "numpy" in rec["packages"]


def test_provenance_records_every_effective_value_absolute_paths_and_the_seed(
        run, sample_area, tmp_path, monkeypatch):
    """Provenance had recorded only the typed parameters ("seed": null when SEED was left at
    its default, defaults such as the ratio missing, relative paths)."""
    import json
    folder, _ = sample_area
    monkeypatch.chdir(folder)
    out = tmp_path / "abs.gpkg"
    run("hazard:bufferabsences", {"PRESENCES": "landslide_points.gpkg",
                                  "FACTORS": ["factors/slope.tif"], "OUTPUT": str(out)})
    rec = json.loads(open(str(out) + ".provenance.json").read())
    p = rec["parameters"]
    assert rec["seed"] == 42 and p["SEED"] == 42
    assert p["PRESENCES"] == str(folder / "landslide_points.gpkg")
    assert p["FACTORS"] == [str(folder / "factors" / "slope.tif")]
    for name in ("RATIO", "MIN_DISTANCE", "INCLUDE_PRESENCES", "RESAMPLING"):
        assert name in p and name in rec["defaults_used"], name
    assert p["MIN_DISTANCE"] == 100.0
