"""hazard:splitinventory: an inventory -> a training part and a held-out part."""
import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFeatureSource)

from ...core.susceptibility.holdout import holdout_mask
from .. import compat
from ..base import HazardAlgorithm
from ..vector_io import surface_points
from ..guard import CheckedSink
from ..styles import attach_style, single_symbol
from .. import params as P

METHODS = ["random", "blocks"]
#: both parts visible over a green-to-red susceptibility map: training dark grey, held-out purple
COLORS = {P.OUTPUT_TRAINING: ("#404040", "Training part"),
          P.OUTPUT_HELD_OUT: ("#7b3294", "Held-out part")}


class SplitInventory(HazardAlgorithm):
    NAME = "splitinventory"
    DISPLAY = "Split inventory (training / held out)"
    GROUP = "sampling"
    BASIC = (P.TEST_SHARE, P.BLOCK_SIZE)
    TAGS = "hold out,holdout,test set,validation,independent,spatial block,split"
    HELP = (
        "Splits a hazard inventory <b>before</b> any sampling or training, so that the map can "
        "be evaluated on presences that neither the absence sampler nor the model ever "
        "saw.<br><br>"
        "<b>Random</b>: a seeded random share of the features is held out. <b>Spatial "
        "blocks</b> (the default): the features are grouped in square blocks of the given size "
        "and whole blocks are held out, in a seeded random order, until the held-out count is "
        "the closest it can come to the share. Neighbouring landslides share their terrain: a "
        "random hold-out leaves each held-out point with training neighbours and flatters the "
        "score; blocks larger than the range of that dependence do not.<br><br>"
        "Give the <b>training</b> part to an absence sampler and 'Train susceptibility model', "
        "and the <b>held-out</b> part to 'Evaluate susceptibility map' (or as the independent "
        "inventory of 'Train susceptibility model' and 'Compare sampling scenarios'). Both "
        "outputs keep every field and geometry of the input; polygons are placed in a block by "
        "a point on their surface. Same seed, same split.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.INVENTORY, self.tr("Hazard inventory (points or polygons)"),
            [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]))
        self.add_number(P.TEST_SHARE, "Share held out", 0.3, minValue=0.05, maxValue=0.9)
        self.addParameter(QgsProcessingParameterEnum(
            P.METHOD, self.tr("Hold out"), ["Random features", "Whole spatial blocks"],
            defaultValue=1))
        self.add_number(P.BLOCK_SIZE, "Block size (map units, spatial blocks)", 2000.0,
                        minValue=0.0)
        self.add_seed_parameter()
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT_TRAINING, self.tr("Training part")))
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT_HELD_OUT, self.tr("Held-out part")))

    def compute(self, parameters, context, feedback, fb):
        src = self.parameterAsSource(parameters, P.INVENTORY, context)
        if src is None or src.featureCount() == 0:
            raise QgsProcessingException("The inventory is empty or could not be opened "
                                         "[INVENTORY].")
        feats = [f for f in src.getFeatures() if f.hasGeometry() and not f.geometry().isEmpty()]
        if len(feats) < src.featureCount():
            feedback.pushWarning(f"{src.featureCount() - len(feats)} feature(s) without "
                                 f"geometry (NULL or empty) were left out of both parts.")
        if not feats:
            raise QgsProcessingException("No feature of the inventory has a geometry "
                                         "[INVENTORY].")
        method = METHODS[self.parameterAsEnum(parameters, P.METHOD, context)]
        size = None
        if method == "blocks":
            size = self.parameterAsDouble(parameters, P.BLOCK_SIZE, context)
            if src.sourceCrs().isGeographic() and size >= 1:
                raise QgsProcessingException(
                    f"The block size is {size:g} map units, but the inventory is in "
                    f"{src.sourceCrs().authid() or 'a geographic CRS'}, whose units are "
                    f"degrees ({size:g} degrees is {size * 111:g} km): reproject the inventory "
                    f"to a projected CRS in metres, or give the size in degrees [BLOCK_SIZE].")
        x, y = surface_points(feats)
        share = self.parameterAsDouble(parameters, P.TEST_SHARE, context)
        seed = self.seed(parameters, context)
        held = holdout_mask(x, y, share, seed, size)
        out = {}
        kind = "marker" if compat.geometry_type(src.wkbType()) == compat.GEOM_POINT else "fill"
        for key, part in ((P.OUTPUT_TRAINING, ~held), (P.OUTPUT_HELD_OUT, held)):
            with CheckedSink(self, parameters, key, context, src.fields(), src.wkbType(),
                             src.sourceCrs()) as sink:
                for k in np.nonzero(part)[0]:
                    fb.check()
                    sink.add(feats[k])
                out[key] = sink.close()
            color, name = COLORS[key]
            attach_style(context, out[key], single_symbol(color, kind), "vector", self.tr(name))
        if size:
            blocks = len(np.unique(np.floor(np.c_[x, y] / size), axis=0))
            how = f"whole blocks of {size:g} map units ({blocks} blocks hold features)"
        else:
            how = "random features"
        feedback.pushInfo(f"{int((~held).sum())} features for training, {int(held.sum())} held "
                          f"out ({100 * held.mean():.1f} %; {how}; seed {seed}).")
        return out
