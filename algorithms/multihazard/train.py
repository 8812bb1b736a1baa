"""hazard:trainmultihazard: Late Fusion, Early Fusion and the Mixture of Experts per zone."""
import json

from qgis.core import (QgsProcessingException, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterString)

from ...core.multihazard import jobs
from ...core.util import worker
from ...core.multihazard.report import training_report
from ...core.multihazard.samples import separating_caution
from ...core.multihazard.training import EF_HOLDOUT, METRICS, SHRINK_K, ZONE_MODES
from .. import compat
from ..base import HazardAlgorithm
from .common import read_samples
from .. import params as P


class TrainMultiHazard(HazardAlgorithm):
    NAME = "trainmultihazard"
    DISPLAY = "Train multi-hazard models"
    GROUP = "multihazard"
    REQUIRES = ("tensorflow", "xgboost", "sklearn", "matplotlib")
    HELP = (
        "Trains the FL-MHSM study's model set for flood and landslide, per contextual "
        "zone:<br><b>Late Fusion</b>: one XGBoost classifier per hazard; hyperparameters "
        "(trees, depth, learning rate, subsample, column sample, the regularisation "
        "min_child_weight, gamma and reg_lambda, scale_pos_weight) by randomized search with "
        "3-fold cross-validation (AUC).<br><b>Early Fusion</b>: one network for both hazards: "
        "Gaussian noise 0.01, Dense 256 (GELU in its tanh form, LayerNorm) with a residual 256 "
        "block, 128, 64 (GELU, LayerNorm), dropout 0.1, linear outputs: two means and the "
        "three entries of a Cholesky factor L (diagonal in log space), trained on the "
        "multivariate-Gaussian negative log-likelihood (Adam, batch 256, early stopping on a "
        "seeded tenth of its training rows, which it is then not fitted on; the FL-MHSM study "
        "stopped on the validation split: share 0); probabilities sigmoid(mu) beta-calibrated "
        "per hazard on the validation split. Labels: each sample carries its own hazard's "
        "label; at a presence, the other hazard's label comes from its inventory (1 if one of "
        "its presences is within the co-location radius); at an absence the other hazard is "
        "unknown and is marginalised out of the likelihood (and out of the gate's "
        "loss).<br><b>Mixture of Experts</b>: a gate (Dense 32 ReLU, dropout 0.2, Dense 16 "
        "ReLU, dropout 0.1, softmax) on [p_LF(flood), p_LF(landslide), p_EF(flood), "
        "p_EF(landslide)] weighs the two experts; trained on the validation split's expert "
        "outputs (label smoothing 0.05, up to 200 epochs, early stopping on a fifth of those "
        "rows).<br>Synthetic presences (augmented = 1) are used for training only: any in the "
        "validation or test split are left out (and counted in the report), and they never "
        "count as the other hazard's events; the report's first table says how many real and "
        "synthetic points each split holds.<br>A zone with fewer than the minimum training "
        "presences or absences of a hazard uses the models trained on all zones, and the "
        "report says so.<br><b>Zone models</b>: <i>borrow strength</i> (the default) always "
        "trains the models on all zones too, and each zone's prediction of a hazard leans on "
        "them by its sample size: logit p = w logit p_zone + (1 - w) logit p_all, w = n / (n + "
        "k), n the zone's real training presences of that hazard and k the prior size; a zone "
        "of few samples follows all zones, a well-sampled one its own models. <i>Per zone "
        "(FL-MHSM study)</i> uses each zone's own models only, which tear the map at zone "
        "borders when zones have few samples.<br>Input: the samples of 'Prepare multi-hazard "
        "samples' (hazard, label, zone, split) and optionally the FEATURES of 'Zone-wise "
        "feature selection'.<br><b>Outputs</b>: one model bundle (.mhz: a zip of XGBoost JSON, "
        "the networks' weights as plain arrays and a JSON manifest; the networks are rebuilt "
        "from the plugin's code, so nothing in the file can run code), and a report with the "
        "FL-MHSM study's table 5: AUC, precision, recall, F1 (threshold 0.5), Brier and "
        "accuracy on each zone's test split and macro-averaged over zones, for LF, EF and MoE. "
        "TensorFlow runs in a separate Python process; cancelling stops it.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.SAMPLES, self.tr("Multi-hazard samples (with zone and split)"),
            [compat.TYPE_VECTOR_POINT]))
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterString(
            P.FEATURES, self.tr("Kept factors per zone (JSON from 'Zone-wise feature "
                                "selection'; empty: every factor)"), optional=True))
        for key, text, kind, default, lo in (
                (P.RADIUS, "Co-location radius for the other hazard's label (metres)",
                 compat.NUMBER_DOUBLE, 100.0, 0.0),
                (P.MIN_SAMPLES, "Minimum training presences and absences of a hazard in a zone",
                 compat.NUMBER_INTEGER, 10, 3),
                (P.MIN_VAL, "Minimum validation presences and absences of a hazard in a zone "
                            "(Early Fusion calibration and gate)", compat.NUMBER_INTEGER, 5, 1),
                (P.N_ITER, "Randomized-search candidates (Late Fusion)", compat.NUMBER_INTEGER,
                 10, 1),
                (P.EF_EPOCHS, "Maximum epochs (Early Fusion)", compat.NUMBER_INTEGER, 100, 1),
                (P.GATE_EPOCHS, "Maximum epochs (gate)", compat.NUMBER_INTEGER, 200, 1),
                (P.PATIENCE, "Early-stopping patience (epochs)", compat.NUMBER_INTEGER, 10, 1),
                (P.BATCH, "Batch size", compat.NUMBER_INTEGER, 256, 1)):
            self.addParameter(QgsProcessingParameterNumber(key, self.tr(text), kind, default,
                                                           minValue=lo))
        self.addParameter(QgsProcessingParameterEnum(
            P.ZONE_MODE, self.tr("Zone models"), ["Borrow strength from all zones "
                                                  "(shrinkage by sample size)",
                                                  "Per zone only (FL-MHSM study)"], 0,
            optional=True))  # optional: QGIS 3.22 ignores defaults of mandatory enums
        self.addParameter(QgsProcessingParameterNumber(
            P.SHRINK_K, self.tr("Prior size k of the shrinkage (presences)"),
            compat.NUMBER_DOUBLE, SHRINK_K, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber(
            P.EF_HOLDOUT, self.tr("Share of training rows the Early Fusion network stops on "
                                  "(0: the validation split, FL-MHSM study)"),
            compat.NUMBER_DOUBLE, EF_HOLDOUT, minValue=0.0, maxValue=0.9))
        self.add_seed_parameter()
        self.addParameter(QgsProcessingParameterFileDestination(
            P.OUTPUT_MODEL, self.tr("Multi-hazard model bundle"),
            self.tr("Multi-hazard bundle (*.mhz)")))
        self.add_report_outputs("Multi-hazard training report", "Metrics table (CSV)")

    def compute(self, parameters, context, feedback, fb):
        text = (self.parameterAsString(parameters, P.FEATURES, context) or "").strip()
        features = None
        if text:
            try:
                features = {str(k): list(v) for k, v in json.loads(text).items()}
            except (ValueError, AttributeError, TypeError):
                raise QgsProcessingException("FEATURES must be the JSON text {zone: [factors]} "
                                             "written by 'Zone-wise feature selection' "
                                             "[FEATURES].")
        with self.factor_stack(parameters, context) as stack:
            d = read_samples(self, parameters, context, stack, fb.sub(0, 0.05),
                             ("train", "val", "test"))
            names, categorical, crs_wkt = stack.names, stack.categorical, stack.grid.crs_wkt
            radius = stack.grid.check_distance(
                self.parameterAsDouble(parameters, P.RADIUS, context), P.RADIUS,
                "co-location radius")
        seed = self.seed(parameters, context)
        path = self.parameterAsFileOutput(parameters, P.OUTPUT_MODEL, context)
        ints = {k.lower(): self.parameterAsInt(parameters, k, context) for k in (
            P.MIN_SAMPLES, P.MIN_VAL, P.N_ITER, P.EF_EPOCHS, P.GATE_EPOCHS, P.PATIENCE, P.BATCH)}
        result, predictions = worker.run(jobs.TrainMultiHazard(
            names=names, categorical=categorical, features_by_zone=features, seed=seed,
            radius=radius, bundle_path=path,
            crs_wkt=crs_wkt, algorithm=self.id(),
            zone_mode=ZONE_MODES[self.parameterAsEnum(parameters, P.ZONE_MODE, context)],
            shrink_k=self.parameterAsDouble(parameters, P.SHRINK_K, context),
            ef_holdout=self.parameterAsDouble(parameters, P.EF_HOLDOUT, context), **ints),
            {k: d[k] for k in ("X", "label", "x", "y", "augmented")} | {
                k: d[k].astype(str) for k in ("hazard", "zone", "split")}, fb.sub(0.05, 0.95))
        for note in result["notes"]:
            feedback.pushWarning(note)
        rows = result["metrics"]
        macro = ", ".join(f"{r['hazard']} {r['model']} {r['auc']:.3f}" for r in rows
                          if r["zone"] == "macro")
        result["caution"] = separating_caution(d["sampler"], d["label"], macro)
        if result["caution"]:
            feedback.pushWarning(result["caution"])
        for r in rows:
            if r["zone"] == "macro":
                feedback.pushInfo(f"macro {r['hazard']:9s} {r['model']:3s}: AUC {r['auc']:.3f}, "
                                  f"F1 {r['f1']:.3f}, Brier {r['brier']:.3f}")
        html = self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context)
        training_report(html, result, predictions)
        out = {P.OUTPUT_MODEL: path, P.OUTPUT_HTML: html}
        out.update(self.optional_csv(parameters, context, rows, ["zone", "hazard", "model", "n",
                                                                 "presences", "auc_low",
                                                                 "auc_high"] + list(METRICS)))
        return out
