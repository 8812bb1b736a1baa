"""hazard:comparesampling: the same model trained on several sample sets, compared."""
import os

import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingParameterEnum, QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                       QgsProcessingParameterString, QgsVectorLayer)

from ...core.susceptibility.comparison import Scenario, compare_scenarios, safe_name
from ...core.susceptibility.report import comparison_report
from ...core.susceptibility import models
from .. import compat
from ..base import HazardAlgorithm
from ..report_common import add_independent_parameters, independent_xy
from ..styles import attach_style, probability
from .. import params as P

MODELS = list(models.NAMES)  # the 'Model' enum: the registry's order, a new kind last


class CompareSampling(HazardAlgorithm):
    NAME = "comparesampling"
    DISPLAY = "Compare sampling scenarios"
    GROUP = "reports"
    REQUIRES = ("sklearn", "matplotlib", "kmeans1d")
    HELP = (
        "Trains the same model on several labelled sample sets (layers, or the groups of a "
        "field such as the multi-ratio sampler's 'ratio') and compares them, as Li & Tian "
        "(2025) and the Rangamati Mahalanobis study compare sampling strategies.<br><br>"
        "A seeded share of the presences (default 30%) is held out of every training set, "
        "and the same share of each scenario's absences. Each scenario's model is scored "
        "(AUC, kappa and Brier at 0.5) by two protocols: <b>own test split</b>, its held-out "
        "presences against its own held-out absences (the papers' protocol: comparable with "
        "their figures, but each sampler is judged by its own absences); and <b>common "
        "yardstick</b>, the held-out presences against one common background of random valid "
        "pixels (10 per held-out presence), the same for every scenario (the CSV's AUC, kappa "
        "and Brier without suffix). An optional <b>independent inventory</b> (its label 0, or "
        "random background) is scored by every model too; its points in a pixel of any "
        "scenario's sample are left out. "
        "Each scenario's map is classified by its own natural breaks: SCAI per class with the "
        "held-out presences, LSI mean, standard deviation and histogram, and class area "
        "shares, side by side.<br>"
        "Scenarios whose absences were drawn by slope threshold leave the slope factor out (its "
        "name is a parameter), as the Rangamati Mahalanobis study recommends. The maps go to the "
        "output folder when "
        "one is given.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            P.SCENARIOS, self.tr("Labelled sample layers"), compat.TYPE_VECTOR_POINT))
        self.addParameter(QgsProcessingParameterString(
            P.GROUP_FIELD, self.tr("Field splitting a layer into scenarios (e.g. ratio)"),
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            P.LABEL_FIELD, self.tr("Label field"), "label"))
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterEnum(
            P.MODEL, self.tr("Model"), models.titles(), defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            P.TREES, self.tr("Trees (" + ", ".join(k.display for k in models.KINDS if k.trees)
                             + ")"), compat.NUMBER_INTEGER, 200,
            minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            P.HOLDOUT, self.tr("Share of presences held out"), compat.NUMBER_DOUBLE, 0.3,
            minValue=0.05, maxValue=0.9))
        self.addParameter(QgsProcessingParameterString(
            P.SLOPE_FACTOR, self.tr("Slope factor left out of slope-threshold scenarios"),
            "slope", optional=True))
        add_independent_parameters(self)
        self.add_seed_parameter()
        self.add_report_outputs("Comparison report", "Comparison table (CSV)")
        self.addParameter(QgsProcessingParameterFolderDestination(
            P.OUTPUT_MAPS, self.tr("Folder for the scenario maps"), optional=True))

    def compute(self, parameters, context, feedback, fb):
        kind = MODELS[self.parameterAsEnum(parameters, P.MODEL, context)]
        trees = self.parameterAsInt(parameters, P.TREES, context)
        label_field = self.parameterAsString(parameters, P.LABEL_FIELD, context) or "label"
        group_field = self.parameterAsString(parameters, P.GROUP_FIELD, context) or None
        maps = self.parameterAsString(parameters, P.OUTPUT_MAPS, context) or None
        seed = self.seed(parameters, context)
        with self.factor_stack(parameters, context) as stack:
            crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
            scenarios = self._scenarios(parameters, context, crs, label_field, group_field)
            every = np.vstack([sc.xy for sc in scenarios]) if scenarios else np.zeros((0, 2))
            ind = independent_xy(self, parameters, context, stack, feedback, seed,
                                 (every[:, 0], every[:, 1]), fb.sub(0, 0.02))
            comp = compare_scenarios(
                stack, scenarios, kind,
                models.get(kind).own({"n_estimators": trees or None}),
                self.parameterAsDouble(parameters, P.HOLDOUT, context),
                self.parameterAsString(parameters, P.SLOPE_FACTOR, context) or None,
                seed, maps, fb.sub(0.02, 1.0), feedback.pushInfo, ind)
        out = {P.OUTPUT_HTML: comparison_report(
            self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context), comp)}
        out.update(self.optional_csv(parameters, context, comp.rows))
        if maps:
            out[P.OUTPUT_MAPS] = maps
            for sc in comp.rows:  # each scenario's map: styled, and with its provenance
                path = os.path.join(maps, f"{safe_name(sc['scenario'])}.tif")
                if os.path.isfile(path):
                    attach_style(context, path, probability(), "raster", sc["scenario"])
                    self.extra_outputs.append(path)
        return out

    def _scenarios(self, parameters, context, crs, label_field, group_field):
        from qgis.core import QgsCoordinateTransform
        out = []
        for lyr in self.parameterAsLayerList(parameters, P.SCENARIOS, context) or []:
            if not isinstance(lyr, QgsVectorLayer) or lyr.fields().indexOf(label_field) < 0:
                raise QgsProcessingException(f"Layer '{lyr.name()}' has no field '{label_field}' "
                                             f"[LABEL_FIELD].")
            xf = QgsCoordinateTransform(lyr.crs(), crs, context.transformContext()) \
                if lyr.crs() != crs else None
            groups = {}
            has_sampler = lyr.fields().indexOf("sampler") >= 0
            for f in lyr.getFeatures():
                g = f.geometry()
                if g is None or g.isNull():
                    continue
                if xf is not None:
                    g.transform(xf)
                pt = g.asPoint()
                key = lyr.name() if not group_field else f"{lyr.name()} {group_field}=" \
                                                         f"{f[group_field]}"
                d = groups.setdefault(key, {"xy": [], "y": [], "samplers": set()})
                d["xy"].append((pt.x(), pt.y()))
                d["y"].append(int(f[label_field]))
                if has_sampler and int(f[label_field]) == 0:
                    d["samplers"].add(str(f["sampler"]))
            for key, d in groups.items():
                out.append(Scenario(key, np.array(d["xy"]), np.array(d["y"]),
                                    d["samplers"] == {"slope_threshold"}))
        return out
