"""hazard:multihazardsamples: presences, KDE augmentation and one-class-SVM absences per
hazard, zones and a stratified 80/10/10 split per zone (paper 002)."""
import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterNumber)

from ...core.sampling import samplers as smp
from ...core.multihazard.blocks import split_three
from .. import compat
from .common import add_zone_parameters, zone_lookup
from ..report_common import hazard_xy
from ..sampling.common import SamplingAlgorithm


class MultiHazardSamples(SamplingAlgorithm):
    NAME = "multihazardsamples"
    DISPLAY = "Prepare multi-hazard samples"
    GROUP = "multihazard"
    REQUIRES = ("sklearn", "scipy")
    HELP = (
        "Prepares the training samples of paper 002 (FL-MHSM) for two hazards, flood and "
        "landslide.<br><br>"
        "For each hazard: its presences (points, or the pixels of polygons; layers in any CRS "
        "are reprojected), synthetic presences from a Gaussian KDE at least the spacing apart "
        "(marked augmented = 1; ratio 0 switches it off), and one-class-SVM absences at least "
        "the minimum distance from that hazard's presences. Every sample gets its contextual "
        "zone (from the zone polygons, whose overlaps are refused, or from a categorical zone raster) and a split "
        "stratified by zone and label: 80% train, 10% validation, 10% test.<br>"
        "<b>Output</b>: one point layer with hazard, label, augmented, sampler, zone and split. "
        "A zone without any presence of a hazard is reported in the log.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            "FLOODS", self.tr("Flood presences"), [compat.TYPE_VECTOR_POINT,
                                                   compat.TYPE_VECTOR_POLYGON]))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "LANDSLIDES", self.tr("Landslide presences"), [compat.TYPE_VECTOR_POINT,
                                                           compat.TYPE_VECTOR_POLYGON]))
        self.add_factor_parameters()
        add_zone_parameters(self)
        self.addParameter(QgsProcessingParameterNumber(
            "KDE_RATIO", self.tr("Synthetic presences per presence (KDE; 0: none)"),
            compat.NUMBER_DOUBLE, 0.5, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            "SPACING", self.tr("Spacing of synthetic presences (map units)"),
            compat.NUMBER_DOUBLE, 100.0, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            "ABSENCE_RATIO", self.tr("Absences per presence (one-class SVM)"),
            compat.NUMBER_DOUBLE, 1.0, minValue=0.01))
        self.addParameter(QgsProcessingParameterNumber(
            "NU", self.tr("nu of the one-class SVM"), compat.NUMBER_DOUBLE, 0.1, minValue=0.001,
            maxValue=1.0))
        self.add_common_parameters(min_distance=100.0, include_presences=False)
        self.add_output(text="Multi-hazard samples")

    def compute(self, parameters, context, feedback, fb):
        seed = self.parameterAsInt(parameters, "SEED", context)
        rng = np.random.default_rng(seed)
        min_d = self.parameterAsDouble(parameters, "MIN_DISTANCE", context)
        with self.factor_stack(parameters, context) as stack:
            zones_at = zone_lookup(self, parameters, context, stack)  # checked before sampling
            cols = {k: [] for k in ("x", "y", "hazard", "label", "augmented", "sampler")}
            for h, (key, name) in enumerate((("FLOODS", "flood"), ("LANDSLIDES", "landslide"))):
                step = fb.sub(h / 2, (h + 1) / 2)
                xy = hazard_xy(self, parameters, key, context, stack, feedback)
                pres = smp.locate_presences(stack, *xy)
                if len(pres) < 3:
                    raise QgsProcessingException(f"Only {len(pres)} {name} presence(s) on valid "
                                                 f"pixels [{key}].")
                n_kde = int(round(self.parameterAsDouble(parameters, "KDE_RATIO", context) *
                                  len(pres)))
                kx = ky = np.empty(0)
                if n_kde:
                    kx, ky = smp.kde_augment(stack, pres, n_kde, rng, self.parameterAsDouble(
                        parameters, "SPACING", context), feedback=step.sub(0, 0.4))
                n_abs = int(round(self.parameterAsDouble(parameters, "ABSENCE_RATIO", context) *
                                  (len(pres) + n_kde)))
                ax, ay, _, _, _ = smp.ocsvm_absences(
                    stack, pres, n_abs, rng, min_d, self.parameterAsDouble(parameters, "NU",
                                                                           context),
                    feedback=step.sub(0.4, 1.0))
                for x, y, lab, aug, samp in ((pres.x, pres.y, 1, 0, "presence"),
                                             (kx, ky, 1, 1, "kde"), (ax, ay, 0, 0, "ocsvm")):
                    cols["x"].append(x)
                    cols["y"].append(y)
                    cols["hazard"].append(np.full(len(x), name, object))
                    cols["label"].append(np.full(len(x), lab))
                    cols["augmented"].append(np.full(len(x), aug))
                    cols["sampler"].append(np.full(len(x), samp, object))
                feedback.pushInfo(f"{name}: {len(pres)} presences, {n_kde} synthetic, {n_abs} "
                                  f"absences")
            crs_wkt = stack.grid.crs_wkt
            cols = {k: np.concatenate(v) for k, v in cols.items()}
            zone = np.array([z if z is not None else "" for z in
                             zones_at(cols["x"], cols["y"])], object)
        outside = zone == ""
        if outside.any():
            feedback.pushWarning(f"{int(outside.sum())} sample(s) outside every zone were left "
                                 f"out.")
        keep = ~outside
        cols = {k: v[keep] for k, v in cols.items()}
        zone = zone[keep]
        for z in sorted(set(zone)):
            for name in ("flood", "landslide"):
                if not ((zone == z) & (cols["hazard"] == name) & (cols["label"] == 1)).any():
                    feedback.pushWarning(f"Zone {z} holds no {name} presence: its {name} models "
                                         f"will fall back to all zones.")
        split = split_three(cols["label"], np.array([f"{z}|{h}" for z, h in
                                                     zip(zone, cols["hazard"])]), seed=seed)
        x, y = cols.pop("x"), cols.pop("y")
        cols.update(zone=zone.astype(str), split=split.astype(str))
        cols["hazard"] = cols["hazard"].astype(str)
        cols["sampler"] = cols["sampler"].astype(str)
        return {"OUTPUT": self.write_samples(parameters, context, crs_wkt, x, y, cols,
                                             layer_name="Multi-hazard samples")}
