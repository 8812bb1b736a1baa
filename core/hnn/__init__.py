"""The Hierarchical Neural Network of Aguilera et al. (2022) (METHODS.md section 3): occurrence
and size class
per slope unit.

Modules: cost (memory and time of training, before it starts), evaluation, jobs (its TensorFlow
work in the worker process), modelfile (the .hnn file), network (architecture, Keras model,
prediction), report, search (Monte Carlo search of the architecture), sizes (the landslide
size classes), spatial (Moran's I), training.
"""
from . import (cost, evaluation, jobs, modelfile, network, report, search,  # noqa: F401
               sizes, spatial, training)
from .report import (LOSS_WEIGHTS, ablation_configs, ablation_report, ablation_rows,
                     factor_groups, loss_weight_report, loss_weight_rows, size_class_report,
                     training_report)  # noqa: F401
from .cost import check_training, training_estimate  # noqa: F401
from .evaluation import class_metrics, evaluate, glm_baseline  # noqa: F401
from .modelfile import HnnManifest, load_hnn, read_manifest, save_hnn  # noqa: F401
from .network import Architecture, HnnResult, build_model, n_weights, predict  # noqa: F401
from .search import SEARCH_SPACE, monte_carlo_search  # noqa: F401
from .sizes import SizeClasses, size_classes  # noqa: F401
from .spatial import morans_i, queen_neighbours  # noqa: F401
from .training import check_units, held_out_units, smote, train_hnn  # noqa: F401
__all__ = ['ablation_configs', 'ablation_report', 'ablation_rows', 'Architecture', 'build_model',
           'check_training', 'check_units', 'class_metrics', 'cost', 'evaluate', 'evaluation',
           'factor_groups', 'glm_baseline', 'held_out_units', 'HnnManifest', 'HnnResult', 'jobs',
           'load_hnn', 'loss_weight_report', 'loss_weight_rows', 'LOSS_WEIGHTS', 'modelfile',
           'monte_carlo_search', 'morans_i', 'n_weights', 'network', 'predict', 'queen_neighbours',
           'read_manifest', 'report', 'save_hnn', 'search', 'SEARCH_SPACE', 'size_class_report',
           'size_classes', 'SizeClasses', 'sizes', 'smote', 'spatial', 'train_hnn', 'training',
           'training_estimate', 'training_report']
