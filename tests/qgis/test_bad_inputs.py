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
    ("hazard:applicability", lambda b: {"MODEL": b["fake_hsm"], "FACTORS": [b["slope"]]},
     "MODEL"),
    ("hazard:applicability", lambda b: {"MODEL": b["fake_hnn"], "UNITS": b["units"]}, "MODEL"),
    # an inventory to split that is empty, or all in one block
    ("hazard:splitinventory", lambda b: {"INVENTORY": b["empty_pts"]}, "INVENTORY"),
    ("hazard:splitinventory", lambda b: {"INVENTORY": b["pts"], "BLOCK_SIZE": 1e7},
     "BLOCK_SIZE"),
    # an independent inventory that is empty
    ("hazard:comparesampling", lambda b: {"SCENARIOS": [b["pts"]], "LABEL_FIELD": "fid",
                                         "FACTORS": [b["slope"]], "INDEPENDENT": b["empty_pts"]},
     "INDEPENDENT"),
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
    # pip options, URLs and paths in PACKAGES: only requirement names of the plugin's lists
    *[("hazard:installdependencies", lambda b, p=p: {"PACKAGES": p, "DRY_RUN": True},
       "PACKAGES") for p in ("--index-url=http://example.invalid/simple", "-r /etc/passwd",
                             "scipy --target=/tmp/x", "https://example.invalid/x.whl",
                             "../../x.whl", "scipy; import os", "no-such-package")],
    # distances in metres given for factors in a geographic CRS (degrees): the CRS is named
    *[(f"hazard:{a}", lambda b, extra=extra: dict({"PRESENCES": b["pts"],
                                                   "FACTORS": [b["geo_slope"], b["geo_ndvi"]],
                                                   "MIN_DISTANCE": 100}, **extra),
       "MIN_DISTANCE") for a, extra in (
        ("mahalanobisabsences", {}), ("bufferabsences", {}), ("kdeaugmentation", {}),
        ("ocsvmabsences", {}), ("multiratioabsences", {}), ("susceptibilityratioabsences", {}),
        ("slopeabsences", {"SLOPE": "geo_slope"}),
        ("factorthresholdabsences", {"THRESHOLD_FACTOR": "geo_slope"}))],
    ("hazard:multihazardsamples", lambda b: {"FLOODS": b["pts"], "LANDSLIDES": b["pts"],
                                            "FACTORS": [b["geo_slope"]], "ZONES": b["zones"],
                                            "SPACING": 100}, "SPACING"),
    # seeds outside 0 .. 2^32 - 1 or not whole
    *[(f"hazard:{a}", lambda b, seed=seed, extra=extra: dict(
        {"PRESENCES": b["pts"], "FACTORS": [b["slope"], b["ndvi"]], "SEED": seed}, **extra), "SEED")
      for a, extra in (("mahalanobisabsences", {}), ("bufferabsences", {}),
                       ("kdeaugmentation", {}), ("ocsvmabsences", {}),
                       ("multiratioabsences", {}), ("slopeabsences", {"SLOPE": "slope"}))
      for seed in (2 ** 32, 1e20, 2.5)],
    # NULL zones: all of them refused (some of them: dropped with a count, tested below)
    ("hazard:multihazardsamples", lambda b: {"FLOODS": b["pts"], "LANDSLIDES": b["pts"],
                                            "FACTORS": [b["slope"]],
                                            "ZONES": b["all_null_zones"]}, "ZONE_FIELD"),
    ("hazard:geodetector", lambda b: {"RESPONSE": b["slope"], "FACTORS": [b["slope"]],
                                      "ZONES": b["all_null_zones"], "ZONE_FIELD": "zone"},
     "ZONE_FIELD"),
    ("hazard:geodetector", lambda b: {"RESPONSE": b["slope"], "FACTORS": [b["slope"]],
                                      "ZONES": b["zones"]}, "ZONE_FIELD"),
    ("hazard:geodetector", lambda b: {"FACTORS": [b["slope"]]}, "RESPONSE"),
    # NULL labels, a label field that does not exist, a bad bandwidth, bounds that are text
    ("hazard:trainmodel", lambda b: {"SAMPLES": b["null_label"], "FACTORS": [b["slope"]]},
     "LABEL_FIELD"),
    ("hazard:trainmodel", lambda b: {"SAMPLES": b["pts"], "FACTORS": [b["slope"]],
                                     "LABEL_FIELD": "no_such_field"}, "LABEL_FIELD"),
    ("hazard:kdeaugmentation", lambda b: {"PRESENCES": b["pts"], "FACTORS": [b["slope"]],
                                          "BANDWIDTH": "wide"}, "BANDWIDTH"),
    ("hazard:hnnsizeclasses", lambda b: {"UNITS": b["units"], "AREA_FIELD": "area_m2",
                                         "BOUNDS": "abc"}, "BOUNDS"),
    ("hazard:hnnsizeclasses", lambda b: {"UNITS": b["null_area"], "AREA_FIELD": "area_m2"},
     "AREA_FIELD"),
    # empty layers in the second input of two-input algorithms
    ("hazard:mergesamples", lambda b: {"PRESENCES": b["pts"], "ABSENCES": b["empty_pts"]},
     "ABSENCES"),
    ("hazard:multihazardsamples", lambda b: {"FLOODS": b["pts"], "LANDSLIDES": b["empty_pts"],
                                            "FACTORS": [b["slope"]], "ZONES": b["zones"]},
     "LANDSLIDES"),
    ("hazard:trainhnn", lambda b: {"UNITS": b["empty_polys"]}, "UNITS"),
    ("hazard:zonefeatureselection", lambda b: {"SAMPLES": b["empty_pts"],
                                               "FACTORS": [b["slope"]]}, "SAMPLES"),
    # wrong geometry types and rasters without a CRS elsewhere
    ("hazard:applyhnn", lambda b: {"MODEL": b["fake_hnn"], "UNITS": b["pts"]}, "UNITS"),
    ("hazard:hnnsizeclasses", lambda b: {"UNITS": b["pts"]}, "UNITS"),
    ("hazard:slopeabsences", lambda b: {"PRESENCES": b["pts"], "SLOPE": b["nocrs"]}, "nocrs"),
    ("hazard:frequencyratio", lambda b: {"HAZARDS": b["pts"], "FACTORS": [b["far"]]},
     "HAZARDS"),
    # a GeoTIFF cut short had given a traceback with an empty GDAL message
    ("hazard:bufferabsences", lambda b: {"PRESENCES": b["pts"], "FACTORS": [b["truncated"]]},
     "truncated"),
    ("hazard:alignfactors", lambda b: {"FACTORS": [b["slope"], b["truncated"]]}, "truncated"),
    ("hazard:slopeunitstats", lambda b: {"SLOPE_UNITS": b["units"], "FACTORS": [b["truncated"]]},
     "truncated"),
    ("hazard:frequencyratio", lambda b: {"HAZARDS": b["pts"], "FACTORS": [b["truncated"]]},
     "truncated"),
    # output paths that cannot be written (a folder under a file; root ignores permissions)
    ("hazard:bufferabsences", lambda b: {"PRESENCES": b["pts"], "FACTORS": [b["slope"]],
                                         "OUTPUT": b["slope"] + "/x/out.gpkg"}, "OUTPUT"),
    ("hazard:frequencyratio", lambda b: {"HAZARDS": b["pts"], "FACTORS": [b["slope"]],
                                         "OUTPUT_HTML": b["slope"] + "/x/r.html"},
     "OUTPUT_HTML"),
    ("hazard:alignfactors", lambda b: {"FACTORS": [b["slope"]],
                                       "OUTPUT": b["slope"] + "/x/out.tif"}, "OUTPUT"),
]


@pytest.mark.parametrize("alg,params,names", CASES, ids=[f"{c[0]}-{i}" for i, c in
                                                          enumerate(CASES)])
def test_bad_input_is_refused_cleanly(run, provider, bad, alg, params, names, tmp_path):
    p = {k: bad[v] if isinstance(v, str) and v in bad else v for k, v in params(bad).items()}
    _refused(run, provider, alg, p, names, tmp_path)


@pytest.mark.parametrize("address", ["not a scheduler", "tcp://127.0.0.1:9",
                                     "http://localhost:1/status", "127.0.0.1"])
def test_an_address_that_is_not_a_dask_scheduler_is_refused(run, provider, small_model, address,
                                                            tmp_path):
    model, facts = small_model
    _refused(run, provider, "hazard:applymodel", {"MODEL": model, "FACTORS": facts,
                                                  "DASK_SCHEDULER": address},
             "DASK_SCHEDULER", tmp_path)


def _refused(run, provider, alg, p, names, tmp_path):
    """Run ``alg`` with ``p`` (its outputs into tmp_path unless given): it must fail naming
    ``names``, leave no output and change no input."""
    from qgis.core import QgsProcessingException
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


WORKFLOW_CASES = [
    ("hazard:workflowmahalanobis", lambda b: {"INVENTORY": b["empty_pts"],
                                              "FACTORS": [b["slope"], b["ndvi"]]}, "INVENTORY"),
    ("hazard:workflowhnn", lambda b: {"UNITS": b["empty_polys"], "LANDSLIDES": b["ls_polys"],
                                      "FACTORS": [b["slope"]]}, "SLOPE_UNITS"),
    ("hazard:workflowmultihazard", lambda b: {"FLOODS": b["empty_pts"], "LANDSLIDES": b["pts"],
                                              "FACTORS": [b["slope"]], "ZONES": b["zones"],
                                              "ZONE_FIELD": "zone"}, "FLOODS"),
]


@pytest.mark.parametrize("alg,params,names", WORKFLOW_CASES,
                         ids=[c[0] for c in WORKFLOW_CASES])
def test_a_workflow_names_the_input_its_step_refused(provider, bad, alg, params, names,
                                                     tmp_path):
    """A shipped workflow stops at the step that refuses, and the log names that step's input
    (QGIS's own message is only "Error encountered while running <step>")."""
    from tests.qgis.test_bad_inputs_handled import _run_logged
    p = params(bad)
    a = provider.algorithm(alg.split(":")[1])
    for d in a.destinationParameterDefinitions():
        p[d.name()] = str(tmp_path / "out" / d.name().replace(":", "_"))
    files = [v for v in p.values() if isinstance(v, str) and os.path.isfile(v)]
    files += [x for v in p.values() if isinstance(v, list) for x in v if os.path.isfile(x)]
    before = _sha(files)
    res, log = _run_logged(alg, p)
    assert not isinstance(res, dict), res
    assert any(f"[{names}]" in m for m in log + [str(res)]), log
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")
    assert _sha(files) == before
