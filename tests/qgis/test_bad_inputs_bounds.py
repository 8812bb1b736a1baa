"""Bad inputs, over-memory kind (issue 34, part 5): every algorithm that allocates by a user's
count is refused before it allocates, with a QgsProcessingException saying how much memory
the run needs, how much is available and which parameter to change. The available memory is
faked small (core.util.memory.available), so no test allocates much; the HNN's refusal comes
before its TensorFlow worker is started (starting it fails the test)."""
import time

import numpy as np
import pytest
from osgeo import gdal

from tests.helpers import srs_wkt

GB = 1024 ** 3


@pytest.fixture()
def memory_of(monkeypatch):
    """Fake the machine's available memory (bytes)."""
    from hazard_susceptibility.core.util import memory

    def set_(n):
        monkeypatch.setattr(memory, "available", lambda: int(n))
    return set_


def _refused(run, alg, params, param):
    """Run ``alg``: it must end in a QgsProcessingException about memory naming ``param``."""
    from qgis.core import QgsProcessingException
    t0 = time.time()
    with pytest.raises(QgsProcessingException) as exc:
        run(alg, params)
    msg = str(exc.value)
    assert "of memory" in msg and "available" in msg and f"[{param}]" in msg, msg
    assert "Nothing was started" in msg, msg
    assert time.time() - t0 < 60
    return msg


# -- samplers: the number of absences ---------------------------------------------------------
def _sampling(folder, tmp_path, extra):
    return dict({"PRESENCES": str(folder / "landslide_points.gpkg"),
                 "FACTORS": [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi")],
                 "OUTPUT": str(tmp_path / "s.gpkg")}, **extra)


@pytest.mark.parametrize("alg,extra,param", [
    ("hazard:bufferabsences", {"COUNT": 2_000_000_000}, "COUNT"),
    ("hazard:bufferabsences", {"RATIO": 1e8}, "RATIO"),
    ("hazard:mahalanobisabsences", {"COUNT": 2_000_000_000}, "COUNT"),
    ("hazard:slopeabsences", {"COUNT": 2_000_000_000}, "COUNT"),
    ("hazard:ocsvmabsences", {"COUNT": 2_000_000_000}, "COUNT"),
    ("hazard:kdeaugmentation", {"RATIO": 1e8}, "RATIO"),
    ("hazard:multiratioabsences", {"RATIOS": "1:1, 1:100000000"}, "RATIOS"),
])
def test_an_absence_count_beyond_memory_is_refused(run, sample_area, tmp_path, memory_of, alg,
                                                   extra, param):
    folder, _ = sample_area
    memory_of(16 * GB)
    params = _sampling(folder, tmp_path, extra)
    if alg == "hazard:slopeabsences":
        params["SLOPE"] = str(folder / "factors" / "slope.tif")
    msg = _refused(run, alg, params, param)
    assert "absences needs about" in msg and "16.0 GB are available" in msg, msg
    assert not (tmp_path / "s.gpkg").exists()


def test_factor_threshold_absences_beyond_memory_are_refused(run, sample_area, tmp_path,
                                                             memory_of):
    folder, _ = sample_area
    memory_of(16 * GB)
    facts = [str(folder / "factors" / f"{n}.tif") for n in ("ndvi", "slope")]
    _refused(run, "hazard:factorthresholdabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts,
        "THRESHOLD_FACTOR": facts[0], "THRESHOLD": 0.4, "COUNT": 2_000_000_000,
        "OUTPUT": str(tmp_path / "s.gpkg")}, "COUNT")


@pytest.mark.parametrize("extra,param", [({"ABSENCE_RATIO": 1e8}, "ABSENCE_RATIO"),
                                         ({"KDE_RATIO": 1e8}, "KDE_RATIO")])
def test_multihazard_samples_beyond_memory_are_refused(run, sample_area, tmp_path, memory_of,
                                                       extra, param):
    folder, _ = sample_area
    memory_of(16 * GB)
    _refused(run, "hazard:multihazardsamples", dict({
        "FLOODS": str(folder / "floods.gpkg"),
        "LANDSLIDES": str(folder / "landslide_points.gpkg"),
        "FACTORS": [str(folder / "factors" / "slope.tif")], "ZONES": str(folder / "zones.gpkg"),
        "OUTPUT": str(tmp_path / "mh.gpkg")}, **extra), param)
    assert not (tmp_path / "mh.gpkg").exists()


def test_a_count_that_fits_still_runs(run, sample_area, tmp_path, memory_of):
    folder, _ = sample_area
    memory_of(16 * GB)
    res = run("hazard:bufferabsences", _sampling(folder, tmp_path, {"COUNT": 100}))
    assert res["OUTPUT"]


# -- trees: their count ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def samples(run_module, sample_area, tmp_path_factory):
    folder, _ = sample_area
    d = tmp_path_factory.mktemp("trees")
    facts = [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi")]
    s = run_module("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts,
        "OUTPUT": str(d / "samples.gpkg")})
    s2 = run_module("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts, "SEED": 2,
        "OUTPUT": str(d / "samples2.gpkg")})
    return s["OUTPUT"], facts, s2["OUTPUT"]


@pytest.mark.parametrize("alg", ["hazard:trainmodel", "hazard:comparesampling",
                                 "hazard:susceptibilityratioabsences"])
def test_trees_beyond_memory_are_refused(run, sample_area, samples, tmp_path, memory_of, alg):
    folder, _ = sample_area
    path, facts, other = samples
    memory_of(16 * GB)
    params = {
        "hazard:trainmodel": {"SAMPLES": path, "OUTPUT_MODEL": str(tmp_path / "m.hsm"),
                              "OUTPUT_HTML": str(tmp_path / "m.html")},
        "hazard:comparesampling": {"SCENARIOS": [path, other],
                                   "OUTPUT_HTML": str(tmp_path / "c.html")},
        "hazard:susceptibilityratioabsences": {
            "PRESENCES": str(folder / "landslide_points.gpkg"), "OUTPUT": str(tmp_path / "s.gpkg"),
            "OUTPUT_MAP": str(tmp_path / "map.tif")}}[alg]
    params.update(FACTORS=facts, TREES=2_000_000_000)
    msg = _refused(run, alg, params, "TREES")
    assert "2,000,000,000 trees" in msg, msg
    assert list(tmp_path.iterdir()) == []


def test_the_forest_bound_holds_a_fitted_forest():
    """The bound of a forest's memory against the nodes of a forest fitted on noisy data."""
    import pickle

    from sklearn.ensemble import RandomForestClassifier

    from hazard_susceptibility.core.susceptibility.estimators import forest_bytes
    rng = np.random.default_rng(0)
    X = rng.random((2000, 5))
    y = (X[:, 0] + rng.normal(0, 1.0, 2000) > 0.5).astype(int)
    rf = RandomForestClassifier(20, random_state=0).fit(X, y)
    real = len(pickle.dumps(rf))
    bound = forest_bytes("rf", 20, 2000)
    assert real < bound < 6 * real


# -- Hierarchical Neural Network: its weights ---------------------------------------------------
@pytest.fixture()
def units():
    """Slope units with two features and size classes 0..2 (in memory)."""
    from qgis.core import QgsFeature, QgsGeometry, QgsRectangle, QgsVectorLayer

    from hazard_susceptibility.algorithms import compat
    lyr = QgsVectorLayer("Polygon?crs=EPSG:32717", "units", "memory")
    pr = lyr.dataProvider()
    pr.addAttributes([compat.double_field("a_mean"), compat.double_field("b_mean"),
                      compat.int_field("size_class")])
    lyr.updateFields()
    rng = np.random.default_rng(0)
    feats = []
    for i in range(90):
        f = QgsFeature(lyr.fields())
        x, y = 700000 + 100 * (i % 10), 9500000 + 100 * (i // 10)
        f.setGeometry(QgsGeometry.fromRect(QgsRectangle(x, y, x + 100, y + 100)))
        f.setAttributes([float(rng.random()), float(rng.random()), [0, 0, 0, 1, 2][i % 5]])
        feats.append(f)
    pr.addFeatures(feats)
    return lyr


@pytest.fixture()
def no_worker(monkeypatch):
    """Starting the TensorFlow worker fails the test: the refusal must come first."""
    from hazard_susceptibility.core.util import worker

    def popen(*a, **k):
        raise AssertionError("the worker was started")
    monkeypatch.setattr(worker.subprocess, "Popen", popen)


LARGEST = {"N1": 16, "U1": 4096, "N2": 16, "U2": 4096}


@pytest.mark.parametrize("alg", ["hazard:trainhnn", "hazard:hnnlossweights",
                                 "hazard:hnnablation"])
def test_the_largest_hnn_is_refused_beyond_memory(run, units, tmp_path, memory_of, no_worker,
                                                  alg):
    pytest.importorskip("sklearn")
    memory_of(4 * GB)
    params = dict(UNITS=units, OUTPUT_HTML=str(tmp_path / "r.html"), **LARGEST)
    if alg == "hazard:trainhnn":
        params.update(OUTPUT_MODEL=str(tmp_path / "m.hnn"), OUTPUT=str(tmp_path / "u.gpkg"))
    msg = _refused(run, alg, params, "U1")
    assert "520,2" in msg and "weights" in msg and "[N1]" in msg, msg
    assert list(tmp_path.iterdir()) == []


def test_the_hnn_estimate_names_memory_and_time():
    """The estimate of the largest network: about the 10.5 GB seen when it was run."""
    from hazard_susceptibility.core.hnn.cost import training_estimate
    from hazard_susceptibility.core.hnn.network import Architecture, build_model, n_weights
    from hazard_susceptibility.core.util import memory
    classes = np.r_[np.zeros(1500, int), np.ones(300, int), np.full(150, 2), np.full(50, 3)]
    est = training_estimate(2000, 20, classes, Architecture(16, 4096, 16, 4096), 300)
    assert 9 * GB < est["bytes"] < 13 * GB
    assert est["seconds"] == pytest.approx(300 * est["epoch_seconds"])
    small = training_estimate(2000, 20, classes, Architecture(), 300)
    assert small["bytes"] < GB and small["weights"] < 2000
    # the weights counted against a Keras model, when TensorFlow is here
    if pytest.importorskip("tensorflow", reason="TensorFlow not installed"):
        m = build_model(20, 4, Architecture(2, 16, 2, 8), 0.8)
        assert m.count_params() == n_weights(20, 4, Architecture(2, 16, 2, 8))
    assert memory.duration_text(0.2) == "under a second"


# -- GeoDetector on 10^10 pixels ---------------------------------------------------------------
@pytest.fixture(scope="module")
def huge(tmp_path_factory):
    """A response and a factor of 100,000 x 100,000 pixels: sparse GeoTIFFs (no tile written,
    every pixel nodata), a few kilobytes on disk."""
    d = tmp_path_factory.mktemp("huge")
    paths = []
    for name in ("resp", "fac"):
        p = str(d / f"{name}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(p, 100_000, 100_000, 1, gdal.GDT_Float32,
                                                  ["TILED=YES", "SPARSE_OK=TRUE"])
        ds.SetGeoTransform((700000, 1, 0, 9600000, 0, -1))
        ds.SetProjection(srs_wkt(32717))
        ds.GetRasterBand(1).SetNoDataValue(-9999)
        ds = None
        paths.append(p)
    return paths


def test_geodetector_on_ten_billion_pixels_says_its_estimate_first(run, huge, tmp_path):
    """SAMPLE_SIZE=0 on 10^10 pixels: memory and time are said before the first pass (the run
    is cancelled a few seconds in; the estimate takes about one)."""
    import threading

    from qgis.core import QgsProcessingException, QgsProcessingFeedback
    from qgis import processing
    fb = QgsProcessingFeedback()
    timer = threading.Timer(8.0, fb.cancel)
    timer.start()
    try:
        with pytest.raises(QgsProcessingException, match="Cancelled"):
            processing.run("hazard:geodetector", {
                "RESPONSE": huge[0], "FACTORS": [huge[1]], "SAMPLE_SIZE": 0,
                "OUTPUT_HTML": str(tmp_path / "g.html")}, feedback=fb)
    finally:
        timer.cancel()
    said = [t for t in fb.textLog().splitlines() if "10,000,000,000 pixels" in t]
    assert said, fb.textLog()[-2000:]
    assert "of memory" in said[0] and "passes" in said[0] and "in all" in said[0], said
    assert not (tmp_path / "g.html").exists()


@pytest.mark.parametrize("sample,param", [(0, "FACTORS"), (1_000_000_000, "SAMPLE_SIZE")])
def test_geodetector_beyond_memory_is_refused(run, huge, tmp_path, memory_of, sample, param):
    memory_of(64 * 1024 ** 2 if not sample else 16 * GB)
    msg = _refused(run, "hazard:geodetector", {
        "RESPONSE": huge[0], "FACTORS": [huge[1]], "SAMPLE_SIZE": sample,
        "OUTPUT_HTML": str(tmp_path / "g.html")}, param)
    assert "10,000,000,000 pixels" in msg and "passes" in msg, msg
    assert not (tmp_path / "g.html").exists()
