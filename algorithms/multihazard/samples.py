"""hazard:multihazardsamples: presences split 80/10/10 per zone, KDE augmentation of the
training presences and one-class-SVM absences per hazard (FL-MHSM study)."""
from qgis.core import QgsProcessingParameterFeatureSource, QgsProcessingParameterNumber

from ...core.multihazard.samples import HAZARD_INPUTS, multihazard_samples, split_counts
from .. import compat
from .common import add_zone_parameters, zone_lookup
from ..report_common import hazard_xy
from ..sampling.common import SamplingAlgorithm
from .. import params as P


def samples_memory(inventories, kde_ratio, absence_ratio):
    """Refuse, before any is drawn, samples that would not fit in memory (synthetic presences
    by KDE_RATIO, absences by ABSENCE_RATIO); else a sentence with their memory."""
    from ...core.sampling.samplers import BYTES_PER_ABSENCE, DRAW_MASK_BYTES
    from ...core.util import memory
    n_pres = sum(len(v[0]) for v in inventories.values() if v is not None)
    n_all = int(n_pres * (1 + kde_ratio) * (1 + absence_ratio))
    param = P.ABSENCE_RATIO if absence_ratio >= kde_ratio else P.KDE_RATIO
    return memory.require(n_all * BYTES_PER_ABSENCE + DRAW_MASK_BYTES,
                          f"Drawing {n_all:,} samples", param,
                          f"lower the absences per presence [{P.ABSENCE_RATIO}] or the synthetic "
                          f"presences per training presence [{P.KDE_RATIO}]")


class MultiHazardSamples(SamplingAlgorithm):
    NAME = "multihazardsamples"
    DISPLAY = "Prepare multi-hazard samples"
    GROUP = "multihazard"
    REQUIRES = ("sklearn", "scipy")
    HELP = (
        "Prepares the training samples of the FL-MHSM study for two hazards, flood and "
        "landslide.<br><br>"
        "For each hazard: its presences (points, or the pixels of polygons; layers in any CRS "
        "are reprojected), each with its contextual zone (from the zone polygons, whose "
        "overlaps are refused, or from a categorical zone raster), split first: 80% train, 10% "
        "validation, 10% test per zone. Synthetic presences come from a Gaussian KDE of the "
        "<i>training</i> presences only, at least the spacing apart and from every real "
        "presence (marked augmented = 1; ratio: synthetic points per training presence, 0 "
        "switches it off), and all go to the training split: validation and test hold real "
        "presences only, so that no score is computed on points drawn next to the ones the "
        "model learnt from. One-class-SVM absences at least the minimum distance from that "
        "hazard's presences, split 80/10/10 per zone. The log says how many real and synthetic "
        "points each split holds.<br>"
        "<b>Output</b>: one point layer with hazard, label, augmented, sampler, zone and split. "
        "A zone without any presence of a hazard is reported in the log.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.FLOODS, self.tr("Flood presences"), [compat.TYPE_VECTOR_POINT,
                                                   compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.LANDSLIDES, self.tr("Landslide presences"), [compat.TYPE_VECTOR_POINT,
                                                           compat.TYPE_VECTOR_POLYGON]))
        self.add_factor_parameters()
        add_zone_parameters(self)
        self.addParameter(QgsProcessingParameterNumber(
            P.KDE_RATIO, self.tr("Synthetic presences per training presence (KDE; 0: none)"),
            compat.NUMBER_DOUBLE, 0.5, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            P.SPACING, self.tr("Spacing of synthetic presences (metres)"),
            compat.NUMBER_DOUBLE, 100.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            P.ABSENCE_RATIO, self.tr("Absences per presence (one-class SVM)"),
            compat.NUMBER_DOUBLE, 1.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            P.NU, self.tr("nu of the one-class SVM"), compat.NUMBER_DOUBLE, 0.1, minValue=0.001,
            maxValue=1.0))
        self.add_common_parameters(min_distance=100.0, include_presences=False)
        self.add_output(text="Multi-hazard samples")

    def compute(self, parameters, context, feedback, fb):
        num = {k: self.parameterAsDouble(parameters, k, context) for k in (
            P.KDE_RATIO, P.SPACING, P.ABSENCE_RATIO, P.MIN_DISTANCE, P.NU)}
        with self.factor_stack(parameters, context) as stack:
            # the zones are checked before sampling
            zones_at = zone_lookup(self, parameters, context, stack, feedback)
            inventories = {name: hazard_xy(self, parameters, key, context, stack, feedback)
                           for key, name in HAZARD_INPUTS}
            feedback.pushInfo(samples_memory(inventories, num[P.KDE_RATIO],
                                             num[P.ABSENCE_RATIO]))
            x, y, cols = multihazard_samples(
                stack, inventories, zones_at, self.seed(parameters, context),
                num[P.KDE_RATIO], num[P.SPACING], num[P.ABSENCE_RATIO], num[P.MIN_DISTANCE],
                num[P.NU], fb, feedback.pushInfo, feedback.pushWarning)
            crs_wkt = stack.grid.crs_wkt
        for r in split_counts(cols["hazard"], cols["label"], cols["augmented"], cols["split"]):
            feedback.pushInfo(f"{r['hazard']} {r['split']}: {r['presences']} presences, "
                              f"{r['synthetic']} synthetic, {r['absences']} absences")
        return {P.OUTPUT: self.write_samples(parameters, context, crs_wkt, x, y, cols,
                                             layer_name="Multi-hazard samples")}
