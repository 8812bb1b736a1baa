"""Where the layers a run loads land in the project: the analyst sees the map.

Each output loaded on completion gets a *role*: points above polygons above the map rasters,
the supporting rasters (uncertainty, dissimilarity index, area of applicability, D², sampling
space, ...) below them and unchecked. A workflow run loads into a group of its own.

QGIS 3.32+ orders the layers a run loads by ``LayerDetails.layerSortKey`` and puts them in
``LayerDetails.groupName``; 3.22 .. 3.30 have neither and add each layer on top, in the order
of their paths. So every loaded layer also gets a post-processor that moves its layer-tree node
to its place among the layers of the same run (on 3.32+ it finds it there already).
"""
import threading
import time
import uuid

from qgis.core import QgsProcessingLayerPostProcessorInterface

from . import compat

#: sort keys: lower is higher in the layer tree
ROLE_KEYS = {"points": 100, "lines": 150, "polygons": 200, "map": 300, "support": 500}
RUN_PROPERTY = "hazard_susceptibility/run"
KEY_PROPERTY = "hazard_susceptibility/sort_key"

_local = threading.local()
_KEEP = []  # post-processors must outlive the run that made them


class Run:
    """What one run (an algorithm, or a workflow with every step it runs) loads."""

    def __init__(self, group=None):
        self.token = uuid.uuid4().hex
        self.group = group
        self.roles = {}  # destination -> (role, order)
        self.names = {}  # destination -> layer name
        self.dests = set()  # what it registered for loading


_MODEL_RUNS = []  # recent runs of Graphical Modeler models (their steps are separate runs)
MODEL_TITLES = {}  # model name -> title of its group (the shipped models: their workflow's)


def begin(group=None, context=None, before=()):
    """Start a run in this thread, or join the one under way (a workflow's steps run in its
    thread); returns (run, owner): the owner places what the run loads and ends it.

    A step of a Graphical Modeler model (the Modeler's Run button, or a shipped .model3 run
    as it is) runs on its own, one after the other in the model's context: it joins the run
    of the model's earlier steps, found by the layers they registered in that context, so that
    the whole model run is ordered together, in one group."""
    run = getattr(_local, "run", None)
    if run is not None:
        if group and not run.group:
            run.group = group
        return run, False
    model = _model_name(context)
    if model:
        run = next((r for r in _MODEL_RUNS if r.dests & set(before)), None)
        if run is None:
            run = Run(group_name(MODEL_TITLES.get(model, model)))
            _MODEL_RUNS.append(run)
            del _MODEL_RUNS[:-20]
        _local.run = run
        return run, True
    _local.run = Run(group)
    return _local.run, True


def _model_name(context):
    """The name of the model whose step runs in ``context`` (None outside a model)."""
    if context is None:
        return None
    try:
        scope = context.expressionContext()
        if scope.hasVariable("model_name"):
            return str(scope.variable("model_name") or "") or None
    except Exception:  # noqa: BLE001  (a context without an expression context)
        return None
    return None


def end():
    _local.run = None


def current():
    return getattr(_local, "run", None)


def note(dest, role=None, order=0, name=None):
    """Record the role of the output ``dest`` (its place in the layer tree) and its name."""
    run = current()
    if run is None or not dest:
        return
    if role:
        run.roles[dest] = (role, order)
    if name:
        run.names[dest] = name


def role_of(layer):
    """The default role of a layer: points, lines, polygons by geometry, rasters a map."""
    from qgis.core import QgsRasterLayer, QgsVectorLayer
    if isinstance(layer, QgsVectorLayer):
        g = compat.geometry_type(layer.wkbType())
        return {compat.GEOM_POINT: "points", compat.GEOM_LINE: "lines"}.get(g, "polygons")
    if isinstance(layer, QgsRasterLayer):
        return "map"
    return "polygons"


def _default_role(details):
    hint = getattr(details, "layerTypeHint", None)
    try:
        from qgis.core import QgsProcessingUtils
        if hint == QgsProcessingUtils.LayerHint.Raster:
            return "map"
        if hint == QgsProcessingUtils.LayerHint.Vector:
            return "polygons"
    except AttributeError:
        pass
    return None


def apply(context, run, before=()):
    """Give every layer this run registered for loading its sort key, group, name and a
    placing post-processor."""
    new = {dest: run.roles.get(dest) or (_default_role(details), 0)
           for dest, details in context.layersToLoadOnCompletion().items() if dest not in before}
    # supporting layers are unchecked when the run loads something they support (alone, as
    # from 'Area of applicability', they are what was asked for)
    run.dests.update(new)
    primary = any(role != "support" for role, _ in new.values()) or any(
        role != "support" for role, _ in run.roles.values())
    for dest, (role, order) in new.items():
        key = ROLE_KEYS.get(role, ROLE_KEYS["polygons"]) + order if role else None
        d = context.layerToLoadOnCompletionDetails(dest)
        if dest in run.names:
            d.name = run.names[dest]
            if hasattr(d, "forceName"):  # 3.24+: the name even with "file name as layer name"
                d.forceName = True
        if key is not None and hasattr(d, "layerSortKey"):  # 3.32+
            d.layerSortKey = key
        if run.group and hasattr(d, "groupName"):  # 3.32+
            d.groupName = run.group
        pp = d.postProcessor()
        if not isinstance(pp, PlacingPostProcessor):
            pp = PlacingPostProcessor(pp)
            _KEEP.append(pp)
            d.setPostProcessor(pp)
        pp.place_as(run, key, role, role == "support" and primary)


class PlacingPostProcessor(QgsProcessingLayerPostProcessorInterface):
    """Runs ``inner`` (a styling post-processor) and places the layer's tree node."""

    def __init__(self, inner=None):
        super().__init__()
        self.inner = inner
        self.run_token, self.group, self.key, self.role = None, None, None, None
        self.uncheck = False

    def place_as(self, run, key, role, uncheck=False):
        self.run_token, self.group, self.key, self.role = run.token, run.group, key, role
        self.uncheck = uncheck

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if self.inner is not None:
            self.inner.postProcessLayer(layer, context, feedback)
        if layer is None or self.run_token is None:
            return
        project = context.project() if context is not None else None
        for candidate in (project, _project_of(layer)):
            if candidate is not None and candidate.layerTreeRoot().findLayer(layer.id()):
                place(candidate.layerTreeRoot(), layer, self.run_token, self.key,
                      self.role or role_of(layer), self.group, self.uncheck)
                return


def _project_of(layer):
    from qgis.core import QgsProject
    return QgsProject.instance() if QgsProject.instance().mapLayer(layer.id()) else None


def place(root, layer, token, key, role, group=None, uncheck=False):
    """Move ``layer``'s node into the run's group (made once per run, at the top of where the
    layer landed) and among the run's layers by ``key``; supporting layers are unchecked."""
    from qgis.core import QgsLayerTreeGroup
    node = root.findLayer(layer.id())
    if node is None:
        return
    if key is None:
        key = ROLE_KEYS[role]
    parent = node.parent()
    target = parent
    if group:
        if isinstance(parent, QgsLayerTreeGroup) and (
                parent.customProperty(RUN_PROPERTY) == token or
                parent.name() == group and parent.customProperty(RUN_PROPERTY) is None):
            # ours, or the one QGIS 3.32+ made from LayerDetails.groupName
            parent.setCustomProperty(RUN_PROPERTY, token)
            target = parent
        else:
            target = _run_group(root, parent, token, group)
    siblings = [c for c in target.children() if c is not node]
    ours = [i for i, c in enumerate(siblings) if c.customProperty(RUN_PROPERTY) == token
            and c.customProperty(KEY_PROPERTY) is not None]
    after = [i for i in ours if int(siblings[i].customProperty(KEY_PROPERTY)) > key]
    # before the run's first layer that sorts after it, else after the run's last layer, else
    # (the run's first layer) at the top
    at = after[0] if after else (ours[-1] + 1 if ours else 0)
    pos = target.children().index(node) if node.parent() is target else None
    if pos != at:
        # a clone inserted first keeps the layer in the project; then the old node goes
        clone = node.clone()
        target.insertChildNode(at + 1 if pos is not None and pos < at else at, clone)
        node.parent().removeChildNode(node)
        node = clone
    node.setCustomProperty(RUN_PROPERTY, token)
    node.setCustomProperty(KEY_PROPERTY, int(key))
    if uncheck:
        node.setItemVisibilityChecked(False)
    legend_without_band_name(node, layer)


def legend_without_band_name(node, layer):
    """QGIS heads the legend of a paletted or colour-ramp raster with its band's name and
    colour interpretation ("Band 1 (Gray)"), which tells an analyst nothing the layer's name
    does not: the legend's node order (kept in the project) leaves that first node out and
    keeps the classes or the ramp."""
    from qgis.core import QgsMapLayerLegendUtils, QgsRasterLayer
    from qgis.PyQt.QtCore import Qt
    renderer = layer.renderer() if isinstance(layer, QgsRasterLayer) else None
    if renderer is None or renderer.type() not in ("paletted", "singlebandpseudocolor") or \
            not renderer.usesBands() or layer.legend() is None:
        return
    nodes = layer.legend().createLayerTreeModelLegendNodes(node)  # as the Layers panel does
    texts = [n.data(Qt.ItemDataRole.DisplayRole) for n in nodes]
    del nodes
    if len(texts) < 2 or texts[0] != renderer.displayBandName(renderer.usesBands()[0]):
        return
    QgsMapLayerLegendUtils.setLegendNodeOrder(node, list(range(1, len(texts))))
    layer.legendChanged.emit()  # the Layers panel builds the legend anew


def _run_group(root, parent, token, name):
    """The group of the run ``token`` (made at the top of ``parent`` the first time)."""
    from qgis.core import QgsLayerTreeGroup
    stack = [root]
    while stack:  # (3.22's findGroups() has no recursive flag)
        g = stack.pop()
        for c in g.children():
            if isinstance(c, QgsLayerTreeGroup):
                if c.customProperty(RUN_PROPERTY) == token:
                    return c
                stack.append(c)
    group = parent.insertGroup(0, name)
    group.setCustomProperty(RUN_PROPERTY, token)
    return group


def group_name(title):
    """The group of one workflow run: its title and the time it ran."""
    return f"{title} ({time.strftime('%H:%M:%S')})"
