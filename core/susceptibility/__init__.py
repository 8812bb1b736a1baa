"""Susceptibility models (METHODS.md section 2): encoding, random forest / XGBoost / GLM
estimators, validation splits, the model file, training and its report, applying a model over a
factor stack, evaluating a map, comparing sampling scenarios, holding out an inventory and
scoring an independent one.

Modules: apply, comparison, estimators, evaluation, holdout, screening, training.
"""
from . import (apply, comparison, estimators, evaluation, holdout, screening,  # noqa: F401
               susceptibility_ratio, training)
from .holdout import (Independent, block_folds, group_folds, holdout_mask, on_pixels,
                      random_split, same_rows, score)  # noqa: F401
from .screening import VIF_COLUMNS, Screening, screen_factors, screening_report  # noqa: F401
from .estimators import (DEFAULTS, Encoding, EstimatorSpec, KINDS, ModelManifest,
                         check_training_data, importance, load_model, make_estimator,
                         save_model, shap_values, versions)  # noqa: F401
from .training import (METRIC_COLS, TrainResult, metric_rows, report, save, train)  # noqa: F401
from .apply import (CLASS_NAMES, MapResult, apply_to_raster, class_counts, map_model,
                    match_factors, write_classes)  # noqa: F401
from .evaluation import (FR_COLUMNS, HIST_BINS, MAP_EVALUATION_COLUMNS, class_labels, codes,
                         evaluate_map, frequency_ratio_report, frequency_ratio_table,
                         map_evaluation_report, map_statistics, score_at,
                         write_fr_index)  # noqa: F401
from .comparison import (Comparison, Scenario, compare_scenarios,
                         comparison_report)  # noqa: F401
from .susceptibility_ratio import (RatioDraw, susceptibility_ratio_absences,
                                   susceptibility_ratio_report)  # noqa: F401
__all__ = ['CLASS_NAMES', 'Comparison', 'Independent', 'holdout', 'holdout_mask', 'on_pixels',
           'same_rows', 'score', 'score_at', 'DEFAULTS', 'Encoding', 'EstimatorSpec', 'FR_COLUMNS',
           'HIST_BINS', 'KINDS', 'MAP_EVALUATION_COLUMNS', 'METRIC_COLS', 'MapResult',
           'ModelManifest', 'RatioDraw', 'Scenario', 'Screening', 'TrainResult', 'VIF_COLUMNS',
           'apply', 'apply_to_raster', 'block_folds', 'check_training_data', 'class_counts',
           'class_labels',
           'codes', 'compare_scenarios', 'comparison', 'comparison_report', 'estimators',
           'evaluate_map', 'evaluation', 'frequency_ratio_report', 'frequency_ratio_table',
           'group_folds', 'importance', 'load_model', 'make_estimator', 'map_evaluation_report',
           'map_model', 'map_statistics', 'match_factors', 'metric_rows', 'random_split', 'report',
           'save', 'save_model', 'screen_factors', 'screening', 'screening_report', 'shap_values',
           'susceptibility_ratio', 'susceptibility_ratio_absences', 'susceptibility_ratio_report',
           'train', 'training', 'versions', 'write_classes', 'write_fr_index']
