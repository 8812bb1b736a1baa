"""hazard:frequencyratio: paper 001's frequency-ratio table, and the FR-index raster."""
import numpy as np
from qgis.core import (QgsProcessingParameterFeatureSource, QgsProcessingParameterFileDestination,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterDestination,
                       QgsProcessingParameterString)

from ...core.susceptibility.evaluation import codes, frequency_ratio_table
from ...core.io.raster import AtomicOutput, RasterWriter
from ...core.util.report import HtmlReport, write_csv
from .. import compat
from ..base import HazardAlgorithm
from ..report_common import hazard_xy
from ..styles import attach_style, raster_pseudocolor

COLS = ["factor", "class", "pixels", "hazards", "area_pct", "hazard_pct", "FR", "RF", "max_FR"]


class FrequencyRatio(HazardAlgorithm):
    NAME = "frequencyratio"
    DISPLAY = "Frequency ratio report"
    GROUP = "reports"
    REQUIRES = ("kmeans1d",)
    HELP = (
        "The frequency-ratio table of paper 001 (Li & Tian 2025, table 2) for any set of "
        "factors: continuous factors in natural-breaks classes (5 by default, from a seeded "
        "sample of 100,000 pixels), categorical factors one class per value, aspect factors "
        "(named in the parameter) in 8 compass sectors. Per class: pixels, hazards, % of area "
        "E, % of hazards F, FR = F / E, RF = FR / &Sigma;FR of the factor (%), and the factor's "
        "maximum FR.<br>Outputs: HTML and CSV; optionally the FR-index raster, the sum over "
        "factors of the FR of each pixel's class.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            "HAZARDS", self.tr("Hazard inventory (points or polygons)"),
            [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON]))
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterNumber(
            "CLASSES", self.tr("Classes of continuous factors"), compat.NUMBER_INTEGER, 5,
            minValue=2, maxValue=20))
        self.addParameter(QgsProcessingParameterString(
            "ASPECT", self.tr("Aspect factors (names, comma-separated)"), "aspect",
            optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", self.tr("Random seed"), compat.NUMBER_INTEGER, 42, minValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Frequency ratio report"), self.tr("HTML files (*.html)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_CSV", self.tr("Frequency ratio table (CSV)"), self.tr("CSV files (*.csv)"),
            optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_INDEX", self.tr("FR index"), optional=True, createByDefault=False))

    def compute(self, parameters, context, feedback, fb):
        aspect = [a.strip() for a in (self.parameterAsString(parameters, "ASPECT", context)
                                      or "").split(",") if a.strip()]
        seed = self.parameterAsInt(parameters, "SEED", context)
        index = self.parameterAsOutputLayer(parameters, "OUTPUT_INDEX", context)
        with self.factor_stack(parameters, context) as stack:
            xy = hazard_xy(self, parameters, "HAZARDS", context, stack, feedback)
            rows, plan = frequency_ratio_table(
                stack, xy, self.parameterAsInt(parameters, "CLASSES", context), aspect,
                fb.sub(0, 0.8 if index else 1.0), seed=seed)
            if index:
                lookup = {}
                for r in rows:
                    lookup.setdefault(r["factor"], []).append(r["FR"])
                with AtomicOutput(index) as tmp:
                    w = RasterWriter(tmp, stack.grid, ["fr_index"])
                    try:
                        for win in stack.windows():
                            fb.check()
                            d = stack.read(win)
                            ok = ~np.isnan(d[0])
                            out = np.full(ok.shape, np.nan, np.float32)
                            tot = np.zeros(int(ok.sum()))
                            for j, name in enumerate(stack.names):
                                tot += np.asarray(lookup[name])[codes(plan[name], d[j][ok])]
                            out[ok] = tot
                            w.write(win, out)
                    finally:
                        w.close()
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        rep = HtmlReport("Frequency ratio")
        rep.paragraph(f"{len(xy[0])} hazard samples. FR = %hazard / %area; RF = FR / sum of FR "
                      f"over the factor's classes (%). Method: paper 001, table 2.", note=True)
        rep.table(rows, COLS, left=("factor", "class"))
        rep.write(html)
        out = {"OUTPUT_HTML": html}
        csv = self.parameterAsFileOutput(parameters, "OUTPUT_CSV", context)
        if csv:
            out["OUTPUT_CSV"] = write_csv(csv, rows, COLS)
        if index:
            attach_style(context, index, raster_pseudocolor(1, "Reds"), "raster",
                         self.tr("FR index"))
            out["OUTPUT_INDEX"] = index
        return out
