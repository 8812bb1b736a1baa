"""hazard:alignfactors: factor rasters -> one aligned multi-band stack."""
import os

from qgis.core import (QgsProcessingException, QgsProcessingOutputString,
                       QgsProcessingParameterRasterDestination)

from ...core.io.raster import write_stack
from ..base import HazardAlgorithm
from ..styles import attach_style, raster_pseudocolor
from .. import params as P


class AlignFactors(HazardAlgorithm):
    NAME = "alignfactors"
    DISPLAY = "Align factor rasters"
    GROUP = "data"
    HELP = (
        "Resamples factor rasters of different CRS, extent and pixel size onto one reference "
        "grid and writes them as one multi-band GeoTIFF (one band per factor, named after the "
        "layer or its band descriptions).<br><br>"
        "<b>Inputs</b>: continuous factors (resampled bilinearly by default), categorical factors "
        "(always nearest neighbour, so classes are never mixed), and an optional reference grid "
        "(default: the grid of the first continuous factor).<br>"
        "<b>Output</b>: a tiled, compressed Float32 GeoTIFF whose nodata (-9999) is the combined "
        "mask: a pixel is nodata in every band when any factor is nodata there. Band metadata "
        "records which factors are categorical.<br><br>"
        "Rasters are processed block by block, so memory stays bounded whatever their size. "
        "A factor that does not overlap the reference grid, or holds only nodata there, is an "
        "error and nothing is written.<br>"
        "Method: data preparation of all four papers implemented by this plugin (METHODS.md, "
        "section 0).")

    def initAlgorithm(self, config=None):
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT, self.tr("Aligned factor stack")))
        self.addOutput(QgsProcessingOutputString(P.FACTOR_NAMES, self.tr("Factor (band) names")))

    def compute(self, parameters, context, feedback, fb):
        out = self.parameterAsOutputLayer(parameters, P.OUTPUT, context)
        if os.path.splitext(out)[1].lower() not in (".tif", ".tiff"):
            raise QgsProcessingException(self.tr("The aligned stack is written as GeoTIFF: "
                                                 "give an output file ending in .tif [OUTPUT]."))
        with self.factor_stack(parameters, context) as stack:
            names = stack.names
            feedback.pushInfo(f"Aligning {len(names)} factor(s) to a {stack.grid.xsize} x "
                              f"{stack.grid.ysize} grid: {', '.join(names)}")
            own, combined = write_stack(stack, out, fb)
        total = stack.grid.xsize * stack.grid.ysize
        for n, v in zip(names, own):
            feedback.pushInfo(f"  {n}: {int(v)} valid pixels")
        feedback.pushInfo(f"Pixels valid in every factor: {combined} of {total} "
                          f"({100.0 * combined / total:.1f} %)")
        attach_style(context, out, raster_pseudocolor(1), "raster",
                     name=self.tr("Aligned factors"))
        return {P.OUTPUT: out, P.FACTOR_NAMES: ",".join(names)}
