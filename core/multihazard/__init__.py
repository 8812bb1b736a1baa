"""Flood-landslide multi-hazard susceptibility of the FL-MHSM study (METHODS.md section 4): Late
Fusion, Early Fusion, the Mixture of Experts, per contextual zone and tile.

Modules: bivariate, evaluation, experts (Late Fusion, Early Fusion and the gate, built and
fitted), forward (the networks' forward passes in numpy), jobs (its TensorFlow work in the
worker process), mapping, report, samples, selection (zone-wise feature selection), tiling,
training (the model set per zone and its bundle file), uncertainty (the MVG likelihood and beta
calibration).
"""
from . import (bivariate, evaluation, experts, forward, jobs, mapping, report,  # noqa: F401
               samples, selection, tiling, training, uncertainty)
from .samples import HAZARD_INPUTS, multihazard_samples, split_three  # noqa: F401
from .bivariate import LEVELS, bivariate_codes, bivariate_colors, bivariate_label  # noqa: F401
from .experts import (LF_SPACE, build_early_fusion, build_gate, masked_bce,  # noqa: F401
                      train_early_fusion, train_late_fusion)
from .forward import GELU_C, LN_EPSILON, early_fusion_forward, gate_forward, gelu  # noqa: F401
from .selection import pearson_screen, shap_shares, zone_feature_selection  # noqa: F401
from .tiling import edge_weights, tiles  # noqa: F401
from .uncertainty import (BetaCalibration, chol_from_raw, keras_mvg_nll, mvg_nll,  # noqa: F401
                          n_chol, uncertainty_and_correlation)
from .report import (density_heatmaps, evaluation_report, feature_selection_columns,
                     feature_selection_report, training_report)  # noqa: F401
from .training import (ALL, BundleManifest, HAZARDS, METRICS, MODELS, ModelSet, ModelSetSpec,
                       Predictor, TrainResult, bundle_manifest, joint_labels, read_manifest,
                       save_bundle, scores, train, train_gate)  # noqa: F401
from .mapping import (BIVARIATE_NODATA, PRODUCTS, bivariate_legend, check_bundle,
                      map_multihazard, predict_tile, tile_plan, write_bivariate)  # noqa: F401
from .evaluation import (MhEvaluation, evaluate, jaccard_high, mh_density,
                         zonal_means)  # noqa: F401
__all__ = ['ALL', 'BIVARIATE_NODATA', 'BetaCalibration', 'BundleManifest', 'GELU_C', 'HAZARDS',
           'HAZARD_INPUTS', 'LEVELS', 'LF_SPACE', 'LN_EPSILON', 'METRICS', 'MODELS', 'MhEvaluation',
           'ModelSet', 'ModelSetSpec', 'PRODUCTS', 'Predictor', 'TrainResult', 'bivariate',
           'bivariate_codes', 'bivariate_colors', 'bivariate_label', 'bivariate_legend',
           'build_early_fusion', 'build_gate', 'bundle_manifest', 'check_bundle',
           'chol_from_raw',
           'density_heatmaps', 'early_fusion_forward', 'edge_weights', 'evaluate', 'evaluation',
           'evaluation_report', 'experts', 'feature_selection_columns', 'feature_selection_report',
           'forward', 'gate_forward', 'gelu', 'jaccard_high', 'jobs', 'joint_labels',
           'keras_mvg_nll', 'map_multihazard', 'mapping', 'masked_bce', 'mh_density',
           'multihazard_samples', 'mvg_nll', 'n_chol', 'pearson_screen', 'predict_tile',
           'read_manifest', 'report', 'samples', 'save_bundle', 'scores', 'selection',
           'shap_shares', 'split_three', 'tile_plan', 'tiles', 'tiling', 'train',
           'train_early_fusion', 'train_gate', 'train_late_fusion', 'training', 'training_report',
           'uncertainty', 'uncertainty_and_correlation', 'write_bivariate', 'zonal_means',
           'zone_feature_selection']
