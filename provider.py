"""The Processing provider (id ``hazard``) and the plugin class that registers it.

The provider is registered in ``initProcessing()`` so that ``qgis_process`` and the Graphical
Modeler see it without a GUI. Nothing here touches ``iface`` at import time, and no optional
Python package is imported: algorithms import them when they run.
"""
import os

from qgis.core import QgsApplication, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

PLUGIN_DIR = os.path.dirname(__file__)


def _algorithm_classes():
    from .algorithms.align_factors import AlignFactors
    from .algorithms.apply_model import ApplyModel
    from .algorithms.augment_kde import KdeAugmentation
    from .algorithms.compare_sampling import CompareSampling
    from .algorithms.evaluate_map import EvaluateMap
    from .algorithms.factor_screening import FactorScreening
    from .algorithms.frequency_ratio import FrequencyRatio
    from .algorithms.geodetector import GeoDetector
    from .algorithms.hnn_apply import ApplyHnn
    from .algorithms.hnn_size_classes import HnnSizeClasses
    from .algorithms.hnn_tests import HnnAblation, HnnLossWeights
    from .algorithms.hnn_train import TrainHnn
    from .algorithms.install_dependencies import InstallDependencies
    from .algorithms.merge_samples import MergeSamples
    from .algorithms.mh_evaluate import EvaluateMultiHazard
    from .algorithms.mh_features import ZoneFeatureSelection
    from .algorithms.mh_map import MapMultiHazard
    from .algorithms.mh_samples import MultiHazardSamples
    from .algorithms.mh_train import TrainMultiHazard
    from .algorithms.sample_area import CreateSampleArea
    from .algorithms.sample_buffer import BufferAbsences
    from .algorithms.sample_mahalanobis import MahalanobisAbsences
    from .algorithms.sample_multiratio import MultiRatioAbsences
    from .algorithms.sample_ocsvm import OcsvmAbsences
    from .algorithms.sample_slope import SlopeAbsences
    from .algorithms.sample_susceptibility import SusceptibilityRatioAbsences
    from .algorithms.sample_threshold import FactorThresholdAbsences
    from .algorithms.slope_unit_stats import SlopeUnitStatistics
    from .algorithms.train_model import TrainModel
    return [AlignFactors, SlopeUnitStatistics, CreateSampleArea,
            MahalanobisAbsences, SlopeAbsences, BufferAbsences, MultiRatioAbsences,
            SusceptibilityRatioAbsences, FactorThresholdAbsences, OcsvmAbsences,
            KdeAugmentation, MergeSamples, TrainModel, ApplyModel, EvaluateMap, FrequencyRatio,
            FactorScreening, CompareSampling, HnnSizeClasses, TrainHnn, ApplyHnn, HnnLossWeights,
            HnnAblation, MultiHazardSamples, ZoneFeatureSelection, TrainMultiHazard,
            MapMultiHazard, EvaluateMultiHazard, GeoDetector,
            InstallDependencies]


class HazardProvider(QgsProcessingProvider):
    def id(self):
        return "hazard"

    def name(self):
        return "Hazard susceptibility"

    def longName(self):
        return "Hazard Susceptibility Toolkit"

    def icon(self):
        return QIcon(os.path.join(PLUGIN_DIR, "icons", "hazard.svg"))

    def svgIconPath(self):
        return os.path.join(PLUGIN_DIR, "icons", "hazard.svg")

    def loadAlgorithms(self):
        from .algorithms.workflow import WORKFLOWS, Workflow
        for cls in _algorithm_classes():
            self.addAlgorithm(cls())
        for key in WORKFLOWS:  # the Graphical Modeler models shipped in models/
            try:
                self.addAlgorithm(Workflow(key))
            except Exception as exc:  # a damaged model must not take the provider down
                from qgis.core import QgsMessageLog
                QgsMessageLog.logMessage(f"Workflow {key} not loaded: {exc}",
                                         "Hazard susceptibility")


class HazardSusceptibilityPlugin:
    """QGIS plugin object: owns the provider."""

    def __init__(self, iface=None):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 (QGIS API name)
        from .core.util.installer import add_to_path
        add_to_path()  # packages installed by 'Install Python dependencies', after QGIS's own
        if self.provider is None:
            self.provider = HazardProvider()
            QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
