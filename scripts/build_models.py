"""Build the Graphical Modeler workflows shipped in models/ (run with QGIS's Python).

    QT_HASH_SEED=0 QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/build_models.py

(QT_HASH_SEED=0 keeps the XML attribute order stable, so unchanged models do not show up
in a diff.)

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
    """The model's inputs, laid out left to right in workflow order (the order the workflow
    algorithm offers them in, and, from QGIS 3.26 on, the model's own parameter order)."""
    from qgis.core import QgsProcessingModelParameter
    from qgis.PyQt.QtCore import QPointF
    for k, defn in enumerate(defs):
        p = QgsProcessingModelParameter(defn.name())
        p.setPosition(QPointF(100 + 200 * k, 60))
        m.addModelParameter(defn, p)
    if hasattr(m, "setParameterOrder"):
        m.setParameterOrder([d.name() for d in defs])


def _child(m, alg_id, cid, params, outputs, y):
    """A child algorithm; ``outputs`` {child output: (NAME, description)} become model outputs
    (temporary unless given). Every parameter left out gets its default as a static value, so
    the Modeler finds each mandatory parameter set and the step valid."""
    from qgis.core import (QgsApplication, QgsProcessingModelChildAlgorithm,
                           QgsProcessingModelChildParameterSource, QgsProcessingModelOutput)
    from qgis.PyQt.QtCore import QPointF
    c = QgsProcessingModelChildAlgorithm(alg_id)
    c.setChildId(cid)
    c.setDescription(cid.replace("_", " "))
    c.setPosition(QPointF(300, y))
    for k, v in params.items():
        c.addParameterSources(k, v if isinstance(v, list) else [v])
    alg = QgsApplication.processingRegistry().algorithmById(alg_id)
    for d in alg.parameterDefinitions():
        if d.isDestination() or d.name() in params or d.defaultValue() is None:
            continue
        c.addParameterSources(d.name(), [QgsProcessingModelChildParameterSource.fromStaticValue(
            d.defaultValue())])
    outs = {}
    for name, (out_name, text) in outputs.items():
        o = QgsProcessingModelOutput(out_name, text)
        o.setChildOutputName(name)
        o.setChildId(cid)
        o.setDefaultValue("TEMPORARY_OUTPUT")
        outs[out_name] = o
    c.setModelOutputs(outs)
    m.addChildAlgorithm(c)


def mahalanobis_workflow():
    """Paper 003, evaluated honestly: the inventory split (whole spatial blocks held out) ->
    Mahalanobis absences for the training part -> random forest (scored on the held-out part
    too) -> map in 5 classes with the trees' spread -> the area of applicability -> the map's
    evaluation on the held-out part (and on an independent inventory when given), inside and
    outside the area of applicability."""
    from hazard_susceptibility.algorithms import compat
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("landslide_mahalanobis", "Workflows", "workflows")
    hazard_types = [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]
    _inputs(m, [QgsProcessingParameterFeatureSource("INVENTORY", "Landslide inventory (points)",
                                                    [compat.TYPE_VECTOR_POINT]),
                QgsProcessingParameterMultipleLayers("FACTORS", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterNumber("HOLDOUT", "Share of the inventory held out for "
                                             "evaluation", compat.NUMBER_DOUBLE, 0.3,
                                             minValue=0.05, maxValue=0.9),
                QgsProcessingParameterNumber("BLOCK_SIZE", "Size of the blocks held out (map "
                                             "units)", compat.NUMBER_DOUBLE, 2000.0,
                                             minValue=0.0),
                QgsProcessingParameterFeatureSource("INDEPENDENT", "Independent inventory "
                                                    "(optional: another inventory to evaluate "
                                                    "on)", hazard_types, optional=True),
                QgsProcessingParameterNumber("SEED", "Random seed",
                                             compat.NUMBER_INTEGER, 42)])
    seed = P.fromModelParameter("SEED")
    factors = P.fromModelParameter("FACTORS")
    _child(m, "hazard:splitinventory", "split", {
        "INVENTORY": P.fromModelParameter("INVENTORY"),
        "TEST_SHARE": P.fromModelParameter("HOLDOUT"),
        "BLOCK_SIZE": P.fromModelParameter("BLOCK_SIZE"), "SEED": seed},
        {"OUTPUT_HELD_OUT": ("HELD_OUT", "Held-out inventory")}, 80)
    held = P.fromChildOutput("split", "OUTPUT_HELD_OUT")
    _child(m, "hazard:mahalanobisabsences", "absences", {
        "PRESENCES": P.fromChildOutput("split", "OUTPUT_TRAINING"), "FACTORS": factors,
        "RATIO": P.fromStaticValue(1.0), "SEED": seed},
        {"OUTPUT": ("SAMPLES", "Training samples"), "OUTPUT_D2": ("D2", "Mahalanobis D²"),
         "OUTPUT_MASK": ("SAMPLING_SPACE", "Sampling space")}, 200)
    _child(m, "hazard:trainmodel", "model", {
        "SAMPLES": P.fromChildOutput("absences", "OUTPUT"), "FACTORS": factors,
        "MODEL": P.fromStaticValue(0), "INDEPENDENT": held, "SEED": seed},
        {"OUTPUT_MODEL": ("MODEL", "Model file"), "OUTPUT_HTML": ("MODEL_REPORT", "Model report")}, 320)
    _child(m, "hazard:applymodel", "map", {
        "MODEL": P.fromChildOutput("model", "OUTPUT_MODEL"), "FACTORS": factors, "SEED": seed},
        {"OUTPUT": ("SUSCEPTIBILITY", "Susceptibility (probability)"),
         "OUTPUT_CLASSES": ("CLASSES", "Susceptibility classes"),
         "OUTPUT_UNCERTAINTY": ("UNCERTAINTY", "Prediction uncertainty (spread of the trees)")},
        440)
    _child(m, "hazard:applicability", "applicability", {
        "MODEL": P.fromChildOutput("model", "OUTPUT_MODEL"), "FACTORS": factors, "SEED": seed},
        {"OUTPUT_DI": ("DI", "Dissimilarity index"),
         "OUTPUT_AOA": ("AOA", "Area of applicability"),
         "OUTPUT_HTML": ("APPLICABILITY_REPORT", "Applicability report")}, 500)
    _child(m, "hazard:evaluatemap", "evaluation", {
        "PROBABILITY": P.fromChildOutput("map", "OUTPUT"), "HAZARDS": held,
        "INDEPENDENT": P.fromModelParameter("INDEPENDENT"),
        "AOA": P.fromChildOutput("applicability", "OUTPUT_AOA"),
        "UNCERTAINTY": P.fromChildOutput("map", "OUTPUT_UNCERTAINTY"), "SEED": seed},
        {"OUTPUT_HTML": ("EVALUATION_REPORT", "Evaluation report")}, 560)
    return m


def hnn_workflow():
    """Paper 000: slope units + factors + landslide polygons -> statistics -> size classes ->
    Hierarchical Neural Network and its report -> the units' area of applicability."""
    from hazard_susceptibility.algorithms import compat
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("landslide_size_hnn", "Workflows", "workflows")
    _inputs(m, [QgsProcessingParameterFeatureSource("UNITS", "Slope units",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterMultipleLayers("FACTORS", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterFeatureSource("LANDSLIDES", "Landslide polygons",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterNumber("SEED", "Random seed",
                                             compat.NUMBER_INTEGER, 42),
                QgsProcessingParameterNumber("EPOCHS", "Maximum epochs",
                                             compat.NUMBER_INTEGER, 300)])
    _child(m, "hazard:slopeunitstats", "statistics", {
        "SLOPE_UNITS": P.fromModelParameter("UNITS"), "FACTORS": P.fromModelParameter("FACTORS"),
        "LANDSLIDES": P.fromModelParameter("LANDSLIDES")}, {}, 200)
    _child(m, "native:extractbyexpression", "units_with_data", {
        "INPUT": P.fromChildOutput("statistics", "OUTPUT"),
        "EXPRESSION": P.fromStaticValue('"n_pixels" > 0')}, {}, 320)
    _child(m, "hazard:hnnsizeclasses", "size_classes", {
        "UNITS": P.fromChildOutput("units_with_data", "OUTPUT")},
        {"OUTPUT_HTML": ("SIZE_CLASS_REPORT", "Size-class report")}, 440)
    _child(m, "hazard:trainhnn", "hnn", {
        "UNITS": P.fromChildOutput("size_classes", "OUTPUT"), "SEED": P.fromModelParameter("SEED"),
        "EPOCHS": P.fromModelParameter("EPOCHS")},
        {"OUTPUT": ("UNITS_PREDICTED", "Slope units with probabilities"),
         "OUTPUT_MODEL": ("MODEL", "HNN model"), "OUTPUT_HTML": ("REPORT", "HNN report")}, 560)
    _child(m, "hazard:applicability", "applicability", {
        "MODEL": P.fromChildOutput("hnn", "OUTPUT_MODEL"),
        "UNITS": P.fromChildOutput("size_classes", "OUTPUT"),
        "SEED": P.fromModelParameter("SEED")},
        {"OUTPUT_UNITS": ("UNITS_APPLICABILITY", "Slope units with DI and area of "
                                                 "applicability"),
         "OUTPUT_HTML": ("APPLICABILITY_REPORT", "Applicability report")}, 680)
    return m


def multihazard_workflow():
    """Paper 002: factors + two inventories + zones -> samples -> feature selection -> LF, EF
    and MoE per zone -> maps with the bivariate classes -> evaluation and GeoDetector."""
    from hazard_susceptibility.algorithms import compat
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterEnum,
                           QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    from hazard_susceptibility.core.multihazard.samples import (
        ABSENCE_METHODS, DEFAULT_ABSENCES, DEFAULT_KDE_RATIO)
    m = QgsProcessingModelAlgorithm("flood_landslide_multihazard", "Workflows", "workflows")
    hazard_types = [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]
    _inputs(m, [QgsProcessingParameterFeatureSource("FLOODS", "Flood inventory", hazard_types),
                QgsProcessingParameterFeatureSource("LANDSLIDES", "Landslide inventory",
                                                    hazard_types),
                QgsProcessingParameterMultipleLayers("FACTORS", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterMultipleLayers("CATEGORICAL", "Categorical factor rasters",
                                                     compat.TYPE_RASTER, optional=True),
                QgsProcessingParameterFeatureSource("ZONES", "Contextual zones (polygons)",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterField("ZONE_FIELD", "Zone field", "zone", "ZONES"),
                QgsProcessingParameterNumber("SEED", "Random seed",
                                             compat.NUMBER_INTEGER, 42),
                QgsProcessingParameterNumber("KDE_RATIO", "Synthetic presences per presence "
                                             "(paper 002: 1.5)", compat.NUMBER_DOUBLE,
                                             DEFAULT_KDE_RATIO),
                QgsProcessingParameterEnum("ABSENCE_METHOD", "Absences (paper 002: the "
                                           "one-class SVM on the coordinates)",
                                           [ABSENCE_METHODS[k][1] for k in ABSENCE_METHODS],
                                           False, list(ABSENCE_METHODS).index(DEFAULT_ABSENCES),
                                           True),
                QgsProcessingParameterNumber("TILE_SIZE", "Tile size (pixels)",
                                             compat.NUMBER_INTEGER, 512)])
    seed = P.fromModelParameter("SEED")
    fac = {"FACTORS": P.fromModelParameter("FACTORS"),
           "CATEGORICAL": P.fromModelParameter("CATEGORICAL")}
    zones = {"ZONES": P.fromModelParameter("ZONES"),
             "ZONE_FIELD": P.fromModelParameter("ZONE_FIELD")}
    _child(m, "hazard:multihazardsamples", "samples", dict(
        fac, **zones, FLOODS=P.fromModelParameter("FLOODS"),
        LANDSLIDES=P.fromModelParameter("LANDSLIDES"),
        KDE_RATIO=P.fromModelParameter("KDE_RATIO"),
        ABSENCE_METHOD=P.fromModelParameter("ABSENCE_METHOD"), SEED=seed),
        {"OUTPUT": ("SAMPLES", "Multi-hazard samples")}, 200)
    _child(m, "hazard:zonefeatureselection", "features", dict(
        fac, SAMPLES=P.fromChildOutput("samples", "OUTPUT"), SEED=seed),
        {"OUTPUT_HTML": ("FEATURE_REPORT", "Feature-selection report")}, 320)
    _child(m, "hazard:trainmultihazard", "models", dict(
        fac, SAMPLES=P.fromChildOutput("samples", "OUTPUT"),
        FEATURES=P.fromChildOutput("features", "FEATURES"), SEED=seed),
        {"OUTPUT_MODEL": ("MODEL", "Model bundle"),
         "OUTPUT_HTML": ("TRAINING_REPORT", "Training report (table 5)")}, 440)
    maps = {"OUTPUT_MOE_FLOOD": ("MOE_FLOOD", "Flood susceptibility (MoE)"),
            "OUTPUT_MOE_LANDSLIDE": ("MOE_LANDSLIDE", "Landslide susceptibility (MoE)"),
            "OUTPUT_LF_FLOOD": ("LF_FLOOD", "Flood susceptibility (LF)"),
            "OUTPUT_LF_LANDSLIDE": ("LF_LANDSLIDE", "Landslide susceptibility (LF)"),
            "OUTPUT_EF_FLOOD": ("EF_FLOOD", "Flood susceptibility (EF)"),
            "OUTPUT_EF_LANDSLIDE": ("EF_LANDSLIDE", "Landslide susceptibility (EF)"),
            "OUTPUT_UNCERTAINTY": ("UNCERTAINTY", "Joint log-uncertainty"),
            "OUTPUT_CORRELATION": ("CORRELATION", "Inter-hazard correlation"),
            "OUTPUT_BIVARIATE": ("BIVARIATE", "Bivariate classes"),
            "OUTPUT_DI": ("DI", "Dissimilarity index to each zone's training samples"),
            "OUTPUT_AOA": ("AOA", "Area of applicability")}
    _child(m, "hazard:mapmultihazard", "maps", dict(
        fac, **zones, MODEL=P.fromChildOutput("models", "OUTPUT_MODEL"),
        TILE_SIZE=P.fromModelParameter("TILE_SIZE"), SEED=seed), maps, 560)
    out = lambda k: P.fromChildOutput("maps", k)  # noqa: E731
    _child(m, "hazard:evaluatemultihazard", "evaluation", dict(
        zones, MAP_MOE_FLOOD=out("OUTPUT_MOE_FLOOD"),
        MAP_MOE_LANDSLIDE=out("OUTPUT_MOE_LANDSLIDE"), MAP_LF_FLOOD=out("OUTPUT_LF_FLOOD"),
        MAP_LF_LANDSLIDE=out("OUTPUT_LF_LANDSLIDE"), MAP_EF_FLOOD=out("OUTPUT_EF_FLOOD"),
        MAP_EF_LANDSLIDE=out("OUTPUT_EF_LANDSLIDE"), BIVARIATE=out("OUTPUT_BIVARIATE"),
        FLOODS=P.fromModelParameter("FLOODS"), LANDSLIDES=P.fromModelParameter("LANDSLIDES"),
        UNCERTAINTY=out("OUTPUT_UNCERTAINTY"), CORRELATION=out("OUTPUT_CORRELATION"), SEED=seed),
        {"OUTPUT_HTML": ("EVALUATION_REPORT", "Evaluation report")}, 680)
    for k, h in enumerate(("flood", "landslide")):
        _child(m, "hazard:geodetector", f"geodetector_{h}", dict(
            fac, **zones, RESPONSE=out(f"OUTPUT_MOE_{h.upper()}"),
            TOP_N=P.fromStaticValue(5), SEED=seed),
            {"OUTPUT_HTML": (f"GEODETECTOR_{h.upper()}", f"GeoDetector report ({h})")}, 800 + 120 * k)
    return m


def main():
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    from processing.core.Processing import Processing
    Processing.initialize()
    from hazard_susceptibility.provider import HazardSusceptibilityPlugin
    plugin = HazardSusceptibilityPlugin(None)  # kept: the provider lives while it does
    plugin.initProcessing()
    os.makedirs(os.path.join(ROOT, "models"), exist_ok=True)
    ok = True
    for model, name in ((mahalanobis_workflow(), "landslide_mahalanobis.model3"),
                        (hnn_workflow(), "landslide_size_hnn.model3"),
                        (multihazard_workflow(), "flood_landslide_multihazard.model3")):
        path = os.path.join(ROOT, "models", name)
        done = model.toFile(path)
        print("wrote" if done else "FAILED", path)
        ok &= done
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main()
