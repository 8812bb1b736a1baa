"""Where analysts click (issue 29, part 7): the REAL QGIS application (/usr/bin/qgis) under
Xvfb, with this plugin in a fresh profile, runs the dialogs an analyst runs, with every output
left TEMPORARY_OUTPUT as the dialog leaves it: 'Apply susceptibility model', an absence
sampler, 'Train susceptibility model' and each workflow from its dialog, and each shipped
.model3 as the Graphical Modeler's Run button runs it. For each: QGIS does not crash, the
dialog's log has no red "not correctly generated", the outputs are loaded, styled, and in the
order an analyst reads them (points above rasters, the map visible above the supporting
layers). Screenshots of the main window, the dialogs and the models in the Modeler go to
docs/gallery/desktop (`make gallery` lists them in docs/gallery.md).

The session itself is tests/desktop_session.py; one QGIS runs every job (about 1 to 3 min on
the sample study area); a crash ends that QGIS and the jobs after it run in a new one.
Skipped without xvfb-run or /usr/bin/qgis (`make system-deps` installs both)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile

import pytest

from tests.conftest import ROOT

QGIS = "/usr/bin/qgis"
SESSION = os.path.join(ROOT, "tests", "desktop_session.py")
SHOTS = os.path.join(ROOT, "docs", "gallery", "desktop")
MODELS = os.path.join(ROOT, "models")
TIMEOUT = 600  # seconds for all the jobs of one QGIS

#: per job: the outputs that are the main map, and those that support it (loaded below it or
#: unchecked). Output names of the model runs are "<step>:<NAME>": matched on NAME.
MAIN = {"OUTPUT", "OUTPUT_CLASSES", "SUSCEPTIBILITY", "CLASSES", "BIVARIATE", "MOE_FLOOD",
        "MOE_LANDSLIDE", "UNITS_PREDICTED", "OUTPUT_UNITS"}
SUPPORTING = {"OUTPUT_UNCERTAINTY", "UNCERTAINTY", "DI", "AOA", "D2", "SAMPLING_SPACE",
              "OUTPUT_D2", "OUTPUT_MASK", "OUTPUT_DI", "OUTPUT_AOA", "CORRELATION",
              "UNITS_APPLICABILITY", "EF_FLOOD", "EF_LANDSLIDE", "LF_FLOOD", "LF_LANDSLIDE"}


def _skip_reason():
    if not sys.platform.startswith("linux"):
        return "the desktop test runs on Linux only"
    if not shutil.which("xvfb-run"):
        return "no xvfb-run (Debian's xvfb: make system-deps installs it)"
    if not os.access(QGIS, os.X_OK):
        return f"no QGIS application at {QGIS}"
    return None


pytestmark = pytest.mark.skipif(_skip_reason() is not None, reason=_skip_reason() or "")


def _profile(base):
    """A fresh QGIS profile with this plugin (the repository, linked) enabled."""
    prof = os.path.join(base, "profiles", "default")
    plugins = os.path.join(prof, "python", "plugins")
    os.makedirs(plugins, exist_ok=True)
    os.makedirs(os.path.join(prof, "QGIS"), exist_ok=True)
    os.symlink(ROOT, os.path.join(plugins, "hazard_susceptibility"))
    with open(os.path.join(prof, "QGIS", "QGIS3.ini"), "w") as fh:
        fh.write("[PythonPlugins]\nhazard_susceptibility=true\nprocessing=true\n\n"
                 "[qgis]\ncheckVersion=false\nshowTips=false\n"
                 "allowCrashReporting=false\n\n"
                 "[core]\nNewsFeed\\httpsfeedqgisorg\\disabled=true\n")
    return base


def _run_qgis(plan, out, log_name):
    """One QGIS under Xvfb running ``plan``; returns its exit code (negative: killed by that
    signal; None: killed by the timeout here)."""
    base = _profile(os.path.join(out, f"profile_{log_name}"))
    # the plugin's packages: those of the venv running the tests (the same Python as QGIS's,
    # the pinned set that 'Install Python dependencies' installs for an analyst)
    pypath = [sysconfig.get_paths()["purelib"]] + [
        p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    env = dict(os.environ, HAZARD_DESKTOP_OUT=out, HAZARD_DESKTOP_PLAN=json.dumps(plan),
               PYTHONPATH=os.pathsep.join(pypath),
               QT_QPA_PLATFORM="xcb", QGIS_PLUGINPATH="", PYTHONFAULTHANDLER="1",
               LC_ALL="C.UTF-8", LANG="C.UTF-8")
    env.pop("QT_QPA_PLATFORM_PLUGIN_PATH", None)
    cmd = ["xvfb-run", "-a", "-s", "-screen 0 1600x1000x24", QGIS, "--profiles-path", base,
           "--nologo", "--noversioncheck",
           "--code", SESSION]
    with open(os.path.join(out, f"{log_name}.stdout"), "w") as so:
        p = subprocess.Popen(cmd, env=env, stdout=so, stderr=subprocess.STDOUT,
                             start_new_session=True)
        try:
            return p.wait(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)  # this QGIS and its Xvfb, started here
            p.wait()
            return None


def _records(out):
    path = os.path.join(out, "results.jsonl")
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _plan(big, area, model_path, samples):
    """The jobs: the single algorithms on the sample study area (``big``, 600 x 600 pixels,
    with the small model trained on it), the workflows on a 200 x 200 one (``area``) so that
    the whole run stays within a few minutes."""
    facts2 = [os.path.join(big, "factors", n + ".tif") for n in ("slope", "ndvi")]
    f = os.path.join(area, "factors")
    facts = [os.path.join(f, n + ".tif") for n in ("slope", "ndvi", "twi", "rainfall")]
    pts = os.path.join(area, "landslide_points.gpkg")
    mahal = {"INVENTORY": pts, "FACTORS": facts}
    hnn = {"UNITS": os.path.join(area, "slope_units.gpkg"), "FACTORS": facts[:3],
           "LANDSLIDES": os.path.join(area, "landslides.gpkg"), "EPOCHS": 30}
    multi = {"FLOODS": os.path.join(area, "floods.gpkg"),
             "LANDSLIDES": pts, "FACTORS": facts,
             "ZONES": os.path.join(area, "zones.gpkg"), "ZONE_FIELD": "zone"}
    return [
        {"id": "modeler_landslide_mahalanobis", "kind": "modeler",
         "alg": os.path.join(MODELS, "landslide_mahalanobis.model3"), "params": {}},
        {"id": "modeler_landslide_size_hnn", "kind": "modeler",
         "alg": os.path.join(MODELS, "landslide_size_hnn.model3"), "params": {}},
        {"id": "modeler_flood_landslide_multihazard", "kind": "modeler",
         "alg": os.path.join(MODELS, "flood_landslide_multihazard.model3"), "params": {}},
        {"id": "dialog_applymodel", "kind": "dialog", "alg": "hazard:applymodel",
         "params": {"MODEL": model_path, "FACTORS": facts2}},
        {"id": "dialog_bufferabsences", "kind": "dialog", "alg": "hazard:bufferabsences",
         "params": {"PRESENCES": os.path.join(big, "landslide_points.gpkg"),
                    "FACTORS": facts2}},
        {"id": "dialog_trainmodel", "kind": "dialog", "alg": "hazard:trainmodel",
         "params": {"SAMPLES": samples, "FACTORS": facts2, "TREES": 20}},
        {"id": "dialog_workflowmahalanobis", "kind": "dialog",
         "alg": "hazard:workflowmahalanobis", "params": mahal},
        {"id": "model_landslide_mahalanobis", "kind": "model",
         "alg": os.path.join(MODELS, "landslide_mahalanobis.model3"), "params": mahal},
        {"id": "dialog_workflowhnn", "kind": "dialog", "alg": "hazard:workflowhnn",
         "params": hnn},
        {"id": "model_landslide_size_hnn", "kind": "model",
         "alg": os.path.join(MODELS, "landslide_size_hnn.model3"), "params": hnn},
        {"id": "dialog_workflowmultihazard", "kind": "dialog",
         "alg": "hazard:workflowmultihazard", "params": multi},
        {"id": "model_flood_landslide_multihazard", "kind": "model",
         "alg": os.path.join(MODELS, "flood_landslide_multihazard.model3"), "params": multi},
    ]


@pytest.fixture(scope="module")
def desktop(small_model, sample_area, request):
    """Runs the plan; returns ({job id: record}, {job id: exit code of its QGIS}, out)."""
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    from hazard_susceptibility.core.io.synthetic import generate_study_area
    model_path, _ = small_model
    folder, _ = sample_area
    samples = os.path.join(os.path.dirname(model_path), "samples.gpkg")
    # a folder of its own, not under pytest's base folder: pytest sessions started meanwhile
    # (by other checkouts on this machine) remove all but the last three of those
    work = tempfile.mkdtemp(prefix="hazard_desktop_")
    request.addfinalizer(lambda: shutil.rmtree(work, ignore_errors=True))
    small = os.path.join(work, "area")
    generate_study_area(small, seed=42, size=200, n_landslides=150, n_floods=120)
    out = os.path.join(work, "run")
    os.makedirs(out)
    plan = _plan(str(folder), small, model_path, samples)
    only = os.environ.get("HAZARD_DESKTOP_ONLY")  # a developer's comma-separated job ids
    if only:
        plan = [j for j in plan if j["id"] in only.split(",")]
    codes, run = {}, 0
    todo = list(plan)
    while todo:
        run += 1
        done_before = {r["id"] for r in _records(out)}
        code = _run_qgis(todo, out, f"qgis{run}")
        done = {r["id"] for r in _records(out)} - done_before
        for j in todo:  # QGIS lived through the jobs it recorded
            if j["id"] in done:
                codes[j["id"]] = 0
        rest = [j for j in todo if j["id"] not in done]
        if not rest:
            for j in todo:
                codes[j["id"]] = code if code else 0
            break
        codes[rest[0]["id"]] = code  # the job that was running when QGIS died
        todo = rest[1:]
    records = {r["id"]: r for r in _records(out) if not r["id"].startswith("_")}
    # the screenshots where make gallery finds them
    if os.path.isdir(SHOTS):
        shutil.rmtree(SHOTS)
    os.makedirs(SHOTS)
    for name in os.listdir(out):
        if name.endswith(".png"):
            shutil.copy(os.path.join(out, name), SHOTS)
    with open(os.path.join(SHOTS, "index.json"), "w") as fh:
        json.dump([{k: records.get(j["id"], {}).get(k) for k in
                    ("id", "kind", "alg", "seconds", "completed", "not_correctly_generated",
                     "window", "dialog", "modeler", "modeler_100")} | {
                   "id": j["id"], "exit_code": codes.get(j["id"]),
                   "alg": os.path.relpath(j["alg"], ROOT) if os.path.isabs(j["alg"]) else j["alg"]}
                   for j in plan], fh, indent=1)
    return records, codes, out, {j["id"]: j for j in plan}


def _job(desktop, job_id):
    records, codes, out, plan = desktop
    if job_id not in plan:
        pytest.skip(f"{job_id} not in this run (HAZARD_DESKTOP_ONLY)")
    fault = ""
    if os.path.exists(os.path.join(out, "faulthandler.log")):
        with open(os.path.join(out, "faulthandler.log")) as fh:  # the stacks, not the modules
            fault = "\n".join(line for line in fh.read().splitlines()
                              if line.startswith(("Fatal", "Current thread", "Thread", "  File"))
                              and "threading.py" not in line)[-4000:]
    code = codes.get(job_id)
    assert code == 0 and job_id in records, (
        f"QGIS ended with exit code {code} during {job_id}; fault handler:\n{fault}")
    rec = records[job_id]
    assert "error" not in rec, rec["error"]
    return rec


JOBS = ["dialog_applymodel", "dialog_bufferabsences", "dialog_trainmodel",
        "dialog_workflowmahalanobis", "model_landslide_mahalanobis", "dialog_workflowhnn",
        "model_landslide_size_hnn", "dialog_workflowmultihazard",
        "model_flood_landslide_multihazard"]


def _short(name):
    return name.split(":")[-1]


def _output_layers(rec):
    """{output name: its layer record} for each map output in the results."""
    by_source = {}
    for lay in rec["layers"]:
        by_source.setdefault(lay["source"], lay)
    out = {}
    for k, v in rec["results"].items():
        if isinstance(v, str) and v and os.path.normpath(v.split("|")[0]) in by_source:
            out[_short(k)] = by_source[os.path.normpath(v.split("|")[0])]
    return out


@pytest.mark.parametrize("job_id", JOBS)
def test_run_from_the_dialog_finishes_without_crash_or_red_log(desktop, job_id):
    rec = _job(desktop, job_id)
    assert rec["finished"], f"{job_id} did not finish in time:\n{rec['log'][-2000:]}"
    assert rec["completed"], f"{job_id} failed:\n{rec['log'][-3000:]}"
    assert not rec["not_correctly_generated"], rec["log"][-3000:]
    assert rec["red"] == [], rec["red"]


@pytest.mark.parametrize("job_id", JOBS)
def test_the_progress_bar_moves_during_the_run(desktop, job_id):
    rec = _job(desktop, job_id)
    assert max(rec["progress"] or [0]) > 0, f"{job_id}: the progress bar showed {rec['progress']}"


@pytest.mark.parametrize("job_id", [j for j in JOBS if j != "dialog_trainmodel"])
def test_outputs_are_loaded_styled_and_in_reading_order(desktop, job_id):
    rec = _job(desktop, job_id)
    layers = rec["layers"]
    assert layers, f"{job_id}: no layer loaded; results {rec['results']}"
    for lay in layers:
        assert lay["valid"] and lay["exists"], lay
        assert lay["styled"], f"{job_id}: {lay['name']} unstyled ({lay['renderer']})"
        # a raster's legend shows its classes or ramp, not QGIS's "Band 1 (Gray)" heading
        heads = [t for t in lay["legend"] if t.startswith("Band ")]
        assert not heads, (lay["name"], lay["legend"])
    # every map output of the results is loaded
    outputs = _output_layers(rec)
    maps = [k for k, v in rec["results"].items() if isinstance(v, str) and
            v.split("|")[0].lower().endswith((".tif", ".gpkg", ".shp"))]
    missing = [k for k in maps if _short(k) not in outputs]
    assert not missing, f"{job_id}: not loaded: {missing}"
    # points above rasters
    points = [lay["index"] for lay in layers if lay["geometry"] == "point"]
    rasters = [lay["index"] for lay in layers if lay["kind"] == "raster"]
    if points and rasters:
        assert max(points) < min(rasters), [(x["name"], x["index"]) for x in layers]
    # the main map visible, and above every supporting layer left visible
    main = [v for k, v in outputs.items() if k in MAIN]
    support = [v for k, v in outputs.items() if k in SUPPORTING]
    if main:
        assert any(m["visible"] for m in main), [(m["name"], m["visible"]) for m in main]
        top_main = min(m["index"] for m in main if m["visible"])
        above = [s["name"] for s in support if s["visible"] and s["index"] < top_main]
        assert not above, f"{job_id}: supporting layers hide the map: {above}"


def test_every_model_opens_in_the_modeler_and_is_pictured(desktop):
    for name in ("landslide_mahalanobis", "landslide_size_hnn", "flood_landslide_multihazard"):
        rec = _job(desktop, f"modeler_{name}")
        assert rec.get("modeler") and os.path.exists(os.path.join(SHOTS, rec["modeler"]))


def test_screenshots_are_saved_for_the_gallery(desktop):
    records, _, _, _ = desktop
    for job_id in JOBS:
        rec = records.get(job_id)
        if rec is None or "error" in rec:
            continue
        for key in ("window", "dialog"):
            assert rec.get(key) and os.path.getsize(os.path.join(SHOTS, rec[key])) > 10000


def test_the_run_takes_a_reasonable_time(desktop):
    records, _, _, _ = desktop
    # (the multi-hazard workflow takes 40 s to 140 s, the others seconds, on 2 busy cores)
    slow = {k: r.get("seconds") for k, r in records.items() if (r.get("seconds") or 0) > 200}
    assert not slow, slow
