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
    return {
        "empty_pts": str(d / "empty_pts.gpkg"),
        "empty_polys": write_polygons(d / "empty_polys.gpkg", []),
        "far": write_raster(d / "far.tif", np.ones((10, 10)), (100000, 30, 0, 1000000, 0, -30)),
        "nodata": write_raster(d / "nodata.tif", np.full((600, 600), -1.0),
                               (690000.0, 30, 0, 9570000.0, 0, -30), nodata=-1),
        "slope": str(folder / "factors" / "slope.tif"),
        "pts": str(folder / "landslide_points.gpkg"),
        "units": str(folder / "slope_units.gpkg"),
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
    p.update(outs)
    inputs = [v for v in p.values() if isinstance(v, str) and os.path.isfile(v)]
    inputs += [x for v in p.values() if isinstance(v, list) for x in v]
    before = _sha(inputs)
    with pytest.raises(QgsProcessingException) as exc:
        run(alg, p)
    assert names in str(exc.value), str(exc.value)
    left = [o for o in outs.values() if os.path.exists(o)]
    assert not left, f"outputs left behind: {left}"
    assert _sha(inputs) == before, "an input was modified"
