"""hazard:factorscreening: VIF and Pearson correlation of the factors."""
import numpy as np
from qgis.core import QgsProcessingParameterFeatureSource

from ...core.sampling import samplers as smp
from ...core.io.raster import sample_at
from ...core.susceptibility.report import screening_report
from ...core.susceptibility.screening import VIF_COLUMNS, screen_factors
from .. import compat
from ..base import HazardAlgorithm
from ..report_common import hazard_xy
from .. import params as P


class FactorScreening(HazardAlgorithm):
    NAME = "factorscreening"
    DISPLAY = "Factor screening (VIF and correlation)"
    GROUP = "reports"
    REQUIRES = ("matplotlib",)
    HELP = (
        "Screens continuous factors for multicollinearity before modelling (Li & Tian 2025): the "
        "variance inflation factor VIF_j = 1 / (1 - R_j²), R_j² from regressing factor j on the "
        "others, flagged above a threshold (default 10), and the Pearson correlation matrix, "
        "pairs flagged above |r| (default 0.7). Values come from the samples you give (e.g. "
        "training points), or from a seeded random sample of valid pixels.<br>Outputs: HTML "
        "(correlation heatmap) and CSV.")

    def initAlgorithm(self, config=None):
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.SAMPLES, self.tr("Sample points (when not given: random pixels)"),
            [compat.TYPE_VECTOR_POINT], optional=True))
        self.add_number(P.PIXELS, "Random pixels (without samples)", 10000, minValue=50,
                        integer=True)
        self.add_number(P.VIF_MAX, "VIF flag threshold", 10.0, minValue=1.0)
        self.add_number(P.R_MAX, "|r| flag threshold", 0.7, minValue=0.0, maxValue=1.0)
        self.add_seed_parameter()
        self.add_report_outputs("Screening report", "VIF table (CSV)")

    def compute(self, parameters, context, feedback, fb):
        vmax = self.parameterAsDouble(parameters, P.VIF_MAX, context)
        rmax = self.parameterAsDouble(parameters, P.R_MAX, context)
        with self.factor_stack(parameters, context) as stack:
            cont = [i for i, c in enumerate(stack.categorical) if not c]
            names = [stack.names[i] for i in cont]
            xy = hazard_xy(self, parameters, P.SAMPLES, context, stack, feedback)
            if xy is None:
                adm = smp.Admissible(stack)
                x, y, _ = smp.draw(adm, self.parameterAsInt(parameters, P.PIXELS, context),
                                   np.random.default_rng(self.seed(parameters, context)),
                                   fb.sub(0, 0.5), what="pixels")
                xy = (x, y)
            X = sample_at(stack, *xy)[:, cont]
        sc = screen_factors(X, names, vmax, rmax)
        html = screening_report(self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context),
                                sc)
        out = {P.OUTPUT_HTML: html}
        out.update(self.optional_csv(parameters, context, sc.rows, VIF_COLUMNS))
        feedback.pushInfo(f"VIF > {vmax:g}: {', '.join(sc.flagged) or 'none'}; {len(sc.pairs)} "
                          f"pair(s) with |r| > {rmax:g}")
        return out
