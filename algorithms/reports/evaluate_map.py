"""hazard:evaluatemap: a susceptibility map against an inventory."""
import numpy as np
from qgis.core import (QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString)

from ...core.susceptibility.evaluation import HIST_BINS, evaluate_map
from ...core.io.raster import AlignedStack, Band, Grid
from ...core.util.report import HtmlReport, figure, write_csv
from ...core.susceptibility.training import METRIC_COLS
from .. import compat
from ..base import HazardAlgorithm, raster_path
from ..report_common import background, hazard_xy


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
        "<b>SCAI</b> (paper 003) per class: % of area / % of hazards; infinite when a class holds "
        "no hazard. A consistent map has SCAI falling from very low to very high. Classes are "
        "the natural breaks of the map (or the limits you give).<br>"
        "<b>LSI statistics</b> (paper 001 fig. 8): mean, standard deviation and histogram of the "
        "map, and the area share of each class.<br>Outputs: HTML report and CSV tables.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            "PROBABILITY", self.tr("Susceptibility map (probability)")))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "HAZARDS", self.tr("Hazard inventory (points or polygons, or labelled samples)"),
            [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterField(
            "LABEL_FIELD", self.tr("Label field, when the inventory holds labelled samples"),
            parentLayerParameterName="HAZARDS", optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "ABSENCES", self.tr("Absences (optional)"), [compat.TYPE_VECTOR_POINT],
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            "CLASS_LIMITS", self.tr("Class limits (comma-separated; empty: natural breaks)"),
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "THRESHOLD", self.tr("Probability threshold"), compat.NUMBER_DOUBLE, 0.5, minValue=0,
            maxValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            "BACKGROUND", self.tr("Background pixels per hazard (without absences)"),
            compat.NUMBER_INTEGER, 10, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", self.tr("Random seed"), compat.NUMBER_INTEGER, 42, minValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Evaluation report"), self.tr("HTML files (*.html)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_CSV", self.tr("Metrics and SCAI (CSV)"), self.tr("CSV files (*.csv)"),
            optional=True))

    def compute(self, parameters, context, feedback, fb):
        lyr = self.parameterAsRasterLayer(parameters, "PROBABILITY", context)
        path = raster_path(lyr, "PROBABILITY")
        seed = self.parameterAsInt(parameters, "SEED", context)
        limits_txt = self.parameterAsString(parameters, "CLASS_LIMITS", context)
        limits = None
        if limits_txt:
            limits = sorted(float(v) for v in limits_txt.replace(";", ",").split(",") if v.strip())
        label_field = self.parameterAsString(parameters, "LABEL_FIELD", context) or None
        with AlignedStack([Band(path, 1, "probability", layer_name=lyr.name())],
                          Grid.from_path(path)) as st:
            pres = hazard_xy(self, parameters, "HAZARDS", context, st, feedback, label_field, 1)
            absn = hazard_xy(self, parameters, "ABSENCES", context, st, feedback)
            how = "absence layer"
            if absn is None and label_field:
                absn = hazard_xy(self, parameters, "HAZARDS", context, st, feedback,
                                 label_field, 0)
                how = f"label 0 of '{label_field}'"
            if absn is None:
                n = self.parameterAsInt(parameters, "BACKGROUND", context) * len(pres[0])
                absn = background(st, pres, n, seed, fb.sub(0, 0.1))
                how = f"{n} random background pixels (seed {seed})"
            m, scai, stats, roc = evaluate_map(
                st, pres, absn, limits, self.parameterAsDouble(parameters, "THRESHOLD", context),
                fb.sub(0.1, 1.0), seed)
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        _report(html, lyr.name(), m, scai, stats, roc, how)
        out = {"OUTPUT_HTML": html}
        csv = self.parameterAsFileOutput(parameters, "OUTPUT_CSV", context)
        if csv:
            rows = [dict(table="metrics", **m)] + [dict(table="SCAI", **r) for r in scai]
            cols = ["table"] + METRIC_COLS[1:] + ["TP", "FP", "TN", "FN", "class", "area_pixels",
                                                   "area_pct", "hazard", "hazard_pct", "SCAI"]
            write_csv(csv, rows, cols)
            out["OUTPUT_CSV"] = csv
        feedback.pushInfo(f"AUC {m['AUC']:.3f}, kappa {m['kappa']:.3f}; SCAI " +
                          ", ".join(f"{r['SCAI']:.2f}" for r in scai))
        return out


def _report(path, name, m, scai, stats, roc, how):
    rep = HtmlReport(f"Evaluation of {name}")
    rep.paragraph(f"Absences: {how}.")
    rep.heading("Metrics")
    rep.table([m], METRIC_COLS[1:], left=())
    fig, ax = figure(5, 4.5)
    ax.plot(*roc, label=f"AUC {m['AUC']:.3f}")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    rep.add_figure(fig, "ROC")
    rep.heading("SCAI (seed cell area index)")
    rep.table(scai, ["class", "area_pixels", "area_pct", "hazard", "hazard_pct", "SCAI"],
              left=("class",))
    rep.paragraph("Class limits: " + ", ".join(f"{v:.4f}" for v in stats["limits"]))
    rep.heading("LSI statistics")
    rep.paragraph(f"mean {stats['mean']:.4f}, standard deviation {stats['std']:.4f}, "
                  f"{stats['n']} pixels")
    fig, ax = figure(6, 3)
    ax.bar(HIST_BINS[:-1], stats["hist"], width=np.diff(HIST_BINS), align="edge",
           color="#fdae61", edgecolor="white")
    ax.set_xlabel("susceptibility index")
    ax.set_ylabel("pixels")
    rep.add_figure(fig, "LSI histogram")
    rep.write(path)
