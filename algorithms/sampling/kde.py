"""hazard:kdeaugmentation: synthetic presences drawn from a KDE of the presences."""
import numpy as np
from qgis.core import QgsProcessingException, QgsProcessingParameterString

from ...core.sampling import samplers as smp
from .common import SamplingAlgorithm
from .. import params as P


class KdeAugmentation(SamplingAlgorithm):
    NAME = "kdeaugmentation"
    DISPLAY = "Augment presences by kernel density"
    SAMPLER = smp.KDE.name
    REQUIRES = ("scipy",)
    HELP = (
        "Adds synthetic presences drawn from a Gaussian kernel density estimate of the "
        "presence coordinates, as the FL-MHSM study does to balance scarce inventories.<br><br>"
        "Each synthetic point is at least the spacing (default 100 m) from every existing "
        "presence and every point accepted before it, inside the factor rasters and on valid "
        "pixels. The bandwidth is Scott's rule by default ('silverman' or a number are "
        "accepted). The output holds the original presences (augmented = 0) and the synthetic "
        "ones (augmented = 1), all with label 1, so that evaluation can leave the synthetic "
        "points out.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.add_count_parameters()
        self.addParameter(QgsProcessingParameterString(
            P.BANDWIDTH, self.tr("Bandwidth ('scott', 'silverman' or a factor)"), "scott"))
        self.add_common_parameters(min_distance=100.0, include_presences=False)
        self.add_output(text="Augmented presences")

    def compute(self, parameters, context, feedback, fb):
        bw = self.parameterAsString(parameters, P.BANDWIDTH, context).strip().lower() or "scott"
        if bw not in ("scott", "silverman"):
            try:
                bw = float(bw)
            except ValueError:
                raise QgsProcessingException(f"Bandwidth '{bw}' is not 'scott', 'silverman' or a "
                                             f"number [BANDWIDTH].")
        with self.factor_stack(parameters, context) as stack:
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.1))
            n = self.count(parameters, context, len(pres))
            sx, sy = smp.kde_augment(stack, pres, n, self.rng(parameters, context),
                                     self.parameterAsDouble(parameters, P.MIN_DISTANCE, context),
                                     bw, fb.sub(0.1, 0.95))
            crs = stack.grid.crs_wkt
        x = np.concatenate([pres.x, sx])
        y = np.concatenate([pres.y, sy])
        cols = {"label": np.ones(len(x), int),
                "sampler": np.array(["presence"] * len(pres) + [self.SAMPLER] * len(sx), object),
                "augmented": np.r_[np.zeros(len(pres), int), np.ones(len(sx), int)]}
        return {P.OUTPUT: self.write_samples(parameters, context, crs, x, y, cols,
                                             layer_name="Augmented presences")}
