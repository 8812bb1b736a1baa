"""Susceptibility models (METHODS.md section 2): the model kinds (random forest, XGBoost,
logistic GLM, extremely randomized trees: one module each in ``models``, listed by its
registry), encoding, validation splits, the model file, training, applying a model over a
factor stack, evaluating a map, comparing sampling scenarios, the susceptibility-based absence
ratio (section 1.5: it maps a model first), holding out an inventory and scoring an independent
one; the reports of all of them.

Modules: applicability, apply, comparison, estimators, evaluation, factor_fit, holdout, models,
report, screening, susceptibility_ratio, training.
"""
from . import (applicability, apply, comparison, estimators, evaluation, factor_fit,  # noqa: F401
               holdout, models, report, screening, susceptibility_ratio, training)
from .holdout import (Independent, block_folds, group_folds, holdout_mask, on_pixels,
                      random_split, same_rows, score)  # noqa: F401
from .screening import VIF_COLUMNS, Screening, screen_factors  # noqa: F401
from .estimators import (DEFAULTS, Encoding, EstimatorSpec, KINDS, ModelManifest,
                         check_training_data, importance, load_model, make_estimator,
                         save_model, shap_values, versions)  # noqa: F401
from .training import (METRIC_COLS, TrainResult, metric_rows, save, train)  # noqa: F401
from .apply import (CLASS_NAMES, MapResult, apply_to_raster, class_counts, map_model,
                    match_factors, write_classes)  # noqa: F401
from .evaluation import (FR_COLUMNS, HIST_BINS, MAP_EVALUATION_COLUMNS, class_labels, codes,
                         evaluate_map, frequency_ratio_table, map_statistics, score_at,
                         write_fr_index)  # noqa: F401
from .comparison import Comparison, Scenario, compare_scenarios  # noqa: F401
from .susceptibility_ratio import RatioDraw, susceptibility_ratio_absences  # noqa: F401
from .report import (applicability_report, comparison_report, frequency_ratio_report,
                     map_evaluation_report, screening_report, susceptibility_ratio_report,
                     training_report)  # noqa: F401
__all__ = ['CLASS_NAMES', 'Comparison', 'Independent', 'holdout', 'holdout_mask', 'on_pixels',
           'same_rows', 'score', 'score_at', 'DEFAULTS', 'Encoding', 'EstimatorSpec', 'FR_COLUMNS',
           'HIST_BINS', 'KINDS', 'MAP_EVALUATION_COLUMNS', 'METRIC_COLS', 'MapResult',
           'ModelManifest', 'RatioDraw', 'Scenario', 'Screening', 'TrainResult', 'VIF_COLUMNS',
           'applicability', 'applicability_report', 'apply', 'apply_to_raster', 'block_folds',
           'check_training_data', 'class_counts', 'class_labels', 'codes', 'compare_scenarios',
           'comparison', 'comparison_report', 'estimators', 'evaluate_map', 'evaluation',
           'factor_fit', 'frequency_ratio_report', 'frequency_ratio_table', 'group_folds',
           'importance', 'load_model', 'make_estimator', 'map_evaluation_report', 'map_model',
           'map_statistics', 'match_factors', 'metric_rows', 'models', 'random_split', 'report',
           'save', 'save_model', 'screen_factors', 'screening', 'screening_report', 'shap_values',
           'susceptibility_ratio', 'susceptibility_ratio_absences', 'susceptibility_ratio_report',
           'train', 'training', 'training_report', 'versions', 'write_classes', 'write_fr_index']
