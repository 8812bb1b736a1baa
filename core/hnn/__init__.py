"""The Hierarchical Neural Network of paper 000 (METHODS.md section 3): occurrence and size class
per slope unit.

Modules: network.
"""
from . import network  # noqa: F401
from .network import (Architecture, FORMAT, HnnResult, SEARCH_SPACE, SizeClasses, build_model,
                      class_metrics, evaluate, glm_baseline, load_hnn, monte_carlo_search,
                      morans_i, predict, queen_neighbours, read_manifest, save_hnn, set_seed,
                      size_classes, smote, train_hnn)  # noqa: F401
__all__ = ['Architecture', 'FORMAT', 'HnnResult', 'SEARCH_SPACE', 'SizeClasses', 'build_model',
           'class_metrics', 'evaluate', 'glm_baseline', 'load_hnn', 'monte_carlo_search',
           'morans_i', 'network', 'predict', 'queen_neighbours', 'read_manifest', 'save_hnn',
           'set_seed', 'size_classes', 'smote', 'train_hnn']
