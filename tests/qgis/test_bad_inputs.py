"""A catalogue of bad inputs over the algorithms: each fails with a QgsProcessingException that
names the input, leaves no output behind and does not modify its inputs."""
import hashlib
import os

import numpy as np
import pytest

from tests.helpers import write_polygons, write_raster


def _sha(paths):
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths}


@pytest.fixture(scope="module")
def bad(sample_area, tmp_path_factory):
    folder, _ = sample_area
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
    return {
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
        "pts": str(folder / "landslide_points.gpkg"),
        "units": str(folder / "slope_units.gpkg"),
        "zones": str(folder / "zones.gpkg"),
        "dir": d,
    }


CASES = [
    ("hazard:mahalanobisabsences", lambda b: {"PRESENCES": b["empty_pts"],
                                             "FACTORS": [b["slope"]]}, "PRESENCES"),
    ("hazard:bufferabsences", lambda b: {"PRESENCES": b["empty_pts"], "FACTORS": [b["slope"]]},
     "PRESENCES"),
    ("hazard:bufferabsences", lambda b: {"PRESENCES": b["pts"], "FACTORS": [b["far"]]},
     "PRESENCES"),
    ("hazard:slopeabsences", lambda b: {"PRESENCES": b["pts"], "SLOPE": b["nodata"]},
     "PRESENCES"),
    ("hazard:kdeaugmentation", lambda b: {"PRESENCES": b["empty_pts"], "FACTORS": [b["slope"]]},
     "PRESENCES"),
    ("hazard:trainmodel", lambda b: {"SAMPLES": b["empty_pts"], "FACTORS": [b["slope"]]},
     "SAMPLES"),
    ("hazard:slopeunitstats", lambda b: {"SLOPE_UNITS": b["empty_polys"],
                                        "FACTORS": [b["slope"]]}, "SLOPE_UNITS"),
    ("hazard:slopeunitstats", lambda b: {"SLOPE_UNITS": b["units"], "FACTORS": [b["far"]]},
     "SLOPE_UNITS"),
    ("hazard:alignfactors", lambda b: {"FACTORS": [b["slope"], b["nodata"]]}, "nodata"),
    ("hazard:hnnsizeclasses", lambda b: {"UNITS": b["empty_polys"]}, "UNITS"),
    ("hazard:evaluatemap", lambda b: {"PROBABILITY": b["slope"], "HAZARDS": b["empty_pts"]},
     "HAZARDS"),
    ("hazard:geodetector", lambda b: {"RESPONSE": b["nodata"], "FACTORS": [b["slope"]]},
     "complete sample"),
    # wrong geometry type, caught by the parameter's own check
    ("hazard:slopeunitstats", lambda b: {"SLOPE_UNITS": b["pts"], "FACTORS": [b["slope"]]},
     "SLOPE_UNITS"),
    # a raster without a CRS
    ("hazard:bufferabsences", lambda b: {"PRESENCES": b["pts"], "FACTORS": [b["nocrs"]]},
     "nocrs"),
    # wrong types: text labels; files that are not model files
    ("hazard:trainmodel", lambda b: {"SAMPLES": b["text_label"], "FACTORS": [b["slope"]]},
     "LABEL_FIELD"),
    ("hazard:applymodel", lambda b: {"MODEL": b["fake_hsm"], "FACTORS": [b["slope"]]}, "MODEL"),
    ("hazard:applyhnn", lambda b: {"MODEL": b["fake_hnn"], "UNITS": b["units"]}, "MODEL"),
    ("hazard:mapmultihazard", lambda b: {"MODEL": b["fake_mhz"], "FACTORS": [b["slope"]],
                                        "ZONES": b["units"]}, "MODEL"),
    # tiny samples
    ("hazard:ocsvmabsences", lambda b: {"PRESENCES": b["tiny_pts"], "FACTORS": [b["slope"]]},
     "PRESENCES"),
    ("hazard:multihazardsamples", lambda b: {"FLOODS": b["tiny_pts"], "LANDSLIDES": b["pts"],
                                            "FACTORS": [b["slope"]], "ZONES": b["zones"]},
     "FLOODS"),
    ("hazard:trainmodel", lambda b: {"SAMPLES": b["tiny_pts"], "FACTORS": [b["slope"]]},
     "SAMPLES"),
    # empty layers, missing fields, nodata and no overlap over the other algorithms
    ("hazard:multiratioabsences", lambda b: {"PRESENCES": b["empty_pts"],
                                            "FACTORS": [b["slope"]]}, "PRESENCES"),
    ("hazard:susceptibilityratioabsences", lambda b: {"PRESENCES": b["pts"],
                                                     "FACTORS": [b["far"]]}, "PRESENCES"),
    ("hazard:factorthresholdabsences", lambda b: {"PRESENCES": b["pts"],
                                                 "FACTORS": [b["slope"]],
                                                 "THRESHOLD_FACTOR": b["nodata"]}, "nodata"),
    ("hazard:mergesamples", lambda b: {"PRESENCES": b["empty_pts"], "ABSENCES": b["pts"]},
     "PRESENCES"),
    ("hazard:frequencyratio", lambda b: {"HAZARDS": b["empty_pts"], "FACTORS": [b["slope"]]},
     "HAZARDS"),
    ("hazard:factorscreening", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["nodata"]]},
     "nodata"),
    ("hazard:comparesampling", lambda b: {"SCENARIOS": [b["empty_pts"]],
                                         "FACTORS": [b["slope"]]}, "SCENARIOS"),
    ("hazard:trainhnn", lambda b: {"UNITS": b["units"], "FEATURE_FIELDS": ["area_m2"]},
     "CLASS_FIELD"),
    ("hazard:trainhnn", lambda b: {"UNITS": b["units"], "FEATURE_FIELDS": ["no_such_field"]},
     "FEATURE_FIELDS"),
    ("hazard:hnnlossweights", lambda b: {"UNITS": b["empty_polys"]}, "UNITS"),
    ("hazard:hnnablation", lambda b: {"UNITS": b["units"]}, "FEATURE_FIELDS"),
    ("hazard:zonefeatureselection", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["slope"]]},
     "SAMPLES"),
    ("hazard:trainmultihazard", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["slope"]]},
     "SAMPLES"),
    ("hazard:evaluatemultihazard", lambda b: {"MAP_MOE_FLOOD": b["slope"]}, "Nothing to evaluate"),
    ("hazard:createsamplearea", lambda b: {"OUTPUT_FOLDER": b["fake_hsm"]}, "OUTPUT_FOLDER"),
    ("hazard:installdependencies", lambda b: {"PACKAGES": "numpy", "DRY_RUN": True}, "PACKAGES"),

]


@pytest.mark.parametrize("alg,params,names", CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                          enumerate(CASES)])
def test_bad_input_is_refused_cleanly(run, provider, bad, alg, params, names, tmp_path):
    from qgis.core import QgsProcessingException
    p = params(bad)
    algorithm = provider.algorithm(alg.split(":")[1])
    outs = {}
    for d in algorithm.destinationParameterDefinitions():
        ext = d.defaultFileExtension() or "dat"
        outs[d.name()] = str(tmp_path / f"{d.name().lower()}.{ext}")
    for k in list(outs):
        if k in p:  # the case gives this output itself
            outs.pop(k)
    p.update(outs)
    inputs = [v for v in p.values() if isinstance(v, str) and os.path.isfile(v)]
    inputs += [x for v in p.values() if isinstance(v, list) for x in v if os.path.isfile(x)]
    before = _sha(inputs)
    with pytest.raises(QgsProcessingException) as exc:
        run(alg, p)
    assert names in str(exc.value), str(exc.value)
    left = [o for o in outs.values() if os.path.exists(o)]
    assert not left, f"outputs left behind: {left}"
    assert _sha(inputs) == before, "an input was modified"
