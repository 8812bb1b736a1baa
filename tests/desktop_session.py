"""Runs inside the real QGIS application (``qgis --code tests/desktop_session.py``, started by
tests/qgis/test_desktop.py under Xvfb): drives Processing dialogs as an analyst does and writes
what it saw, one JSON line per job, into $HAZARD_DESKTOP_OUT/results.jsonl, with screenshots of
the main window and of the dialog. Not a pytest module.

The plan ($HAZARD_DESKTOP_PLAN, JSON) lists jobs:
    {"id": "...", "kind": "dialog" | "model" | "modeler",
     "alg": "hazard:applymodel" (dialog) or "/path/x.model3" (model, modeler),
     "params": {...}}   (outputs are left as the dialog sets them: TEMPORARY_OUTPUT)
"dialog" opens the algorithm's dialog (processing.createAlgorithmDialog) and clicks Run;
"model" opens the .model3 in the Graphical Modeler, presses its Run button and clicks Run in
the dialog it opens; "modeler" opens the model in the Graphical Modeler
and pictures it. Python's fault handler writes into faulthandler.log there, so a crash names
the Python line it came from.
"""
import faulthandler
import json
import os
import time
import traceback

OUT = os.environ["HAZARD_DESKTOP_OUT"]
PLAN = json.loads(os.environ["HAZARD_DESKTOP_PLAN"])
JOB_TIMEOUT = float(os.environ.get("HAZARD_DESKTOP_JOB_TIMEOUT", "240"))
_fault = open(os.path.join(OUT, "faulthandler.log"), "a")
faulthandler.enable(file=_fault, all_threads=True)

_keep = []  # dialogs and timers kept alive while they work


def _log(msg):
    with open(os.path.join(OUT, "session.log"), "a") as fh:
        fh.write(f"{time.strftime('%H:%M:%S')} {msg}\n")


def _write(record):
    with open(os.path.join(OUT, "results.jsonl"), "a") as fh:
        fh.write(json.dumps(record) + "\n")


def _wait(seconds):
    """Lets QGIS work (events, tasks, rendering) for ``seconds``."""
    from qgis.PyQt.QtCore import QCoreApplication, QEventLoop
    end = time.time() + seconds
    while time.time() < end:
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
        time.sleep(0.02)


def _source_path(layer):
    return os.path.normpath(layer.source().split("|")[0])


def _is_styled(layer):
    """Whether the layer shows a style of its own rather than what QGIS gives an unstyled
    file: a raster not in single-band grey; a vector whose renderer is not a single symbol,
    or is the one saved with its file (QGIS's default is a single symbol in a random colour)."""
    from qgis.core import QgsMapLayerType, QgsVectorLayer
    r = layer.renderer()
    if r is None:
        return False
    if layer.type() == QgsMapLayerType.RasterLayer:
        return r.type() != "singlebandgray"
    if r.type() != "singleSymbol":
        return True
    fresh = QgsVectorLayer(layer.source(), "fresh", layer.providerType())
    ok = fresh.isValid() and fresh.renderer() is not None and fresh.renderer().dump() == r.dump()
    del fresh
    return ok


def _legend(node):
    """The texts of ``node``'s legend as the Layers panel shows it."""
    from qgis.PyQt.QtCore import Qt
    from qgis.utils import iface
    model = iface.layerTreeView().layerTreeModel()
    return [str(n.data(Qt.ItemDataRole.DisplayRole) or "") for n in model.layerLegendNodes(node)]


def _layers():
    """Every layer in the project, top of the layer tree first, with what the test checks."""
    from qgis.core import QgsMapLayerType, QgsProject, QgsWkbTypes
    root = QgsProject.instance().layerTreeRoot()
    out = []
    for k, node in enumerate(root.findLayers()):
        layer = node.layer()
        if layer is None:
            continue
        kind = "raster" if layer.type() == QgsMapLayerType.RasterLayer else "vector"
        geom = None
        if kind == "vector":
            gt = QgsWkbTypes.GeometryType
            geom = {gt.PointGeometry: "point", gt.LineGeometry: "line",
                    gt.PolygonGeometry: "polygon"}.get(layer.geometryType(), "none")
        parents = []
        p = node.parent()
        while p is not None and p != root:
            parents.append(p.name())
            p = p.parent()
        out.append({"index": k, "name": layer.name(), "kind": kind, "geometry": geom,
                    "renderer": layer.renderer().type() if layer.renderer() else None,
                    "styled": _is_styled(layer), "visible": node.isVisible(),
                    "checked": node.itemVisibilityChecked(), "source": _source_path(layer),
                    "exists": os.path.exists(_source_path(layer)), "groups": parents,
                    "valid": layer.isValid(), "legend": _legend(node)})
    return out


def _grab(widget, name):
    path = os.path.join(OUT, name)
    ok = widget.grab().save(path, "PNG")
    return os.path.basename(path) if ok else None


def _zoom_to_layers():
    from qgis.core import QgsProject, QgsRectangle
    from qgis.utils import iface
    canvas = iface.mapCanvas()
    extent = QgsRectangle()
    extent.setMinimal()
    for layer in QgsProject.instance().mapLayers().values():
        if layer.isValid():
            e = canvas.mapSettings().layerExtentToOutputExtent(layer, layer.extent())
            extent.combineExtentWith(e)
    if not extent.isEmpty():
        canvas.setExtent(extent)
    canvas.refresh()
    _wait(0.5)
    canvas.waitWhileRendering()
    _wait(0.3)


def _log_text(dlg):
    from qgis.PyQt.QtWidgets import QTextEdit
    box = dlg.findChild(QTextEdit, "txtLog")
    if box is None:
        return "", ""
    return box.toPlainText(), box.toHtml()


def _drive(dlg, job, record):
    """Clicks Run in the algorithm dialog ``dlg``, waits for the run and the loading of its
    layers, and records the log, the results, the layers and screenshots."""
    from qgis.utils import iface
    dlg.resize(900, 760)
    _wait(0.5)
    record["dialog_before"] = _grab(dlg, f"{job['id']}_dialog_before.png")
    from qgis.PyQt.QtWidgets import QProgressBar
    bar = dlg.findChild(QProgressBar, "progressBar")
    seen = set()  # the values the dialog's progress bar showed during the run (a run that
    # blocks the event loop, as a model's in QGIS 3.22, is seen through the signal only)

    def saw(value):
        seen.add(value)
    if bar is not None:
        bar.valueChanged.connect(saw)
    t0 = time.time()
    _log(f"{job['id']}: Run clicked")
    dlg.runButton().click()
    finished = False
    while time.time() - t0 < JOB_TIMEOUT:
        _wait(0.25)
        if bar is not None:
            seen.add(bar.value())
        text, _ = _log_text(dlg)
        done = ("Execution completed in" in text or "Execution failed after" in text or
                "Wrong or missing parameter" in text)
        if done and dlg.runButton().isEnabled():
            finished = True
            break
        if time.time() - t0 > 3 and not dlg.isVisible():
            finished = True
            break
    record["seconds"] = round(time.time() - t0, 1)
    record["progress"] = sorted(seen)
    if bar is not None:
        bar.valueChanged.disconnect(saw)
    record["finished"] = finished
    _wait(1.0)
    text, html = _log_text(dlg)
    record["log"] = text[-6000:]
    record["completed"] = "Execution completed in" in text
    record["not_correctly_generated"] = "not correctly generated" in text
    # red lines: what feedback.reportError wrote
    flat = html.replace(" ", "").lower()
    record["red"] = [line for line in flat.split("<br/>") if "color:#ff0000" in line or
                     "color:red" in line][:20]
    record["executed"] = bool(dlg.wasExecuted())
    results = dlg.results() or {}
    record["results"] = {k: (v if isinstance(v, (str, int, float, bool)) or v is None
                             else str(v)) for k, v in results.items()
                         if k not in ("CHILD_RESULTS", "CHILD_INPUTS")}
    record["layers"] = _layers()
    _zoom_to_layers()
    record["window"] = _grab(iface.mainWindow(), f"{job['id']}_window.png")
    record["dialog"] = _grab(dlg, f"{job['id']}_dialog.png")


def _run_dialog(job, record):
    """The algorithm's dialog as the Processing toolbox opens it, Run clicked."""
    import processing
    dlg = processing.createAlgorithmDialog(job["alg"], job["params"])
    _keep.append(dlg)
    dlg.show()
    _drive(dlg, job, record)
    dlg.close()


def _run_model(job, record):
    """The .model3 opened in the Graphical Modeler and run with its Run button
    (ModelerDialog.runModel: a modal dialog of the model), Run clicked in that dialog."""
    from qgis.PyQt.QtCore import QTimer
    from qgis.PyQt.QtWidgets import QApplication
    modeler = _modeler(job["alg"])
    modeler.show()
    _wait(0.5)
    errors, done = [], []

    def run_dialog():
        """The dialog the Run button opened: modal in QGIS 3.22 (activeModalWidget), maybe
        not in later versions (a new visible top-level algorithm dialog)."""
        w = QApplication.activeModalWidget()
        if w is not None and hasattr(w, "runButton"):
            return w
        for w in QApplication.topLevelWidgets():
            if w.isVisible() and hasattr(w, "runButton") and hasattr(w, "results"):
                return w
        return None

    def in_the_dialog():
        try:
            dlg = run_dialog()
            if dlg is None:
                raise RuntimeError("no run dialog after the Modeler's Run")
            dlg.setParameters(job["params"])
            _drive(dlg, job, record)
            dlg.close()
        except Exception:  # noqa: BLE001
            errors.append(traceback.format_exc())
            w = run_dialog()
            if w is not None:
                w.close()
        done.append(True)
    timer = QTimer()
    timer.setSingleShot(True)
    timer.timeout.connect(in_the_dialog)
    timer.start(1000)
    _keep.append(timer)
    modeler.actionRun().trigger()  # its Run button (modal in 3.22: returns when closed)
    t0 = time.time()
    while not done and time.time() - t0 < JOB_TIMEOUT + 30:
        _wait(0.25)
    if errors:
        raise RuntimeError(errors[0])
    modeler.hide()


def _modeler(path):
    """The Graphical Modeler with the model ``path`` opened as its Open Model button opens
    it (which gives the model the provider of models; a model without a provider crashes
    QGIS 3.22 when its Run dialog opens)."""
    from processing.modeler.ModelerDialog import ModelerDialog
    modeler = ModelerDialog.create()
    _keep.append(modeler)
    modeler.loadModel(path)
    if modeler.model() is None or not modeler.model().childAlgorithms():
        raise RuntimeError(f"the Modeler cannot open {path}")
    return modeler


def _open_modeler(job, record):
    from qgis.core import QgsProcessingModelAlgorithm
    dlg = _modeler(job["alg"])
    dlg.resize(1600, 1000)
    dlg.show()
    _wait(1.0)
    from qgis.PyQt.QtCore import Qt
    view = dlg.view()
    view.fitInView(view.scene().itemsBoundingRect().adjusted(-20, -20, 20, 20),
                   Qt.AspectRatioMode.KeepAspectRatio)
    _wait(0.5)
    record["modeler"] = _grab(dlg, f"{job['id']}_modeler.png")
    # the same at 100 %: the top of the graph, as it opens to an analyst
    view.resetTransform()
    rect = view.scene().itemsBoundingRect()
    view.centerOn(rect.left() + view.viewport().width() / 2 - 20,
                  rect.top() + view.viewport().height() / 2 - 20)
    _wait(0.5)
    record["modeler_100"] = _grab(dlg, f"{job['id']}_modeler_100.png")
    dlg.setModel(QgsProcessingModelAlgorithm())  # no "save changes?" question on close
    dlg.close()


def _clear_project():
    from qgis.core import QgsProject
    QgsProject.instance().removeAllMapLayers()
    QgsProject.instance().layerTreeRoot().removeAllChildren()
    _wait(0.3)


def main():
    from processing.core.ProcessingConfig import ProcessingConfig
    from qgis.core import QgsApplication
    from qgis.utils import iface
    ProcessingConfig.setSettingValue(ProcessingConfig.KEEP_DIALOG_OPEN, True)
    win = iface.mainWindow()
    win.showMaximized()
    _wait(1.0)
    if win.width() < 1280:  # QGIS 3.44 under Xvfb (no window manager) stays at ~1030 x 410
        win.resize(1280, 800)
        _wait(0.5)
    provider = QgsApplication.processingRegistry().providerById("hazard")
    _write({"id": "_start", "provider": provider is not None,
            "qgis": QgsApplication.instance().applicationVersion() if hasattr(
                QgsApplication.instance(), "applicationVersion") else None})
    for job in PLAN:
        record = {"id": job["id"], "kind": job["kind"], "alg": job["alg"]}
        _log(f"{job['id']}: start")
        faulthandler.dump_traceback_later(JOB_TIMEOUT + 60, exit=True, file=_fault)
        try:
            if job["kind"] == "modeler":
                _open_modeler(job, record)
            elif job["kind"] == "model":
                _run_model(job, record)
            else:
                _run_dialog(job, record)
        except Exception:  # noqa: BLE001  the test reports it
            record["error"] = traceback.format_exc()
        faulthandler.cancel_dump_traceback_later()
        _write(record)
        _log(f"{job['id']}: done")
        _clear_project()
    _write({"id": "_end"})
    _fault.flush()
    os._exit(0)  # QGIS 3.22 can crash in exitQgis() while layers are still held


def _start():
    try:
        main()
    except Exception:  # noqa: BLE001
        _write({"id": "_session_error", "error": traceback.format_exc()})
        os._exit(3)


from qgis.PyQt.QtCore import QTimer  # noqa: E402
_timer = QTimer()
_timer.setSingleShot(True)
_timer.timeout.connect(_start)
_timer.start(2000)
_keep.append(_timer)
