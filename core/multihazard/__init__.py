"""Flood-landslide multi-hazard susceptibility of the FL-MHSM study (METHODS.md section 4): Late
Fusion, Early Fusion, the Mixture of Experts, per contextual zone and tile.

Modules: blocks, evaluation, jobs (its TensorFlow work in the worker process), mapping, report,
samples, training.
"""
from . import blocks, evaluation, jobs, mapping, report, samples, training  # noqa: F401
from .samples import HAZARD_INPUTS, multihazard_samples  # noqa: F401
from .blocks import (BetaCalibration, GELU_C, LEVELS, LF_SPACE, LN_EPSILON, bivariate_codes,
                     bivariate_colors,
                     bivariate_label, build_early_fusion, build_gate, chol_from_raw,
                     early_fusion_forward, edge_weights, gate_forward,
                     gelu, keras_mvg_nll, masked_bce, mvg_nll, n_chol,
                     pearson_screen, shap_shares, split_three, tiles, train_early_fusion,
                     train_late_fusion, uncertainty_and_correlation,  # noqa: F401
                     zone_feature_selection)
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
           'HAZARD_INPUTS', 'LEVELS', 'LF_SPACE', 'LN_EPSILON', 'METRICS', 'MODELS',
           'MhEvaluation', 'ModelSet', 'ModelSetSpec', 'PRODUCTS', 'Predictor', 'TrainResult',
           'bivariate_codes', 'bivariate_colors', 'bivariate_label', 'bivariate_legend', 'blocks',
           'build_early_fusion', 'build_gate', 'bundle_manifest', 'check_bundle', 'chol_from_raw',
           'density_heatmaps', 'early_fusion_forward', 'edge_weights',
           'evaluate', 'evaluation', 'evaluation_report', 'feature_selection_columns',
           'feature_selection_report', 'gate_forward', 'gelu', 'jaccard_high', 'jobs',
           'joint_labels', 'keras_mvg_nll', 'map_multihazard', 'mapping', 'masked_bce',
           'mh_density', 'multihazard_samples', 'mvg_nll', 'n_chol',
           'pearson_screen', 'predict_tile', 'read_manifest', 'report', 'samples', 'save_bundle',
           'scores', 'shap_shares', 'split_three', 'tile_plan', 'tiles', 'train',
           'train_early_fusion', 'train_gate', 'train_late_fusion', 'training', 'training_report',
           'uncertainty_and_correlation', 'write_bivariate', 'zonal_means',
           'zone_feature_selection']
