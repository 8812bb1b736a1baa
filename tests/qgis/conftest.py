"""Headless QGIS (pytest-qgis, offscreen) with Processing and this plugin's provider."""
import pytest


@pytest.fixture(scope="session")
def provider(qgis_app, qgis_processing):
    from qgis.core import QgsApplication

    from hazard_susceptibility.provider import HazardSusceptibilityPlugin
    plugin = HazardSusceptibilityPlugin(None)
    plugin.initProcessing()
    yield QgsApplication.processingRegistry().providerById("hazard")
    plugin.unload()


@pytest.fixture(scope="module")
def run_module(provider):
    return _runner()


@pytest.fixture()
def run(provider):
    return _runner()


def _runner():
    """processing.run with a fresh context; returns the results dict."""
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject

    def _run(alg, params, context=None):
        ctx = context or QgsProcessingContext()
        ctx.setProject(QgsProject.instance())
        try:
            return processing.run(alg, params, context=ctx, feedback=QgsProcessingFeedback())
        finally:
            # a context that outlives QGIS (held by some traceback until exit) would free its
            # layers after GDAL is gone: empty its store now
            ctx.temporaryLayerStore().removeAllMapLayers()
    return _run


@pytest.fixture(scope="session")
def bad(sample_area, tmp_path_factory):
    folder, _ = sample_area
    """Small bad inputs the catalogue of tests/qgis/test_bad_inputs.py and its friends use."""
    import numpy as np

    from tests.helpers import write_polygons, write_raster
    d = tmp_path_factory.mktemp("bad")
    from osgeo import ogr, osr
    # an empty point layer in the right CRS
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(d / "empty_pts.gpkg"))
    s = osr.SpatialReference()
    s.ImportFromEPSG(32717)
    lyr = ds.CreateLayer("pts", s, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    ds = None
    # two points, and a layer whose label field holds text
    for name, labels in (("tiny_pts", [1, 1]), ("text_label", ["yes", "no"] * 10)):
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(d / f"{name}.gpkg"))
        lyr = ds.CreateLayer("pts", s, ogr.wkbPoint)
        lyr.CreateField(ogr.FieldDefn("label", ogr.OFTString if name == "text_label"
                                      else ogr.OFTInteger))
        for i, lab in enumerate(labels):
            f = ogr.Feature(lyr.GetLayerDefn())
            f.SetField("label", lab)
            g = ogr.Geometry(ogr.wkbPoint)
            g.AddPoint_2D(700000.0 + 300 * i, 9560000.0 - 200 * i)
            f.SetGeometry(g)
            lyr.CreateFeature(f)
        ds = None
    # a raster without a CRS, and files that only pretend to be models
    from osgeo import gdal
    g = gdal.Open(str(folder / "factors" / "slope.tif"))
    nocrs = gdal.GetDriverByName("GTiff").CreateCopy(str(d / "nocrs.tif"), g)
    nocrs.SetProjection("")
    nocrs = None
    for ext in ("hsm", "hnn", "mhz"):
        (d / f"fake.{ext}").write_text("not a model")
    # the factors in a geographic CRS (distances in metres are then degrees)
    for n in ("slope", "ndvi"):
        gdal.Warp(str(d / f"geo_{n}.tif"), str(folder / "factors" / f"{n}.tif"),
                  dstSRS="EPSG:4326")
    # zones whose zone field is NULL: one of them, and all of them
    for name, nulls in (("null_zone", [0]), ("all_null_zones", [0, 1, 2, 3])):
        ds = ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(str(folder / "zones.gpkg")),
                                                         str(d / f"{name}.gpkg"))
        lyr = ds.GetLayer()
        for k, feat in enumerate(list(lyr)):
            if k in nulls:
                feat.SetFieldNull("zone")
                lyr.SetFeature(feat)
        ds = None
    # a GeoTIFF cut short, as by an interrupted copy: its header opens, its data does not
    whole = open(folder / "factors" / "slope.tif", "rb").read()
    (d / "truncated.tif").write_bytes(whole[:len(whole) // 2])
    # slope units with one NULL area
    ds = ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(str(folder / "slope_units.gpkg")),
                                                     str(d / "null_area.gpkg"))
    lyr = ds.GetLayer()
    feat = lyr.GetNextFeature()
    feat.SetFieldNull("area_m2")
    lyr.SetFeature(feat)
    ds = None
    # a presence layer whose label field holds only NULL
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(d / "null_label.gpkg"))
    lyr = ds.CreateLayer("pts", s, ogr.wkbPoint)
    lyr.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    for i in range(20):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt(f"POINT ({700000 + 300 * i} {9560000 - 200 * i})"))
        lyr.CreateFeature(f)
    ds = None
    return {
        "geo_slope": str(d / "geo_slope.tif"), "geo_ndvi": str(d / "geo_ndvi.tif"),
        "null_zone": str(d / "null_zone.gpkg"), "all_null_zones": str(d / "all_null_zones.gpkg"),
        "null_label": str(d / "null_label.gpkg"), "null_area": str(d / "null_area.gpkg"),
        "truncated": str(d / "truncated.tif"),
        "tiny_pts": str(d / "tiny_pts.gpkg"),
        "text_label": str(d / "text_label.gpkg"),
        "nocrs": str(d / "nocrs.tif"),
        "fake_hsm": str(d / "fake.hsm"), "fake_hnn": str(d / "fake.hnn"),
        "fake_mhz": str(d / "fake.mhz"),
        "empty_pts": str(d / "empty_pts.gpkg"),
        "empty_polys": write_polygons(d / "empty_polys.gpkg", []),
        "far": write_raster(d / "far.tif", np.ones((10, 10)), (100000, 30, 0, 1000000, 0, -30)),
        "nodata": write_raster(d / "nodata.tif", np.full((600, 600), -1.0),
                               (690000.0, 30, 0, 9570000.0, 0, -30), nodata=-1),
        "slope": str(folder / "factors" / "slope.tif"),
        "ndvi": str(folder / "factors" / "ndvi.tif"),
        "pts": str(folder / "landslide_points.gpkg"),
        "ls_polys": str(folder / "landslides.gpkg"),
        "units": str(folder / "slope_units.gpkg"),
        "zones": str(folder / "zones.gpkg"),
        "dir": d,
    }


@pytest.fixture(scope="session")
def small_model(provider, sample_area, tmp_path_factory):
    """A small random forest on slope and NDVI of the sample area (.hsm) and its factors."""
    from qgis.core import QgsProcessingContext, QgsProcessingFeedback, QgsProject
    import processing
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("small_model")
    facts = [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi")]
    ctx = QgsProcessingContext()
    ctx.setProject(QgsProject.instance())
    fb = QgsProcessingFeedback()
    s = processing.run("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts,
        "OUTPUT": str(d / "samples.gpkg")}, context=ctx, feedback=fb)
    m = processing.run("hazard:trainmodel", {
        "SAMPLES": s["OUTPUT"], "FACTORS": facts, "TREES": 10,
        "OUTPUT_MODEL": str(d / "model.hsm"), "OUTPUT_HTML": str(d / "model.html")},
        context=ctx, feedback=fb)
    return m["OUTPUT_MODEL"], facts
