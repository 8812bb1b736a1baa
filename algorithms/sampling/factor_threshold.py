"""hazard:factorthresholdabsences: move absences off the hazard-prone side of a factor."""
import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingParameterEnum, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterRasterLayer)

from ...core.sampling.report import threshold_report
from ...core.sampling.threshold import FACTOR_THRESHOLD, SIDES, threshold_correction
from ...core.io.zonal import geometries_from_wkb, point_coordinates
from .. import compat
from ..base import source_geometries
from .common import SamplingAlgorithm
from .. import params as P


class FactorThresholdAbsences(SamplingAlgorithm):
    NAME = "factorthresholdabsences"
    DISPLAY = "Absences corrected by a factor threshold (SHAP)"
    SAMPLER = FACTOR_THRESHOLD.name
    REQUIRES = ("xgboost",)
    HELP = (
        "Scenario 3 of Li & Tian (2025, NDVI &lt; 0.8 there): absences lying on the "
        "hazard-prone side of a factor's threshold are dropped and replaced by as many absences "
        "drawn on the other side.<br><br>"
        "The threshold is given, or derived from SHAP: a gradient-boosted tree model (XGBoost) "
        "is fitted on the presences and the starting absences, the exact TreeSHAP values of the "
        "factor are binned (20 quantile bins), and the threshold is the factor value where the "
        "binned mean SHAP changes sign (the largest such change, interpolated; when there are "
        "several, the log warns and the report lists every one with its jump and marks the "
        "one taken). The prone side is where SHAP is positive, unless you set it. The report "
        "shows the SHAP dependence curve with the threshold and the other sign changes.<br><br>"
        "The starting absences are a point layer (e.g. from 'Random absences outside a buffer'; "
        "features with label 1 are ignored), or random absences drawn here at the given ratio. "
        "Replacements are seeded, one per pixel, never on a presence pixel, an existing absence "
        "or nodata, and at least the minimum distance from every presence.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.THRESHOLD_FACTOR, self.tr("Factor to threshold (one of the factor rasters)")))
        self.add_number(P.THRESHOLD, "Threshold (empty: derive it from SHAP)", None, optional=True)
        self.addParameter(QgsProcessingParameterEnum(
            P.PRONE_SIDE, self.tr("Hazard-prone side of the threshold"),
            ["auto (from the SHAP dependence)", "below", "above"], defaultValue=0))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.START_ABSENCES, self.tr("Starting absences (empty: random, at the ratio)"),
            [compat.TYPE_VECTOR_POINT], optional=True))
        self.add_count_parameters()
        self.add_common_parameters()
        self.add_output()
        self.add_report_outputs("Report", optional=True)
        self.addOutput(QgsProcessingOutputNumber(P.THRESHOLD_USED, self.tr("Threshold used")))
        self.addOutput(QgsProcessingOutputString(P.PRONE_SIDE_USED, self.tr("Prone side used")))

    def compute(self, parameters, context, feedback, fb):
        given = parameters.get(P.THRESHOLD)
        given = None if given in (None, "") else self.parameterAsDouble(parameters, P.THRESHOLD,
                                                                        context)
        start = self.parameterAsSource(parameters, P.START_ABSENCES, context)
        with self.factor_stack(parameters, context) as stack:
            j = self._factor_index(stack, self.parameterAsRasterLayer(
                parameters, P.THRESHOLD_FACTOR, context))
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.05))
            res = threshold_correction(
                stack, pres, j, self.rng(parameters, context),
                self.seed(parameters, context), given,
                SIDES[self.parameterAsEnum(parameters, P.PRONE_SIDE, context)],
                self._start_points(start, stack, context) if start is not None else None,
                self.count(parameters, context, len(pres)) if start is None else 0,
                self.parameterAsDouble(parameters, P.MIN_DISTANCE, context), fb)
            feedback.pushInfo(f"Threshold {res.factor} = {res.threshold:.4g}, prone side: "
                              f"{res.side}; {res.replaced} of {res.n_absences} absences "
                              f"replaced.")
            rows = res.crossing_rows()
            if res.derived and len(rows) > 1:
                feedback.pushWarning(
                    f"The mean SHAP of {res.factor} changes sign {len(rows)} times (at " +
                    ", ".join(f"{r['value']:.4g}" for r in rows) + f"); the largest jump, at "
                    f"{res.threshold:.4g}, is the threshold. See the report's table, or give "
                    f"the threshold yourself [THRESHOLD].")
            crs = stack.grid.crs_wkt
        out = {P.OUTPUT: self.write_absences(parameters, context, crs, pres, res.x, res.y,
                                             "Threshold-corrected samples"),
               P.THRESHOLD_USED: res.threshold, P.PRONE_SIDE_USED: res.side}
        out.update(self.optional_report(parameters, context, threshold_report, res))
        return out

    @staticmethod
    def _factor_index(stack, layer):
        from ...core.io.raster import bands_of
        from ..base import raster_path
        wanted = bands_of(raster_path(layer, P.THRESHOLD_FACTOR), layer.name())[0]
        for i, b in enumerate(stack.bands):
            if b.path == wanted.path and b.band == wanted.band:
                return i
        raise QgsProcessingException(f"'{layer.name()}' is not among the factor rasters: add it "
                                     f"to [FACTORS] [THRESHOLD_FACTOR].")

    @staticmethod
    def _start_points(src, stack, context):
        crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
        has_label = src.fields().indexOf("label") >= 0
        wkbs, feats = source_geometries(src, P.START_ABSENCES, crs, context)
        absent = [not (has_label and f["label"] == 1) for f in feats]
        xy = point_coordinates([g for g, a in zip(geometries_from_wkb(wkbs), absent) if a])
        xy = xy[np.isfinite(xy).all(axis=1)]  # features without a geometry
        return xy[:, 0], xy[:, 1]
