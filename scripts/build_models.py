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
    from hazard_susceptibility.algorithms import compat
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("landslide_mahalanobis", "Workflows", "workflows")
    _inputs(m, [QgsProcessingParameterFeatureSource("inventory", "Landslide inventory (points)",
                                                    [compat.TYPE_VECTOR_POINT]),
                QgsProcessingParameterMultipleLayers("factors", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterNumber("seed", "Random seed",
                                             compat.NUMBER_INTEGER, 42)])
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
    from hazard_susceptibility.algorithms import compat
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("landslide_size_hnn", "Workflows", "workflows")
    _inputs(m, [QgsProcessingParameterFeatureSource("units", "Slope units",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterMultipleLayers("factors", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterFeatureSource("landslides", "Landslide polygons",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterNumber("seed", "Random seed",
                                             compat.NUMBER_INTEGER, 42),
                QgsProcessingParameterNumber("epochs", "Maximum epochs",
                                             compat.NUMBER_INTEGER, 300)])
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


def multihazard_workflow():
    """Paper 002: factors + two inventories + zones -> samples -> feature selection -> LF, EF
    and MoE per zone -> maps with the bivariate classes -> evaluation and GeoDetector."""
    from hazard_susceptibility.algorithms import compat
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("flood_landslide_multihazard", "Workflows", "workflows")
    hazard_types = [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]
    _inputs(m, [QgsProcessingParameterFeatureSource("floods", "Flood inventory", hazard_types),
                QgsProcessingParameterFeatureSource("landslides", "Landslide inventory",
                                                    hazard_types),
                QgsProcessingParameterMultipleLayers("factors", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterMultipleLayers("categorical", "Categorical factor rasters",
                                                     compat.TYPE_RASTER, optional=True),
                QgsProcessingParameterFeatureSource("zones", "Contextual zones (polygons)",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterField("zone_field", "Zone field", "zone", "zones"),
                QgsProcessingParameterNumber("seed", "Random seed",
                                             compat.NUMBER_INTEGER, 42),
                QgsProcessingParameterNumber("kde_ratio", "Synthetic presences per presence",
                                             compat.NUMBER_DOUBLE, 1.5),
                QgsProcessingParameterNumber("tile_size", "Tile size (pixels)",
                                             compat.NUMBER_INTEGER, 512)])
    seed = P.fromModelParameter("seed")
    fac = {"FACTORS": P.fromModelParameter("factors"),
           "CATEGORICAL": P.fromModelParameter("categorical")}
    zones = {"ZONES": P.fromModelParameter("zones"),
             "ZONE_FIELD": P.fromModelParameter("zone_field")}
    _child(m, "hazard:multihazardsamples", "samples", dict(
        fac, **zones, FLOODS=P.fromModelParameter("floods"),
        LANDSLIDES=P.fromModelParameter("landslides"),
        KDE_RATIO=P.fromModelParameter("kde_ratio"), SEED=seed),
        {"OUTPUT": "Multi-hazard samples"}, 200)
    _child(m, "hazard:zonefeatureselection", "features", dict(
        fac, SAMPLES=P.fromChildOutput("samples", "OUTPUT"), SEED=seed),
        {"OUTPUT_HTML": "Feature-selection report"}, 320)
    _child(m, "hazard:trainmultihazard", "models", dict(
        fac, SAMPLES=P.fromChildOutput("samples", "OUTPUT"),
        FEATURES=P.fromChildOutput("features", "FEATURES"), SEED=seed),
        {"OUTPUT_MODEL": "Model bundle", "OUTPUT_HTML": "Training report (table 5)"}, 440)
    maps = {"OUTPUT_MOE_FLOOD": "Flood susceptibility (MoE)",
            "OUTPUT_MOE_LANDSLIDE": "Landslide susceptibility (MoE)",
            "OUTPUT_LF_FLOOD": "Flood susceptibility (LF)",
            "OUTPUT_LF_LANDSLIDE": "Landslide susceptibility (LF)",
            "OUTPUT_EF_FLOOD": "Flood susceptibility (EF)",
            "OUTPUT_EF_LANDSLIDE": "Landslide susceptibility (EF)",
            "OUTPUT_UNCERTAINTY": "Joint log-uncertainty", "OUTPUT_CORRELATION":
            "Inter-hazard correlation", "OUTPUT_BIVARIATE": "Bivariate classes"}
    _child(m, "hazard:mapmultihazard", "maps", dict(
        fac, **zones, MODEL=P.fromChildOutput("models", "OUTPUT_MODEL"),
        TILE_SIZE=P.fromModelParameter("tile_size"), SEED=seed), maps, 560)
    out = lambda k: P.fromChildOutput("maps", k)  # noqa: E731
    _child(m, "hazard:evaluatemultihazard", "evaluation", dict(
        zones, MAP_MOE_FLOOD=out("OUTPUT_MOE_FLOOD"),
        MAP_MOE_LANDSLIDE=out("OUTPUT_MOE_LANDSLIDE"), MAP_LF_FLOOD=out("OUTPUT_LF_FLOOD"),
        MAP_LF_LANDSLIDE=out("OUTPUT_LF_LANDSLIDE"), MAP_EF_FLOOD=out("OUTPUT_EF_FLOOD"),
        MAP_EF_LANDSLIDE=out("OUTPUT_EF_LANDSLIDE"), BIVARIATE=out("OUTPUT_BIVARIATE"),
        FLOODS=P.fromModelParameter("floods"), LANDSLIDES=P.fromModelParameter("landslides"),
        UNCERTAINTY=out("OUTPUT_UNCERTAINTY"), CORRELATION=out("OUTPUT_CORRELATION"), SEED=seed),
        {"OUTPUT_HTML": "Evaluation report"}, 680)
    for k, h in enumerate(("flood", "landslide")):
        _child(m, "hazard:geodetector", f"geodetector_{h}", dict(
            fac, **zones, RESPONSE=out(f"OUTPUT_MOE_{h.upper()}"),
            TOP_N=P.fromStaticValue(5), SEED=seed),
            {"OUTPUT_HTML": f"GeoDetector report ({h})"}, 800 + 120 * k)
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
                        (hnn_workflow(), "landslide_size_hnn.model3"),
                        (multihazard_workflow(), "flood_landslide_multihazard.model3")):
        path = os.path.join(ROOT, "models", name)
        done = model.toFile(path)
        print("wrote" if done else "FAILED", path)
        ok &= done
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    main()
