"""The shipped Graphical Modeler models open valid in the Modeler (every step's mandatory
parameters set: the Modeler had drawn every step red and refused to run), with UPPER_SNAKE
inputs in workflow order and outputs with names and descriptions; the workflow algorithms list
their outputs and never lose unnamed outputs in a temporary folder."""
import glob
import os
import re

import pytest

from tests.conftest import ROOT

MODELS = sorted(glob.glob(os.path.join(ROOT, "models", "*.model3")))
UPPER = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _model(path):
    from qgis.core import QgsProcessingModelAlgorithm
    m = QgsProcessingModelAlgorithm()
    assert m.fromFile(path)
    return m


@pytest.mark.parametrize("path", MODELS, ids=[os.path.basename(p) for p in MODELS])
def test_every_step_of_a_shipped_model_is_valid_in_the_modeler(provider, path):
    m = _model(path)
    for cid in m.childAlgorithms():
        ok, issues = m.validateChildAlgorithm(cid)
        assert ok, (cid, issues)
    if hasattr(m, "validate"):  # what the Modeler's Run button checks first
        ok, issues = m.validate()
        assert ok, issues


@pytest.mark.parametrize("path", MODELS, ids=[os.path.basename(p) for p in MODELS])
def test_model_inputs_and_outputs_are_named_and_described(provider, path):
    m = _model(path)
    for d in m.parameterDefinitions():
        name = d.name().split(":")[-1]
        assert UPPER.match(name), d.name()
        assert d.description() and d.description() != name, d.name()


WORKFLOW_ORDER = {
    "workflowmahalanobis": ["INVENTORY", "FACTORS", "HOLDOUT", "BLOCK_SIZE", "INDEPENDENT",
                            "SEED"],
    "workflowhnn": ["UNITS", "FACTORS", "LANDSLIDES", "SEED", "EPOCHS"],
    "workflowmultihazard": ["FLOODS", "LANDSLIDES", "FACTORS", "CATEGORICAL", "ZONES",
                            "ZONE_FIELD", "SEED", "KDE_RATIO", "ABSENCE_METHOD",
                            "TILE_SIZE"],
}


@pytest.mark.parametrize("name", sorted(WORKFLOW_ORDER))
def test_a_workflow_algorithm_offers_inputs_in_order_and_lists_its_outputs(provider, name):
    a = provider.algorithm(name)
    inputs = [d.name() for d in a.parameterDefinitions() if not d.isDestination()]
    assert inputs == WORKFLOW_ORDER[name]
    dests = [d for d in a.parameterDefinitions() if d.isDestination()]
    outs = {o.name(): o.description() for o in a.outputDefinitions()}
    assert len(dests) >= 4 and set(outs) == {d.name() for d in dests}
    for d in dests:
        assert UPPER.match(d.name()) and d.description() and outs[d.name()], d.name()


def test_unnamed_outputs_outside_the_desktop_need_a_folder(run, provider, sample_area,
                                                           tmp_path):
    """Outputs left unnamed had gone to a temporary folder deleted when the run ended."""
    from qgis.core import QgsProcessingException
    folder, _ = sample_area
    with pytest.raises(QgsProcessingException, match=r"give OUTPUT_FOLDER .*\[OUTPUT_FOLDER\]"):
        run("hazard:workflowmahalanobis", {
            "INVENTORY": str(folder / "landslide_points.gpkg"),
            "FACTORS": [str(folder / "factors" / "slope.tif")],
            "EVALUATION_REPORT": str(tmp_path / "e.html")})
    assert os.listdir(tmp_path) == []
