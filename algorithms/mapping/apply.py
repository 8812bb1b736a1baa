"""hazard:applymodel: model file + factor rasters (or slope units) -> susceptibility."""

import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingOutputNumber,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterFile, QgsProcessingParameterRasterDestination)

from ...core.susceptibility import estimators as models
from ...core.susceptibility.apply import map_model, spread_function
from .. import compat
from ..vector_io import numbers, write_with_columns
from ..base import HazardAlgorithm
from ..styles import (attach_style, probability, probability_field, sequential,
                      susceptibility_classes)
from .. import params as P


def add_model_inputs(alg, model):
    """A model file parameter, then the factor rasters (continuous, categorical) and the
    slope units a model of feature fields is applied to."""
    alg.addParameter(model)
    alg.add_factor_parameters(optional=True, grid=False)  # on the model's grid
    alg.addParameter(QgsProcessingParameterFeatureSource(
        P.UNITS, alg.tr("Slope units (for a model trained on feature fields)"),
        [compat.TYPE_VECTOR_POLYGON], optional=True))


def model_units(alg, parameters, context, names):
    """(source, features, values of the fields ``names``) of the slope units UNITS a model of
    feature fields is applied to."""
    src = alg.parameterAsSource(parameters, P.UNITS, context)
    if src is None:
        raise QgsProcessingException("This model was trained on feature fields: give the "
                                     "slope-unit layer [UNITS].")
    missing = [n for n in names if src.fields().indexOf(n) < 0]
    if missing:
        raise QgsProcessingException(f"The slope-unit layer lacks the model's feature "
                                     f"field(s) {', '.join(missing)} [UNITS].")
    feats = list(src.getFeatures())
    return src, feats, numbers(feats, names)


class ApplyModel(HazardAlgorithm):
    NAME = "applymodel"
    DISPLAY = "Apply susceptibility model"
    GROUP = "mapping"
    REQUIRES = ("sklearn", "kmeans1d")
    HELP = (
        "Applies a model file from 'Train susceptibility model'.<br><br>"
        "<b>Rasters</b>: the factor rasters are matched to the model's factors by name (layer "
        "names or band descriptions); a missing factor is an error that lists it. The "
        "probability of every valid pixel is written block by block (memory stays bounded), "
        "predicted in parallel on local threads (default: one per CPU; the blocks are read "
        "and written in order by two threads of their own), or on an "
        "existing Dask cluster given its scheduler address (e.g. tcp://host:8786; the workers "
        "need scikit-learn and xgboost, not this plugin). The result does not depend on the "
        "number of workers. A 5-class natural-breaks raster follows (Fisher-Jenks on a seeded "
        "sample of 1,000,000 values by default, GVF in the log), labelled very low .. very "
        "high.<br>"
        "<b>Factors checked</b>: each factor's values at a seeded sample of the rasters are "
        "compared with the model's training rows (range, 5-95 % spread, Kolmogorov-Smirnov "
        "statistic): a raster given under another factor's name or in other units (percent "
        "for degrees, feet for metres) is refused, naming it; a doubtful one is warned "
        "about.<br>"
        "<b>Prediction uncertainty</b> (optional output): the standard deviation of the "
        "probabilities of the random forest's trees, or of the XGBoost or GLM models of the "
        "cross-validation folds kept in the model file ('Keep one model per fold' of 'Train "
        "susceptibility model'), in the same pass as the probability. High where the "
        "ensemble disagrees; it says nothing of where the factors leave the training data "
        "(see 'Area of applicability').<br>"
        "<b>Slope units</b>: with a model trained on feature fields, give the slope-unit layer "
        "instead: the output is that layer with a probability field, a spread field when the "
        "model has a spread, and di and aoa fields (dissimilarity index, 1 inside / 0 outside "
        "the area of applicability) when the model file keeps its training rows.")

    def initAlgorithm(self, config=None):
        add_model_inputs(self, QgsProcessingParameterFile(
            P.MODEL, self.tr("Model file (.hsm)"), extension="hsm"))
        self.add_parallel_parameters()
        self.add_break_sample_parameter()
        self.add_seed_parameter()
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT, self.tr("Susceptibility (probability)"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_CLASSES, self.tr("Susceptibility classes"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_UNCERTAINTY, self.tr("Prediction uncertainty (spread of trees or fold "
                                          "models)"), optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFeatureSink(
            P.OUTPUT_UNITS, self.tr("Slope units with probability"), compat.TYPE_VECTOR_POLYGON,
            optional=True, createByDefault=False))
        self.addOutput(QgsProcessingOutputNumber(P.GVF, self.tr("GVF of the class breaks")))

    def compute(self, parameters, context, feedback, fb):
        path = self.parameterAsFile(parameters, P.MODEL, context)
        est, man, extras = models.load_model(path, extras=True)
        spread = spread_function(est, man.kind, extras.fold_models)
        if man.mode == "fields":
            app = None
            if extras.aoa is not None:
                from ...core.susceptibility.applicability import from_model
                app = from_model(extras.aoa, man.encoding.columns,
                                 self.seed(parameters, context), fb.check)
            return self._units(parameters, context, feedback, est, man.encoding, spread, app,
                               extras.aoa[0] if extras.aoa is not None else None)
        bands = self.factor_bands(parameters, context)
        from ...core.susceptibility.factor_fit import check_raster_model
        check_raster_model(man, extras.aoa, bands, self.seed(parameters, context),
                           feedback.pushInfo, feedback.pushWarning)  # names a misfit factor
        out = self.parameterAsOutputLayer(parameters, P.OUTPUT, context)
        out_cls = self.parameterAsOutputLayer(parameters, P.OUTPUT_CLASSES, context)
        out_spread = self.parameterAsOutputLayer(parameters, P.OUTPUT_UNCERTAINTY, context)
        if not out:
            raise QgsProcessingException("Give the probability raster output [OUTPUT].")
        if out_spread and spread is None:
            raise QgsProcessingException(
                f"The {man.kind} model file keeps no fold models, so its prediction spread "
                f"cannot be mapped: train it again with 'Keep one model per fold' "
                f"(FOLD_MODELS) on, or leave this output out [OUTPUT_UNCERTAINTY].")
        m = map_model(est, man, bands, out, out_cls, *self.parallel(parameters, context),
                      self.parameterAsInt(parameters, P.BREAK_SAMPLE, context),
                      self.seed(parameters, context), fb, feedback.pushInfo,
                      spread if out_spread else None, out_spread or None)
        res = {P.OUTPUT: out}
        attach_style(context, out, probability(), "raster", self.tr("Susceptibility"),
                     order=1)  # under the classes
        if out_spread:
            attach_style(context, out_spread, sequential("models agree", "models disagree"),
                         "raster", self.tr("Prediction uncertainty"), role="support")
            res[P.OUTPUT_UNCERTAINTY] = out_spread
        if out_cls:
            feedback.pushInfo("Class limits: " + ", ".join(f"{v:.4f}" for v in m.limits) +
                              f"; GVF {m.gvf:.3f} on {m.sample_size} sampled values")
            for n, c in zip(m.class_names, m.counts):
                feedback.pushInfo(f"  {n}: {int(c)} pixels ({100.0 * c / m.counts.sum():.1f} %)")
            attach_style(context, out_cls, susceptibility_classes(m.class_names), "raster",
                         self.tr("Susceptibility classes"))
            res.update(OUTPUT_CLASSES=out_cls, GVF=m.gvf)
        return res

    def _units(self, parameters, context, feedback, est, enc, spread=None, app=None, rows=None):
        src, feats, X = model_units(self, parameters, context, enc.names)
        from ...core.susceptibility.factor_fit import check_unit_fields
        check_unit_fields(rows, enc.columns,
                          X, enc.names, self.seed(parameters, context), feedback.pushInfo,
                          feedback.pushWarning)
        ok = np.isfinite(X).all(axis=1)
        p = np.full(len(feats), np.nan)
        sd = np.full(len(feats), np.nan)
        if ok.any():
            p[ok] = est.predict_proba(enc.transform(X[ok]))[:, 1]
            if spread is not None:
                sd[ok] = spread(enc.transform(X[ok]))
        cols = {"probability": p}
        if spread is not None:
            cols["spread"] = sd
        if app is not None:  # the area of applicability, as 'Area of applicability' gives it
            from ...core.susceptibility.applicability import unit_fields
            cols.update(unit_fields(app, enc.transform(X)))
        dest = write_with_columns(self, parameters, context, P.OUTPUT_UNITS, src, feats, cols,
                                  ints=("aoa",))
        if not ok.all():
            feedback.pushWarning(f"{int((~ok).sum())} unit(s) lack a feature value: NULL "
                                 f"probability.")
        attach_style(context, dest, probability_field("probability"), "vector",
                     self.tr("Slope-unit susceptibility"))
        return {P.OUTPUT_UNITS: dest}
