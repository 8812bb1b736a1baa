"""Bad inputs a run can handle, and must handle visibly: multi-point presences exploded,
NULL zones left out with a count, overlapping slope units named, duplicated samples merged
before the split, degrees named as such, and a grid too large for the machine announced with
an estimate before the work starts."""
import os

import numpy as np
import pytest
from osgeo import gdal, ogr


def _run_logged(alg, params, cancel_on=None):
    """processing.run with a feedback that keeps every message (and cancels the run when a
    warning contains ``cancel_on``); returns (results or the exception, messages)."""
    import processing
    from qgis.core import (QgsProcessingContext, QgsProcessingException,
                           QgsProcessingFeedback, QgsProject)

    class Keep(QgsProcessingFeedback):
        def __init__(self):
            super().__init__()
            self.lines = []

        def pushInfo(self, text):  # noqa: N802
            self.lines.append(text)

        def pushWarning(self, text):  # noqa: N802
            self.lines.append(text)
            if cancel_on and cancel_on in text:
                self.cancel()

        def reportError(self, text, fatal=False):  # noqa: N802
            self.lines.append(text)

    fb = Keep()
    ctx = QgsProcessingContext()
    ctx.setProject(QgsProject.instance())
    try:
        return processing.run(alg, params, context=ctx, feedback=fb), fb.lines
    except QgsProcessingException as exc:
        return exc, fb.lines
    finally:
        ctx.temporaryLayerStore().removeAllMapLayers()


def _points(path):
    ds = ogr.Open(str(path))
    lyr = ds.GetLayer()
    return sorted((round(f.GetGeometryRef().GetX(), 3), round(f.GetGeometryRef().GetY(), 3),
                   f.GetField("label")) for f in lyr)


def _count(path):
    ds = ogr.Open(str(path))  # the data source must outlive its layer
    return ds.GetLayer().GetFeatureCount()


def _copy_layer(src, dst, transform=None, times=1):
    """A copy of the first layer of ``src``; ``transform(feature, layer)`` may rewrite each
    feature (return a list of features to write)."""
    ds = ogr.Open(str(src))
    lyr = ds.GetLayer()
    out = ogr.GetDriverByName("GPKG").CreateDataSource(str(dst))
    ol = out.CreateLayer(lyr.GetName(), lyr.GetSpatialRef(),
                         transform.geom_type if transform else lyr.GetGeomType())
    d = lyr.GetLayerDefn()
    for i in range(d.GetFieldCount()):
        ol.CreateField(d.GetFieldDefn(i))
    feats = [f.Clone() for f in lyr]
    for _ in range(times):
        for f in (transform(feats, ol) if transform else feats):
            nf = ogr.Feature(ol.GetLayerDefn())
            nf.SetFrom(f)
            ol.CreateFeature(nf)
    out = None
    return str(dst)


def test_multipoint_presences_are_exploded(run, sample_area, tmp_path):
    """MultiPoint presences had given a traceback; now each part is a presence, and the
    samples equal those drawn from the same points as single points."""
    folder, _ = sample_area
    pts = folder / "landslide_points.gpkg"

    def group(feats, layer):
        out = []
        for k in range(0, len(feats), 3):
            mp = ogr.Geometry(ogr.wkbMultiPoint)
            for f in feats[k:k + 3]:
                mp.AddGeometry(f.GetGeometryRef())
            nf = ogr.Feature(layer.GetLayerDefn())
            nf.SetFrom(feats[k])
            nf.SetGeometry(mp)
            out.append(nf)
        return out
    group.geom_type = ogr.wkbMultiPoint
    multi = _copy_layer(pts, tmp_path / "multi.gpkg", group)
    facts = [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi")]
    a, log = _run_logged("hazard:bufferabsences", {"PRESENCES": multi, "FACTORS": facts,
                                                   "OUTPUT": str(tmp_path / "a.gpkg")})
    assert isinstance(a, dict), a
    assert any("156 multi-point feature(s) taken as 467 points" in m for m in log), log
    b = run("hazard:bufferabsences", {"PRESENCES": str(pts), "FACTORS": facts,
                                      "OUTPUT": str(tmp_path / "b.gpkg")})
    pa, pb = _points(a["OUTPUT"]), _points(b["OUTPUT"])
    assert sum(p[2] == 1 for p in pa) == 467 and pa == pb


def test_null_zones_are_left_out_with_a_count(provider, sample_area, bad, tmp_path):
    """A NULL zone had become a zone named "NULL"."""
    folder, _ = sample_area
    res, log = _run_logged("hazard:multihazardsamples", {
        "FLOODS": str(folder / "floods.gpkg"), "LANDSLIDES": str(folder / "landslide_points.gpkg"),
        "FACTORS": [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi")],
        "ZONES": bad["null_zone"], "OUTPUT": str(tmp_path / "s.gpkg")})
    assert isinstance(res, dict), (res, log)
    assert any("1 of 4 zone polygons have no value in 'zone'" in m for m in log), log
    ds = ogr.Open(res["OUTPUT"])
    zones = {f.GetField("zone") for f in ds.GetLayer()}
    assert "NULL" not in zones and None not in zones and zones <= {"2", "3", "4"}, zones


def test_overlapping_slope_units_are_named(provider, sample_area, tmp_path):
    """Overlapping units had given NULL rows and a warning that blamed nodata."""
    folder, _ = sample_area

    def overlap(feats, layer):
        extra = feats[0].Clone()  # the first unit once more, shifted by a third of its size
        g = extra.GetGeometryRef()
        env = g.GetEnvelope()
        shifted = ogr.CreateGeometryFromWkt(g.ExportToWkt())
        for i in range(shifted.GetGeometryCount()):
            ring = shifted.GetGeometryRef(i)
            for p in range(ring.GetPointCount()):
                x, y = ring.GetX(p), ring.GetY(p)
                ring.SetPoint_2D(p, x + (env[1] - env[0]) / 3, y)
        extra.SetGeometry(shifted)
        return feats + [extra]
    overlap.geom_type = ogr.wkbPolygon
    ds = ogr.Open(str(folder / "slope_units.gpkg"))
    overlap.geom_type = ds.GetLayer().GetGeomType()
    ds = None
    units = _copy_layer(folder / "slope_units.gpkg", tmp_path / "units.gpkg", overlap)
    res, log = _run_logged("hazard:slopeunitstats", {
        "SLOPE_UNITS": units, "FACTORS": [str(folder / "factors" / "slope.tif")],
        "OUTPUT": str(tmp_path / "out.gpkg")})
    assert isinstance(res, dict), (res, log)
    n = _count(units)
    said = [m for m in log if "overlap" in m]
    assert said and f"feature ids 1 and {n}" in said[0], log
    assert not any("hold no pixel centre" in m for m in log), log


def test_duplicated_samples_are_merged_before_the_split(provider, sample_area, tmp_path):
    """An inventory listed three times had leaked across the split (test AUC 0.960 ->
    0.9997, no warning): merged, the model and its test scores are those of the inventory
    listed once."""
    import json
    folder, _ = sample_area
    facts = [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi", "pga")]
    s, _ = _run_logged("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts,
        "OUTPUT": str(tmp_path / "s.gpkg")})
    tripled = _copy_layer(s["OUTPUT"], tmp_path / "s3.gpkg", times=3)
    aucs = []
    for name, samples in (("once", s["OUTPUT"]), ("thrice", tripled)):
        res, log = _run_logged("hazard:trainmodel", {
            "SAMPLES": samples, "FACTORS": facts, "TREES": 50,
            "OUTPUT_MODEL": str(tmp_path / f"{name}.hsm"),
            "OUTPUT_HTML": str(tmp_path / f"{name}.html")})
        assert isinstance(res, dict), (res, log)
        aucs.append([m for m in log if "AUC" in m][-1])
        if name == "thrice":
            n = _count(samples)
            assert any(f"{2 * n // 3} sample(s) repeat another sample" in m for m in log), log
    assert aucs[0] == aucs[1], aucs
    assert json.dumps(aucs)  # the two log lines, e.g. "rf: AUC 0.95, kappa 0.8 (test)"


def test_degrees_are_named_with_the_crs(run, bad):
    from qgis.core import QgsProcessingException
    with pytest.raises(QgsProcessingException) as exc:
        run("hazard:bufferabsences", {"PRESENCES": bad["pts"], "FACTORS": [bad["geo_slope"]],
                                      "MIN_DISTANCE": 100, "OUTPUT": "TEMPORARY_OUTPUT"})
    msg = str(exc.value)
    assert "EPSG:4326" in msg and "degrees" in msg and "projected CRS" in msg, msg


def test_a_huge_grid_is_announced_with_an_estimate_before_the_work(provider, bad, tmp_path):
    """A 200000 x 200000 VRT had run for ever without a word: the estimate comes first, and
    cancelling on it stops the run with nothing written."""
    src = gdal.Open(bad["slope"])
    gt = src.GetGeoTransform()
    vrt = tmp_path / "huge.vrt"
    ds = gdal.GetDriverByName("VRT").Create(str(vrt), 200_000, 200_000, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((gt[0] - 50_000 * gt[1], gt[1], 0, gt[3] - 50_000 * gt[5], 0, gt[5]))
    ds.SetProjection(src.GetProjection())
    band = ds.GetRasterBand(1)
    band.SetNoDataValue(-9999)
    band.SetMetadataItem("source_0", f"""<SimpleSource><SourceFilename relativeToVRT="0">{
        bad['slope']}</SourceFilename><SourceBand>1</SourceBand><DstRect xOff="50000"
        yOff="50000" xSize="{src.RasterXSize}" ySize="{src.RasterYSize}"/></SimpleSource>""",
                         "new_vrt_sources")
    ds = None
    out = tmp_path / "abs.gpkg"
    res, log = _run_logged("hazard:bufferabsences", {
        "PRESENCES": bad["pts"], "FACTORS": [str(vrt)], "OUTPUT": str(out)},
        cancel_on="reading it once takes about")
    said = [m for m in log if "200,000 x 200,000 = 40,000,000,000 pixels" in m]
    assert said, log
    assert "Cancelled" in str(res), res
    assert not out.exists() and [n for n in os.listdir(tmp_path) if n != "huge.vrt"] == []
    assert np.isfinite(float(said[0].split("about ")[1].split()[0]))
