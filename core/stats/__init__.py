"""Statistics shared by the methods: evaluation metrics (METHODS.md section 2), class breaks
(quantiles, Fisher-Jenks natural breaks, GVF) and the compiled per-stratum kernels.

Modules: breaks, kernels, metrics.
"""
from . import breaks, kernels, metrics  # noqa: F401
from .metrics import (confusion, frequency_ratio, kappa, roc_auc, roc_curve, scai,
                      threshold_metrics, vif)  # noqa: F401
from .breaks import (classify, gvf, natural_breaks, quantile_breaks)  # noqa: F401
__all__ = ['breaks', 'classify', 'confusion', 'frequency_ratio', 'gvf', 'kappa', 'kernels',
           'metrics', 'natural_breaks', 'quantile_breaks', 'roc_auc', 'roc_curve', 'scai',
           'threshold_metrics', 'vif']
