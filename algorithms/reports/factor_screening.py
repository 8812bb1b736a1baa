"""hazard:factorscreening: VIF and Pearson correlation of the factors."""
import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterFeatureSource, QgsProcessingParameterFileDestination,
                       QgsProcessingParameterNumber)

from ...core.stats import metrics as mt
from ...core.sampling import samplers as smp
from ...core.io.raster import sample_at
from ...core.util.report import HtmlReport, figure, write_csv
from .. import compat
from ..base import HazardAlgorithm
from ..report_common import hazard_xy


class FactorScreening(HazardAlgorithm):
    NAME = "factorscreening"
    DISPLAY = "Factor screening (VIF and correlation)"
    GROUP = "reports"
    REQUIRES = ("matplotlib",)
    HELP = (
        "Screens continuous factors for multicollinearity before modelling (paper 001): the "
        "variance inflation factor VIF_j = 1 / (1 - R_j²), R_j² from regressing factor j on the "
        "others, flagged above a threshold (default 10), and the Pearson correlation matrix, "
        "pairs flagged above |r| (default 0.7). Values come from the samples you give (e.g. "
        "training points), or from a seeded random sample of valid pixels.<br>Outputs: HTML "
        "(correlation heatmap) and CSV.")

    def initAlgorithm(self, config=None):
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterFeatureSource(
            "SAMPLES", self.tr("Sample points (optional)"), [compat.TYPE_VECTOR_POINT],
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "PIXELS", self.tr("Random pixels (without samples)"), compat.NUMBER_INTEGER, 10000,
            minValue=50))
        self.addParameter(QgsProcessingParameterNumber(
            "VIF_MAX", self.tr("VIF flag threshold"), compat.NUMBER_DOUBLE, 10.0, minValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "R_MAX", self.tr("|r| flag threshold"), compat.NUMBER_DOUBLE, 0.7, minValue=0.0,
            maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", self.tr("Random seed"), compat.NUMBER_INTEGER, 42, minValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Screening report"), self.tr("HTML files (*.html)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_CSV", self.tr("VIF table (CSV)"), self.tr("CSV files (*.csv)"),
            optional=True))

    def compute(self, parameters, context, feedback, fb):
        vmax = self.parameterAsDouble(parameters, "VIF_MAX", context)
        rmax = self.parameterAsDouble(parameters, "R_MAX", context)
        with self.factor_stack(parameters, context) as stack:
            cont = [i for i, c in enumerate(stack.categorical) if not c]
            names = [stack.names[i] for i in cont]
            xy = hazard_xy(self, parameters, "SAMPLES", context, stack, feedback)
            if xy is None:
                adm = smp.Admissible(stack)
                x, y, _ = smp.draw(adm, self.parameterAsInt(parameters, "PIXELS", context),
                                   np.random.default_rng(self.parameterAsInt(parameters, "SEED",
                                                                             context)),
                                   fb.sub(0, 0.5), what="pixels")
                xy = (x, y)
            X = sample_at(stack, *xy)[:, cont]
        empty = [n for j, n in enumerate(names) if not np.isfinite(X[:, j]).any()]
        if empty:
            raise QgsProcessingException(f"No sample has a value of {', '.join(empty)}: the "
                                         f"raster is nodata there or does not cover the samples "
                                         f"[{empty[0]}].")
        X = X[np.isfinite(X).all(axis=1)]
        if len(X) < len(names) + 2:
            raise QgsProcessingException(f"Only {len(X)} sample(s) have every factor: at least "
                                         f"{len(names) + 2} are needed for VIF [SAMPLES].")
        v = mt.vif(X, names)
        r = np.corrcoef(X, rowvar=False).reshape(len(names), len(names))
        rows = [{"factor": n, "VIF": vi, "flag": vi > vmax} for n, vi in zip(names, v)]
        pairs = [{"factor_1": names[i], "factor_2": names[j], "r": float(r[i, j])}
                 for i in range(len(names)) for j in range(i + 1, len(names))
                 if abs(r[i, j]) > rmax]
        rep = HtmlReport("Factor screening")
        rep.paragraph(f"{len(X)} samples. VIF flagged above {vmax:g}; pairs with |r| > "
                      f"{rmax:g} listed.")
        rep.table(rows, ["factor", "VIF", "flag"], left=("factor",))
        rep.heading("Correlated pairs")
        rep.table(pairs, ["factor_1", "factor_2", "r"], left=("factor_1", "factor_2"))
        fig, ax = figure(1.5 + 0.5 * len(names), 1.2 + 0.45 * len(names))
        im = ax.imshow(r, cmap="RdBu_r", vmin=-1, vmax=1)
        ax.set_xticks(range(len(names)))
        ax.set_xticklabels(names, rotation=45, ha="right")
        ax.set_yticks(range(len(names)))
        ax.set_yticklabels(names)
        fig.colorbar(im, ax=ax, label="Pearson r")
        rep.add_figure(fig, "correlation")
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        rep.write(html)
        out = {"OUTPUT_HTML": html}
        csv = self.parameterAsFileOutput(parameters, "OUTPUT_CSV", context)
        if csv:
            out["OUTPUT_CSV"] = write_csv(csv, rows, ["factor", "VIF", "flag"])
        flagged = [x["factor"] for x in rows if x["flag"]]
        feedback.pushInfo(f"VIF > {vmax:g}: {', '.join(flagged) or 'none'}; {len(pairs)} "
                          f"pair(s) with |r| > {rmax:g}")
        return out
