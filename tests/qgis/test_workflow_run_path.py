"""A workflow run as its dialog runs it (every output "Create temporary layer", OUTPUT_FOLDER a
temporary folder) and through qgis_process with its outputs left temporary: no crash (issue
29: signal 11 in evaluatemap on the held-out part kept as a temporary layer), every output
written and loaded, styled, under the workflow's names, in one group per run with the map in
sight."""
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT
from tests.qgis.dialog_run import clear_project, layer_tree, run_like_dialog

QP = os.path.join(ROOT, "scripts", "qgis_process")


@pytest.fixture()
def project(provider):
    from qgis.core import QgsProject
    clear_project()
    yield QgsProject.instance()
    clear_project()


def _inputs(folder):
    return {"INVENTORY": str(folder / "landslide_points.gpkg"),
            "FACTORS": [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi")]}


def test_the_mahalanobis_workflow_from_its_dialog_loads_its_outputs_in_one_group(
        project, sample_area, tmp_path):
    """Every output at the dialog's default (a temporary layer) but one named, and a folder:
    the folder receives every output not named. (On the code before issue 29 this run
    crashed the test session.)"""
    from qgis.core import QgsLayerTreeGroup, QgsRasterLayer
    folder, _ = sample_area
    out = tmp_path / "out"
    res, fb, loaded, context = run_like_dialog(
        "hazard:workflowmahalanobis", _inputs(folder), project,
        {"OUTPUT_FOLDER": str(out), "CLASSES": str(tmp_path / "my_classes.tif")})
    assert loaded and not [e for e in fb.errors if "not correctly generated" in e], fb.errors
    # every output written: the one named where named, the others into the folder
    assert res["CLASSES"] == str(tmp_path / "my_classes.tif")
    assert {"susceptibility.tif", "uncertainty.tif", "held_out.gpkg", "samples.gpkg", "di.tif",
            "aoa.tif", "d2.tif", "sampling_space.tif", "model.hsm",
            "evaluation_report.html"} <= set(os.listdir(out))
    loaded_from = {lyr.source().split("|")[0] for lyr in project.mapLayers().values()}
    assert str(out / "susceptibility.tif") in loaded_from
    assert str(tmp_path / "my_classes.tif") in loaded_from
    # one group for the run, every loaded layer in it
    top = project.layerTreeRoot().children()
    assert len(top) == 1 and isinstance(top[0], QgsLayerTreeGroup), layer_tree(project)
    assert top[0].name().startswith("Workflow: landslide susceptibility (Mahalanobis)")
    tree = [(n, c) for _, n, c in layer_tree(project) if n]
    names = [n for n, _ in tree]
    # the workflow's names of its outputs
    assert set(names) == {"Held-out inventory", "Training samples", "Susceptibility classes",
                          "Susceptibility (probability)",
                          "Prediction uncertainty (spread of the trees)",
                          "Dissimilarity index", "Area of applicability", "Mahalanobis D²",
                          "Sampling space"}, names
    # points on top, then the classes (visible), the probability, then the supporting layers
    assert set(names[:2]) == {"Held-out inventory", "Training samples"}, names
    assert names[2:4] == ["Susceptibility classes", "Susceptibility (probability)"], names
    checked = dict(tree)
    assert checked["Susceptibility classes"] and checked["Held-out inventory"]
    for n in ("Prediction uncertainty (spread of the trees)", "Dissimilarity index",
              "Area of applicability", "Mahalanobis D²", "Sampling space"):
        assert not checked[n], (n, tree)
    # styled: the classes paletted, not QGIS's default grey
    cls = [lyr for lyr in project.mapLayers().values()
           if lyr.name() == "Susceptibility classes"][0]
    assert isinstance(cls, QgsRasterLayer) and cls.renderer().type() == "paletted"


def test_qgis_process_runs_a_workflow_with_a_temporary_held_out_part(provider, sample_area,
                                                                   tmp_path):
    """The issue's command: it had exited 139 (signal 11)."""
    if not (os.path.exists("/usr/bin/qgis_process.bin") or shutil.which("qgis_process")):
        pytest.skip("qgis_process is not installed")
    folder, _ = sample_area
    f = folder / "factors"
    env = dict(os.environ, HAZARD_QGIS_PROFILE=str(tmp_path / "profile"),
               QT_QPA_PLATFORM="offscreen")
    res = subprocess.run([QP, "run", "hazard:workflowmahalanobis", "--",
                          f"INVENTORY={folder / 'landslide_points.gpkg'}",
                          f"FACTORS={f / 'slope.tif'}", f"FACTORS={f / 'ndvi.tif'}",
                          "HELD_OUT=TEMPORARY_OUTPUT", f"OUTPUT_FOLDER={tmp_path / 'out'}"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stdout[-2000:] + res.stderr[-2000:]
    # left temporary, it went into OUTPUT_FOLDER like every output not named
    assert (tmp_path / "out" / "held_out.gpkg").is_file()
    assert "held_out.gpkg" in (tmp_path / "out" / "evaluation_report.html").read_text()


def test_the_shipped_model_run_from_the_modeler_loads_its_outputs_in_one_group(project,
                                                                               sample_area):
    """The Modeler's Run button runs the .model3 itself, each step a run of its own: no crash,
    nothing "not correctly generated", and the steps' layers ordered together in one group
    (the area of applicability had landed on top of the map, visible)."""
    from qgis.core import QgsLayerTreeGroup, QgsProcessingModelAlgorithm
    m = QgsProcessingModelAlgorithm()
    assert m.fromFile(os.path.join(ROOT, "models", "landslide_mahalanobis.model3"))
    folder, _ = sample_area
    res, fb, loaded, context = run_like_dialog(m, _inputs(folder), project)
    assert loaded and not [e for e in fb.errors if "not correctly generated" in e], fb.errors
    top = project.layerTreeRoot().children()
    assert len(top) == 1 and isinstance(top[0], QgsLayerTreeGroup), layer_tree(project)
    assert top[0].name().startswith("Workflow: landslide susceptibility (Mahalanobis)")
    tree = [(n, c) for _, n, c in layer_tree(project) if n]
    names = [n for n, _ in tree]
    assert set(names[:2]) == {"Held-out part", "Mahalanobis samples"}, names
    assert names[2:4] == ["Susceptibility classes", "Susceptibility"], names
    assert all(not c for _, c in tree[4:]), tree
