"""hazard:evaluatemap: a susceptibility map against an inventory."""
import os

from qgis.core import (QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString)

from ...core.susceptibility.evaluation import (MAP_EVALUATION_COLUMNS, evaluate_map,
                                               inside_outside, score_at)
from ...core.susceptibility.report import map_evaluation_report
from ...core.io.raster import AlignedStack, Band, Grid
from .. import compat
from ..base import HazardAlgorithm, raster_path, source_name
from ..report_common import (add_independent_parameters, background, hazard_xy,
                             independent_xy, other_labels)
from .. import params as P


class EvaluateMap(HazardAlgorithm):
    NAME = "evaluatemap"
    DISPLAY = "Evaluate susceptibility map"
    GROUP = "reports"
    REQUIRES = ("scipy", "matplotlib", "kmeans1d")
    HELP = (
        "Evaluates a susceptibility (probability) raster against a hazard inventory.<br><br>"
        "<b>Metrics</b> at the inventory and at absences (an absence layer, or the absences of a "
        "labelled layer, or else a seeded random background of valid pixels, 10 per hazard by "
        "default): AUC and ROC, TPR, TNR, accuracy, precision, recall, F1, Cohen's kappa "
        "(P_obs = (TP+TN)/N, P_exp = [(TP+FN)(TP+FP) + (FN+TN)(FP+TN)]/N²) and the Brier score, "
        "at a threshold of 0.5 (parameter).<br>"
        "<b>SCAI</b> (Rangamati Mahalanobis study) per class: % of area / % of hazards; infinite "
        "when a class holds "
        "no hazard. A consistent map has SCAI falling from very low to very high. Classes are "
        "the natural breaks of the map (or the limits you give).<br>"
        "<b>LSI statistics</b> (Li & Tian 2025, fig. 8): mean, standard deviation and histogram "
        "of the "
        "map, and the area share of each class.<br>"
        "<b>Area of applicability</b> (optional, from 'Area of applicability'): every metric "
        "inside and outside the mask, with the share of area and of presences outside. "
        "<b>Prediction uncertainty</b> (optional, from 'Apply susceptibility model'): its "
        "mean in each class.<br>"
        "<b>Independent inventory</b> (optional): a second inventory scored on the same map "
        "with the same classes and set beside the first in every table and chart (its label "
        "0, or 10 random background pixels per presence). Evaluate on presences the model "
        "never saw: the held-out part of 'Split inventory', or another inventory; an "
        "inventory that drew the training samples gives an optimistic score.<br>"
        "Outputs: HTML report and CSV tables.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.PROBABILITY, self.tr("Susceptibility map (probability)")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.HAZARDS, self.tr("Hazard inventory (points or polygons, or labelled samples)"),
            [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterField(
            P.LABEL_FIELD, self.tr("Label field, when the inventory holds labelled samples"),
            parentLayerParameterName=P.HAZARDS, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.ABSENCES, self.tr("Absences (when not given: random background pixels)"),
            [compat.TYPE_VECTOR_POINT], optional=True))
        self.addParameter(QgsProcessingParameterString(
            P.CLASS_LIMITS, self.tr("Class limits (comma-separated; empty: natural breaks)"),
            optional=True))
        self.add_number(P.THRESHOLD, "Probability threshold", 0.5, minValue=0, maxValue=1)
        self.add_number(P.BACKGROUND, "Background pixels per hazard (without absences)", 10,
                        minValue=1, integer=True)
        add_independent_parameters(self)
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.AOA, self.tr("Area of applicability (1 inside, 0 outside)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.UNCERTAINTY, self.tr("Prediction uncertainty"), optional=True))
        self.add_seed_parameter()
        self.add_report_outputs("Evaluation report", "Metrics and SCAI (CSV)")

    def compute(self, parameters, context, feedback, fb):
        lyr = self.parameterAsRasterLayer(parameters, P.PROBABILITY, context)
        path = raster_path(lyr, P.PROBABILITY)
        seed = self.seed(parameters, context)
        limits_txt = self.parameterAsString(parameters, P.CLASS_LIMITS, context)
        limits = None
        if limits_txt:
            limits = sorted(float(v) for v in limits_txt.replace(";", ",").split(",") if v.strip())
        label_field = self.parameterAsString(parameters, P.LABEL_FIELD, context) or None
        with AlignedStack([Band(path, 1, "probability", layer_name=lyr.name())],
                          Grid.from_path(path)) as st:
            pres = hazard_xy(self, parameters, P.HAZARDS, context, st, feedback, label_field, 1)
            absn, how = self._absences(parameters, context, st, feedback, fb, pres, label_field,
                                       seed)
            threshold = self.parameterAsDouble(parameters, P.THRESHOLD, context)
            m, scai, stats, roc = evaluate_map(st, pres, absn, limits, threshold,
                                               fb.sub(0.1, 0.8), seed)
            independent = self._independent(parameters, context, st, feedback, fb, seed, pres,
                                            stats, threshold)
            extra = self._extra(parameters, context, path, lyr, st, stats, pres, absn,
                                threshold, fb.sub(0.85, 1.0))
        stats["notes"] = other_labels(self, parameters, P.HAZARDS, context, label_field)
        for note in stats["notes"] + [
                f"{k}: {v} left out (off the map or on its nodata)"
                for k, v in stats["dropped"].items() if v]:
            feedback.pushWarning(note)
        html = self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context)
        inventory = self.parameterAsSource(parameters, P.HAZARDS, context)
        sources = {"map": os.path.abspath(path),
                   "inventory": source_name(self, parameters, P.HAZARDS, context)
                   if inventory else "",
                   "labels": f"'{label_field}' = 1 presences" if label_field else
                   "every feature a presence"}
        if independent is not None:
            sources["independent inventory"] = source_name(self, parameters, P.INDEPENDENT,
                                                           context)
        map_evaluation_report(html, lyr.name(), m, scai, stats, roc, how, sources, independent,
                              extra)
        out = {P.OUTPUT_HTML: html}
        out.update(self.optional_csv(parameters, context,
                                     self._rows(feedback, m, scai, extra, independent),
                                     MAP_EVALUATION_COLUMNS))
        feedback.pushInfo(f"AUC {m['AUC']:.3f}, kappa {m['kappa']:.3f}; SCAI " +
                          ", ".join(f"{r['SCAI']:.2f}" for r in scai))
        if independent is not None:
            mi = independent["metrics"]
            feedback.pushInfo(f"Independent inventory: AUC {mi['AUC']:.3f}, kappa "
                              f"{mi['kappa']:.3f} ({mi['presences']} presences); SCAI " +
                              ", ".join(f"{r['SCAI']:.2f}" for r in independent["scai"]))
        return out

    def _absences(self, parameters, context, st, feedback, fb, pres, label_field, seed):
        """(absences, how they were chosen): the absence layer, else the label 0 of the
        inventory, else random background pixels."""
        absn = hazard_xy(self, parameters, P.ABSENCES, context, st, feedback)
        if absn is not None:
            return absn, "absence layer"
        if label_field:
            absn = hazard_xy(self, parameters, P.HAZARDS, context, st, feedback, label_field, 0)
            if absn is not None:
                return absn, f"label 0 of '{label_field}'"
        per = self.parameterAsInt(parameters, P.BACKGROUND, context)
        return (background(st, pres, per * len(pres[0]), seed, fb.sub(0, 0.1)),
                f"random background pixels, {per} per presence (seed {seed})")

    def _independent(self, parameters, context, st, feedback, fb, seed, pres, stats,
                     threshold):
        """The independent inventory scored on the map with its classes (None when not
        given)."""
        ind = independent_xy(self, parameters, context, st, feedback, seed, pres,
                             fb.sub(0.8, 0.85))
        if ind is None:
            return None
        mi, si, ri, dropped, samples = score_at(st, stats, ind[0], ind[1], threshold,
                                                (P.INDEPENDENT, P.INDEPENDENT))
        return {"metrics": mi, "scai": si, "roc": ri, "dropped": dropped, "samples": samples,
                "how": ind[2]}

    @staticmethod
    def _rows(feedback, m, scai, extra, independent):
        """The CSV's rows: metrics, SCAI, inside and outside the AOA, uncertainty per class,
        the independent inventory's (the AOA's shares also in the log)."""
        rows = [dict(table="metrics", **m)] + [dict(table="SCAI", **r) for r in scai]
        if extra:
            rows += [dict(r, table="applicability") for r in extra["rows"]]
            rows += [dict(r, table="uncertainty") for r in extra["class_uncertainty"]]
            for r in extra["rows"]:
                feedback.pushInfo(f"{r['set']}: {r['area_pct']:.1f} % of the area, "
                                  f"{r['inventory_pct']:.1f} % of the presences" +
                                  (f", AUC {r['AUC']:.3f}" if "AUC" in r else ""))
        if independent is not None:
            rows += [dict(table="metrics (independent)", **independent["metrics"])] + [
                dict(table="SCAI (independent)", **r) for r in independent["scai"]]
        return rows

    def _extra(self, parameters, context, path, lyr, st, stats, pres, absn, threshold, fb):
        """The AOA mask and the uncertainty raster on the map's grid: metrics inside and
        outside, mean uncertainty per class (None when neither is given)."""
        bands, idx = [Band(path, 1, "probability", layer_name=lyr.name())], {}
        for key, name, cat in ((P.AOA, "aoa", True), (P.UNCERTAINTY, "uncertainty", False)):
            layer = self.parameterAsRasterLayer(parameters, key, context)
            if layer is not None:
                idx[name] = len(bands)
                bands.append(Band(raster_path(layer, key), 1, name, categorical=cat,
                                  layer_name=layer.name()))
        if len(bands) == 1:
            return None
        with AlignedStack(bands, st.grid, "near") as extra:
            return inside_outside(extra, stats["limits"], pres, absn, threshold,
                                  idx.get("aoa"), idx.get("uncertainty"), fb)
