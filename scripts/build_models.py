"""Build the Graphical Modeler workflows shipped in models/ (run with QGIS's Python).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/build_models.py

The .model3 files are written from code so that they stay in step with the algorithms'
parameters; the provider offers them in its "Workflows" group (algorithms/workflow.py).
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.append("/usr/share/qgis/python/plugins")


def _inputs(m, defs):
    from qgis.core import QgsProcessingModelParameter
    from qgis.PyQt.QtCore import QPointF
    for k, defn in enumerate(defs):
        p = QgsProcessingModelParameter(defn.name())
        p.setPosition(QPointF(100 + 200 * k, 60))
        m.addModelParameter(defn, p)


def _child(m, alg_id, cid, params, outputs, y):
    """A child algorithm; its ``outputs`` (child output -> model output name) default to
    temporary outputs."""
    from qgis.core import QgsProcessingModelChildAlgorithm, QgsProcessingModelOutput
    from qgis.PyQt.QtCore import QPointF
    c = QgsProcessingModelChildAlgorithm(alg_id)
    c.setChildId(cid)
    c.setDescription(cid.replace("_", " "))
    c.setPosition(QPointF(300, y))
    for k, v in params.items():
        c.addParameterSources(k, v if isinstance(v, list) else [v])
    outs = {}
    for name, text in outputs.items():
        o = QgsProcessingModelOutput(text)
        o.setChildOutputName(name)
        o.setChildId(cid)
        o.setDefaultValue("TEMPORARY_OUTPUT")
        outs[text] = o
    c.setModelOutputs(outs)
    m.addChildAlgorithm(c)


def mahalanobis_workflow():
    """Paper 003: Mahalanobis absences -> random forest -> map in 5 classes -> SCAI."""
    from qgis.core import (QgsProcessing, QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("landslide_mahalanobis", "Workflows", "workflows")
    _inputs(m, [QgsProcessingParameterFeatureSource("inventory", "Landslide inventory (points)",
                                                    [QgsProcessing.TypeVectorPoint]),
                QgsProcessingParameterMultipleLayers("factors", "Continuous factor rasters",
                                                     QgsProcessing.TypeRaster),
                QgsProcessingParameterNumber("seed", "Random seed",
                                             QgsProcessingParameterNumber.Integer, 42)])
    seed = P.fromModelParameter("seed")
    factors = P.fromModelParameter("factors")
    _child(m, "hazard:mahalanobisabsences", "absences", {
        "PRESENCES": P.fromModelParameter("inventory"), "FACTORS": factors,
        "RATIO": P.fromStaticValue(1.0), "SEED": seed},
        {"OUTPUT": "Training samples", "OUTPUT_D2": "Mahalanobis D2",
         "OUTPUT_MASK": "Sampling space"}, 200)
    _child(m, "hazard:trainmodel", "model", {
        "SAMPLES": P.fromChildOutput("absences", "OUTPUT"), "FACTORS": factors,
        "MODEL": P.fromStaticValue(0), "SEED": seed},
        {"OUTPUT_MODEL": "Model file", "OUTPUT_HTML": "Model report"}, 320)
    _child(m, "hazard:applymodel", "map", {
        "MODEL": P.fromChildOutput("model", "OUTPUT_MODEL"), "FACTORS": factors, "SEED": seed},
        {"OUTPUT": "Susceptibility", "OUTPUT_CLASSES": "Susceptibility classes"}, 440)
    _child(m, "hazard:evaluatemap", "evaluation", {
        "PROBABILITY": P.fromChildOutput("map", "OUTPUT"),
        "HAZARDS": P.fromModelParameter("inventory"), "SEED": seed},
        {"OUTPUT_HTML": "Evaluation report"}, 560)
    return m


def hnn_workflow():
    """Paper 000: slope units + factors + landslide polygons -> statistics -> size classes ->
    Hierarchical Neural Network and its report."""
    from qgis.core import (QgsProcessing, QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("landslide_size_hnn", "Workflows", "workflows")
    _inputs(m, [QgsProcessingParameterFeatureSource("units", "Slope units",
                                                    [QgsProcessing.TypeVectorPolygon]),
                QgsProcessingParameterMultipleLayers("factors", "Continuous factor rasters",
                                                     QgsProcessing.TypeRaster),
                QgsProcessingParameterFeatureSource("landslides", "Landslide polygons",
                                                    [QgsProcessing.TypeVectorPolygon]),
                QgsProcessingParameterNumber("seed", "Random seed",
                                             QgsProcessingParameterNumber.Integer, 42),
                QgsProcessingParameterNumber("epochs", "Maximum epochs",
                                             QgsProcessingParameterNumber.Integer, 300)])
    _child(m, "hazard:slopeunitstats", "statistics", {
        "SLOPE_UNITS": P.fromModelParameter("units"), "FACTORS": P.fromModelParameter("factors"),
        "LANDSLIDES": P.fromModelParameter("landslides")}, {}, 200)
    _child(m, "native:extractbyexpression", "units_with_data", {
        "INPUT": P.fromChildOutput("statistics", "OUTPUT"),
        "EXPRESSION": P.fromStaticValue('"n_pixels" > 0')}, {}, 320)
    _child(m, "hazard:hnnsizeclasses", "size_classes", {
        "UNITS": P.fromChildOutput("units_with_data", "OUTPUT")},
        {"OUTPUT_HTML": "Size-class report"}, 440)
    _child(m, "hazard:trainhnn", "hnn", {
        "UNITS": P.fromChildOutput("size_classes", "OUTPUT"), "SEED": P.fromModelParameter("seed"),
        "EPOCHS": P.fromModelParameter("epochs")},
        {"OUTPUT": "Slope units with probabilities", "OUTPUT_MODEL": "HNN model",
         "OUTPUT_HTML": "HNN report"}, 560)
    return m


def main():
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    from hazard_susceptibility.provider import HazardSusceptibilityPlugin
    HazardSusceptibilityPlugin(None).initProcessing()
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    ok = True
    for model, name in ((mahalanobis_workflow(), "landslide_mahalanobis.model3"),
                        (hnn_workflow(), "landslide_size_hnn.model3")):
        path = os.path.join(ROOT, "models", name)
        done = model.toFile(path)
        print("wrote" if done else "FAILED", path)
        ok &= done
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main()
