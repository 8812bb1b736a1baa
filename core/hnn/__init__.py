"""The Hierarchical Neural Network of Aguilera et al. (2022) (METHODS.md section 3): occurrence
and size class
per slope unit.

Modules: jobs (its TensorFlow work in the worker process), network, report.
"""
from . import jobs, network, report  # noqa: F401
from .report import (LOSS_WEIGHTS, ablation_configs, ablation_report, ablation_rows,
                     factor_groups, loss_weight_report, loss_weight_rows, size_class_report,
                     training_report)  # noqa: F401
from .network import (Architecture, HnnManifest, HnnResult, SEARCH_SPACE, SizeClasses,
                      build_model, check_units, class_metrics, evaluate, glm_baseline,
                      held_out_units, load_hnn, monte_carlo_search, morans_i, predict,
                      queen_neighbours, read_manifest, save_hnn, set_seed, size_classes, smote,
                      train_hnn)  # noqa: F401
__all__ = ['Architecture', 'HnnManifest', 'HnnResult', 'LOSS_WEIGHTS', 'SEARCH_SPACE',
           'SizeClasses', 'ablation_configs', 'ablation_report', 'ablation_rows', 'build_model',
           'check_units', 'class_metrics', 'evaluate', 'factor_groups', 'glm_baseline',
           'held_out_units', 'jobs', 'load_hnn', 'loss_weight_report', 'loss_weight_rows',
           'monte_carlo_search', 'morans_i', 'network', 'predict', 'queen_neighbours',
           'read_manifest', 'report', 'save_hnn', 'set_seed', 'size_class_report', 'size_classes',
           'smote', 'train_hnn', 'training_report']
