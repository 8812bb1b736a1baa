"""Build the Graphical Modeler workflows shipped in models/ (run with QGIS's Python).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/build_models.py

The .model3 files are written from code so that they stay in step with the algorithms'
parameters; the provider loads them into its "Workflows" group.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
sys.path.append("/usr/share/qgis/python/plugins")


def main():
    from qgis.core import (QgsApplication, QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildAlgorithm, QgsProcessingModelChildParameterSource,
                           QgsProcessingModelOutput, QgsProcessingModelParameter,
                           QgsProcessingParameterFeatureSource, QgsProcessingParameterMultipleLayers,
                           QgsProcessingParameterNumber, QgsProcessing)
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    from hazard_susceptibility.provider import HazardSusceptibilityPlugin
    HazardSusceptibilityPlugin(None).initProcessing()

    m = QgsProcessingModelAlgorithm("Landslide susceptibility with Mahalanobis absences",
                                    "Workflows", "landslidemahalanobis")
    m.setHelpContent({"ALG_DESC": (
        "Paper 003's workflow: absences by Mahalanobis distance, a random forest, the "
        "susceptibility map in 5 classes, and its evaluation with SCAI.")})

    def add_input(defn, x):
        p = QgsProcessingModelParameter(defn.name())
        p.setPosition(__import__("qgis.PyQt.QtCore", fromlist=["QPointF"]).QPointF(x, 60))
        m.addModelParameter(defn, p)

    add_input(QgsProcessingParameterFeatureSource("inventory", "Landslide inventory (points)",
                                                  [QgsProcessing.TypeVectorPoint]), 100)
    add_input(QgsProcessingParameterMultipleLayers("factors", "Continuous factor rasters",
                                                   QgsProcessing.TypeRaster), 300)
    add_input(QgsProcessingParameterNumber("seed", "Random seed",
                                           QgsProcessingParameterNumber.Integer, 42), 500)
    P = QgsProcessingModelChildParameterSource

    def child(alg_id, cid, params, outputs, x, y):
        from qgis.PyQt.QtCore import QPointF
        c = QgsProcessingModelChildAlgorithm(alg_id)
        c.setChildId(cid)
        c.setDescription(cid.replace("_", " "))
        c.setPosition(QPointF(x, y))
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
        return c

    child("hazard:mahalanobisabsences", "absences", {
        "PRESENCES": P.fromModelParameter("inventory"), "FACTORS": P.fromModelParameter("factors"),
        "RATIO": P.fromStaticValue(1.0), "SEED": P.fromModelParameter("seed")},
        {"OUTPUT": "Training samples", "OUTPUT_D2": "Mahalanobis D2",
         "OUTPUT_MASK": "Sampling space"}, 200, 200)
    child("hazard:trainmodel", "model", {
        "SAMPLES": P.fromChildOutput("absences", "OUTPUT"),
        "FACTORS": P.fromModelParameter("factors"), "MODEL": P.fromStaticValue(0),
        "SEED": P.fromModelParameter("seed")},
        {"OUTPUT_MODEL": "Model file", "OUTPUT_HTML": "Model report"}, 200, 320)
    child("hazard:applymodel", "map", {
        "MODEL": P.fromChildOutput("model", "OUTPUT_MODEL"),
        "FACTORS": P.fromModelParameter("factors"), "SEED": P.fromModelParameter("seed")},
        {"OUTPUT": "Susceptibility", "OUTPUT_CLASSES": "Susceptibility classes"}, 200, 440)
    child("hazard:evaluatemap", "evaluation", {
        "PROBABILITY": P.fromChildOutput("map", "OUTPUT"),
        "HAZARDS": P.fromModelParameter("inventory"), "SEED": P.fromModelParameter("seed")},
        {"OUTPUT_HTML": "Evaluation report"}, 200, 560)
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    ok = save(m, "landslide_mahalanobis.model3")
    ok &= save(hnn_workflow(), "landslide_size_hnn.model3")
    os._exit(0 if ok else 1)


def save(model, name):
    path = os.path.join(ROOT, "models", name)
    ok = model.toFile(path)
    print("wrote" if ok else "FAILED", path)
    return ok


def hnn_workflow():
    """Paper 000: slope units + factors + landslide polygons -> statistics -> size classes ->
    Hierarchical Neural Network and its report."""
    from qgis.core import (QgsProcessing, QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildAlgorithm,
                           QgsProcessingModelChildParameterSource as P, QgsProcessingModelOutput,
                           QgsProcessingModelParameter, QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    from qgis.PyQt.QtCore import QPointF
    m = QgsProcessingModelAlgorithm("landslide_size_hnn", "Workflows", "workflows")
    for k, (defn, x) in enumerate([
            (QgsProcessingParameterFeatureSource("units", "Slope units",
                                                 [QgsProcessing.TypeVectorPolygon]), 100),
            (QgsProcessingParameterMultipleLayers("factors", "Continuous factor rasters",
                                                  QgsProcessing.TypeRaster), 300),
            (QgsProcessingParameterFeatureSource("landslides", "Landslide polygons",
                                                 [QgsProcessing.TypeVectorPolygon]), 500),
            (QgsProcessingParameterNumber("seed", "Random seed",
                                          QgsProcessingParameterNumber.Integer, 42), 700),
            (QgsProcessingParameterNumber("epochs", "Maximum epochs",
                                          QgsProcessingParameterNumber.Integer, 300), 900)]):
        p = QgsProcessingModelParameter(defn.name())
        p.setPosition(QPointF(x, 60))
        m.addModelParameter(defn, p)

    def child(alg_id, cid, params, outputs, y):
        c = QgsProcessingModelChildAlgorithm(alg_id)
        c.setChildId(cid)
        c.setDescription(cid.replace("_", " "))
        c.setPosition(QPointF(300, y))
        for k, v in params.items():
            c.addParameterSources(k, [v])
        outs = {}
        for name, text in outputs.items():
            o = QgsProcessingModelOutput(text)
            o.setChildOutputName(name)
            o.setChildId(cid)
            o.setDefaultValue("TEMPORARY_OUTPUT")
            outs[text] = o
        c.setModelOutputs(outs)
        m.addChildAlgorithm(c)

    child("hazard:slopeunitstats", "statistics", {
        "SLOPE_UNITS": P.fromModelParameter("units"), "FACTORS": P.fromModelParameter("factors"),
        "LANDSLIDES": P.fromModelParameter("landslides")}, {}, 200)
    child("native:extractbyexpression", "units_with_data", {
        "INPUT": P.fromChildOutput("statistics", "OUTPUT"),
        "EXPRESSION": P.fromStaticValue('"n_pixels" > 0')}, {}, 320)
    child("hazard:hnnsizeclasses", "size_classes", {
        "UNITS": P.fromChildOutput("units_with_data", "OUTPUT")},
        {"OUTPUT_HTML": "Size-class report"}, 440)
    child("hazard:trainhnn", "hnn", {
        "UNITS": P.fromChildOutput("size_classes", "OUTPUT"), "SEED": P.fromModelParameter("seed"),
        "EPOCHS": P.fromModelParameter("epochs")},
        {"OUTPUT": "Slope units with probabilities", "OUTPUT_MODEL": "HNN model",
         "OUTPUT_HTML": "HNN report"}, 560)
    return m


if __name__ == "__main__":
    main()
