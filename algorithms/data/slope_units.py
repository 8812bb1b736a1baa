"""hazard:slopeunitstats: slope units + factors (+ landslides) -> per-unit features."""
import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFeatureSource)

from ...core.io.zonal import geometries_from_wkb, overlapping_pairs, slope_unit_statistics
from .. import compat
from ..vector_io import write_with_columns
from ..base import HazardAlgorithm, source_geometries
from ..styles import attach_style, graduated
from .. import params as P


def _int_field_names(names):
    return {n for n in names if n == "n_pixels" or n.endswith("_major")}


class SlopeUnitStatistics(HazardAlgorithm):
    NAME = "slopeunitstats"
    DISPLAY = "Slope-unit statistics"
    GROUP = "data"
    HELP = (
        "Computes the slope-unit features of Aguilera et al. (2022): for every "
        "slope-unit polygon and every factor, the mean and the (population) standard deviation "
        "of the factor's pixels inside the unit, the unit's area and, when landslide polygons "
        "are given, the landslide area inside the unit.<br><br>"
        "<b>Inputs</b>: slope-unit polygons; factor rasters (aligned on the fly to the reference "
        "grid, as in 'Align factor rasters'); optional landslide polygons. Layers in another CRS "
        "are reprojected to the grid's CRS, which must be projected.<br>"
        "<b>Output</b>: the slope units with their fields plus <i>factor</i>_mean, "
        "<i>factor</i>_std (categorical factors: <i>factor</i>_major, the most frequent "
        "class), su_area (m², planimetric), n_pixels (pixels with data in every "
        "factor whose centre lies in the unit, QGIS's zonal-statistics rule) and ls_area (m², "
        "the sum of the parts of landslide polygons inside the unit), styled by the first "
        "factor's mean.<br><br>"
        "Unit ids are rasterised once and the statistics aggregated block by block, so it is "
        "fast and memory stays bounded. Units without any valid pixel get NULL statistics.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.SLOPE_UNITS, self.tr("Slope units"), [compat.TYPE_VECTOR_POLYGON]))
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.LANDSLIDES, self.tr("Landslide polygons (for ls_area)"),
            [compat.TYPE_VECTOR_POLYGON], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT, self.tr("Slope-unit statistics"), compat.TYPE_VECTOR_POLYGON))

    def compute(self, parameters, context, feedback, fb):
        units = self.parameterAsSource(parameters, P.SLOPE_UNITS, context)
        if units is None:
            raise QgsProcessingException(self.tr("The slope-unit layer could not be opened "
                                                 "[SLOPE_UNITS]."))
        if units.featureCount() == 0:
            raise QgsProcessingException(self.tr("The slope-unit layer is empty [SLOPE_UNITS]."))
        landslides = self.parameterAsSource(parameters, P.LANDSLIDES, context)
        with self.factor_stack(parameters, context) as stack:
            crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
            if not stack.grid.is_projected():
                raise QgsProcessingException(
                    f"The reference grid's CRS ({crs.authid() or crs.description()}) is not "
                    f"projected: slope-unit areas need metres. Choose a projected reference grid "
                    f"[REFERENCE].")
            wkbs, feats = source_geometries(units, P.SLOPE_UNITS, crs, context, feedback)
            unit_geoms = geometries_from_wkb(wkbs)
            ls_geoms = None
            if landslides is not None:
                ls_wkbs, _ = source_geometries(landslides, P.LANDSLIDES, crs, context, feedback)
                ls_geoms = [g for g in geometries_from_wkb(ls_wkbs) if g is not None]
            feedback.pushInfo(f"{len(feats)} slope units, {len(stack)} factors: "
                              f"{', '.join(stack.names)}")
            cols = slope_unit_statistics(stack, unit_geoms, ls_geoms, fb.sub(0, 0.95))
            pairs = overlapping_pairs(unit_geoms, feedback=fb.sub(0.95, 1.0))
        empty = cols["n_pixels"] == 0
        overlapped = np.zeros(len(feats), bool)
        if pairs:
            overlapped[[k for p in pairs for k in p]] = True
            shown = ", ".join(f"{feats[i].id()} and {feats[j].id()}" for i, j in pairs[:5])
            feedback.pushWarning(
                f"{len(pairs)} pair(s) of slope units overlap (feature ids {shown}"
                f"{', ...' if len(pairs) > 5 else ''}): a pixel counts in one unit only, so "
                f"the statistics of {int(overlapped.sum())} unit(s) miss the shared pixels; "
                f"{int((empty & overlapped).sum())} got none. Fix the slope-unit polygons "
                f"(Vector > Geometry Tools > Check Validity, or Union and Dissolve).")
        n_empty = int((empty & ~overlapped).sum())
        if n_empty:
            feedback.pushWarning(f"{n_empty} slope unit(s) hold no pixel centre with data in "
                                 f"every factor: their statistics are NULL.")

        new_names = list(cols)
        dest = write_with_columns(self, parameters, context, P.OUTPUT, units, feats, cols,
                                  _int_field_names(new_names), multi=True)
        first_mean = next((n for n in new_names if n.endswith("_mean")), "n_pixels")
        attach_style(context, dest, graduated(first_mean), "vector",
                     name=self.tr("Slope-unit statistics"))
        return {P.OUTPUT: dest}
