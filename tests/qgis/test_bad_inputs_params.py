"""Bad parameter values and inputs that do not fit (issue 34, the input side), over every
algorithm of the provider. Each case ends OK or CLEAR: a QgsProcessingException naming the
input ([PARAM]) and what to do, never a traceback, never a silent result.

* NaN and infinity in every algorithm's numbers (QGIS's range checks let NaN through), given
  as qgis_process gives them (text) or as Python floats, and in numbers given as text (ratios,
  class limits, bounds, bandwidth);
* factors that do not fit the model they are given to (swapped, other units), for each of the
  three model-applying algorithms;
* silent results: ASPECT=slope, a two-layer GeoPackage without a layer name, distances in a
  CRS in feet, duplicated ratios;
* tracebacks: a NULL geometry in 'Split inventory', labels 1/2 instead of 1/0."""
import math

import numpy as np
import pytest
from osgeo import gdal, ogr, osr

from tests.qgis.test_bad_inputs import _refused
from tests.qgis.test_bad_inputs_handled import _count, _run_logged

NAN, INF = float("nan"), float("inf")


# -- fixtures ----------------------------------------------------------------------------------
def _copy_raster(src, dst, description, fn=None):
    """A float copy of ``src`` named ``dst``, with band description ``description`` (the name
    the plugin gives the factor), its valid values through ``fn``."""
    ds = gdal.Translate(str(dst), str(src), outputType=gdal.GDT_Float32)
    b = ds.GetRasterBand(1)
    if fn is not None:
        a = b.ReadAsArray().astype(float)
        nd = b.GetNoDataValue()
        ok = a != nd if nd is not None else np.isfinite(a)
        a[ok] = fn(a[ok])
        b.WriteArray(a)
    b.SetDescription(description)
    ds = None
    return str(dst)


@pytest.fixture(scope="module")
def more(bad, sample_area, tmp_path_factory):
    """Inputs of this module's cases, beside the catalogue's ``bad``."""
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("bad_params")
    fac = folder / "factors"
    out = {}
    # slope and ndvi swapped (each file and band named as the other), slope in percent
    (d / "swap").mkdir()
    out["slope_is_ndvi"] = _copy_raster(fac / "ndvi.tif", d / "swap" / "slope.tif", "slope")
    out["ndvi_is_slope"] = _copy_raster(fac / "slope.tif", d / "swap" / "ndvi.tif", "ndvi")
    (d / "pct").mkdir()
    out["slope_pct"] = _copy_raster(fac / "slope.tif", d / "pct" / "slope.tif", "slope",
                                    lambda a: 100 * np.tan(np.radians(a)))
    (d / "twi").mkdir()
    out["slope_is_twi"] = _copy_raster(fac / "twi.tif", d / "twi" / "slope.tif", "slope")
    out["twi_is_slope"] = _copy_raster(fac / "slope.tif", d / "twi" / "twi.tif", "twi")
    # a raster holding NaN values without a nodata value
    nan = _copy_raster(fac / "slope.tif", d / "nan_values.tif", "nan_values")
    ds = gdal.Open(nan, gdal.GA_Update)
    b = ds.GetRasterBand(1)
    a = b.ReadAsArray().astype(float)
    a[a == b.GetNoDataValue()] = np.nan
    a[100:150, 100:150] = np.nan
    b.DeleteNoDataValue()
    b.WriteArray(a)
    ds = None
    out["nan_values"] = nan
    # a GeoPackage of two layers: zone polygons first, then the landslide points
    two = d / "two_layers.gpkg"
    ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(str(folder / "zones.gpkg")), str(two))
    ds = ogr.Open(str(two), 1)
    src = ogr.Open(str(folder / "landslide_points.gpkg"))
    ds.CopyLayer(src.GetLayer(), "landslides")
    ds = src = None
    out["two_layers"] = str(two)
    # the landslide points with labels 1 and 2 (2 meaning "no landslide")
    out["labels_12"] = _points(d / "labels_12.gpkg", str(folder / "landslide_points.gpkg"),
                               extra=40, label=(1, 2))
    # an inventory with a NULL and an empty geometry among its points
    inv = d / "null_geom.gpkg"
    ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(str(folder / "landslide_points.gpkg")),
                                               str(inv))
    ds = ogr.Open(str(inv), 1)
    lyr = ds.GetLayer()
    f = ogr.Feature(lyr.GetLayerDefn())
    lyr.CreateFeature(f)  # NULL geometry
    f = ogr.Feature(lyr.GetLayerDefn())
    f.SetGeometry(ogr.CreateGeometryFromWkt("POINT EMPTY"))
    lyr.CreateFeature(f)
    ds = None
    out["null_geom"] = str(inv)
    # slope and ndvi in a CRS in feet: a transverse Mercator in international feet (not on a
    # UTM meridian: GDAL's GeoPackage writer takes a UTM zone in feet for the EPSG one in metres)
    feet = osr.SpatialReference()
    feet.ImportFromProj4("+proj=tmerc +lat_0=0 +lon_0=-79.5 +k=0.9996 +x_0=500000 "
                         "+y_0=10000000 +datum=WGS84 +units=ft +no_defs")
    feet.SetProjCS("Transverse Mercator 79.5 W in international feet")
    for n in ("slope", "ndvi"):
        gdal.Warp(str(d / f"feet_{n}.tif"), str(fac / f"{n}.tif"), dstSRS=feet.ExportToWkt())
        out[f"feet_{n}"] = str(d / f"feet_{n}.tif")
    out["dir"] = d
    return out


def _points(path, src, extra=0, label=(1, 0)):
    """The points of ``src`` labelled label[0], and ``extra`` more 500 m east of the first ones
    labelled label[1]."""
    s = ogr.Open(src)
    lyr = s.GetLayer()
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    ol = ds.CreateLayer("pts", lyr.GetSpatialRef(), ogr.wkbPoint)
    ol.CreateField(ogr.FieldDefn("label", ogr.OFTInteger))
    pts = [(f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()) for f in lyr]
    for k, (x, y) in enumerate(pts + [(x + 500, y) for x, y in pts[:extra]]):
        f = ogr.Feature(ol.GetLayerDefn())
        f.SetField("label", label[0] if k < len(pts) else label[1])
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(x, y)
        f.SetGeometry(g)
        ol.CreateFeature(f)
    ds = None
    return str(path)


@pytest.fixture(scope="module")
def hnn_model(run_module, sample_area, tmp_path_factory):
    """A small HNN on slope-unit statistics of slope, ndvi and twi; its units; and the units
    with slope_mean and twi_mean swapped."""
    from hazard_susceptibility.core.util.deps import available
    if not available("tensorflow"):
        pytest.skip("tensorflow is not installed")
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("bad_hnn")
    su = run_module("hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"),
        "FACTORS": [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi", "twi")],
        "LANDSLIDES": str(folder / "landslides.gpkg"), "OUTPUT": str(d / "su.gpkg")})
    sc = run_module("hazard:hnnsizeclasses", {"UNITS": su["OUTPUT"],
                                              "OUTPUT": str(d / "classes.gpkg"),
                                              "OUTPUT_HTML": str(d / "classes.html")})
    m = run_module("hazard:trainhnn", {
        "UNITS": sc["OUTPUT"], "FEATURE_FIELDS": ["slope_mean", "ndvi_mean", "twi_mean"],
        "N1": 1, "U1": 4, "N2": 1, "U2": 4, "EPOCHS": 2, "PATIENCE": 1,
        "OUTPUT_MODEL": str(d / "m.hnn"), "OUTPUT": str(d / "o.gpkg"),
        "OUTPUT_HTML": str(d / "r.html")})
    swapped = d / "swapped.gpkg"
    ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(sc["OUTPUT"]), str(swapped))
    ds = ogr.Open(str(swapped), 1)
    lyr = ds.GetLayer()
    for f in list(lyr):
        a, b = f.GetField("slope_mean"), f.GetField("twi_mean")
        f.SetField("slope_mean", b)
        f.SetField("twi_mean", a)
        lyr.SetFeature(f)
    ds = None
    return m["OUTPUT_MODEL"], sc["OUTPUT"], str(swapped)


@pytest.fixture(scope="module")
def mh_model(run_module, sample_area, tmp_path_factory):
    """A small multi-hazard bundle on slope, twi, ndvi and elevation (few epochs)."""
    pytest.importorskip("xgboost")
    from hazard_susceptibility.core.util.deps import available
    if not available("tensorflow"):
        pytest.skip("tensorflow is not installed")
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("bad_mh")
    facts = [str(folder / "factors" / f"{n}.tif") for n in ("slope", "twi", "ndvi",
                                                            "elevation")]
    s = run_module("hazard:multihazardsamples", {
        "FACTORS": facts, "FLOODS": str(folder / "floods.gpkg"),
        "LANDSLIDES": str(folder / "landslide_points.gpkg"), "ZONES": str(folder / "zones.gpkg"),
        "KDE_RATIO": 0.5, "OUTPUT": str(d / "s.gpkg")})
    m = run_module("hazard:trainmultihazard", {
        "SAMPLES": s["OUTPUT"], "FACTORS": facts, "N_ITER": 2, "EF_EPOCHS": 5,
        "GATE_EPOCHS": 5, "PATIENCE": 2, "OUTPUT_MODEL": str(d / "m.mhz"),
        "OUTPUT_HTML": str(d / "r.html")})
    return m["OUTPUT_MODEL"], facts


# -- 3. NaN and infinity in every algorithm's numbers ------------------------------------------
def _base(b):
    return {"PRESENCES": b["pts"], "FACTORS": [b["slope"], b["ndvi"]]}


NAN_CASES = [
    # (algorithm, parameters, name in the message); values as qgis_process passes them ("nan")
    # or as Python gives them (float)
    ("applicability", lambda b: {"MODEL": b["fake_hsm"], "FACTORS": [b["slope"]], "SEED": NAN},
     "SEED"),
    ("applyhnn", lambda b: {"MODEL": b["fake_hnn"], "UNITS": b["units"], "MC_PASSES": "nan"},
     "MC_PASSES"),
    ("applymodel", lambda b: {"MODEL": b["fake_hsm"], "FACTORS": [b["slope"]],
                              "BREAK_SAMPLE": NAN}, "BREAK_SAMPLE"),
    ("bufferabsences", lambda b: dict(_base(b), MIN_DISTANCE="nan"), "MIN_DISTANCE"),
    ("bufferabsences", lambda b: dict(_base(b), RATIO=INF), "RATIO"),
    ("comparesampling", lambda b: {"SCENARIOS": [b["pts"]], "FACTORS": [b["slope"]],
                                   "TREES": NAN}, "TREES"),
    ("createsamplearea", lambda b: {"SIZE": "nan"}, "SIZE"),
    ("evaluatemap", lambda b: {"PROBABILITY": b["ndvi"], "HAZARDS": b["pts"],
                               "THRESHOLD": "nan"}, "THRESHOLD"),
    ("evaluatemap", lambda b: {"PROBABILITY": b["ndvi"], "HAZARDS": b["pts"],
                               "CLASS_LIMITS": "0.2, nan, 0.8"}, "CLASS_LIMITS"),
    ("evaluatemap", lambda b: {"PROBABILITY": b["ndvi"], "HAZARDS": b["pts"],
                               "BACKGROUND": NAN}, "BACKGROUND"),
    ("evaluatemultihazard", lambda b: {"MAP_MOE_FLOOD": b["slope"], "BREAK_SAMPLE": "nan"},
     "BREAK_SAMPLE"),
    ("factorscreening", lambda b: {"FACTORS": [b["slope"], b["ndvi"]], "VIF_MAX": NAN},
     "VIF_MAX"),
    ("factorthresholdabsences", lambda b: dict(_base(b), THRESHOLD_FACTOR=b["slope"],
                                               THRESHOLD="nan"), "THRESHOLD"),
    ("frequencyratio", lambda b: {"HAZARDS": b["pts"], "FACTORS": [b["slope"]],
                                  "CLASSES": NAN}, "CLASSES"),
    ("geodetector", lambda b: {"RESPONSE": b["slope"], "FACTORS": [b["ndvi"]], "ALPHA": "nan"},
     "ALPHA"),
    ("hnnablation", lambda b: {"UNITS": b["units"], "LR": NAN}, "LR"),
    ("hnnlossweights", lambda b: {"UNITS": b["units"], "DROPOUT": "nan"}, "DROPOUT"),
    ("hnnsizeclasses", lambda b: {"UNITS": b["units"], "AREA_FIELD": "area_m2", "GVF": NAN},
     "GVF"),
    ("hnnsizeclasses", lambda b: {"UNITS": b["units"], "AREA_FIELD": "area_m2",
                                  "BOUNDS": "1000, inf"}, "BOUNDS"),
    ("installdependencies", lambda b: {"PACKAGES": "nan", "DRY_RUN": True}, "PACKAGES"),
    ("kdeaugmentation", lambda b: dict(_base(b), RATIO="nan"), "RATIO"),
    ("kdeaugmentation", lambda b: dict(_base(b), BANDWIDTH="nan"), "BANDWIDTH"),
    ("mahalanobisabsences", lambda b: dict(_base(b), MIN_DISTANCE="nan"), "MIN_DISTANCE"),
    ("mahalanobisabsences", lambda b: dict(_base(b), ALPHA=NAN), "ALPHA"),
    ("mapmultihazard", lambda b: {"MODEL": b["fake_mhz"], "FACTORS": [b["slope"]],
                                  "TILE_SIZE": "nan"}, "TILE_SIZE"),
    ("multihazardsamples", lambda b: {"FLOODS": b["pts"], "LANDSLIDES": b["pts"],
                                      "FACTORS": [b["slope"]], "ZONES": b["zones"],
                                      "KDE_RATIO": NAN}, "KDE_RATIO"),
    ("multiratioabsences", lambda b: dict(_base(b), RATIOS="1:1, 1:nan"), "RATIOS"),
    ("multiratioabsences", lambda b: dict(_base(b), TEST_SHARE="nan"), "TEST_SHARE"),
    ("ocsvmabsences", lambda b: dict(_base(b), NU=NAN), "NU"),
    ("slopeabsences", lambda b: {"PRESENCES": b["pts"], "SLOPE": b["slope"],
                                 "THRESHOLD": "nan"}, "THRESHOLD"),
    ("splitinventory", lambda b: {"INVENTORY": b["pts"], "BLOCK_SIZE": NAN}, "BLOCK_SIZE"),
    ("splitinventory", lambda b: {"INVENTORY": b["pts"], "TEST_SHARE": "nan"}, "TEST_SHARE"),
    ("susceptibilityratioabsences", lambda b: dict(_base(b), TREES="nan"), "TREES"),
    ("trainhnn", lambda b: {"UNITS": b["units"], "ALPHA": NAN}, "ALPHA"),
    ("trainmodel", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["slope"]],
                              "LEARNING_RATE": INF}, "LEARNING_RATE"),
    ("trainmodel", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["slope"]],
                              "BLOCK_SIZE": "nan"}, "BLOCK_SIZE"),
    ("trainmultihazard", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["slope"]],
                                    "RADIUS": "nan"}, "RADIUS"),
    ("workflowhnn", lambda b: {"UNITS": b["units"], "LANDSLIDES": b["ls_polys"],
                               "FACTORS": [b["slope"]], "EPOCHS": NAN}, "EPOCHS"),
    ("workflowmahalanobis", lambda b: {"INVENTORY": b["pts"], "FACTORS": [b["slope"]],
                                       "HOLDOUT": "nan"}, "HOLDOUT"),
    ("workflowmultihazard", lambda b: {"FLOODS": b["pts"], "LANDSLIDES": b["pts"],
                                       "FACTORS": [b["slope"]], "ZONES": b["zones"],
                                       "ZONE_FIELD": "zone", "KDE_RATIO": NAN}, "KDE_RATIO"),
    ("zonefeatureselection", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["slope"]],
                                        "R_MAX": "nan"}, "R_MAX"),
]


@pytest.mark.parametrize("alg,params,names", NAN_CASES,
                         ids=[f"{c[0]}-{c[2]}-{i}" for i, c in enumerate(NAN_CASES)])
def test_nan_and_infinity_are_refused_naming_the_parameter(run, provider, bad, alg, params,
                                                           names, tmp_path):
    p = params(bad)
    if any(isinstance(v, float) and math.isinf(v) for v in p.values()):
        # QGIS refuses infinity above a parameter's maximum itself ("Incorrect parameter value
        # for NAME"); the plugin's check refuses it where QGIS lets it through
        _refused(run, provider, f"hazard:{alg}", p, names, tmp_path)
    else:
        _refused(run, provider, f"hazard:{alg}", p, f"[{names}]", tmp_path)


def test_every_number_of_every_algorithm_is_checked(provider):
    """Every algorithm with a number parameter has a NaN case above, and the check covers every
    number parameter (a NaN in any of them is refused before the work)."""
    from qgis.core import QgsProcessingParameterNumber
    with_numbers = {a.name() for a in provider.algorithms()
                    if any(isinstance(d, QgsProcessingParameterNumber)
                           for d in a.parameterDefinitions())}
    assert with_numbers <= {c[0] for c in NAN_CASES}, with_numbers - {c[0] for c in NAN_CASES}


@pytest.mark.parametrize("alg", ["applicability", "bufferabsences", "trainmodel",
                                 "hnnsizeclasses", "evaluatemap", "geodetector"])
def test_every_number_parameter_is_refused_when_nan(provider, alg):
    """The check itself, on each number parameter of a few algorithms (no run needed)."""
    from qgis.core import (QgsProcessingContext, QgsProcessingException,
                           QgsProcessingParameterNumber)
    from hazard_susceptibility.algorithms.checks import check_parameters
    a = provider.algorithm(alg)
    ctx = QgsProcessingContext()
    for d in a.parameterDefinitions():
        if isinstance(d, QgsProcessingParameterNumber):
            for v in (NAN, "nan", INF, "-inf"):
                with pytest.raises(QgsProcessingException, match=rf"\[{d.name()}\]"):
                    check_parameters(a, {d.name(): v}, ctx)
            check_parameters(a, {d.name(): d.defaultValue()}, ctx)  # a good value passes


# algorithms without a number parameter: NaN where they take numbers (raster values)
def test_nan_values_in_a_factor_are_nodata_when_aligning(run, more, tmp_path):
    res = run("hazard:alignfactors", {"FACTORS": [more["nan_values"]],
                                      "OUTPUT": str(tmp_path / "a.tif")})
    ds = gdal.Open(res["OUTPUT"])
    b = ds.GetRasterBand(1)
    a = b.ReadAsArray().astype(float)
    nd = b.GetNoDataValue()
    valid = ~np.isnan(a) & (a != nd if nd is not None else True)
    src = gdal.Open(more["nan_values"]).ReadAsArray()
    assert valid.sum() == np.isfinite(src).sum()  # every NaN pixel is nodata, no other one


def test_nan_values_in_a_factor_are_nodata_in_slope_unit_statistics(run, bad, more, tmp_path):
    res = run("hazard:slopeunitstats", {"SLOPE_UNITS": bad["units"],
                                        "FACTORS": [more["nan_values"]],
                                        "OUTPUT": str(tmp_path / "su.gpkg")})
    ds = ogr.Open(res["OUTPUT"].split("|")[0])
    vals = [f.GetField("nan_values_mean") for f in ds.GetLayer()]
    assert all(v is None or math.isfinite(v) for v in vals)
    assert any(v is not None for v in vals)


def test_nan_coordinates_in_samples_to_merge_are_refused_or_dropped(run, bad, more, tmp_path):
    """A point with NaN coordinates among the presences to merge: refused naming the layer, or
    left out of the output (never written as a NaN point)."""
    from qgis.core import QgsProcessingException
    src = more["dir"] / "nan_point.gpkg"
    ogr.GetDriverByName("GPKG").CopyDataSource(ogr.Open(bad["pts"]), str(src))
    ds = ogr.Open(str(src), 1)
    lyr = ds.GetLayer()
    f = ogr.Feature(lyr.GetLayerDefn())
    g = ogr.Geometry(ogr.wkbPoint)
    g.AddPoint_2D(NAN, NAN)
    f.SetGeometry(g)
    lyr.CreateFeature(f)
    ds = None
    try:
        res = run("hazard:mergesamples", {"PRESENCES": str(src), "ABSENCES": bad["pts"],
                                          "OUTPUT": str(tmp_path / "m.gpkg")})
    except QgsProcessingException as exc:
        assert "[PRESENCES]" in str(exc)
        return
    ds = ogr.Open(res["OUTPUT"].split("|")[0])
    for f in ds.GetLayer():
        g = f.GetGeometryRef()
        assert g is None or (math.isfinite(g.GetX()) and math.isfinite(g.GetY()))


# -- 4. inputs that do not fit the model -------------------------------------------------------
@pytest.mark.parametrize("given", [("slope_is_ndvi", "ndvi_is_slope"), ("slope_pct", "ndvi")],
                         ids=["slope-ndvi-swapped", "slope-in-percent"])
def test_apply_model_refuses_factors_unlike_its_training_rows(run, provider, bad, more,
                                                              small_model, given, tmp_path):
    model, _ = small_model
    facts = [more.get(g, bad.get(g)) for g in given]
    _refused(run, provider, "hazard:applymodel", {"MODEL": model, "FACTORS": facts},
             "[FACTORS]", tmp_path)
    with pytest.raises(Exception) as exc:
        run("hazard:applymodel", {"MODEL": model, "FACTORS": facts,
                                  "OUTPUT": str(tmp_path / "p.tif")})
    assert "'slope'" in str(exc.value)


def test_apply_model_maps_the_right_factors_without_a_warning(small_model, tmp_path):
    model, facts = small_model
    res, log = _run_logged("hazard:applymodel", {"MODEL": model, "FACTORS": facts,
                                                 "OUTPUT": str(tmp_path / "p.tif")})
    assert isinstance(res, dict), res
    assert any("checked against the model's training rows" in m for m in log), log
    assert not any("differ from those the model was trained on" in m for m in log), log


def test_apply_hnn_refuses_swapped_fields(run, provider, hnn_model, tmp_path):
    """(The right fields pass: tests/qgis/test_hnn_algs.py applies HNNs to their own units.)"""
    model, units, swapped = hnn_model
    _refused(run, provider, "hazard:applyhnn", {"MODEL": model, "UNITS": swapped,
                                                "MC_PASSES": 0}, "[UNITS]", tmp_path)
    msg = _message(run, "hazard:applyhnn", {"MODEL": model, "UNITS": swapped, "MC_PASSES": 0},
                   tmp_path)
    assert "'slope_mean'" in msg and "'twi_mean'" in msg and "'ndvi_mean'" not in msg, msg


def test_map_multihazard_refuses_swapped_factors(run, provider, more, mh_model, sample_area,
                                                 tmp_path):
    """(The right factors pass: tests/qgis/test_multihazard_algs.py maps its own bundle.)"""
    from hazard_susceptibility.core.multihazard.mapping import check_bundle
    model, facts = mh_model
    folder, _ = sample_area
    zones = {"ZONES": str(folder / "zones.gpkg"), "ZONE_FIELD": "zone"}
    swapped = [more["slope_is_twi"], more["twi_is_slope"]] + facts[2:]
    _refused(run, provider, "hazard:mapmultihazard", dict(zones, MODEL=model, FACTORS=swapped),
             "[FACTORS]", tmp_path)
    # the bundle's own factors, compared as the algorithm does: no warning
    from hazard_susceptibility.core.io.raster import AlignedStack, Grid, bands_of
    bands = [b for f in facts for b in bands_of(f)]
    warned = []
    with AlignedStack(bands, Grid.from_path(facts[0])) as st:
        fits = check_bundle(model, st, 42, warn=warned.append)
    assert len(fits) == 4 and not warned, warned


# -- 6. more silent results ------------------------------------------------------------------
def test_aspect_that_is_a_slope_is_refused(run, provider, bad, tmp_path):
    _refused(run, provider, "hazard:frequencyratio",
             {"HAZARDS": bad["pts"], "FACTORS": [bad["slope"], bad["ndvi"]], "ASPECT": "slope"},
             "[ASPECT]", tmp_path)


def test_a_real_aspect_is_binned(run, sample_area, bad, tmp_path):
    folder, _ = sample_area
    res = run("hazard:frequencyratio", {"HAZARDS": bad["pts"],
                                        "FACTORS": [str(folder / "factors" / "aspect.tif")],
                                        "ASPECT": "aspect", "OUTPUT_CSV": str(tmp_path / "f.csv"),
                                        "OUTPUT_HTML": str(tmp_path / "f.html")})
    assert open(res["OUTPUT_CSV"]).read().count("aspect") == 8  # 8 compass sectors


@pytest.mark.parametrize("param,alg", [("PRESENCES", "bufferabsences"),
                                       ("HAZARDS", "frequencyratio"),
                                       ("INVENTORY", "splitinventory")])
def test_a_two_layer_geopackage_without_a_layer_name_is_refused(run, provider, bad, more, param,
                                                                alg, tmp_path):
    p = {param: more["two_layers"], "FACTORS": [bad["slope"]]}
    if alg == "splitinventory":
        p.pop("FACTORS")
    _refused(run, provider, f"hazard:{alg}", dict(p), f"[{param}]", tmp_path)
    msg = _message(run, f"hazard:{alg}", p, tmp_path)
    assert "'zones'" in msg and "'landslides'" in msg and "layername=" in msg, msg


def _message(run, alg, p, tmp_path):
    """The message of a run that must fail (its outputs into tmp_path/m)."""
    from qgis.core import QgsApplication, QgsProcessingException
    a = QgsApplication.processingRegistry().algorithmById(alg)
    outs = {d.name(): str(tmp_path / "m" / f"{d.name().lower()}.{d.defaultFileExtension()}")
            for d in a.destinationParameterDefinitions() if d.name() not in p}
    try:
        run(alg, dict(p, **outs))
    except QgsProcessingException as exc:
        return str(exc)
    raise AssertionError(f"{alg} ran")


def test_a_layer_named_in_a_two_layer_geopackage_is_taken(run, bad, more, tmp_path):
    res = run("hazard:bufferabsences", {
        "PRESENCES": more["two_layers"] + "|layername=landslides", "FACTORS": [bad["slope"]],
        "OUTPUT": str(tmp_path / "o.gpkg")})
    ds = ogr.Open(res["OUTPUT"].split("|")[0])
    labels = [f.GetField("label") for f in ds.GetLayer()]
    n = _count(bad["pts"])
    assert labels.count(1) == n


def test_min_distance_is_in_metres_in_a_crs_in_feet(run, bad, more, tmp_path):
    """MIN_DISTANCE=100 on rasters in feet keeps absences 100 m (328 ft) from every presence,
    not 100 ft (30 m)."""
    res = run("hazard:bufferabsences", {
        "PRESENCES": bad["pts"], "FACTORS": [more["feet_slope"], more["feet_ndvi"]],
        "MIN_DISTANCE": 100, "RATIO": 3, "INCLUDE_PRESENCES": False,
        "OUTPUT": str(tmp_path / "o.gpkg")})
    ds = ogr.Open(res["OUTPUT"].split("|")[0])
    lyr = ds.GetLayer()
    assert lyr.GetSpatialRef().GetLinearUnits() == pytest.approx(0.3048)
    a = np.array([(f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY()) for f in lyr])
    ps = ogr.Open(bad["pts"])
    pl = ps.GetLayer()
    ct = osr.CoordinateTransformation(pl.GetSpatialRef(), lyr.GetSpatialRef())
    p = np.array([ct.TransformPoint(f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY())[:2]
                  for f in pl])
    from scipy.spatial import cKDTree
    d_ft = cKDTree(p).query(a)[0]
    assert len(a) > 100
    assert d_ft.min() * 0.3048 >= 100 - 0.3048 * 1.5, d_ft.min() * 0.3048  # within a pixel


def test_duplicated_ratios_are_refused(run, provider, bad, tmp_path):
    for ratios in ("1:1, 1:5, 1:5", "1:5, 5", "2:10, 1:5"):
        _refused(run, provider, "hazard:multiratioabsences",
                 {"PRESENCES": bad["pts"], "FACTORS": [bad["slope"]], "RATIOS": ratios},
                 "[RATIOS]", tmp_path)


# -- 7. tracebacks instead of messages -------------------------------------------------------
def test_split_inventory_with_a_null_and_an_empty_geometry(more, tmp_path):
    res, log = _run_logged("hazard:splitinventory", {
        "INVENTORY": more["null_geom"], "OUTPUT_TRAINING": str(tmp_path / "t.gpkg"),
        "OUTPUT_HELD_OUT": str(tmp_path / "h.gpkg")})
    assert isinstance(res, dict), res
    assert any("2 feature(s) without geometry" in m for m in log), log
    n = _count(more["null_geom"])
    got = sum(_count(res[k].split("|")[0]) for k in ("OUTPUT_TRAINING", "OUTPUT_HELD_OUT"))
    assert got == n - 2


def test_labels_1_and_2_are_named_as_labels_not_extent(run, provider, bad, more, tmp_path):
    _refused(run, provider, "hazard:evaluatemap",
             {"PROBABILITY": bad["ndvi"], "HAZARDS": more["labels_12"], "LABEL_FIELD": "label"},
             "[LABEL_FIELD]", tmp_path)
    msg = _message(run, "hazard:evaluatemap", {
        "PROBABILITY": bad["ndvi"], "HAZARDS": more["labels_12"], "LABEL_FIELD": "label",
        "OUTPUT_HTML": str(tmp_path / "e.html")}, tmp_path)
    assert "1, 2" in msg and "extent" not in msg, msg
