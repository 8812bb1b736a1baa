"""hazard:frequencyratio: Li & Tian's (2025) frequency-ratio table, and the FR-index raster."""
from qgis.core import (QgsProcessingParameterFeatureSource, QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterString)

from ...core.susceptibility.evaluation import FR_COLUMNS, frequency_ratio_table, write_fr_index
from ...core.susceptibility.report import frequency_ratio_report
from .. import compat
from ..base import HazardAlgorithm
from ..report_common import hazard_xy
from ..styles import attach_style, raster_pseudocolor
from .. import params as P


class FrequencyRatio(HazardAlgorithm):
    NAME = "frequencyratio"
    DISPLAY = "Frequency ratio report"
    GROUP = "reports"
    REQUIRES = ("kmeans1d",)
    HELP = (
        "The frequency-ratio table of Li & Tian (2025, table 2) for any set of "
        "factors: continuous factors in natural-breaks classes (5 by default, from a seeded "
        "sample of 100,000 pixels), categorical factors one class per value, aspect factors "
        "(named in the parameter) in 8 compass sectors. Per class: pixels, hazards, % of area "
        "E, % of hazards F, FR = F / E, RF = FR / &Sigma;FR of the factor (%), and the factor's "
        "maximum FR.<br>Outputs: HTML and CSV; optionally the FR-index raster, the sum over "
        "factors of the FR of each pixel's class.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.HAZARDS, self.tr("Hazard inventory (points or polygons)"),
            [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]))
        self.add_factor_parameters()
        self.add_number(P.CLASSES, "Classes of continuous factors", 5, minValue=2, maxValue=20,
                        integer=True)
        self.addParameter(QgsProcessingParameterString(
            P.ASPECT, self.tr("Aspect factors (names, comma-separated)"), "aspect",
            optional=True))
        self.add_seed_parameter()
        self.add_report_outputs("Frequency ratio report", "Frequency ratio table (CSV)")
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_INDEX, self.tr("FR index"), optional=True, createByDefault=False))

    def compute(self, parameters, context, feedback, fb):
        aspect = [a.strip() for a in (self.parameterAsString(parameters, P.ASPECT, context)
                                      or "").split(",") if a.strip()]
        seed = self.seed(parameters, context)
        index = self.parameterAsOutputLayer(parameters, P.OUTPUT_INDEX, context)
        with self.factor_stack(parameters, context) as stack:
            xy = hazard_xy(self, parameters, P.HAZARDS, context, stack, feedback)
            rows, plan = frequency_ratio_table(
                stack, xy, self.parameterAsInt(parameters, P.CLASSES, context), aspect,
                fb.sub(0, 0.8 if index else 1.0), seed=seed)
            if index:
                write_fr_index(stack, rows, plan, index, fb.sub(0.8, 1.0))
        used = sum(r["hazards"] for r in rows if r["factor"] == rows[0]["factor"])
        html = frequency_ratio_report(self.parameterAsFileOutput(parameters, P.OUTPUT_HTML,
                                                                 context), rows, used)
        out = {P.OUTPUT_HTML: html}
        out.update(self.optional_csv(parameters, context, rows, FR_COLUMNS))
        if index:
            attach_style(context, index, raster_pseudocolor(1, "Reds"), "raster",
                         self.tr("FR index"))
            out[P.OUTPUT_INDEX] = index
        return out
