"""hazard:zonefeatureselection: Pearson screening and SHAP shares per zone (FL-MHSM study, table
4)."""
import json

import numpy as np
from qgis.core import (QgsProcessingOutputString, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterNumber)

from ...core.multihazard.selection import SHAP_SAMPLE, zone_feature_selection
from ...core.multihazard.report import feature_selection_columns, feature_selection_report
from .. import compat
from ..base import HazardAlgorithm
from .common import read_samples
from .. import params as P


class ZoneFeatureSelection(HazardAlgorithm):
    NAME = "zonefeatureselection"
    DISPLAY = "Zone-wise feature selection"
    GROUP = "multihazard"
    REQUIRES = ("xgboost",)
    HELP = (
        "Selects the factors of each contextual zone as the FL-MHSM study (table 4) does: "
        "first one factor of each pair of continuous factors with |Pearson r| above the "
        "threshold (default 0.7) is dropped (the later one in the factor order; constant "
        "factors too); categorical factors are not screened (a correlation of category codes "
        "means nothing) and the table says so; then an XGBoost "
        "model per hazard gives each remaining factor's share of the mean |SHAP|; a factor is "
        "dropped only if its share is zero for every hazard of the zone. The model learns "
        "from every sample; SHAP explains a seeded sample of 2,000 of them (advanced: "
        "SHAP_SAMPLE), so the step stays quick on large inventories: the shares move by "
        "about a percentage point, and whether a share is zero (the model never splits on the "
        "factor) is decided on every sample.<br>"
        "Input: the samples of 'Prepare multi-hazard samples' (fields hazard, label, zone and, "
        "if present, split: only 'train' samples are used).<br>"
        "<b>Outputs</b>: the kept/dropped table (HTML and CSV) and FEATURES, a JSON text "
        "{zone: [factors]} that the training step takes.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.SAMPLES, self.tr("Multi-hazard samples"), [compat.TYPE_VECTOR_POINT]))
        self.add_factor_parameters()
        self.add_number(P.R_MAX, "|r| threshold", 0.7, minValue=0.0, maxValue=1.0)
        self.addParameter(QgsProcessingParameterNumber(
            P.SHAP_SAMPLE, self.tr("Samples explained by SHAP per zone and hazard (a seeded "
                                   "sample; 0: all)"), compat.NUMBER_INTEGER, SHAP_SAMPLE,
            minValue=0))
        self.add_seed_parameter()
        self.add_report_outputs("Feature-selection report", "Feature-selection table (CSV)")
        self.addOutput(QgsProcessingOutputString(P.FEATURES, self.tr("Kept factors per zone "
                                                                     "(JSON)")))

    def compute(self, parameters, context, feedback, fb):
        with self.factor_stack(parameters, context) as stack:
            src = self.parameterAsSource(parameters, P.SAMPLES, context)
            has_split = src is not None and src.fields().indexOf("split") >= 0
            d = read_samples(self, parameters, context, stack, fb.sub(0, 0.2),
                             ["train"] if has_split else None)
            names, categorical = stack.names, stack.categorical
        X, hazard, label, zone = d["X"], d["hazard"], d["label"], d["zone"]
        ok = np.isfinite(X).all(axis=1)
        rows, kept = zone_feature_selection(X[ok], hazard[ok], label[ok], zone[ok], names,
                                            self.parameterAsDouble(parameters, P.R_MAX, context),
                                            self.seed(parameters, context),
                                            categorical=categorical,
                                            shap_sample=self.parameterAsInt(
                                                parameters, P.SHAP_SAMPLE, context))
        html = feature_selection_report(
            self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context), rows)
        out = {P.OUTPUT_HTML: html, P.FEATURES: json.dumps(kept)}
        out.update(self.optional_csv(parameters, context, rows, feature_selection_columns(rows)))
        for z, k in kept.items():
            feedback.pushInfo(f"zone {z}: {', '.join(k)}")
        return out
