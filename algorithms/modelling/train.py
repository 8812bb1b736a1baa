"""hazard:trainmodel: labelled samples + factors -> model file, report, metrics."""
import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingParameterBoolean, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber)

from ...core.io.raster import sample_at
from ...core.susceptibility import holdout, models
from ...core.susceptibility.report import training_report
from ...core.susceptibility.training import (METRIC_COLS, add_independent, describe_optimism,
                                             metric_rows, one_per_pixel, predict, save,
                                             separating_check, train)
from ...core.io.zonal import geometries_from_wkb, point_coordinates
from .. import compat
from ..vector_io import numbers, surface_points
from ..base import HazardAlgorithm, source_geometries
from ..report_common import add_independent_parameters, independent_xy
from .. import params as P

MODELS = list(models.NAMES)  # the 'Model' enum: the registry's order, a new kind last
TREE_KINDS = [k for k in models.KINDS if k.trees]
VALIDATIONS = ["random", "field", "blocks", "zones", "none"]


class TrainModel(HazardAlgorithm):
    NAME = "trainmodel"
    DISPLAY = "Train susceptibility model"
    GROUP = "modelling"
    REQUIRES = ("sklearn", "matplotlib")
    ADVANCED = (P.FOLD_MODELS,)
    HELP = (
        "Trains a susceptibility model on labelled samples (label 1 presence, 0 absence, e.g. "
        "from this plugin's samplers) and factor rasters, or on a slope-unit layer's feature "
        "fields.<br><br>"
        "<b>Models</b>: " + "; ".join(k.help for k in models.KINDS) + ". Categorical factors "
        "are one-hot encoded.<br>"
        "<b>Validation</b>: stratified random split (test share, default 0.3), an existing split "
        "field ('train'/'test'), spatial k-fold over square blocks of a given size, or k-fold "
        "over a zone field (spatial folds avoid the optimism of random splits on spatially "
        "autocorrelated samples); with k-fold the final model is fitted on all samples and the "
        "metrics are out-of-fold.<br>"
        "<b>Optimism</b>: when absences come from a sampler that separates them from the "
        "presences by construction (Mahalanobis, slope threshold, buffer, one-class SVM, "
        "factor threshold: each sampler declares it; read from the 'sampler' field the "
        "samplers write), the log and the report say that the internal "
        "AUC is optimistic and show a spatial k-fold score (block size and folds as set "
        "below) beside it; the calibration section shows the reliability of the held-out "
        "predictions.<br>"
        "<b>Independent inventory</b> (optional): presences the samples did not use (the "
        "held-out part of 'Split inventory', or another inventory), scored by the final model "
        "beside the internal score, against their label 0 when a label field is given, else "
        "against 10 random background pixels per presence (seeded). Points that share a pixel "
        "with a training sample (or, for feature fields, every value with one) are left out "
        "and counted. With feature fields the independent layer needs those fields and a label "
        "field.<br>"
        "<b>Applicability and spread</b>: the model file keeps the factor values of the "
        "samples the final model was fitted on, with a cross-validation fold each (the "
        "k-fold's own; else spatial blocks of the block size, or random folds when the blocks "
        "are too few), for 'Area of applicability'; with XGBoost and the GLM it keeps one "
        "model per fold too (trained on the other folds; a k-fold's own models), whose spread "
        "'Apply susceptibility model' maps as prediction uncertainty (a forest's spread "
        "comes from its trees).<br><br>"
        "<b>Outputs</b>: a model file (.hsm: a zip of plain data, a forest as its trees' node "
        "arrays, the GLM as its coefficients, XGBoost as its own JSON, and a "
        "manifest with the factor names and order, categories, grid and CRS, metrics, "
        "versions, seed and parameters; opening it never runs code), an HTML report "
        "(ROC curves, threshold metrics, confusion matrix, importance, SHAP summary for tree "
        "models) and a CSV of the metrics. The model file holds the samples' factor values "
        "(not their coordinates): share it as you would share them. Same seed, same model.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.SAMPLES, self.tr("Labelled samples (points), or slope units"),
            [compat.TYPE_VECTOR_ANY]))
        # optional only because QGIS 3.22 ignores a field parameter's default when checking it
        self.addParameter(QgsProcessingParameterField(
            P.LABEL_FIELD, self.tr("Label field (1 presence, 0 absence; empty: 'label')"), None,
            P.SAMPLES, optional=True))
        self.add_factor_parameters(optional=True)
        self.addParameter(QgsProcessingParameterField(
            P.FEATURE_FIELDS, self.tr("Feature fields (instead of rasters, e.g. slope units)"),
            parentLayerParameterName=P.SAMPLES, type=compat.FIELD_NUMERIC, allowMultiple=True,
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            P.MODEL, self.tr("Model"), models.titles(), defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            P.TREES, self.tr("Trees (not set: " + ", ".join(
                f"{k.defaults['n_estimators']} for {k.display}" for k in TREE_KINDS) + ")"),
            compat.NUMBER_INTEGER, None, optional=True, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            P.SHAP_SAMPLE, self.tr("Training rows explained by SHAP (a seeded sample; 0: no "
                                   "SHAP)"), compat.NUMBER_INTEGER, 2000, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            P.MAX_DEPTH, self.tr("Maximum depth (not set: " + ", ".join(
                f"{k.defaults['max_depth'] or 'unlimited'} for {k.display}"
                for k in TREE_KINDS) + ")"),
            compat.NUMBER_INTEGER, None, optional=True, minValue=1))
        self.addParameter(QgsProcessingParameterNumber(
            P.LEARNING_RATE, self.tr("Learning rate (not set: " + ", ".join(
                f"{k.defaults['learning_rate']} for {k.display}" for k in models.KINDS
                if "learning_rate" in k.defaults) + ")"),
            compat.NUMBER_DOUBLE, None, optional=True, minValue=1e-6, maxValue=1.0))
        self.addParameter(QgsProcessingParameterEnum(
            P.VALIDATION, self.tr("Validation"),
            ["Stratified random split", "Split field", "Spatial k-fold (square blocks)",
             "Spatial k-fold (zone field)", "None (training metrics only)"], defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            P.TEST_SHARE, self.tr("Test share (random split)"), compat.NUMBER_DOUBLE, 0.3,
            minValue=0.05, maxValue=0.9))
        self.addParameter(QgsProcessingParameterField(
            P.SPLIT_FIELD, self.tr("Split field ('train'/'test', for the split by field; "
                                   "empty: 'split')"), None, P.SAMPLES, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            P.BLOCK_SIZE, self.tr("Block size (map units, spatial k-fold)"), compat.NUMBER_DOUBLE,
            2000.0, minValue=1.0))
        self.addParameter(QgsProcessingParameterField(
            P.ZONE_FIELD, self.tr("Zone field (spatial k-fold)"),
            parentLayerParameterName=P.SAMPLES, optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            P.FOLDS, self.tr("Folds"), compat.NUMBER_INTEGER, 5, minValue=2))
        self.addParameter(QgsProcessingParameterBoolean(
            P.FOLD_MODELS, self.tr("Keep one model per fold (" + ", ".join(
                k.display for k in models.KINDS if not k.spread_of_trees) + ": the prediction "
                "spread of 'Apply susceptibility model')"), True))
        add_independent_parameters(self)
        self.add_seed_parameter()
        self.addParameter(QgsProcessingParameterFileDestination(
            P.OUTPUT_MODEL, self.tr("Model file"), self.tr("Susceptibility model (*.hsm)")))
        self.add_report_outputs("Report", "Metrics (CSV)")

    def compute(self, parameters, context, feedback, fb):
        src = self.parameterAsSource(parameters, P.SAMPLES, context)
        if src is None or src.featureCount() == 0:
            raise QgsProcessingException("The sample layer is empty or could not be opened "
                                         "[SAMPLES].")
        label_field = self.parameterAsString(parameters, P.LABEL_FIELD, context) or "label"
        if src.fields().indexOf(label_field) < 0:
            raise QgsProcessingException(f"The sample layer has no field '{label_field}': choose "
                                         f"the field holding 1 (presence) and 0 (absence) "
                                         f"[LABEL_FIELD].")
        kind = MODELS[self.parameterAsEnum(parameters, P.MODEL, context)]
        seed = self.seed(parameters, context)

        def given(key, read):  # an optional number: None when not set
            return read(parameters, key, context) if parameters.get(key) not in (None, "") \
                else None
        params = {"n_estimators": given(P.TREES, self.parameterAsInt),
                  "max_depth": given(P.MAX_DEPTH, self.parameterAsInt),
                  "learning_rate": given(P.LEARNING_RATE, self.parameterAsDouble)}
        params = models.get(kind).own(params)  # the values set that this kind has
        feature_fields = compat.parameter_as_fields(self, parameters, P.FEATURE_FIELDS,
                                                    context) or []
        feats = list(src.getFeatures())
        y = numbers(feats, [label_field])[:, 0]
        if not np.isfinite(y).all():
            raise QgsProcessingException(f"Field '{label_field}' holds NULL or text labels: "
                                         f"give 1 (presence) or 0 (absence) [LABEL_FIELD].")
        X, y, xy, names, categorical, crs, extra, keep = self._rows(
            parameters, context, src, feats, y, feature_fields, feedback, fb)
        validation = self._validation(parameters, context, feats, keep, src)
        folds = max(2, self.parameterAsInt(parameters, P.FOLDS, context))
        block = self.parameterAsDouble(parameters, P.BLOCK_SIZE, context)
        res = train(X, y, names, categorical, kind, params, validation, seed,
                    coords=(xy[:, 0], xy[:, 1]), feedback=fb.sub(0.1, 0.8),
                    shap_sample=self.parameterAsInt(parameters, P.SHAP_SAMPLE, context),
                    aoa_folds=(folds, None if feature_fields else block),
                    fold_models=self.parameterAsBool(parameters, P.FOLD_MODELS, context))
        if src.fields().indexOf("sampler") >= 0:
            samp = np.array([str(f["sampler"]) for f in feats])[keep]
            res.optimism = separating_check(
                samp[y == 0], X, y, names, categorical, kind, params, (xy[:, 0], xy[:, 1]),
                seed, block, folds, feedback=fb.sub(0.8, 0.9),
                spatial=res.test_metrics if validation["method"] == "blocks" else None)
        if self.parameterAsSource(parameters, P.INDEPENDENT, context) is not None:
            ind = (self._independent_fields(parameters, context, res, X, feature_fields)
                   if feature_fields else
                   self._independent_rasters(parameters, context, feedback, fb, res, xy, seed))
            add_independent(res, ind)
            gone = "; ".join(f"{v} {k}" for k, v in ind.left_out.items() if v)
            if gone:
                feedback.pushWarning(f"Independent inventory: left out {gone}.")
        return self._outputs(parameters, context, feedback, res, kind, crs, label_field,
                             len(y), extra)

    def _rows(self, parameters, context, src, feats, y, feature_fields, feedback, fb):
        """(X, y, xy, names, categorical, crs, extra, kept features): the feature fields of
        the samples, or the factors at them (samples off the rasters, on nodata, or repeating
        another of their label in one pixel left out, with a warning)."""
        if feature_fields:
            return (numbers(feats, feature_fields), y, np.column_stack(surface_points(feats)),
                    list(feature_fields), [False] * len(feature_fields), src.sourceCrs(), {},
                    np.ones(len(feats), bool))
        X, xy, names, categorical, crs, extra = self._at_rasters(parameters, context, src,
                                                                 feedback, fb)
        keep = np.isfinite(X).all(axis=1)
        if not keep.all():
            feedback.pushWarning(f"{int((~keep).sum())} sample(s) outside the rasters or on "
                                 f"nodata were left out.")
        first, mixed = one_per_pixel(extra["grid"], xy[:, 0], xy[:, 1], y)
        if not first[keep].all():
            feedback.pushWarning(
                f"{int((keep & ~first).sum())} sample(s) repeat another sample of the same "
                f"label in the same pixel and were merged into it before the split (they "
                f"would be in training and test at once and flatter the test scores).")
        if mixed:
            feedback.pushWarning(f"{mixed} pixel(s) hold both a presence and an absence.")
        keep &= first
        return X[keep], y[keep], xy[keep], names, categorical, crs, extra, keep

    def _outputs(self, parameters, context, feedback, res, kind, crs, label_field, n, extra):
        """The model file, the report and the optional CSV; the scores in the log."""
        if res.optimism:
            m0 = res.test_metrics or res.train_metrics
            feedback.pushWarning(describe_optimism(res.optimism, m0["AUC"], res.independent))
        model_path = self.parameterAsFileOutput(parameters, P.OUTPUT_MODEL, context)
        save(res, model_path, crs_authid=crs.authid(), label_field=label_field,
             n_samples=int(n), **extra)
        html = self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context)
        training_report(res, html, f"Susceptibility model ({kind})")
        out = {P.OUTPUT_MODEL: model_path, P.OUTPUT_HTML: html}
        out.update(self.optional_csv(parameters, context, metric_rows(res),
                                     METRIC_COLS + ["TP", "FP", "TN", "FN"]))
        m = res.test_metrics or res.train_metrics
        feedback.pushInfo(f"{kind}: AUC {m['AUC']:.3f}, kappa {m['kappa']:.3f} "
                          f"({'test' if res.test_metrics else 'train'})")
        if res.independent is not None:
            mi = res.independent.metrics
            feedback.pushInfo(f"{kind}: AUC {mi['AUC']:.3f}, kappa {mi['kappa']:.3f} "
                              f"(independent inventory: {mi['presences']} presences, "
                              f"{mi['n'] - mi['presences']} absences)")
        return out

    def _independent_rasters(self, parameters, context, feedback, fb, res, xy, seed):
        """The final model scored at the independent inventory on the factor stack; points in
        a pixel of a training sample are left out."""
        with self.factor_stack(parameters, context) as stack:
            pres, absn, how = independent_xy(self, parameters, context, stack, feedback, seed,
                                             (xy[:, 0], xy[:, 1]), fb.sub(0.9, 0.93))
            Xi, yi, gone = holdout.sample_independent(stack, xy[:, 0], xy[:, 1], pres, absn,
                                                      feedback=fb.sub(0.93, 0.96))
        p = predict(res, Xi)
        return holdout.score(p[yi == 1], p[yi == 0], how, gone)

    def _independent_fields(self, parameters, context, res, X, feature_fields):
        """The final model scored on the rows of the independent layer (its feature fields and
        label field); rows equal to a training row are left out."""
        src = self.parameterAsSource(parameters, P.INDEPENDENT, context)
        label = self.parameterAsString(parameters, P.INDEPENDENT_LABEL_FIELD, context)
        missing = [n for n in feature_fields if src.fields().indexOf(n) < 0]
        if not label or src.fields().indexOf(label) < 0 or missing:
            raise QgsProcessingException(
                "With feature fields, the independent layer needs the same fields "
                f"({', '.join(missing) or 'present'}) and a label field (1 presence, 0 "
                "absence) [INDEPENDENT_LABEL_FIELD].")
        feats = list(src.getFeatures())
        Xi = numbers(feats, feature_fields)
        yi = numbers(feats, [label])[:, 0]
        same = holdout.same_rows(X, Xi)
        p = np.full(len(Xi), np.nan)
        ok = np.isfinite(Xi).all(axis=1) & ~same
        if ok.any():
            p[ok] = predict(res, Xi[ok])
        other = ~np.isin(yi, (0, 1))
        return holdout.score(p[(yi == 1) & ~same], p[(yi == 0) & ~same],
                             f"label 1 and 0 of '{label}'",
                             {"equal in every feature field to a training sample":
                              int(same.sum()),
                              f"with a '{label}' other than 1 or 0": int((other & ~same).sum())})

    def _at_rasters(self, parameters, context, src, feedback, fb):
        """Factor values at the samples (polygons: their centroids) on the factor stack."""
        with self.factor_stack(parameters, context) as stack:
            crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
            wkbs, _ = source_geometries(src, P.SAMPLES, crs, context, feedback)
            xy = point_coordinates(geometries_from_wkb(wkbs), centroids=True)
            X = sample_at(stack, xy[:, 0], xy[:, 1], fb.sub(0, 0.1))
            extra = dict(grid=stack.grid, resampling=stack.resampling)
            return X, xy, stack.names, stack.categorical, crs, extra

    def _validation(self, parameters, context, feats, keep, src):
        method = VALIDATIONS[self.parameterAsEnum(parameters, P.VALIDATION, context)]
        if method == "random":
            return {"method": "random",
                    "test_share": self.parameterAsDouble(parameters, P.TEST_SHARE, context)}
        if method == "field":
            name = self.parameterAsString(parameters, P.SPLIT_FIELD, context) or "split"
            if not name or src.fields().indexOf(name) < 0:
                raise QgsProcessingException("Choose the split field holding 'train'/'test' "
                                             "[SPLIT_FIELD].")
            return {"method": "mask", "field": name,
                    "test": np.array([str(f[name]).lower() == "test" for f in feats])[keep]}
        if method == "blocks":
            return {"method": "blocks",
                    "size": self.parameterAsDouble(parameters, P.BLOCK_SIZE, context),
                    "k": self.parameterAsInt(parameters, P.FOLDS, context)}
        if method == "zones":
            name = self.parameterAsString(parameters, P.ZONE_FIELD, context)
            if not name:
                raise QgsProcessingException("Choose the zone field [ZONE_FIELD].")
            return {"method": "groups", "field": name,
                    "groups": np.array([str(f[name]) for f in feats])[keep],
                    "k": self.parameterAsInt(parameters, P.FOLDS, context)}
        return {"method": "none"}
