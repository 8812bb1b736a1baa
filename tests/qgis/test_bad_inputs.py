"""A catalogue of bad inputs over the algorithms: each fails with a QgsProcessingException that
names the input, leaves no output behind and does not modify its inputs."""
import hashlib
import os

import pytest


def _sha(paths):
    return {p: hashlib.sha256(open(p, "rb").read()).hexdigest() for p in paths}


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
