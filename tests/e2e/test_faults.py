"""Faults in real qgis_process runs: a disk that fills (the file-size limit makes every write
past it fail, as a full disk does) and a run killed with SIGTERM or SIGINT leave no output, no
partial file, no temporary folder and no worker process behind."""
import os
import resource
import signal
import subprocess
import time

import pytest

from tests.conftest import ROOT

QP = os.path.join(ROOT, "scripts", "qgis_process")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not os.path.exists("/usr/bin/qgis_process.bin"):
        import shutil
        if not shutil.which("qgis_process"):
            pytest.skip("qgis_process is not installed")
    profile = tmp_path_factory.mktemp("profile")
    return dict(os.environ, HAZARD_QGIS_PROFILE=str(profile), QT_QPA_PLATFORM="offscreen")


def _limited(limit):
    def pre():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # writes past the limit fail (EFBIG)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return pre


@pytest.mark.parametrize("alg,params,limit", [
    # the cases: both had printed "done", exited 0 and left a GeoPackage with no layer
    ("hazard:slopeunitstats", lambda f: [f"SLOPE_UNITS={f / 'slope_units.gpkg'}",
                                         f"FACTORS={f / 'factors' / 'slope.tif'}"], 1_000_000),
    ("hazard:bufferabsences", lambda f: [f"PRESENCES={f / 'landslide_points.gpkg'}",
                                         f"FACTORS={f / 'factors' / 'slope.tif'}"], 110_000),
])
def test_a_full_disk_fails_the_run_and_leaves_nothing(env, sample_area, tmp_path, alg, params,
                                                      limit):
    folder, _ = sample_area
    out = tmp_path / "out.gpkg"
    res = subprocess.run([QP, "run", alg, "--", *params(folder), f"OUTPUT={out}"], env=env,
                         capture_output=True, text=True, timeout=600,
                         preexec_fn=_limited(limit))
    text = res.stdout + res.stderr
    assert res.returncode != 0, text[-2000:]
    assert "Writing OUTPUT failed" in text and "[OUTPUT]" in text, text[-2000:]
    assert os.listdir(tmp_path) == [], os.listdir(tmp_path)


def _leftovers(tmp):
    return [os.path.join(d, n) for d, dirs, files in os.walk(tmp) for n in dirs + files
            if n.startswith("hazard_") or ".partial" in n]


def _wait_for(pred, proc, timeout=300):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.1)
    return False


def _units(env, folder, d):
    for alg, args in (
            ("hazard:slopeunitstats", [f"SLOPE_UNITS={folder / 'slope_units.gpkg'}",
                                       f"FACTORS={folder / 'factors' / 'slope.tif'}",
                                       f"FACTORS={folder / 'factors' / 'ndvi.tif'}",
                                       f"LANDSLIDES={folder / 'landslides.gpkg'}",
                                       f"OUTPUT={d / 'su.gpkg'}"]),
            ("hazard:hnnsizeclasses", [f"UNITS={d / 'su.gpkg'}", f"OUTPUT={d / 'classes.gpkg'}",
                                       f"OUTPUT_HTML={d / 'classes.html'}"])):
        r = subprocess.run([QP, "run", alg, "--", *args], env=env, capture_output=True,
                           text=True, timeout=600)
        assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    return d / "classes.gpkg"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_killed_training_leaves_no_temporary_folder_worker_or_output(env, sample_area,
                                                                       tmp_path, signum):
    """Killed while the TensorFlow worker trains: the worker is stopped, its folder (holding
    the training arrays) removed, no output written, and the run ends by the signal."""
    folder, _ = sample_area
    (tmp_path / "in").mkdir()
    units = _units(env, folder, tmp_path / "in")
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out.mkdir()
    proc = subprocess.Popen(
        [QP, "run", "hazard:trainhnn", "--", f"UNITS={units}", "EPOCHS=100000", "PATIENCE=100000",
         f"OUTPUT_MODEL={out / 'm.hnn'}", f"OUTPUT={out / 'o.gpkg'}",
         f"OUTPUT_HTML={out / 'r.html'}"],
        env=dict(env, TMPDIR=str(tmp)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        started = _wait_for(lambda: any(n.startswith("hazard_worker_") for _, ds, _ in
                                        os.walk(tmp) for n in ds), proc)
        assert started, proc.communicate()[0][-3000:]
        time.sleep(3)  # the worker is importing TensorFlow or training by now
        workers = _workers(tmp)
        assert workers, "no worker process found"
        proc.send_signal(signum)
        text = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signum, (proc.returncode, text[-3000:])
    assert _leftovers(tmp) == []
    assert os.listdir(out) == []
    time.sleep(0.5)
    assert [p for p in workers if os.path.exists(f"/proc/{p}")] == []


def _workers(tmp):
    """Pids of worker processes whose folder is under ``tmp``."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            cmd = open(f"/proc/{p}/cmdline", "rb").read().split(b"\0")
        except OSError:
            continue
        if any(c.startswith(str(tmp).encode()) for c in cmd) and \
                any(c.endswith(b"core.util.worker") for c in cmd):
            pids.append(int(p))
    return pids


def test_a_killed_comparison_leaves_no_maps_in_the_temporary_folder(env, sample_area, tmp_path):
    """comparesampling keeps a full-size map per scenario in a temporary folder while it runs:
    a SIGTERM removes it."""
    folder, _ = sample_area
    facts = [f"FACTORS={folder / 'factors' / n}.tif" for n in ("slope", "ndvi", "pga")]
    tmp, out = tmp_path / "tmp", tmp_path / "out"
    tmp.mkdir()
    out.mkdir()
    for name, seed in (("a", 1), ("b", 2)):
        a = subprocess.run([QP, "run", "hazard:bufferabsences", "--",
                            f"PRESENCES={folder / 'landslide_points.gpkg'}", *facts,
                            f"SEED={seed}", f"OUTPUT={tmp_path / name}.gpkg"], env=env,
                           capture_output=True, text=True, timeout=600)
        assert a.returncode == 0, a.stdout[-2000:]
    proc = subprocess.Popen(
        [QP, "run", "hazard:comparesampling", "--", f"SCENARIOS={tmp_path / 'a.gpkg'}",
         f"SCENARIOS={tmp_path / 'b.gpkg'}", *facts,
         "TREES=3000", f"OUTPUT_HTML={out / 'c.html'}", f"OUTPUT_CSV={out / 'c.csv'}"],
        env=dict(env, TMPDIR=str(tmp)), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        text=True)
    try:
        assert _wait_for(lambda: any(n.startswith("hazard_compare_") for _, ds, _ in
                                     os.walk(tmp) for n in ds), proc), proc.communicate()[0]
        time.sleep(1)
        proc.send_signal(signal.SIGTERM)
        text = proc.communicate(timeout=60)[0]
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGTERM, text[-3000:]
    assert _leftovers(tmp) == [] and os.listdir(out) == []


def test_a_full_disk_while_making_the_sample_area_leaves_no_folder(env, tmp_path):
    out = tmp_path / "area"
    res = subprocess.run([QP, "run", "hazard:createsamplearea", "--", f"OUTPUT_FOLDER={out}"],
                         env=env, capture_output=True, text=True, timeout=600,
                         preexec_fn=_limited(300_000))
    text = res.stdout + res.stderr
    assert res.returncode != 0, text[-2000:]
    assert "Writing the sample area into" in text and "[OUTPUT_FOLDER]" in text, text[-2000:]
    assert "Traceback" not in text, text[-3000:]
    assert not out.exists()
