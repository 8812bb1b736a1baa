"""hazard:slopeabsences: absences on gentle slopes (slope < threshold)."""
from qgis.core import QgsProcessingOutputString, QgsProcessingParameterRasterLayer

from ...core.sampling import samplers as smp
from .common import SamplingAlgorithm
from .. import params as P


class SlopeAbsences(SamplingAlgorithm):
    NAME = "slopeabsences"
    DISPLAY = "Absences on gentle slopes (slope threshold)"
    SAMPLER = smp.SLOPE_THRESHOLD.name
    HELP = (
        "Draws absence samples where the slope is below a threshold (default 3 degrees), the "
        "common practice that the Rangamati Mahalanobis study compares Mahalanobis sampling "
        "against.<br><br>"
        "Absences are drawn uniformly among pixels with slope &lt; threshold, seeded, one per "
        "pixel at most, never on a presence pixel or on nodata (of the slope or of the optional "
        "other factors), and at least the minimum distance from every presence.<br><br>"
        "<b>Warning</b>: absences chosen by slope make slope a perfect separator of the classes, "
        "so slope must then be left out of the model (the Rangamati Mahalanobis study recommends "
        "it). The output "
        "EXCLUDE_FACTOR names the slope layer so a model can drop it; the log says so too.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.addParameter(QgsProcessingParameterRasterLayer(P.SLOPE, self.tr("Slope raster")))
        self.add_number(P.THRESHOLD, "Slope threshold (absences where slope < threshold)", 3.0)
        self.add_factor_parameters(optional=True, grid=False, categorical=False,
                                   text="Other factor rasters (their nodata is avoided too)")
        self.add_count_parameters()
        self.add_common_parameters()
        self.add_output()
        self.addOutput(QgsProcessingOutputString(
            P.EXCLUDE_FACTOR, self.tr("Factor to leave out of the model")))

    def compute(self, parameters, context, feedback, fb):
        slope = self.parameterAsRasterLayer(parameters, P.SLOPE, context)
        t = self.parameterAsDouble(parameters, P.THRESHOLD, context)
        with self.factor_stack(parameters, context, first=[(slope, P.SLOPE, False)]) as stack:
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.1))
            n = self.count(parameters, context, len(pres))
            adm = smp.Admissible(stack, pres,
                                 self.parameterAsDouble(parameters, P.MIN_DISTANCE, context),
                                 lambda win, data: data[0] < t)
            ax, ay, _ = smp.draw(adm, n, self.rng(parameters, context), fb.sub(0.1, 0.95))
            crs = stack.grid.crs_wkt
        feedback.pushWarning(f"Absences were chosen by slope < {t:g}: leave the slope factor "
                             f"('{slope.name()}') out of the model, or it will separate the "
                             f"classes by construction (Rangamati Mahalanobis study).")
        dest = self.write_absences(parameters, context, crs, pres, ax, ay,
                                   "Slope-threshold samples")
        return {P.OUTPUT: dest, P.EXCLUDE_FACTOR: slope.name()}
