"""Outputs never touch inputs: an output on an input (by path, link or GeoPackage layer) is
refused before anything is read, two outputs on one file are refused, a layer written into an
existing GeoPackage replaces only that layer, and a short vector write leaves nothing."""
import hashlib
import os
import shutil

import pytest
from osgeo import ogr

from tests.qgis.test_bad_inputs import CASES


def _sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def _copied(p, tmp_path):
    """The case's parameters with every input file copied into tmp_path (so a failure of the
    guard could never harm the shared fixtures)."""
    def cp(v):
        if isinstance(v, str) and os.path.isfile(v):
            dst = tmp_path / ("in_" + os.path.basename(v))
            if not dst.exists():
                shutil.copy2(v, dst)
            return str(dst)
        return v
    return {k: [cp(x) for x in v] if isinstance(v, list) else cp(v) for k, v in p.items()}


def _first_case_per_algorithm():
    seen, out = set(), []
    for alg, params, _ in CASES:
        if alg in seen or alg in ("hazard:createsamplearea", "hazard:installdependencies"):
            continue
        seen.add(alg)
        out.append((alg, params))
    return out


DESTINATIONS = {  # every destination parameter of each algorithm (test_provider checks the list)
    "hazard:mahalanobisabsences": ["OUTPUT", "OUTPUT_D2", "OUTPUT_MASK", "OUTPUT_HTML"],
    "hazard:bufferabsences": ["OUTPUT"],
    "hazard:slopeabsences": ["OUTPUT"],
    "hazard:kdeaugmentation": ["OUTPUT"],
    "hazard:trainmodel": ["OUTPUT_MODEL", "OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:slopeunitstats": ["OUTPUT"],
    "hazard:alignfactors": ["OUTPUT"],
    "hazard:hnnsizeclasses": ["OUTPUT", "OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:evaluatemap": ["OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:geodetector": ["OUTPUT_HTML", "OUTPUT_TABLES"],
    "hazard:applymodel": ["OUTPUT", "OUTPUT_CLASSES", "OUTPUT_UNCERTAINTY", "OUTPUT_UNITS"],
    "hazard:applicability": ["OUTPUT_DI", "OUTPUT_AOA", "OUTPUT_UNITS", "OUTPUT_HTML"],
    "hazard:splitinventory": ["OUTPUT_TRAINING", "OUTPUT_HELD_OUT"],
    "hazard:applyhnn": ["OUTPUT"],
    "hazard:mapmultihazard": ["OUTPUT_MOE_FLOOD", "OUTPUT_MOE_LANDSLIDE", "OUTPUT_LF_FLOOD",
                              "OUTPUT_LF_LANDSLIDE", "OUTPUT_EF_FLOOD", "OUTPUT_EF_LANDSLIDE",
                              "OUTPUT_UNCERTAINTY", "OUTPUT_CORRELATION", "OUTPUT_GATE",
                              "OUTPUT_DI", "OUTPUT_AOA", "OUTPUT_BIVARIATE"],
    "hazard:ocsvmabsences": ["OUTPUT"],
    "hazard:multihazardsamples": ["OUTPUT", "OUTPUT_HELD_OUT"],
    "hazard:multiratioabsences": ["OUTPUT"],
    "hazard:susceptibilityratioabsences": ["OUTPUT", "OUTPUT_MAP", "OUTPUT_HTML"],
    "hazard:factorthresholdabsences": ["OUTPUT", "OUTPUT_HTML"],
    "hazard:mergesamples": ["OUTPUT"],
    "hazard:frequencyratio": ["OUTPUT_HTML", "OUTPUT_CSV", "OUTPUT_INDEX"],
    "hazard:factorscreening": ["OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:comparesampling": ["OUTPUT_HTML", "OUTPUT_CSV", "OUTPUT_MAPS"],
    "hazard:trainhnn": ["OUTPUT_MODEL", "OUTPUT", "OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:hnnlossweights": ["OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:hnnablation": ["OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:zonefeatureselection": ["OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:trainmultihazard": ["OUTPUT_MODEL", "OUTPUT_HTML", "OUTPUT_CSV"],
    "hazard:evaluatemultihazard": ["OUTPUT_HTML", "OUTPUT_JACCARD_CSV", "OUTPUT_DENSITY_CSV",
                                   "OUTPUT_ZONAL_CSV"],
}


def test_the_destination_list_is_every_destination(provider):
    for alg, _ in _first_case_per_algorithm():
        a = provider.algorithm(alg.split(":")[1])
        assert DESTINATIONS[alg] == [d.name() for d in a.destinationParameterDefinitions()], alg


PAIRS = [(alg, params, dest) for alg, params in _first_case_per_algorithm()
         for dest in DESTINATIONS[alg]]


@pytest.mark.parametrize("alg,params,dest", PAIRS, ids=[f"{a}-{d}" for a, _, d in PAIRS])
def test_an_output_on_an_input_is_refused_before_anything_is_read(run, bad, alg, params, dest,
                                                                   tmp_path):
    from qgis.core import QgsProcessingException
    p = _copied(params(bad), tmp_path)
    files = [v for v in p.values() if isinstance(v, str) and os.path.isfile(v)]
    files += [x for v in p.values() if isinstance(v, list) for x in v if os.path.isfile(x)]
    target = files[0]
    before = {f: _sha(f) for f in files}
    (tmp_path / "out").mkdir()
    for other in DESTINATIONS[alg]:  # the others where they may go (some are mandatory)
        p[other] = str(tmp_path / "out" / other.lower())
    p[dest] = target
    with pytest.raises(QgsProcessingException) as exc:
        run(alg, p)
    msg = str(exc.value)
    assert "would overwrite the input" in msg and f"[{dest}]" in msg, msg
    assert {f: _sha(f) for f in files} == before
    left = [n for n in os.listdir(tmp_path) if not n.endswith(".aux.xml")]  # QGIS's statistics
    assert sorted(left) == sorted({os.path.basename(f) for f in files} | {"out"})
    assert os.listdir(tmp_path / "out") == []


def _merge_inputs(sample_area, tmp_path):
    folder, _ = sample_area
    pres = tmp_path / "presences.gpkg"
    shutil.copy2(folder / "landslide_points.gpkg", pres)
    return str(pres)


def _layers(path):
    ds = ogr.Open(str(path))
    return {ds.GetLayer(i).GetName(): ds.GetLayer(i).GetFeatureCount()
            for i in range(ds.GetLayerCount())}


def test_mergesamples_onto_its_presences_keeps_the_presences(run, sample_area, tmp_path):
    """The issue's case: OUTPUT = PRESENCES had exited 0 with the 467 presences gone; so too
    through a symbolic link, a hard link, and with the layer named."""
    from qgis.core import QgsProcessingException
    pres = _merge_inputs(sample_area, tmp_path)
    layer, n = next(iter(_layers(pres).items()))
    sha = _sha(pres)
    os.symlink(pres, tmp_path / "link.gpkg")
    os.link(pres, tmp_path / "hard.gpkg")
    for out in (pres, str(tmp_path / "link.gpkg"), str(tmp_path / "hard.gpkg"),
                f"ogr:dbname='{pres}' table=\"{layer}\" (geom)"):
        with pytest.raises(QgsProcessingException, match=r"would overwrite the input PRESENCES"):
            run("hazard:mergesamples", {"PRESENCES": pres, "ABSENCES": pres, "OUTPUT": out})
        assert _sha(pres) == sha and _layers(pres) == {layer: n}


def test_another_layer_of_an_input_geopackage_is_refused_too(run, sample_area, tmp_path):
    """QGIS cannot add a layer to a GeoPackage it is reading; the input file stays as it was."""
    from qgis.core import QgsProcessingException
    pres = _merge_inputs(sample_area, tmp_path)
    layer = next(iter(_layers(pres)))
    sha = _sha(pres)
    with pytest.raises(QgsProcessingException, match=r"would overwrite the input PRESENCES"):
        run("hazard:mergesamples", {"PRESENCES": f"{pres}|layername={layer}", "ABSENCES": pres,
                                    "OUTPUT": f"ogr:dbname='{pres}' table=\"merged\" (geom)"})
    assert _sha(pres) == sha


def test_an_output_into_an_existing_geopackage_replaces_only_its_layer(run, sample_area,
                                                                     tmp_path):
    """A multi-layer GeoPackage given as OUTPUT had lost its other layers."""
    pres = _merge_inputs(sample_area, tmp_path)
    n = next(iter(_layers(pres).values()))
    multi = tmp_path / "project.gpkg"
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(multi))
    for name in ("roads", "rivers"):
        lyr = ds.CreateLayer(name, None, ogr.wkbPoint)
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetGeometry(ogr.CreateGeometryFromWkt("POINT (1 2)"))
        lyr.CreateFeature(f)
    ds = None
    for _ in range(2):  # the second run replaces its own layer, not the file
        res = run("hazard:mergesamples", {"PRESENCES": pres, "ABSENCES": pres,
                                          "OUTPUT": str(multi)})
        assert _layers(multi) == {"roads": 1, "rivers": 1, "project": 2 * n}, res
    assert res["OUTPUT"].endswith("layername=project")


def test_two_outputs_on_one_file_are_refused(run, sample_area, tmp_path):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    out = str(tmp_path / "same.tif")
    with pytest.raises(QgsProcessingException, match=r"OUTPUT_MASK and OUTPUT_D2 are the same"):
        run("hazard:mahalanobisabsences", {
            "PRESENCES": str(folder / "landslide_points.gpkg"),
            "FACTORS": [str(folder / "factors" / "slope.tif")],
            "OUTPUT": str(tmp_path / "abs.gpkg"), "OUTPUT_D2": out, "OUTPUT_MASK": out})
    assert os.listdir(tmp_path) == []


class _Refusing:
    """A feature sink that takes ``ok`` features and refuses the next (a disk that fills)."""

    def __init__(self, real, ok):
        self.real, self.ok = real, ok

    def addFeature(self, f, flags=None):  # noqa: N802
        if self.ok <= 0:
            return False
        self.ok -= 1
        return self.real.addFeature(f)

    def flushBuffer(self):  # noqa: N802
        return self.real.flushBuffer()

    def lastError(self):  # noqa: N802
        return "No space left on device"


def _sinks_become(monkeypatch, wrap):
    """Every feature sink an algorithm asks for is wrapped by ``wrap`` (a disk that fills)."""
    from qgis.core import QgsProcessingAlgorithm
    real = QgsProcessingAlgorithm.parameterAsSink

    def wrapped(self, *a, **k):
        sink, dest = real(self, *a, **k)
        return wrap(sink), dest
    monkeypatch.setattr(QgsProcessingAlgorithm, "parameterAsSink", wrapped)


@pytest.mark.parametrize("existing", [False, True])
def test_a_refused_feature_leaves_no_output(run, sample_area, tmp_path, monkeypatch, existing):
    """Every addFeature is checked: a refusal fails the run, and the output file (or, in an
    existing GeoPackage, the output's layer) is removed."""
    from qgis.core import QgsProcessingException
    pres = _merge_inputs(sample_area, tmp_path)
    out = tmp_path / "out.gpkg"
    if existing:
        ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(out))
        ds.CreateLayer("keep", None, ogr.wkbPoint)
        ds = None
    _sinks_become(monkeypatch, lambda sink: _Refusing(sink, 100))
    with pytest.raises(QgsProcessingException, match=r"Writing OUTPUT failed: No space left"):
        run("hazard:mergesamples", {"PRESENCES": pres, "ABSENCES": pres, "OUTPUT": str(out)})
    if existing:
        assert _layers(out) == {"keep": 0}
    else:
        assert not out.exists()


def test_a_short_file_is_caught_by_counting(run, sample_area, tmp_path, monkeypatch):
    """A writer that says yes but keeps fewer features than it was given is caught when the
    output is reopened and counted."""
    from qgis.core import QgsProcessingException
    pres = _merge_inputs(sample_area, tmp_path)
    out = tmp_path / "out.gpkg"

    class Dropping(_Refusing):
        def addFeature(self, f, flags=None):  # noqa: N802
            self.ok -= 1
            return True if self.ok < 0 else self.real.addFeature(f)
    _sinks_become(monkeypatch, lambda sink: Dropping(sink, 10))
    with pytest.raises(QgsProcessingException, match=r"Writing OUTPUT failed: 10 of \d+ feat"):
        run("hazard:mergesamples", {"PRESENCES": pres, "ABSENCES": pres, "OUTPUT": str(out)})
    assert not out.exists()


def test_a_run_failing_after_its_first_output_leaves_none(run, sample_area, tmp_path,
                                                           monkeypatch):
    """frequencyratio writes its index raster, then the report: a failure in the report had
    left the index (with its style) looking like a finished result."""
    from qgis.core import QgsProcessingException

    from hazard_susceptibility.algorithms.reports import frequency_ratio as fr
    from hazard_susceptibility.core.util.errors import HazardError
    folder, _ = sample_area

    def fail(*a, **k):
        raise HazardError("No space left on device")
    monkeypatch.setattr(fr, "frequency_ratio_report", fail)
    with pytest.raises(QgsProcessingException, match="No space left"):
        run("hazard:frequencyratio", {
            "HAZARDS": str(folder / "landslide_points.gpkg"),
            "FACTORS": [str(folder / "factors" / "slope.tif")],
            "OUTPUT_INDEX": str(tmp_path / "index.tif"), "OUTPUT_HTML": str(tmp_path / "r.html"),
            "OUTPUT_CSV": str(tmp_path / "r.csv")})
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("where", ["file", "readonly"])
def test_an_output_that_cannot_be_written_is_refused_before_the_work(run, sample_area,
                                                                       tmp_path, where):
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    if where == "file":
        out = tmp_path / "a_file"
        out.write_text("")
        out = out / "sub" / "abs.gpkg"
        said = "is a file, not a folder"
    else:
        if os.geteuid() == 0:
            pytest.skip("root writes into read-only folders")
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        out, said = ro / "abs.gpkg", "is not writable"
    with pytest.raises(QgsProcessingException, match=said):
        run("hazard:bufferabsences", {"PRESENCES": str(folder / "landslide_points.gpkg"),
                                      "FACTORS": [str(folder / "factors" / "slope.tif")],
                                      "OUTPUT": str(out)})
