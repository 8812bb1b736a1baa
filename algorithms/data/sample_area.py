"""hazard:createsamplearea: write the seeded synthetic study area."""
import glob
import os

from qgis.core import (QgsProcessingContext, QgsProcessingException, QgsProcessingOutputFile,
                       QgsProcessingOutputMultipleLayers, QgsProcessingOutputRasterLayer,
                       QgsProcessingOutputVectorLayer, QgsProcessingParameterFolderDestination)

from ...core.io.synthetic import FACTORS, generate_study_area
from ..base import HazardAlgorithm
from ..styles import attach_style, categorized, raster_pseudocolor, single_symbol
from .. import params as P


class CreateSampleArea(HazardAlgorithm):
    NAME = "createsamplearea"
    DISPLAY = "Create sample study area"
    GROUP = "data"
    HELP = (
        "Writes a synthetic but realistic study area whose true hazard processes are known, to "
        "learn the plugin and to test workflows: about 600 x 600 pixels at 30 m in UTM 17S.<br>"
        "<b>Output folder</b>: dem.tif; factors/ with elevation, slope, aspect, plan and profile "
        "curvature, TWI, distance to rivers, NDVI, lithology (categorical), rainfall (on a "
        "geographic WGS 84 grid), PGA (on a 120 m grid) and a pure-noise factor; "
        "landslides.gpkg (polygons with heavy-tailed areas from a known logistic process); "
        "floods.gpkg (points in low flat land near rivers from a second process); zones.gpkg "
        "and zones.tif (four contextual zones); slope_units.gpkg (a few thousand half-basins "
        "bounded by ridges and channels); truth.json (the coefficients, the factors that "
        "matter and the noise factors).<br>The same seed gives byte-identical files.")

    def initAlgorithm(self, config=None):
        self.add_seed_parameter()
        self.add_number(P.SIZE, "Size (pixels per side)", 600, minValue=100, maxValue=4000,
                        integer=True)
        self.addParameter(QgsProcessingParameterFolderDestination(
            P.OUTPUT_FOLDER, self.tr("Output folder")))
        self.addOutput(QgsProcessingOutputRasterLayer(P.DEM, self.tr(P.DEM)))
        self.addOutput(QgsProcessingOutputMultipleLayers(P.FACTORS, self.tr("Factor rasters")))
        self.addOutput(QgsProcessingOutputVectorLayer(P.LANDSLIDES, self.tr("Landslides")))
        self.addOutput(QgsProcessingOutputVectorLayer(P.FLOODS, self.tr("Flood points")))
        self.addOutput(QgsProcessingOutputVectorLayer(P.ZONES, self.tr("Contextual zones")))
        self.addOutput(QgsProcessingOutputVectorLayer(P.SLOPE_UNITS, self.tr("Slope units")))
        self.addOutput(QgsProcessingOutputFile(P.TRUTH, self.tr("True processes (JSON)")))

    def compute(self, parameters, context, feedback, fb):
        folder = self.parameterAsString(parameters, P.OUTPUT_FOLDER, context)
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise QgsProcessingException(f"'{folder}' is a file, not a folder [OUTPUT_FOLDER].")
        seed = self.seed(parameters, context)
        size = self.parameterAsInt(parameters, P.SIZE, context)
        truth = generate_study_area(folder, seed, size, fb)
        feedback.pushInfo(f"{truth['landslide']['n_polygons']} landslides, "
                          f"{truth['flood']['n_points']} flood points, "
                          f"{truth['n_slope_units']} slope units written to {folder}")
        out = {
            P.OUTPUT_FOLDER: folder,
            P.DEM: os.path.join(folder, "dem.tif"),
            P.FACTORS: [os.path.join(folder, "factors", f"{n}.tif") for n in FACTORS],
            P.LANDSLIDES: os.path.join(folder, "landslides.gpkg"),
            P.FLOODS: os.path.join(folder, "floods.gpkg"),
            P.ZONES: os.path.join(folder, "zones.gpkg"),
            P.SLOPE_UNITS: os.path.join(folder, "slope_units.gpkg"),
            P.TRUTH: os.path.join(folder, "truth.json"),
        }
        styles = [(P.DEM, raster_pseudocolor(1, "Greys"), "raster", "Sample DEM"),
                  (P.ZONES, categorized("zone", [
                      (k, c, f"zone {k}") for k, c in
                      enumerate(("#66c2a5", "#fc8d62", "#8da0cb", "#e78ac3"), 1)]),
                   "vector", "Sample zones"),
                  (P.SLOPE_UNITS, single_symbol("#00000000"), "vector", "Sample slope units"),
                  (P.LANDSLIDES, single_symbol("#d7301f"), "vector", "Sample landslides"),
                  (P.FLOODS, single_symbol("#2c7bb6", "marker"), "vector", "Sample floods")]
        for key, style, kind, name in styles:
            context.addLayerToLoadOnCompletion(
                out[key], QgsProcessingContext.LayerDetails(name, context.project(), key))
            attach_style(context, out[key], style, kind, name)
        for leftover in glob.glob(os.path.join(folder, "*.aux.xml")):
            os.remove(leftover)
        return out
