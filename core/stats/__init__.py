"""Statistics shared by the methods: evaluation metrics (METHODS.md section 2) and calibration,
class breaks (quantiles, Fisher-Jenks natural breaks, GVF), the compiled per-stratum kernels, and
the calibration section of the reports.

Modules: breaks, kernels, metrics, report (fidelity, the demo's scores against the sample area's
truth, is imported on its own).
"""
from . import breaks, kernels, metrics, report  # noqa: F401
from .metrics import (calibration, confusion, frequency_ratio, kappa, roc_auc, roc_curve, scai,
                      threshold_metrics, vif)  # noqa: F401
from .breaks import (classify, gvf, natural_breaks, quantile_breaks)  # noqa: F401
from .report import calibration_section  # noqa: F401
__all__ = ['breaks', 'calibration', 'calibration_section', 'classify', 'confusion',
           'frequency_ratio', 'gvf', 'kappa', 'kernels', 'metrics', 'natural_breaks',
           'quantile_breaks', 'report', 'roc_auc', 'roc_curve', 'scai', 'threshold_metrics', 'vif']
