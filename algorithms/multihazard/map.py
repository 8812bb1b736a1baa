"""hazard:mapmultihazard: model bundle + factors + zones -> probability, uncertainty,
correlation and bivariate rasters, on overlapping tiles merged without seams."""

from qgis.core import (QgsProcessingParameterEnum, QgsProcessingParameterFile,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterDestination)

from ...core.multihazard import mapping as mh_map
from ...core.multihazard.mapping import BLEND_PX
from ...core.multihazard.training import read_manifest
from .. import compat
from ..base import HazardAlgorithm
from .common import add_zone_parameters, zone_band
from ..mapping.applicability import aoa_mask
from ..styles import attach_style, bivariate, diverging, probability, sequential
from .. import params as P
from ...core.util import tempfiles

# output parameter -> (product, description, created by default)
OUTPUTS = [
    (P.OUTPUT_MOE_FLOOD, "moe_flood", "Flood susceptibility (MoE)", True),
    (P.OUTPUT_MOE_LANDSLIDE, "moe_landslide", "Landslide susceptibility (MoE)", True),
    (P.OUTPUT_LF_FLOOD, "lf_flood", "Flood susceptibility (Late Fusion)", False),
    (P.OUTPUT_LF_LANDSLIDE, "lf_landslide", "Landslide susceptibility (Late Fusion)", False),
    (P.OUTPUT_EF_FLOOD, "ef_flood", "Flood susceptibility (Early Fusion)", False),
    (P.OUTPUT_EF_LANDSLIDE, "ef_landslide", "Landslide susceptibility (Early Fusion)", False),
    (P.OUTPUT_UNCERTAINTY, "logdet", "Joint log-uncertainty (EF, log det Sigma)", True),
    (P.OUTPUT_CORRELATION, "rho", "Inter-hazard correlation (EF)", True),
    (P.OUTPUT_GATE, "w_ef", "Gate weight of the Early Fusion expert", False),
    (P.OUTPUT_DI, "di", "Dissimilarity index to the zone's training samples", False),
    (P.OUTPUT_AOA, "aoa", "Area of applicability (1 inside, 0 outside)", False),
]
BIVARIATE_MODELS = ["moe", "lf", "ef"]


class MapMultiHazard(HazardAlgorithm):
    NAME = "mapmultihazard"
    DISPLAY = "Map multi-hazard susceptibility"
    GROUP = "multihazard"
    REQUIRES = ("xgboost", "sklearn", "scipy", "kmeans1d", "threadpoolctl")
    HELP = (
        "Applies a model bundle from 'Train multi-hazard models' over the factor rasters "
        "(matched by name) and the contextual zones: each zone's pixels go through that zone's "
        "models (or the all-zone models it fell back to, or leans on); pixels outside every "
        "zone the bundle knows stay nodata. <b>Zone borders</b>: the probabilities pass from "
        "one zone's models to the next over a transition band (the given number of pixels on "
        "each side, weights falling linearly with the distance to the border) instead of "
        "jumping at the border; 0 cuts as the FL-MHSM study does. The band can be no wider "
        "than the "
        "tile overlap. Uncertainty, correlation, gate weight and applicability stay the "
        "pixel's own zone's.<br>"
        "<b>Outputs</b> (choose which; skipped ones are not computed): flood and landslide "
        "probabilities of the Mixture of Experts, of Late Fusion and of Early Fusion; EF's joint "
        "log-uncertainty log det &Sigma; = 2 &Sigma; log L_ii and inter-hazard correlation "
        "&rho; = &Sigma;12 / sqrt(&Sigma;11 &Sigma;22); the gate's weight of the EF expert; and "
        "the dissimilarity index of every pixel to its zone's training samples and the area "
        "of applicability (Meyer &amp; Pebesma 2021, as 'Area of applicability' computes it: "
        "the zone's Early Fusion model set, its real training samples with random folds, "
        "weighted by the Late Fusion models' importance; each zone has its own threshold); "
        "the 25-class bivariate map: 5 natural-breaks levels per hazard (Fisher-Jenks on a "
        "seeded sample of the merged maps, global breaks), code = 5 x flood level + landslide "
        "level, styled with a 5x5 palette whose legend reads 'flood X - landslide Y'.<br>"
        "<b>Factors checked</b>: each factor's values at a seeded sample of the rasters are "
        "compared with the model's training rows (range, 5-95 % spread, Kolmogorov-Smirnov "
        "statistic): a raster given under another factor's name or in other units (percent "
        "for degrees, feet for metres) is refused, naming it; a doubtful one is warned "
        "about.<br>"
        "<b>Tiles</b>: lattice tiles of the given size are predicted independently, each "
        "pixel once, on local threads (default) or on an existing Dask cluster given its "
        "scheduler address (its workers need numpy, scipy, xgboost and numba: the networks "
        "run in compiled float32 loops with a fixed order of operations, the same numbers in "
        "every thread and process, within 1e-5 of float64; without numba in float64 numpy, "
        "about twice as slow). The models are pointwise: the overlap matters only to the "
        "blending across zone borders, which each tile does within its window padded by the "
        "overlap; these blends are merged by inverse-distance weighting (a pixel's weight "
        "falls to zero at a tile's edge), so no seam remains. The raster is done in column "
        "bands of about 4096 pixels and "
        "rows are written as soon as no tile can touch them again, so memory does not grow "
        "with the raster's size. The result does not depend on "
        "the number of workers; progress is reported per tile and a cancel stops after the "
        "tile at hand, leaving no output.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(
            P.MODEL, self.tr("Multi-hazard model bundle (.mhz)"), extension="mhz"))
        self.add_factor_parameters()
        add_zone_parameters(self)
        self.addParameter(QgsProcessingParameterNumber(
            P.TILE_SIZE, self.tr("Tile size (pixels)"), compat.NUMBER_INTEGER, 512, minValue=16))
        self.addParameter(QgsProcessingParameterNumber(
            P.OVERLAP, self.tr("Tile overlap on each side (pixels)"), compat.NUMBER_INTEGER, 32,
            minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            P.BLEND, self.tr("Blend across zone borders over (pixels each side; 0: cut; at "
                             "most the overlap)"), compat.NUMBER_INTEGER, BLEND_PX, minValue=0))
        self.add_parallel_parameters()
        self.addParameter(QgsProcessingParameterEnum(
            P.BIVARIATE_MODEL, self.tr("Model of the bivariate map"), ["Mixture of Experts",
                                                                       "Late Fusion",
                                                                       "Early Fusion"], 0,
            optional=True))  # optional: QGIS 3.22 ignores defaults of mandatory enums
        self.add_break_sample_parameter()
        self.add_seed_parameter("Random seed (break sample)")
        for key, _, text, default in OUTPUTS:
            self.addParameter(QgsProcessingParameterRasterDestination(
                key, self.tr(text), optional=True, createByDefault=default))
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_BIVARIATE, self.tr("Bivariate flood-landslide classes"), optional=True))

    def compute(self, parameters, context, feedback, fb):
        path = self.parameterAsFile(parameters, P.MODEL, context)
        man = read_manifest(path, path)  # InputError naming MODEL when it is not a bundle
        outputs = {}
        for key, product, _, _ in OUTPUTS:
            dest = self.parameterAsOutputLayer(parameters, key, context)
            if dest:
                outputs[key] = (product, dest)
        biv = self.parameterAsOutputLayer(parameters, P.OUTPUT_BIVARIATE, context) or None
        with tempfiles.workdir("hazard_mhmap_") as tmp:
            with self.factor_stack(parameters, context) as stack:
                bands, grid = stack.bands, stack.grid
                mh_map.check_bundle(  # names a factor unlike its training values
                    path, stack, self.seed(parameters, context), feedback.pushInfo,
                    feedback.pushWarning)
            zb, codes = zone_band(self, parameters, context, grid, tmp, man.zones,
                                  feedback=feedback)
            summary = mh_map.map_bundle(
                path, bands, grid, zb, codes, dict(outputs.values()), biv,
                BIVARIATE_MODELS[self.parameterAsEnum(parameters, P.BIVARIATE_MODEL, context)],
                self.parameterAsInt(parameters, P.TILE_SIZE, context),
                self.parameterAsInt(parameters, P.OVERLAP, context),
                *self.parallel(parameters, context),
                self.parameterAsInt(parameters, P.BREAK_SAMPLE, context),
                self.seed(parameters, context), fb,
                blend_px=self.parameterAsInt(parameters, P.BLEND, context))
        if summary.get("unknown_zones"):
            feedback.pushWarning(f"Zone(s) {', '.join(summary['unknown_zones'])} are not in the "
                                 f"model bundle: their pixels are left as nodata.")
        feedback.pushInfo(f"{summary['valid_pixels']} pixels predicted on {summary['tiles']} "
                          f"tile(s).")
        res = {}
        for key, (product, dest) in outputs.items():
            style = probability() if product[:3] in ("moe", "lf_", "ef_") else \
                aoa_mask() if product == "aoa" else \
                sequential("like the training data", "unlike it") if product == "di" else \
                diverging(-1.0, 1.0) if product == "rho" else \
                sequential("more certain", "less certain") if product == "logdet" else \
                sequential("Late Fusion", "Early Fusion")  # the gate weight of EF
            # the MoE maps under the bivariate classes; the others supporting, unchecked
            main = product[:3] == "moe"
            attach_style(context, dest, style, "raster", dict(
                (k, t) for k, _, t, _ in OUTPUTS)[key], role="map" if main else "support",
                order=(1 + len(res)) if main else len(res))
            res[key] = dest
        if biv:
            for h, lim in summary["breaks"].items():
                feedback.pushInfo(f"{h} breaks: " + ", ".join(f"{v:.4f}" for v in lim))
            attach_style(context, biv, bivariate(mh_map.bivariate_legend()), "raster",
                         self.tr("Bivariate flood-landslide susceptibility"))
            res[P.OUTPUT_BIVARIATE] = biv
        return res
