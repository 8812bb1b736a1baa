"""Run an algorithm the way its dialog in QGIS desktop does, headless.

- the parameters: the inputs given, every destination as its own widget gives it by default
  ("Create temporary layer": TEMPORARY_OUTPUT), with the project to load into where the widget
  has "Open output file after running algorithm" ticked (processing/gui/ParametersPanel.py,
  createProcessingParameters);
- the run: a QgsProcessingAlgRunnerTask in the task manager's thread, with the context of
  processing.tools.dataobjects.createContext (processing/gui/AlgorithmDialog.py, runAlgorithm);
- the load step: processing/gui/Postprocessing.py handleAlgorithmResults, QGIS's own, on the
  results; its red "The following layers were not correctly generated" is caught.
"""
import time

from qgis.core import (QgsApplication, QgsProcessingAlgRunnerTask, QgsProcessingContext,
                       QgsProcessingFeedback, QgsProcessingOutputLayerDefinition, QgsProject)


class RecordingFeedback(QgsProcessingFeedback):
    def __init__(self):
        super().__init__()
        self.errors, self.infos = [], []

    def reportError(self, error, fatalError=False):  # noqa: N802,N803
        self.errors.append(error)
        super().reportError(error, fatalError)

    def pushInfo(self, info):  # noqa: N802
        self.infos.append(info)
        super().pushInfo(info)


def dialog_parameters(alg, inputs, project, outputs=None):
    """``inputs`` and every destination as its dialog widget gives it by default (``outputs``
    given: those values instead).

    The widgets' defaults, read from QgsProcessingLayerOutputDestinationWidget wrappers in a
    GUI application on 3.22 (headless tests cannot build widgets): a raster, vector or feature
    sink destination gives QgsProcessingOutputLayerDefinition("TEMPORARY_OUTPUT") with "Open
    output file after running algorithm" ticked; a file or folder destination gives the string
    "TEMPORARY_OUTPUT" and nothing to open; an optional destination not created by default is
    skipped."""
    from qgis.core import (QgsProcessingParameterFeatureSink,
                           QgsProcessingParameterRasterDestination,
                           QgsProcessingParameterVectorDestination)
    params = dict(inputs)
    for d in alg.destinationParameterDefinitions():
        if d.name() in params:
            continue
        if outputs and d.name() in outputs:
            value = outputs[d.name()]
        elif d.defaultValue() not in (None, ""):
            value = d.defaultValue()
        elif d.flags() & compat_optional() and not d.createByDefault():
            continue
        else:
            value = "TEMPORARY_OUTPUT"
        if isinstance(d, (QgsProcessingParameterFeatureSink, QgsProcessingParameterVectorDestination,
                          QgsProcessingParameterRasterDestination)):
            value = QgsProcessingOutputLayerDefinition(value, project)
        params[d.name()] = value
    return alg.preprocessParameters(params)


def compat_optional():
    from hazard_susceptibility.algorithms import compat
    return compat.FLAG_OPTIONAL


def run_like_dialog(alg_id, inputs, project=None, outputs=None, timeout=900):
    """(results, feedback, loaded ok): run ``alg_id`` as its dialog's Run button does and
    load its layers into ``project`` (the current project by default)."""
    from processing.gui.Postprocessing import handleAlgorithmResults
    from processing.tools import dataobjects
    from qgis.PyQt.QtCore import QCoreApplication
    project = project or QgsProject.instance()
    alg = QgsApplication.processingRegistry().createAlgorithmById(alg_id) \
        if isinstance(alg_id, str) else alg_id  # or an algorithm, e.g. a model from its file
    fb = RecordingFeedback()
    context = dataobjects.createContext(fb)
    context.setProject(project)
    params = dialog_parameters(alg, inputs, project, outputs)
    ok, msg = alg.checkParameterValues(params, context)
    assert ok, msg
    done = {}
    task = QgsProcessingAlgRunnerTask(alg, params, context, fb)
    task.executed.connect(lambda success, res: done.update(ok=success, results=res))
    QgsApplication.taskManager().addTask(task)
    start = time.time()
    while "ok" not in done:
        QCoreApplication.processEvents()
        time.sleep(0.005)
        assert time.time() - start < timeout, f"{alg.id()} did not finish in {timeout} s"
    assert done["ok"], "\n".join(fb.errors)
    # QGIS 3.44's load step hands iface's layer tree view to C++: pytest-qgis's stand-in iface
    # has none (a mock), so it goes as the headless desktop's would, without a view
    import processing.gui.Postprocessing as post
    from qgis.gui import QgsLayerTreeView
    saved = getattr(post, "iface", None)
    if saved is not None and not isinstance(saved.layerTreeView(), QgsLayerTreeView):
        post.iface = None
    try:
        loaded = handleAlgorithmResults(alg, context, fb, parameters=done["results"])
    finally:
        post.iface = saved
    return done["results"], fb, loaded, context


def layer_tree(project=None):
    """[(path in the tree, layer name, checked)] from the top, groups as "group/"."""
    from qgis.core import QgsLayerTreeGroup
    project = project or QgsProject.instance()
    rows = []

    def walk(group, prefix):
        for c in group.children():
            if isinstance(c, QgsLayerTreeGroup):
                rows.append((prefix + c.name() + "/", None, c.itemVisibilityChecked()))
                walk(c, prefix + c.name() + "/")
            else:
                rows.append((prefix, c.layer().name() if c.layer() else c.name(),
                             c.itemVisibilityChecked()))
    walk(project.layerTreeRoot(), "")
    return rows


def clear_project(project=None):
    project = project or QgsProject.instance()
    project.removeAllMapLayers()
    project.layerTreeRoot().removeAllChildren()
