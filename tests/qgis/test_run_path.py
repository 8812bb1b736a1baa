"""The path a Run from the toolbox dialog takes: every destination left at "Create temporary
layer", the algorithm in the task manager's thread, then QGIS's own load step
(handleAlgorithmResults). Every layer it loads exists and opens; nothing is reported "not
correctly generated" (issue 29: the guards' parameterAsOutputLayer calls on TEMPORARY_OUTPUT
had each registered a new temporary file that was never written)."""
import os

import pytest

from tests.qgis.dialog_run import clear_project, dialog_parameters, layer_tree, run_like_dialog


def dialog_parameters_of(alg, params, project):
    from qgis.core import QgsApplication
    return dialog_parameters(QgsApplication.processingRegistry().algorithmById(alg), params,
                             project, _every(alg))


def _factors(folder):
    return [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi")]


def _probability(folder):
    """A 0..1 raster on the sample area's grid (the slope scaled)."""
    from osgeo import gdal
    path = str(folder / "probability_for_tests.tif")
    src = gdal.Open(str(folder / "factors" / "slope.tif"))
    a = src.ReadAsArray().astype("float32")
    ds = gdal.GetDriverByName("GTiff").CreateCopy(path, src)
    ds.GetRasterBand(1).WriteArray((a - a.min()) / (a.max() - a.min()))
    ds = None
    return path


def _every(alg):
    """Every destination of ``alg`` left at TEMPORARY_OUTPUT."""
    from qgis.core import QgsApplication
    return {d.name(): "TEMPORARY_OUTPUT" for d in QgsApplication.processingRegistry(
    ).algorithmById(alg).destinationParameterDefinitions()}


def _cases(folder, model):
    pts = str(folder / "landslide_points.gpkg")
    facts = _factors(folder)
    return {
        "hazard:applymodel": {"MODEL": model, "FACTORS": facts},
        "hazard:applicability": {"MODEL": model, "FACTORS": facts},
        "hazard:mahalanobisabsences": {"PRESENCES": pts, "FACTORS": facts},
        "hazard:bufferabsences": {"PRESENCES": pts, "FACTORS": facts},
        "hazard:slopeabsences": {"PRESENCES": pts, "SLOPE": facts[0]},
        "hazard:splitinventory": {"INVENTORY": pts},
        "hazard:alignfactors": {"FACTORS": facts},
        "hazard:slopeunitstats": {"SLOPE_UNITS": str(folder / "slope_units.gpkg"),
                                  "FACTORS": facts[:1]},
        "hazard:frequencyratio": {"HAZARDS": pts, "FACTORS": facts},
        "hazard:susceptibilityratioabsences": {"PRESENCES": pts, "FACTORS": facts,
                                               "TREES": 20},
        "hazard:evaluatemap": {"PROBABILITY": _probability(folder), "HAZARDS": pts},
    }


CASES = ["hazard:applymodel", "hazard:applicability", "hazard:mahalanobisabsences",
         "hazard:bufferabsences", "hazard:slopeabsences", "hazard:splitinventory",
         "hazard:alignfactors", "hazard:slopeunitstats", "hazard:frequencyratio",
         "hazard:susceptibilityratioabsences", "hazard:evaluatemap"]


@pytest.fixture()
def project(provider):
    from qgis.core import QgsProject
    clear_project()
    yield QgsProject.instance()
    clear_project()


@pytest.mark.parametrize("alg", CASES)
def test_a_dialog_run_with_temporary_outputs_loads_every_layer_it_names(project, alg,
                                                                        sample_area,
                                                                        small_model):
    from qgis.core import QgsProcessingOutputLayerDefinition
    folder, _ = sample_area
    params = _cases(folder, small_model[0])[alg]
    res, fb, loaded, context = run_like_dialog(alg, params, project, _every(alg))
    assert loaded and not [e for e in fb.errors if "not correctly generated" in e], fb.errors
    # what the dialog loaded is what the run wrote and reported
    layers = project.mapLayers().values()
    if any(isinstance(v, QgsProcessingOutputLayerDefinition) for v in
           dialog_parameters_of(alg, params, project).values()):
        assert layers, f"{alg} loaded nothing"
    for lyr in layers:
        path = lyr.source().split("|")[0]
        assert lyr.isValid() and os.path.isfile(path), lyr.source()
    written = {str(v).split("|")[0] for v in res.values() if isinstance(v, str)}
    for lyr in layers:
        assert lyr.source().split("|")[0] in written, (lyr.source(), written)


def test_each_destination_is_resolved_once_per_run(project, sample_area, small_model):
    """The layers to load name exactly the files written: one per raster output."""
    folder, _ = sample_area
    res, fb, loaded, context = run_like_dialog(
        "hazard:applymodel", {"MODEL": small_model[0], "FACTORS": _factors(folder)}, project,
        _every("hazard:applymodel"))
    assert set(context.layersToLoadOnCompletion()) == {
        res["OUTPUT"], res["OUTPUT_CLASSES"], res["OUTPUT_UNCERTAINTY"]}
    names = sorted(lyr.name() for lyr in project.mapLayers().values())
    assert names == ["Prediction uncertainty", "Susceptibility", "Susceptibility classes"]
    assert {lyr.source() for lyr in project.mapLayers().values()} == {
        res["OUTPUT"], res["OUTPUT_CLASSES"], res["OUTPUT_UNCERTAINTY"]}


def test_the_map_is_what_the_analyst_sees_after_apply(project, sample_area, small_model):
    """Classes on top and visible, the probability below, the uncertainty below both and
    unchecked (it had landed on top and hidden the map)."""
    folder, _ = sample_area
    run_like_dialog("hazard:applymodel", {"MODEL": small_model[0],
                                          "FACTORS": _factors(folder)}, project,
                    _every("hazard:applymodel"))
    tree = layer_tree(project)
    assert [(n, c) for _, n, c in tree] == [("Susceptibility classes", True),
                                            ("Susceptibility", True),
                                            ("Prediction uncertainty", False)], tree


def test_points_sit_above_rasters_and_supporting_rasters_are_unchecked(project,
                                                                        sample_area):
    folder, _ = sample_area
    run_like_dialog("hazard:mahalanobisabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _factors(folder)},
        project, _every("hazard:mahalanobisabsences"))
    tree = layer_tree(project)
    names = [n for _, n, _ in tree]
    assert names == ["Mahalanobis samples", "Sampling space", "D²"], tree
    assert all(not c for _, n, c in tree[1:]), tree  # D² and the sampling space


def test_a_second_run_goes_on_top_of_the_first(project, sample_area, small_model):
    folder, _ = sample_area
    for _ in range(2):
        run_like_dialog("hazard:applymodel", {"MODEL": small_model[0],
                                              "FACTORS": _factors(folder)}, project,
                        _every("hazard:applymodel"))
    names = [n for _, n, _ in layer_tree(project)]
    assert names == ["Susceptibility classes", "Susceptibility", "Prediction uncertainty"] * 2
    srcs = [project.layerTreeRoot().children()[i].layer().source() for i in (0, 3)]
    assert srcs[0] != srcs[1]


def test_placing_after_qgis_3_32_has_grouped_and_sorted_the_layers(project, sample_area):
    """QGIS 3.32+ adds every loaded layer first (into LayerDetails.groupName, in its own order)
    and calls the post-processors after: the placing finds the group QGIS made, makes no second
    one, and orders the run's layers whatever order they came in."""
    from qgis.core import QgsLayerTreeGroup, QgsRasterLayer, QgsVectorLayer

    from hazard_susceptibility.algorithms import loading
    folder, _ = sample_area
    layers = {"support": QgsRasterLayer(str(folder / "factors" / "ndvi.tif"), "uncertainty"),
              "map": QgsRasterLayer(str(folder / "factors" / "slope.tif"), "classes"),
              "points": QgsVectorLayer(str(folder / "landslide_points.gpkg"), "points")}
    group = project.layerTreeRoot().insertGroup(0, "Workflow run (12:00:00)")
    for lyr in layers.values():  # QGIS's order: any
        project.addMapLayer(lyr, False)
        group.addLayer(lyr)
    for role in ("map", "support", "points"):
        loading.place(project.layerTreeRoot(), layers[role], "token", loading.ROLE_KEYS[role],
                      role, "Workflow run (12:00:00)", uncheck=role == "support")
    top = project.layerTreeRoot().children()
    assert len(top) == 1 and isinstance(top[0], QgsLayerTreeGroup)
    assert [n for _, n, _ in layer_tree(project) if n] == ["points", "classes", "uncertainty"]
    assert [c for _, n, c in layer_tree(project) if n] == [True, True, False]
    assert set(project.mapLayers()) == {lyr.id() for lyr in layers.values()}
