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


#: the Modeler's geometry (QGIS 3.22 to 3.40, qgsmodelcomponentgraphicitem.cpp): a box is
#: drawn centred on its position; a step's In labels (one line per parameter, plus two for the
#: "In" header) stack above it and its Out labels (one per output, plus two) below it once
#: expanded, each line 1.2 font heights (18 px at the default font; LINE keeps a margin)
LINE = 21.0
BOX_H = 30.0
GAP = 40.0            # between two boxes' label areas
COLUMN_GAP = 60.0     # between a step and the outputs beside it
OUTPUT_STEP = 44.0    # between two outputs of one step
#: the top left corner of the graph: the Modeler's canvas starts at 0, 0 and does not draw
#: what lies above or left of it
LEFT, TOP = 40.0, 40.0


def text_width(text):
    """The width the default font draws ``text`` in (headless, it is wider than QGIS
    desktop's, so a box wide enough here is wide enough there)."""
    from qgis.PyQt.QtGui import QFont, QFontMetricsF
    return QFontMetricsF(QFont()).boundingRect(text).width()


def box_width(texts, least=200.0):
    """A box wide enough that the Modeler does not clip any of ``texts``: it elides a title
    wider than the box less 25 px of margin and 16 px of buttons."""
    # 15 % to spare: fonts differ between systems (3.44 on Debian 13 draws wider than 3.22)
    need = 1.15 * max([text_width(t) for t in texts] + [0.0]) + 25 + 16 + 10
    return float(max(least, 10 * -(-need // 10)))


def _helped(defn, text):
    """``defn`` with the help text ``text`` (QGIS 3.16+), for what its title leaves out."""
    if hasattr(defn, "setHelp"):
        defn.setHelp(text)
    return defn


def _links(alg):
    """The In and Out link counts the Modeler draws for a step of ``alg``."""
    n_in = len([d for d in alg.parameterDefinitions() if not d.isDestination()])
    return n_in, len(alg.outputDefinitions())


class Layout:
    """Lays a model out as an analyst reads it: its inputs in one row on top (left to right in
    workflow order), its steps in one column below in workflow order, each step's outputs in a
    column beside it. The steps are spaced so that no box, nor a step's In and Out labels
    when expanded, overlaps another (tests/qgis/test_model_layout.py checks it in the
    Modeler's own scene)."""

    def __init__(self, model):
        self.m = model
        self.steps = []   # (child, algorithm)

    def inputs(self, defs):
        """The model's inputs, in the order the workflow algorithm offers them (and, from
        QGIS 3.26 on, the model's own parameter order)."""
        from hazard_susceptibility.algorithms import compat
        from hazard_susceptibility.algorithms.base import decimals_for
        from qgis.core import QgsProcessingModelParameter, QgsProcessingParameterNumber
        from qgis.PyQt.QtCore import QPointF, QSizeF
        x = LEFT
        for defn in defs:
            if isinstance(defn, QgsProcessingParameterNumber) and \
                    defn.dataType() == compat.NUMBER_DOUBLE:  # 0.30, not QGIS's 0.300000
                defn.setMetadata({"widget_wrapper": {"decimals": decimals_for(defn)}})
            w = box_width([defn.description()])
            p = QgsProcessingModelParameter(defn.name())
            p.setSize(QSizeF(w, BOX_H))
            p.setPosition(QPointF(x + w / 2, TOP + BOX_H / 2))
            x += w + 20
            self.m.addModelParameter(defn, p)
        if hasattr(self.m, "setParameterOrder"):
            self.m.setParameterOrder([d.name() for d in defs])

    def step(self, alg_id, cid, description, params, outputs):
        """A step (child algorithm) named ``description``; ``outputs`` {child output: (NAME,
        description)} become model outputs (temporary unless given). Every parameter left out
        gets its default as a static value, so the Modeler finds each mandatory parameter set
        and the step valid. Placed by ``finish``."""
        from qgis.core import (QgsApplication, QgsProcessingModelChildAlgorithm,
                               QgsProcessingModelChildParameterSource, QgsProcessingModelOutput)
        c = QgsProcessingModelChildAlgorithm(alg_id)
        c.setChildId(cid)
        c.setDescription(description)
        for k, v in params.items():
            c.addParameterSources(k, v if isinstance(v, list) else [v])
        alg = QgsApplication.processingRegistry().algorithmById(alg_id)
        for d in alg.parameterDefinitions():
            if d.isDestination() or d.name() in params or d.defaultValue() is None:
                continue
            c.addParameterSources(d.name(), [QgsProcessingModelChildParameterSource
                                             .fromStaticValue(d.defaultValue())])
        outs = {}
        for name, (out_name, text) in outputs.items():
            o = QgsProcessingModelOutput(out_name, text)
            o.setChildOutputName(name)
            o.setChildId(cid)
            o.setDefaultValue("TEMPORARY_OUTPUT")
            outs[out_name] = o
        c.setModelOutputs(outs)
        self.steps.append((c, alg))

    def finish(self):
        """Places the steps and their outputs, and adds the steps to the model."""
        from qgis.PyQt.QtCore import QPointF, QSizeF
        step_w = box_width([c.description() for c, _ in self.steps], least=260.0)
        # QGIS 3.22 shows an output's name, 3.44 its description: wide enough for either
        out_w = box_width([t for c, _ in self.steps for o in c.modelOutputs().values()
                           for t in (o.name(), o.description())])
        x = LEFT + step_w / 2
        out_x = LEFT + step_w + COLUMN_GAP + out_w / 2
        bottom = TOP + BOX_H  # of the inputs' row
        for c, alg in self.steps:
            n_in, n_out = _links(alg)
            above = LINE * (n_in + 2) if n_in else 0.0
            below = LINE * (n_out + 2) if n_out else 0.0
            y = bottom + GAP + above + BOX_H / 2
            c.setPosition(QPointF(x, y))
            c.setSize(QSizeF(step_w, BOX_H))
            outs = c.modelOutputs()
            for k, name in enumerate(outs):
                o = outs[name]
                o.setPosition(QPointF(out_x, y + k * OUTPUT_STEP))
                o.setSize(QSizeF(out_w, BOX_H))
            c.setModelOutputs(outs)
            bottom = max(y + BOX_H / 2 + below, y + (len(outs) - 1) * OUTPUT_STEP + BOX_H / 2)
            self.m.addChildAlgorithm(c)
        return self.m


def mahalanobis_workflow():
    """The Rangamati Mahalanobis study, evaluated honestly: the inventory split (whole spatial blocks held out) ->
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
    lay = Layout(m)
    lay.inputs([QgsProcessingParameterFeatureSource("INVENTORY", "Landslide inventory (points)",
                                                    [compat.TYPE_VECTOR_POINT]),
                QgsProcessingParameterMultipleLayers("FACTORS", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterNumber("HOLDOUT", "Share of the inventory held out for "
                                             "evaluation", compat.NUMBER_DOUBLE, 0.3,
                                             minValue=0.05, maxValue=0.9),
                QgsProcessingParameterNumber("BLOCK_SIZE", "Size of the blocks held out (map "
                                             "units)", compat.NUMBER_DOUBLE, 2000.0,
                                             minValue=0.0),
                _helped(QgsProcessingParameterFeatureSource(
                    "INDEPENDENT", "Independent inventory", hazard_types,
                    optional=True), "Another inventory, not used in training, to evaluate the "
                    "map on beside the held-out part."),
                QgsProcessingParameterNumber("SEED", "Random seed",
                                             compat.NUMBER_INTEGER, 42)])
    seed = P.fromModelParameter("SEED")
    factors = P.fromModelParameter("FACTORS")
    lay.step("hazard:splitinventory", "split", "Split inventory: 30 % held out in 2 km blocks", {
        "INVENTORY": P.fromModelParameter("INVENTORY"),
        "TEST_SHARE": P.fromModelParameter("HOLDOUT"),
        "BLOCK_SIZE": P.fromModelParameter("BLOCK_SIZE"), "SEED": seed},
        {"OUTPUT_HELD_OUT": ("HELD_OUT", "Held-out inventory")})
    held = P.fromChildOutput("split", "OUTPUT_HELD_OUT")
    lay.step("hazard:mahalanobisabsences", "absences", "Absences by Mahalanobis distance (1:1)", {
        "PRESENCES": P.fromChildOutput("split", "OUTPUT_TRAINING"), "FACTORS": factors,
        "RATIO": P.fromStaticValue(1.0), "SEED": seed},
        {"OUTPUT": ("SAMPLES", "Training samples"), "OUTPUT_D2": ("D2", "Mahalanobis D²"),
         "OUTPUT_MASK": ("SAMPLING_SPACE", "Sampling space")})
    lay.step("hazard:trainmodel", "model", "Random forest, scored on the held-out part", {
        "SAMPLES": P.fromChildOutput("absences", "OUTPUT"), "FACTORS": factors,
        "MODEL": P.fromStaticValue(0), "INDEPENDENT": held, "SEED": seed},
        {"OUTPUT_MODEL": ("MODEL", "Model file"), "OUTPUT_HTML": ("MODEL_REPORT", "Model report")})
    lay.step("hazard:applymodel", "map", "Susceptibility map: 5 classes, trees' spread", {
        "MODEL": P.fromChildOutput("model", "OUTPUT_MODEL"), "FACTORS": factors, "SEED": seed},
        {"OUTPUT": ("SUSCEPTIBILITY", "Susceptibility (probability)"),
         "OUTPUT_CLASSES": ("CLASSES", "Susceptibility classes"),
         "OUTPUT_UNCERTAINTY": ("UNCERTAINTY", "Prediction uncertainty (spread of the trees)")})
    lay.step("hazard:applicability", "applicability", "Area of applicability of the forest", {
        "MODEL": P.fromChildOutput("model", "OUTPUT_MODEL"), "FACTORS": factors, "SEED": seed},
        {"OUTPUT_DI": ("DI", "Dissimilarity index"),
         "OUTPUT_AOA": ("AOA", "Area of applicability"),
         "OUTPUT_HTML": ("APPLICABILITY_REPORT", "Applicability report")})
    lay.step("hazard:evaluatemap", "evaluation", "Evaluate on held-out landslides (SCAI, AOA)", {
        "PROBABILITY": P.fromChildOutput("map", "OUTPUT"), "HAZARDS": held,
        "INDEPENDENT": P.fromModelParameter("INDEPENDENT"),
        "AOA": P.fromChildOutput("applicability", "OUTPUT_AOA"),
        "UNCERTAINTY": P.fromChildOutput("map", "OUTPUT_UNCERTAINTY"), "SEED": seed},
        {"OUTPUT_HTML": ("EVALUATION_REPORT", "Evaluation report")})
    return lay.finish()


def hnn_workflow():
    """Aguilera et al. (2022): slope units + factors + landslide polygons -> statistics -> size classes ->
    Hierarchical Neural Network and its report -> the units' area of applicability."""
    from hazard_susceptibility.algorithms import compat
    from qgis.core import (QgsProcessingModelAlgorithm,
                           QgsProcessingModelChildParameterSource as P,
                           QgsProcessingParameterFeatureSource,
                           QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber)
    m = QgsProcessingModelAlgorithm("landslide_size_hnn", "Workflows", "workflows")
    lay = Layout(m)
    lay.inputs([QgsProcessingParameterFeatureSource("UNITS", "Slope units",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterMultipleLayers("FACTORS", "Continuous factor rasters",
                                                     compat.TYPE_RASTER),
                QgsProcessingParameterFeatureSource("LANDSLIDES", "Landslide polygons",
                                                    [compat.TYPE_VECTOR_POLYGON]),
                QgsProcessingParameterNumber("SEED", "Random seed",
                                             compat.NUMBER_INTEGER, 42),
                QgsProcessingParameterNumber("EPOCHS", "Maximum epochs",
                                             compat.NUMBER_INTEGER, 300)])
    lay.step("hazard:slopeunitstats", "statistics", "Slope-unit statistics of the factors", {
        "SLOPE_UNITS": P.fromModelParameter("UNITS"), "FACTORS": P.fromModelParameter("FACTORS"),
        "LANDSLIDES": P.fromModelParameter("LANDSLIDES")}, {})
    lay.step("native:extractbyexpression", "units_with_data",
             "Keep the units with data (n_pixels > 0)", {
        "INPUT": P.fromChildOutput("statistics", "OUTPUT"),
        "EXPRESSION": P.fromStaticValue('"n_pixels" > 0')}, {})
    lay.step("hazard:hnnsizeclasses", "size_classes", "Landslide size classes per unit", {
        "UNITS": P.fromChildOutput("units_with_data", "OUTPUT")},
        {"OUTPUT_HTML": ("SIZE_CLASS_REPORT", "Size-class report")})
    lay.step("hazard:trainhnn", "hnn", "Hierarchical Neural Network: occurrence and size", {
        "UNITS": P.fromChildOutput("size_classes", "OUTPUT"), "SEED": P.fromModelParameter("SEED"),
        "EPOCHS": P.fromModelParameter("EPOCHS")},
        {"OUTPUT": ("UNITS_PREDICTED", "Slope units with probabilities"),
         "OUTPUT_MODEL": ("MODEL", "HNN model"), "OUTPUT_HTML": ("REPORT", "HNN report")})
    lay.step("hazard:applicability", "applicability", "Area of applicability of the units", {
        "MODEL": P.fromChildOutput("hnn", "OUTPUT_MODEL"),
        "UNITS": P.fromChildOutput("size_classes", "OUTPUT"),
        "SEED": P.fromModelParameter("SEED")},
        {"OUTPUT_UNITS": ("UNITS_APPLICABILITY", "Slope units with DI and area of "
                                                 "applicability"),
         "OUTPUT_HTML": ("APPLICABILITY_REPORT", "Applicability report")})
    return lay.finish()


def multihazard_workflow():
    """The FL-MHSM study: factors + two inventories + zones -> samples -> feature selection -> LF, EF
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
    lay = Layout(m)
    lay.inputs([QgsProcessingParameterFeatureSource("FLOODS", "Flood inventory", hazard_types),
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
                                             "(the FL-MHSM study: 1.5)", compat.NUMBER_DOUBLE,
                                             DEFAULT_KDE_RATIO),
                QgsProcessingParameterEnum("ABSENCE_METHOD", "Absences (the FL-MHSM study: the "
                                           "one-class SVM on the coordinates)",
                                           [ABSENCE_METHODS[k][1] for k in ABSENCE_METHODS],
                                           False, list(ABSENCE_METHODS).index(DEFAULT_ABSENCES)),
                QgsProcessingParameterNumber("TILE_SIZE", "Tile size (pixels)",
                                             compat.NUMBER_INTEGER, 512)])
    seed = P.fromModelParameter("SEED")
    fac = {"FACTORS": P.fromModelParameter("FACTORS"),
           "CATEGORICAL": P.fromModelParameter("CATEGORICAL")}
    zones = {"ZONES": P.fromModelParameter("ZONES"),
             "ZONE_FIELD": P.fromModelParameter("ZONE_FIELD")}
    lay.step("hazard:multihazardsamples", "samples",
             "Samples: absences by the chosen method, 80/10/10 per zone", dict(
        fac, **zones, FLOODS=P.fromModelParameter("FLOODS"),
        LANDSLIDES=P.fromModelParameter("LANDSLIDES"),
        KDE_RATIO=P.fromModelParameter("KDE_RATIO"),
        ABSENCE_METHOD=P.fromModelParameter("ABSENCE_METHOD"), SEED=seed),
        {"OUTPUT": ("SAMPLES", "Multi-hazard samples")})
    lay.step("hazard:zonefeatureselection", "features", "Feature selection per zone", dict(
        fac, SAMPLES=P.fromChildOutput("samples", "OUTPUT"), SEED=seed),
        {"OUTPUT_HTML": ("FEATURE_REPORT", "Feature-selection report")})
    lay.step("hazard:trainmultihazard", "models", "Train Late, Early Fusion and MoE per zone", dict(
        fac, SAMPLES=P.fromChildOutput("samples", "OUTPUT"),
        FEATURES=P.fromChildOutput("features", "FEATURES"), SEED=seed),
        {"OUTPUT_MODEL": ("MODEL", "Model bundle"),
         "OUTPUT_HTML": ("TRAINING_REPORT", "Training report (table 5)")})
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
    lay.step("hazard:mapmultihazard", "maps", "Maps on tiles: MoE, LF, EF, bivariate classes",
             dict(
        fac, **zones, MODEL=P.fromChildOutput("models", "OUTPUT_MODEL"),
        TILE_SIZE=P.fromModelParameter("TILE_SIZE"), SEED=seed), maps)
    out = lambda k: P.fromChildOutput("maps", k)  # noqa: E731
    lay.step("hazard:evaluatemultihazard", "evaluation",
             "Evaluate the maps (Jaccard, MH density)", dict(
        zones, MAP_MOE_FLOOD=out("OUTPUT_MOE_FLOOD"),
        MAP_MOE_LANDSLIDE=out("OUTPUT_MOE_LANDSLIDE"), MAP_LF_FLOOD=out("OUTPUT_LF_FLOOD"),
        MAP_LF_LANDSLIDE=out("OUTPUT_LF_LANDSLIDE"), MAP_EF_FLOOD=out("OUTPUT_EF_FLOOD"),
        MAP_EF_LANDSLIDE=out("OUTPUT_EF_LANDSLIDE"), BIVARIATE=out("OUTPUT_BIVARIATE"),
        FLOODS=P.fromModelParameter("FLOODS"), LANDSLIDES=P.fromModelParameter("LANDSLIDES"),
        UNCERTAINTY=out("OUTPUT_UNCERTAINTY"), CORRELATION=out("OUTPUT_CORRELATION"), SEED=seed),
        {"OUTPUT_HTML": ("EVALUATION_REPORT", "Evaluation report")})
    for k, h in enumerate(("flood", "landslide")):
        lay.step("hazard:geodetector", f"geodetector_{h}", f"GeoDetector on the {h} map (MoE)",
                 dict(
            fac, **zones, RESPONSE=out(f"OUTPUT_MOE_{h.upper()}"),
            TOP_N=P.fromStaticValue(5), SEED=seed),
            {"OUTPUT_HTML": (f"GEODETECTOR_{h.upper()}", f"GeoDetector report ({h})")})
    return lay.finish()


def main():
    from qgis.core import QgsApplication
    app = QgsApplication([], True)  # with a GUI (offscreen): the layout measures text
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
