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
        from .algorithms.registry import algorithm_classes
        from .algorithms.workflows.workflow import WORKFLOWS, Workflow
        for cls in algorithm_classes():
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
