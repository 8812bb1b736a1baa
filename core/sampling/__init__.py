"""Absence sampling and presence augmentation (METHODS.md section 1; Li & Tian (2025) and the
Rangamati Mahalanobis study). The susceptibility-based ratio (section 1.5) maps a model first:
it is ``core.susceptibility.susceptibility_ratio``, above this package.

Modules: mahalanobis, report, samplers, threshold.
"""
from . import mahalanobis, report, samplers, threshold  # noqa: F401
from .threshold import SIDES, ThresholdCorrection, threshold_correction  # noqa: F401
from .mahalanobis import D2_BINS, MahalanobisDraw, mahalanobis_absences  # noqa: F401
from .report import d2_histogram, mahalanobis_report, threshold_report  # noqa: F401
from .samplers import (Admissible, MahalanobisModel, Presences, absence_count, draw, kde_augment,
                       locate_presences, mahalanobis_d2, mahalanobis_model, ocsvm_absences,
                       parse_ratios, polygon_pixels, presences_from_ids, shap_dependence,
                       shap_threshold, stratified_split)  # noqa: F401
__all__ = ['Admissible', 'D2_BINS', 'MahalanobisDraw', 'MahalanobisModel', 'Presences', 'SIDES',
           'ThresholdCorrection', 'absence_count', 'd2_histogram', 'draw', 'kde_augment',
           'locate_presences', 'mahalanobis', 'mahalanobis_absences', 'mahalanobis_d2',
           'mahalanobis_model', 'mahalanobis_report', 'ocsvm_absences', 'parse_ratios',
           'polygon_pixels', 'presences_from_ids', 'report', 'samplers', 'shap_dependence',
           'shap_threshold', 'stratified_split', 'threshold', 'threshold_correction',
           'threshold_report']
