"""The shipped models read well in the Graphical Modeler (issue 29, part 5): laid out in the
Modeler's own scene (QgsModelGraphicsScene, the items QGIS draws, with their In/Out labels
expanded as an analyst expands them), no two boxes overlap, the inputs sit in a row above the
steps, the steps go down in workflow order with their outputs beside them, and no title is
clipped. The models come from scripts/build_models.py."""
import glob
import os

import pytest

from tests.conftest import ROOT

MODELS = sorted(glob.glob(os.path.join(ROOT, "models", "*.model3")))
IDS = [os.path.basename(p) for p in MODELS]


def _model(path):
    from qgis.core import QgsProcessingModelAlgorithm
    m = QgsProcessingModelAlgorithm()
    assert m.fromFile(path), path
    return m


def _expand(m):
    """Every step's In and Out labels expanded (the worst case for overlaps)."""
    from qgis.PyQt.QtCore import Qt
    for cid in list(m.childAlgorithms()):
        c = m.childAlgorithm(cid)
        c.setLinksCollapsed(Qt.Edge.TopEdge, False)
        c.setLinksCollapsed(Qt.Edge.BottomEdge, False)


def _scene_items(m):
    """{(kind, key): (graphic item, scene rectangle)} for every component the Modeler draws:
    inputs, steps, outputs and comments; the rectangle is the item's bounding rectangle in
    the scene (its box with the pen, plus its label area above and below)."""
    import qgis.gui as gui
    import qgis.core as core
    from qgis.core import QgsProcessingContext
    from qgis.PyQt import sip
    scene = gui.QgsModelGraphicsScene()
    scene.setModel(m)
    scene.createItems(m, QgsProcessingContext())
    out = {}
    for item in scene.items():
        obj = item.toGraphicsObject()
        if obj is None:
            continue
        cls = getattr(gui, obj.metaObject().className(), None)
        if cls is None or not issubclass(cls, gui.QgsModelComponentGraphicItem):
            continue
        it = sip.cast(obj, cls)
        kind = cls.__name__.replace("QgsModel", "").replace("GraphicItem", "")
        comp = it.component()
        comp = sip.cast(comp, getattr(core, "QgsProcessingModel" + kind, type(comp)))
        if kind == "ChildAlgorithm":
            key = comp.childId()
        elif kind == "Parameter":
            key = comp.parameterName()
        elif kind == "Output":
            key = (comp.childId(), comp.name())
        else:
            key = (comp.description(), len(out))
        out[(kind, key)] = (it, it.sceneBoundingRect())
    return scene, out


def _overlaps(items):
    pairs = []
    keys = sorted(items, key=str)
    for i, a in enumerate(keys):
        for b in keys[i + 1:]:
            r = items[a][1].intersected(items[b][1])
            if r.width() > 0.5 and r.height() > 0.5:  # more than a shared pen line
                pairs.append((a, b))
    return pairs


@pytest.mark.parametrize("expanded", [False, True], ids=["collapsed", "expanded"])
@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_no_two_boxes_overlap_in_the_modeler(provider, path, expanded):
    m = _model(path)
    if hasattr(m, "validate"):
        ok, issues = m.validate()
        assert ok, issues
    if expanded:
        _expand(m)
    scene, items = _scene_items(m)
    kinds = {k for k, _ in items}
    assert {"Parameter", "ChildAlgorithm", "Output"} <= kinds, kinds
    assert len([k for k in items if k[0] == "ChildAlgorithm"]) == len(m.childAlgorithms())
    assert len([k for k in items if k[0] == "Parameter"]) == len(m.parameterComponents())
    n_out = sum(len(c.modelOutputs()) for c in m.childAlgorithms().values())
    assert len([k for k in items if k[0] == "Output"]) == n_out
    assert _overlaps(items) == []
    # all on the Modeler's canvas, which starts at 0, 0 (what lies above or left is cut)
    outside = [k for k, (_, r) in items.items() if r.top() < 0 or r.left() < 0]
    assert not outside, outside


@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_inputs_above_steps_in_workflow_order_with_outputs_beside(provider, path):
    m = _model(path)
    _expand(m)
    scene, items = _scene_items(m)
    params = {k: r for (kind, k), (_, r) in items.items() if kind == "Parameter"}
    steps = {k: r for (kind, k), (_, r) in items.items() if kind == "ChildAlgorithm"}
    # inputs: one row, above every step and its In labels
    assert len({round(r.center().y()) for r in params.values()}) == 1
    assert max(r.bottom() for r in params.values()) < min(r.top() for r in steps.values())
    # steps: each below every step it takes an output from, no two at the same height
    children = m.childAlgorithms()
    ys = {cid: children[cid].position().y() for cid in children}
    assert len(set(ys.values())) == len(ys)
    for cid in children:
        for dep in m.dependsOnChildAlgorithms(cid):
            assert ys[dep] < ys[cid], (dep, cid)
    # outputs: right of their step's box, from its height down to where the next step's
    # labels begin
    order = sorted(children, key=ys.get)
    for (kind, key), (_, r) in items.items():
        if kind != "Output":
            continue
        cid, _name = key
        step = children[cid]
        assert r.left() > step.position().x() + step.size().width() / 2, key
        k = order.index(cid)
        below = steps[order[k + 1]].top() if k + 1 < len(order) else float("inf")
        assert step.position().y() - 1 <= r.center().y() < below, (key, r)


@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_titles_and_step_names_are_readable(provider, path):
    """No title elided: the Modeler cuts a title wider than its box less 25 px of margin and
    16 px of buttons. Steps have descriptive names, not their ids."""
    from qgis.PyQt.QtGui import QFont, QFontMetricsF
    m = _model(path)
    scene, items = _scene_items(m)
    fm = QFontMetricsF(QFont())
    for (kind, key), (it, _) in items.items():
        if kind == "Comment":
            continue
        width = it.component().size().width()
        assert fm.boundingRect(it.label()).width() < width - 25 - 16, (kind, key, it.label())
    for cid, child in m.childAlgorithms().items():
        d = child.description()
        assert d != cid and d.replace(" ", "_").lower() != cid and len(d.split()) >= 3, d


@pytest.mark.parametrize("path", MODELS, ids=IDS)
def test_number_inputs_show_sensible_decimals(provider, path):
    """The Modeler's Run dialog shows a model's own inputs: 0.30 and 2000.0, not QGIS's
    default 0.300000 and 2000.000000."""
    from qgis.core import QgsProcessingParameterNumber
    m = _model(path)
    for d in m.parameterDefinitions():
        if isinstance(d, QgsProcessingParameterNumber) and d.dataType() == 1:  # Double
            decimals = (d.metadata().get("widget_wrapper") or {}).get("decimals")
            assert decimals is not None and 1 <= decimals <= 4, (d.name(), decimals)
