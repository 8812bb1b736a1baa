"""GeoDetector (Wang et al. 2010; FL-MHSM study, section 4.7): factor, interaction, risk and
ecological detectors on tables and rasters, optionally per zone, and their report.

Modules: detectors, report, run.
"""
from . import detectors, report, run  # noqa: F401
from .detectors import (FactorResult, GeoDetectorResult, INTERACTION_TYPES, RiskResult, Strata,
                        ecological_detector, ecological_from_stats, ecological_pair,
                        factor_detector,
                        factor_from_stats, interaction_detector, interaction_type, overlay,
                        q_from_stats, q_statistic, quantile_strata, risk_detector,
                        risk_from_stats, screen)  # noqa: F401
from .run import (EDGE_SAMPLE, LOOKUP_SPAN, Options, Plan, categories, detect_raster,
                  detect_table, make_plan, raster_chunks, rename_zones, run_chunks,
                  table_chunks)  # noqa: F401
from .report import (CONVENTIONS, write_outputs)  # noqa: F401
__all__ = ['CONVENTIONS', 'EDGE_SAMPLE', 'FactorResult', 'GeoDetectorResult', 'INTERACTION_TYPES',
           'LOOKUP_SPAN', 'Options', 'Plan', 'RiskResult', 'Strata', 'categories', 'detect_raster',
           'detect_table', 'detectors', 'ecological_detector', 'ecological_from_stats',
           'ecological_pair', 'factor_detector', 'factor_from_stats', 'interaction_detector',
           'interaction_type', 'make_plan', 'overlay', 'q_from_stats', 'q_statistic',
           'quantile_strata',
           'raster_chunks', 'rename_zones', 'report', 'risk_detector', 'risk_from_stats', 'run',
           'run_chunks', 'screen', 'table_chunks', 'write_outputs']
