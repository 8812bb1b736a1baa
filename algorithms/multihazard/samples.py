"""hazard:multihazardsamples: presences split 80/10/10 per zone, KDE augmentation of the
training presences and one-class-SVM absences per hazard (FL-MHSM study)."""
import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterNumber)

from ...core.multihazard.samples import (ABSENCE_METHODS, DEFAULT_ABSENCE_RATIO,
                                         DEFAULT_ABSENCES, DEFAULT_KDE_RATIO, HAZARD_INPUTS,
                                         multihazard_samples, samples_memory, split_counts,
                                         split_held_out)
from .. import compat
from .common import add_zone_parameters, zone_lookup
from ..report_common import hazard_xy
from ..sampling.common import SamplingAlgorithm
from .. import params as P


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
        "validation, 10% test per zone. Synthetic presences (none by default; the FL-MHSM "
        "study uses "
        "1.5 per training presence) come from a Gaussian KDE of the <i>training</i> "
        "presences' coordinates only, at least the spacing apart and from every real "
        "presence (marked augmented = 1), and all go to the training split. With Scott's "
        "bandwidth the KDE spreads them kilometres around the presences, so they teach the "
        "models where the inventory is dense rather than what makes the hazard: on the "
        "sample area they lowered the maps' agreement with the known processes (README). "
        "The synthetic points go to training only: validation and test hold real "
        "presences only, so that no score is computed on points drawn next to the ones the "
        "model learnt from. Absences at least the minimum distance from that hazard's "
        "presences, split 80/10/10 per zone, by one of four methods: <i>random outside the "
        "buffer</i> (the default: of the four, the one whose maps recover the sample area's "
        "known processes best on several seeds, see the README); a <i>one-class SVM on the "
        "presences' coordinates</i> (the FL-MHSM study's, kept to reproduce it: its absences "
        "ring the "
        "inventory's outline, so the maps learn where the inventory is dense rather than what "
        "makes the hazard); a <i>one-class SVM on the presences' factor values</i>; "
        "<i>Mahalanobis chi-square</i> (the Rangamati Mahalanobis study: far from the "
        "presences in factor space). "
        "Every method but random background sets absences apart from the presences by "
        "construction, and the training report says how much that flatters its scores. The "
        "log says how many real and synthetic points each split holds.<br>"
        "<b>Held out before sampling</b> (share &gt; 0): that share of each inventory is set "
        "aside first, in whole square blocks (as 'Split inventory' does), and written to the "
        "held-out layer (hazard, label 1); nothing is sampled from it, no synthetic presence "
        "lies next to it, and 'Multi-hazard evaluation report' scores the maps on it against "
        "random background, a score no sampler's choice of absences flatters.<br>"
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
            P.KDE_RATIO, self.tr("Synthetic presences per training presence (KDE; 0: none; "
                                 "the FL-MHSM study: 1.5)"),
            compat.NUMBER_DOUBLE, DEFAULT_KDE_RATIO, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            P.SPACING, self.tr("Spacing of synthetic presences (metres)"),
            compat.NUMBER_DOUBLE, 100.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterEnum(
            P.ABSENCE_METHOD, self.tr("Absences"), [ABSENCE_METHODS[k][1] for k in
                                                    ABSENCE_METHODS],
            defaultValue=list(ABSENCE_METHODS).index(DEFAULT_ABSENCES)))
        self.addParameter(QgsProcessingParameterNumber(
            P.ABSENCE_RATIO, self.tr("Absences per presence (the FL-MHSM study: 1)"),
            compat.NUMBER_DOUBLE, DEFAULT_ABSENCE_RATIO, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            P.NU, self.tr("nu of the one-class SVMs"), compat.NUMBER_DOUBLE, 0.1, minValue=0.001,
            maxValue=1.0))
        self.addParameter(QgsProcessingParameterNumber(
            P.TEST_SHARE, self.tr("Share of each inventory held out before sampling (0: none)"),
            compat.NUMBER_DOUBLE, 0.0, minValue=0.0, maxValue=0.9))
        self.addParameter(QgsProcessingParameterNumber(
            P.BLOCK_SIZE, self.tr("Block size of the hold-out (map units; 0: random points)"),
            compat.NUMBER_DOUBLE, 2000.0, minValue=0.0))
        self.add_common_parameters(min_distance=100.0, include_presences=False)
        self.add_output(text="Multi-hazard samples")
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT_HELD_OUT, self.tr("Held-out presences"), compat.TYPE_VECTOR_POINT,
            optional=True, createByDefault=False))

    def compute(self, parameters, context, feedback, fb):
        num = {k: self.parameterAsDouble(parameters, k, context) for k in (
            P.KDE_RATIO, P.SPACING, P.ABSENCE_RATIO, P.MIN_DISTANCE, P.NU)}
        method = list(ABSENCE_METHODS)[self.parameterAsEnum(parameters, P.ABSENCE_METHOD,
                                                            context)]
        with self.factor_stack(parameters, context) as stack:
            # the zones are checked before sampling
            zones_at = zone_lookup(self, parameters, context, stack, feedback)
            inventories = {name: hazard_xy(self, parameters, key, context, stack, feedback)
                           for key, name in HAZARD_INPUTS}
            share = self.parameterAsDouble(parameters, P.TEST_SHARE, context)
            block = self.parameterAsDouble(parameters, P.BLOCK_SIZE, context) or None
            if share and not parameters.get(P.OUTPUT_HELD_OUT):
                raise QgsProcessingException(
                    "A share is held out but the held-out presences are not written: name "
                    "the held-out layer, or set the share to 0 [OUTPUT_HELD_OUT].")
            if share and block:  # the default block size means nothing without a hold-out
                stack.grid.check_distance(block, P.BLOCK_SIZE, "block size")
            inventories, held = split_held_out(inventories, share,
                                               self.seed(parameters, context), block)
            for name, (hx, _) in held.items():
                if len(hx):
                    feedback.pushInfo(f"{name}: {len(hx)} presence(s) held out before "
                                      f"sampling, {len(inventories[name][0])} kept.")
            feedback.pushInfo(samples_memory(inventories, num[P.KDE_RATIO],
                                             num[P.ABSENCE_RATIO]))
            x, y, cols = multihazard_samples(
                stack, inventories, zones_at, self.seed(parameters, context),
                num[P.KDE_RATIO], num[P.SPACING], num[P.ABSENCE_RATIO], num[P.MIN_DISTANCE],
                num[P.NU], fb, feedback.pushInfo, feedback.pushWarning, absences=method)
            crs_wkt = stack.grid.crs_wkt
        for r in split_counts(cols["hazard"], cols["label"], cols["augmented"], cols["split"]):
            feedback.pushInfo(f"{r['hazard']} {r['split']}: {r['presences']} presences, "
                              f"{r['synthetic']} synthetic, {r['absences']} absences")
        out = {P.OUTPUT: self.write_samples(parameters, context, crs_wkt, x, y, cols,
                                            layer_name="Multi-hazard samples")}
        if share:
            hx = np.concatenate([held[n][0] for _, n in HAZARD_INPUTS])
            hy = np.concatenate([held[n][1] for _, n in HAZARD_INPUTS])
            hz = np.concatenate([np.full(len(held[n][0]), n, object) for _, n in HAZARD_INPUTS])
            out[P.OUTPUT_HELD_OUT] = self.write_samples(
                parameters, context, crs_wkt, hx, hy,
                {"hazard": hz.astype(str), "label": np.ones(len(hx), int)},
                name=P.OUTPUT_HELD_OUT, layer_name="Held-out presences")
        return out
