"""hazard:susceptibilityratioabsences: the absence ratio from an initial susceptibility map."""
from qgis.core import QgsProcessingParameterRasterDestination

from ...core.susceptibility.report import susceptibility_ratio_report
from ...core.susceptibility.susceptibility_ratio import (SUSCEPTIBILITY_RATIO,
                                                         susceptibility_ratio_absences)
from .common import SamplingAlgorithm
from ..styles import attach_style, probability
from .. import params as P


class SusceptibilityRatioAbsences(SamplingAlgorithm):
    NAME = "susceptibilityratioabsences"
    DISPLAY = "Absences at a susceptibility-based ratio"
    SAMPLER = SUSCEPTIBILITY_RATIO.name
    REQUIRES = ("sklearn", "kmeans1d")
    HELP = (
        "Scenario 2 of Li & Tian (2025): the number of absences follows from an "
        "initial susceptibility map. A random forest is fitted on the presences and as many "
        "random absences (1:1), it predicts every valid pixel, the map is cut into 5 natural-"
        "breaks classes (Fisher-Jenks, on a seeded sample of 100,000 values), and the ratio "
        "r = area(very low) / area(very high) (paper: 326,157 / 77,189 = 4.23) gives r x n "
        "absences, drawn at random among the valid pixels away from the presences.<br><br>"
        "<b>Outputs</b>: the samples, the initial susceptibility map, and a report with the "
        "class areas, the GVF of the breaks and the ratio.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.add_number(P.TREES, "Trees of the initial random forest", 200, minValue=10,
                        integer=True)
        self.add_common_parameters()
        self.add_output()
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_MAP, self.tr("Initial susceptibility map")))
        self.add_report_outputs("Report", optional=True)

    def compute(self, parameters, context, feedback, fb):
        map_path = self.parameterAsOutputLayer(parameters, P.OUTPUT_MAP, context)
        with self.factor_stack(parameters, context) as stack:
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.05))
            res = susceptibility_ratio_absences(
                stack, pres, self.rng(parameters, context), map_path,
                self.parameterAsInt(parameters, P.TREES, context),
                self.seed(parameters, context),
                self.parameterAsDouble(parameters, P.MIN_DISTANCE, context), fb)
            crs = stack.grid.crs_wkt
        counts = res.counts
        feedback.pushInfo(f"ratio = area(very low) / area(very high) = {counts[0]} / "
                          f"{counts[-1]} = {res.ratio:.3f}: {len(res.x)} absences for "
                          f"{len(pres)} presences")
        dest = self.write_absences(parameters, context, crs, pres, res.x, res.y,
                                   "Susceptibility-ratio samples")
        attach_style(context, map_path, probability(), "raster",
                     "Initial susceptibility", role="support")
        out = {P.OUTPUT: dest, P.OUTPUT_MAP: map_path}
        out.update(self.optional_report(parameters, context, susceptibility_ratio_report, res,
                                        len(pres)))
        return out
