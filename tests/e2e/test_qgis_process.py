"""End to end: the plugin enabled in a test profile, run by qgis_process."""
import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from osgeo import ogr

from tests.conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import compare_outputs  # noqa: E402  (scripts/compare_outputs.py)

QP = os.path.join(ROOT, "scripts", "qgis_process")


@pytest.fixture(scope="module")
def qgis_process(tmp_path_factory):
    if not (os.path.exists("/usr/bin/qgis_process.bin") or shutil.which("qgis_process")):
        pytest.skip("qgis_process is not installed")
    profile = tmp_path_factory.mktemp("profile")
    env = dict(os.environ, HAZARD_QGIS_PROFILE=str(profile), QT_QPA_PLATFORM="offscreen")

    def _run(*args):
        res = subprocess.run([QP, *args], capture_output=True, text=True, env=env, timeout=600)
        return res
    return _run


def test_plugin_is_listed(qgis_process):
    res = qgis_process("list")
    assert res.returncode == 0, res.stderr
    assert "hazard:slopeunitstats" in res.stdout and "hazard:alignfactors" in res.stdout


def test_slopeunitstats_through_qgis_process(qgis_process, sample_area, tmp_path):
    folder, _ = sample_area
    out = tmp_path / "su.gpkg"
    res = qgis_process("run", "hazard:slopeunitstats", "--json", "--",
                       f"SLOPE_UNITS={folder / 'slope_units.gpkg'}",
                       f"FACTORS={folder / 'factors' / 'slope.tif'}",
                       f"FACTORS={folder / 'factors' / 'rainfall.tif'}",
                       f"CATEGORICAL={folder / 'factors' / 'lithology.tif'}",
                       f"LANDSLIDES={folder / 'landslides.gpkg'}", f"OUTPUT={out}")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    result = json.loads(res.stdout[res.stdout.index("{"):])
    assert result["results"]["OUTPUT"] == str(out)
    ds = ogr.Open(str(out))
    lyr = ds.GetLayer()
    names = [lyr.GetLayerDefn().GetFieldDefn(i).GetName()
             for i in range(lyr.GetLayerDefn().GetFieldCount())]
    for n in ("slope_mean", "slope_std", "rainfall_mean", "lithology_major", "su_area",
              "ls_area", "n_pixels"):
        assert n in names
    rows = [(f.GetField("slope_mean"), f.GetField("n_pixels"), f.GetField("su_area"))
            for f in lyr]
    m = np.array([r[0] for r in rows if r[0] is not None])
    assert len(rows) == 0 + _count(folder / "slope_units.gpkg")
    assert 5 < m.mean() < 45
    # n_pixels * pixel area approximates the unit area
    n = np.array([r[1] for r in rows], float)
    a = np.array([r[2] for r in rows])
    assert abs(n.sum() * 900 / a.sum() - 1) < 0.05
    assert (tmp_path / "su.qml").exists()  # the style travels with the file


def _count(path):
    ds = ogr.Open(str(path))
    return ds.GetLayer().GetFeatureCount()


def test_bad_input_fails_loudly(qgis_process, tmp_path):
    out = tmp_path / "x.gpkg"
    res = qgis_process("run", "hazard:slopeunitstats", "--",
                       f"SLOPE_UNITS={tmp_path / 'missing.gpkg'}",
                       f"FACTORS={tmp_path / 'missing.tif'}", f"OUTPUT={out}")
    assert res.returncode != 0
    assert not out.exists()


def test_batch_script_runs_concurrently_without_clashes(qgis_process, sample_area, tmp_path):
    """Two runs at the same time (batch --jobs 2): no shared temporary file, same results as
    one at a time."""
    import csv
    import sys
    folder, _ = sample_area
    env = dict(os.environ, HAZARD_QGIS_PROFILE=str(tmp_path / "profile"),
               QT_QPA_PLATFORM="offscreen")
    src = tmp_path / "in"
    src.mkdir()
    for n in ("slope", "ndvi", "twi"):
        shutil.copy(folder / "factors" / f"{n}.tif", src / f"{n}.tif")
    script = os.path.join(ROOT, "scripts", "batch.py")
    for jobs, out in ((2, "par"), (1, "seq")):
        res = subprocess.run([sys.executable, script, "hazard:alignfactors",
                              "--over", f"FACTORS={src}/*.tif",
                              "--set", f"REFERENCE={src}/slope.tif",
                              "--set", f"OUTPUT={tmp_path}/{out}/{{stem}}.tif",
                              "--jobs", str(jobs), "--log", str(tmp_path / f"{out}.csv")],
                             capture_output=True, text=True, env=env, timeout=600)
        assert res.returncode == 0, res.stdout + res.stderr
        rows = list(csv.DictReader(open(tmp_path / f"{out}.csv")))
        assert [r["status"] for r in rows] == ["ok"] * 3
    for n in ("slope", "ndvi", "twi"):
        a, b = tmp_path / "par" / f"{n}.tif", tmp_path / "seq" / f"{n}.tif"
        from osgeo import gdal
        assert (gdal.Open(str(a)).ReadAsArray() == gdal.Open(str(b)).ReadAsArray()).all()


def test_shipped_workflow_runs_through_qgis_process(qgis_process, sample_area, tmp_path):
    """The Graphical Modeler model of paper 003's workflow, end to end."""
    folder, _ = sample_area
    f = folder / "factors"
    res = qgis_process("run", "hazard:workflowmahalanobis", "--",
                       f"INVENTORY={folder / 'landslide_points.gpkg'}",
                       f"FACTORS={f / 'slope.tif'}", f"FACTORS={f / 'ndvi.tif'}",
                       f"FACTORS={f / 'twi.tif'}", "SEED=42",
                       f"EVALUATION_REPORT={tmp_path / 'eval.html'}",
                       f"CLASSES={tmp_path / 'classes.tif'}",
                       f"OUTPUT_FOLDER={tmp_path / 'rest'}")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    html = (tmp_path / "eval.html").read_text()
    assert "SCAI" in html
    # evaluated on the held-out part of the inventory, not on the points it was trained on
    assert "held_out.gpkg" in html and "landslide_points.gpkg" not in html
    # the outputs not named went into OUTPUT_FOLDER under their own names, not lost
    assert {"susceptibility.tif", "model.hsm", "samples.gpkg", "held_out.gpkg", "di.tif",
            "aoa.tif", "uncertainty.tif", "applicability_report.html"} <= set(
        os.listdir(tmp_path / "rest"))
    assert "Inside and outside the area of applicability" in html
    assert "Prediction uncertainty per class" in html
    assert "independent inventory" in (tmp_path / "rest" / "model_report.html").read_text()
    from osgeo import gdal
    c = gdal.Open(str(tmp_path / "classes.tif")).ReadAsArray()
    assert set(np.unique(c)) <= {0, 1, 2, 3, 4, 5} and (c == 5).any()


def test_shipped_hnn_workflow_runs_through_qgis_process(qgis_process, sample_area, tmp_path):
    """The Graphical Modeler model of paper 000's workflow, end to end (TensorFlow in its
    worker process, since it cannot run inside qgis_process)."""
    folder, _ = sample_area
    f = folder / "factors"
    res = qgis_process("run", "hazard:workflowhnn", "--",
                       f"UNITS={folder / 'slope_units.gpkg'}", f"FACTORS={f / 'slope.tif'}",
                       f"FACTORS={f / 'pga.tif'}", f"LANDSLIDES={folder / 'landslides.gpkg'}",
                       "EPOCHS=20", f"REPORT={tmp_path / 'hnn.html'}",
                       f"OUTPUT_FOLDER={tmp_path / 'rest'}")
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    assert "Moran" in (tmp_path / "hnn.html").read_text()


def test_shipped_multihazard_workflow_runs_through_qgis_process(qgis_process, sample_area,
                                                                tmp_path):
    """The Graphical Modeler model of paper 002's workflow, end to end: samples, feature
    selection, LF/EF/MoE (TensorFlow in its worker process), maps, evaluation, GeoDetector."""
    folder, _ = sample_area
    f = folder / "factors"
    res = qgis_process("run", "hazard:workflowmultihazard", "--",
                       f"FLOODS={folder / 'floods.gpkg'}",
                       f"LANDSLIDES={folder / 'landslide_points.gpkg'}",
                       *[f"FACTORS={f / n}.tif" for n in ("slope", "dist_river", "elevation",
                                                          "ndvi", "pga")],
                       f"ZONES={folder / 'zones.gpkg'}", "ZONE_FIELD=zone", "TILE_SIZE=256",
                       f"TRAINING_REPORT={tmp_path / 'train.html'}",
                       f"BIVARIATE={tmp_path / 'biv.tif'}",
                       f"EVALUATION_REPORT={tmp_path / 'eval.html'}",
                       f"GEODETECTOR_LANDSLIDE={tmp_path / 'gd.html'}",
                       f"OUTPUT_FOLDER={tmp_path / 'rest'}")
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-3000:]
    assert "Macro-averaged" in (tmp_path / "train.html").read_text()
    assert "Jaccard" in (tmp_path / "eval.html").read_text()
    assert "Interaction detector" in (tmp_path / "gd.html").read_text()
    from osgeo import gdal
    b = gdal.Open(str(tmp_path / "biv.tif")).ReadAsArray()
    codes = set(np.unique(b).tolist()) - {255}
    assert codes <= set(range(25))
    # every level of each hazard shows; not every pair must: on the sample area floods keep to
    # the flat valleys and landslides to the steep slopes, so maps that follow the truth leave
    # 'flood very high - landslide high' empty (the old maps, drawn by the inventories'
    # outlines, filled all 25)
    assert {c // 5 for c in codes} == set(range(5)) and {c % 5 for c in codes} == set(range(5))


@pytest.mark.timeout(1800)  # the whole demo, twice at once: 6-10 minutes on 2 cores
def test_full_demo_twice_with_the_same_seed_is_identical(qgis_process, tmp_path):
    """Determinism of the whole pipeline: ``make demo``'s script run twice with seed 42, both at
    the same time (so they compete for the cores and share the QGIS profile), writes
    byte-identical rasters and identical tables and vector layers."""
    runs, procs = [], []
    for k in (1, 2):
        out = tmp_path / f"demo{k}"
        env = dict(os.environ, DEMO_OUT=str(out), QT_QPA_PLATFORM="offscreen")
        log = open(tmp_path / f"demo{k}.log", "w+")
        procs.append((subprocess.Popen(["bash", os.path.join(ROOT, "scripts", "demo.sh"), "42"],
                                       stdout=log, stderr=subprocess.STDOUT, text=True,
                                       env=env), log))
        runs.append(out)
    try:
        for proc, log in procs:
            rc = proc.wait(timeout=1800)
            log.seek(0)
            assert rc == 0, log.read()[-6000:]
    finally:
        for proc, log in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            log.close()
    a, b = runs
    diffs, checked = compare_outputs.compare(a, b)
    assert not diffs, diffs
    assert checked["tif"] >= 30 and checked["csv"] >= 10 and checked["gpkg"] >= 8, checked
