"""The Hierarchical Neural Network of Aguilera et al. (2022) (METHODS.md section 3): occurrence
and size class
per slope unit.

Modules: jobs (its TensorFlow work in the worker process), network, report.
"""
from . import jobs, network, report  # noqa: F401
from .report import (LOSS_WEIGHTS, ablation_configs, ablation_report, ablation_rows,
                     factor_groups, loss_weight_report, loss_weight_rows, size_class_report,
                     training_report)  # noqa: F401
from .network import (Architecture, build_model, check_training, check_units, class_metrics,
                      evaluate, glm_baseline, held_out_units, HnnManifest, HnnResult, load_hnn,
                      monte_carlo_search, morans_i, n_weights, predict, queen_neighbours,
                      read_manifest, save_hnn, SEARCH_SPACE, set_seed, size_classes, SizeClasses,
                      smote, train_hnn, training_estimate)  # noqa: F401
__all__ = ['ablation_configs', 'ablation_report', 'ablation_rows', 'Architecture', 'build_model',
           'check_training', 'check_units', 'class_metrics', 'evaluate', 'factor_groups',
           'glm_baseline', 'held_out_units', 'HnnManifest', 'HnnResult', 'jobs', 'load_hnn',
           'loss_weight_report', 'loss_weight_rows', 'LOSS_WEIGHTS', 'monte_carlo_search',
           'morans_i', 'n_weights', 'network', 'predict', 'queen_neighbours', 'read_manifest',
           'report', 'save_hnn', 'SEARCH_SPACE', 'set_seed', 'size_class_report', 'size_classes',
           'SizeClasses', 'smote', 'train_hnn', 'training_estimate', 'training_report']
