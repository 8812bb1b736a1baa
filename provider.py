"""The Processing provider (id ``hazard``) and the plugin class that registers it.

The provider is registered in ``initProcessing()`` so that ``qgis_process`` and the Graphical
Modeler see it without a GUI. Nothing here touches ``iface`` at import time, and no optional
Python package is imported: algorithms import them when they run, except matplotlib (3.8 on), which
the desktop imports on its main thread once started (``initGui``, see
``core.util.deps.import_on_main_thread``).
"""
import os

from qgis.core import QgsApplication, QgsProcessingProvider
from qgis.PyQt.QtGui import QIcon

PLUGIN_DIR = os.path.dirname(__file__)


def _algorithm_classes():
    from .algorithms.data.align import AlignFactors
    from .algorithms.mapping.apply import ApplyModel
    from .algorithms.mapping.applicability import Applicability
    from .algorithms.sampling.kde import KdeAugmentation
    from .algorithms.reports.compare_sampling import CompareSampling
    from .algorithms.reports.evaluate_map import EvaluateMap
    from .algorithms.reports.factor_screening import FactorScreening
    from .algorithms.reports.frequency_ratio import FrequencyRatio
    from .algorithms.reports.geodetector import GeoDetector
    from .algorithms.hnn.apply import ApplyHnn
    from .algorithms.hnn.size_classes import HnnSizeClasses
    from .algorithms.hnn.experiments import HnnAblation, HnnLossWeights
    from .algorithms.hnn.train import TrainHnn
    from .algorithms.setup.install import InstallDependencies
    from .algorithms.sampling.merge import MergeSamples
    from .algorithms.sampling.split import SplitInventory
    from .algorithms.multihazard.evaluate import EvaluateMultiHazard
    from .algorithms.multihazard.features import ZoneFeatureSelection
    from .algorithms.multihazard.map import MapMultiHazard
    from .algorithms.multihazard.samples import MultiHazardSamples
    from .algorithms.multihazard.train import TrainMultiHazard
    from .algorithms.data.sample_area import CreateSampleArea
    from .algorithms.sampling.buffer import BufferAbsences
    from .algorithms.sampling.mahalanobis import MahalanobisAbsences
    from .algorithms.sampling.multiratio import MultiRatioAbsences
    from .algorithms.sampling.ocsvm import OcsvmAbsences
    from .algorithms.sampling.slope import SlopeAbsences
    from .algorithms.sampling.susceptibility_ratio import SusceptibilityRatioAbsences
    from .algorithms.sampling.factor_threshold import FactorThresholdAbsences
    from .algorithms.data.slope_units import SlopeUnitStatistics
    from .algorithms.modelling.train import TrainModel
    return [AlignFactors, SlopeUnitStatistics, CreateSampleArea, SplitInventory,
            MahalanobisAbsences, SlopeAbsences, BufferAbsences, MultiRatioAbsences,
            SusceptibilityRatioAbsences, FactorThresholdAbsences, OcsvmAbsences,
            KdeAugmentation, MergeSamples, TrainModel, ApplyModel, Applicability, EvaluateMap,
            FrequencyRatio,
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
        from .algorithms.workflows.workflow import WORKFLOWS, Workflow
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
        # the desktop runs algorithms in pooled threads: matplotlib is imported on this, the
        # main, thread first (deps.import_on_main_thread), once QGIS's window is up
        from qgis.PyQt.QtCore import QTimer
        from .core.util.deps import import_on_main_thread
        QTimer.singleShot(0, import_on_main_thread)

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
