"""hazard:applicability: model file + factor rasters (or slope units) -> dissimilarity index,
area of applicability, report."""
import os

import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingOutputNumber,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFile,
                       QgsProcessingParameterRasterDestination)

from ...core.susceptibility import applicability as aoa
from ...core.susceptibility import estimators as models
from ...core.susceptibility.report import applicability_report
from .. import compat
from ..base import HazardAlgorithm
from ..vector_io import write_with_columns
from .apply import add_model_inputs, model_units
from ..styles import attach_style, categorized, critical_value, paletted
from .. import params as P


def aoa_mask():
    """The AOA mask: inside light green, outside dark grey (the model extrapolates)."""
    return paletted([(aoa.INSIDE, "#a1d99b", "inside: like the training data"),
                     (aoa.OUTSIDE, "#525252", "outside: the model extrapolates")])


def di_style(threshold):
    """DI: light up to the threshold, dark beyond it, the threshold in the legend."""
    return critical_value(threshold, below="like the training data",
                          above="outside the area of applicability")


class Applicability(HazardAlgorithm):
    NAME = "applicability"
    DISPLAY = "Area of applicability"
    GROUP = "mapping"
    REQUIRES = ("sklearn", "scipy", "matplotlib")
    TAGS = ("area of applicability,aoa,dissimilarity index,extrapolation,trust,uncertainty,"
            "meyer,pebesma,cast,domain of applicability")
    HELP = (
        "Where a susceptibility model can be trusted (Meyer &amp; Pebesma 2021, the method of "
        "R's CAST package): the <b>dissimilarity index</b> (DI) of every pixel (or slope unit) "
        "to the model's training samples, and the <b>area of applicability</b> (AOA), where "
        "the DI does not exceed what the cross-validation has seen.<br><br>"
        "The factors are standardised with the training samples' mean and standard deviation "
        "and weighted by the model's importance of each; DI = distance to the nearest training "
        "sample / mean distance between training samples (0 on a training sample). The "
        "threshold is the upper whisker (75th percentile + 1.5 IQR, as R's boxplot.stats) of "
        "the training samples' own DI, each measured to the nearest sample outside its "
        "cross-validation fold: the model's spatial (or zone) k-fold when it was validated so, "
        "else spatial blocks (block size and folds of its training), else random folds. "
        "Outside the AOA the factors combine in ways the samples never showed and the model "
        "extrapolates: its probabilities there are unsupported, whatever its AUC.<br><br>"
        "Give the model file of 'Train susceptibility model' (this version keeps the training "
        "samples' factor values in it) and the factor rasters (matched by name, as 'Apply "
        "susceptibility model' does), or the slope-unit layer for a model trained on feature "
        "fields, or of 'Train Hierarchical Neural Network' (.hnn: its training units, every "
        "feature weighing the same, since a network has no importance of its own; random "
        "folds). Nearest neighbours come from a k-d tree, block by block on parallel tiles: "
        "memory stays bounded whatever the raster size.<br>"
        "<b>Outputs</b>: the DI raster (light up to the threshold, dark beyond), the AOA mask "
        "(1 inside, 0 outside), or the slope units with fields di and aoa, and an HTML report "
        "(share outside, the DI of the map against the training samples', the weights). Give "
        "the mask to 'Evaluate susceptibility map' to see every metric inside and outside.")

    def initAlgorithm(self, config=None):
        add_model_inputs(self, QgsProcessingParameterFile(
            P.MODEL, self.tr("Model file (.hsm, or .hnn for slope units)"),
            fileFilter=self.tr("Model files (*.hsm *.hnn)")))
        self.add_parallel_parameters()
        self.add_seed_parameter()
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_DI, self.tr("Dissimilarity index"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_AOA, self.tr("Area of applicability (1 inside, 0 outside)"),
            optional=True))
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT_UNITS, self.tr("Slope units with DI and AOA"), compat.TYPE_VECTOR_POLYGON,
            optional=True, createByDefault=False))
        self.add_report_outputs("Applicability report", optional=True)
        self.addOutput(QgsProcessingOutputNumber(P.THRESHOLD_USED,
                                                 self.tr("DI threshold of the AOA")))
        self.addOutput(QgsProcessingOutputNumber(P.OUTSIDE_SHARE,
                                                 self.tr("Share outside the AOA (%)")))

    def compute(self, parameters, context, feedback, fb):
        path = self.parameterAsFile(parameters, P.MODEL, context)
        if path.lower().endswith(".hnn"):
            from ...core.hnn.modelfile import applicability_rows
            man, rows = applicability_rows(path)
            columns, names, encode = man.features, man.features, (lambda X: X)
        else:
            _, man, extras = models.load_model(path, extras=True)
            rows, enc = extras.aoa, man.encoding
            columns, names, encode = enc.columns, enc.names, enc.transform
        if rows is None:
            raise QgsProcessingException(
                f"The model file '{os.path.basename(path)}' keeps no training samples, so its "
                f"area of applicability cannot be measured (it was written by an earlier "
                f"version of the plugin): train it again [MODEL].")
        seed = self.seed(parameters, context)
        app = aoa.from_model(rows, columns, seed, fb.check)
        feedback.pushInfo(f"{len(app.train)} training rows, {app.folds_how}; d̄ "
                          f"{app.d_bar:.4f}; threshold {app.threshold:.4f}")
        if getattr(man, "mode", "fields") == "fields":
            out, res = self._units(parameters, context, feedback, app, names, encode)
        else:
            out, res = self._rasters(parameters, context, feedback, fb, app, man)
        share = 100.0 * res.outside / max(1, res.inside + res.outside)
        feedback.pushInfo(f"Outside the area of applicability: {share:.1f} % "
                          f"({res.outside:,} of {res.inside + res.outside:,})")
        out.update(self.optional_report(parameters, context, applicability_report, app, res,
                                        os.path.basename(path),
                                        units=getattr(man, "mode", "fields") == "fields"))
        out.update({P.THRESHOLD_USED: app.threshold, P.OUTSIDE_SHARE: share})
        return out

    def _rasters(self, parameters, context, feedback, fb, app, man):
        bands = self.factor_bands(parameters, context)
        di = self.parameterAsOutputLayer(parameters, P.OUTPUT_DI, context)
        mask = self.parameterAsOutputLayer(parameters, P.OUTPUT_AOA, context)
        if not di:
            raise QgsProcessingException("Give the dissimilarity-index output [OUTPUT_DI].")
        res = aoa.applicability_map(app, man, bands, di, mask or None,
                                    *self.parallel(parameters, context), fb, feedback.pushInfo,
                                    seed=self.seed(parameters, context))
        attach_style(context, di, di_style(app.threshold), "raster",
                     self.tr("Dissimilarity index"), role="support", order=1)
        out = {P.OUTPUT_DI: di}
        if mask:
            attach_style(context, mask, aoa_mask(), "raster", self.tr("Area of applicability"),
                         role="support")
            out[P.OUTPUT_AOA] = mask
        return out, res

    def _units(self, parameters, context, feedback, app, names, encode):
        src, feats, X = model_units(self, parameters, context, names)
        cols = aoa.unit_fields(app, encode(X))
        d, inside = cols["di"], cols["aoa"]
        dest = write_with_columns(self, parameters, context, P.OUTPUT_UNITS, src, feats, cols,
                                  ints=("aoa",))
        attach_style(context, dest, categorized("aoa", [
            (aoa.INSIDE, "#a1d99b", "inside: like the training data"),
            (aoa.OUTSIDE, "#525252", "outside: the model extrapolates")]), "vector",
            self.tr("Slope units: area of applicability"), role="support")
        if np.isnan(d).any():
            feedback.pushWarning(f"{int(np.isnan(d).sum())} unit(s) lack a feature value: NULL "
                                 f"DI and AOA.")
        ok = ~np.isnan(d)
        res = aoa.AoaResult(int(ok.sum()), int((inside == 1).sum()), int((inside == 0).sum()),
                            d[ok])
        return {P.OUTPUT_UNITS: dest}, res
