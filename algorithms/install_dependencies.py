"""hazard:installdependencies: the plugin's pinned Python packages for QGIS's Python."""
from qgis.core import (QgsProcessingOutputString, QgsProcessingParameterBoolean,
                       QgsProcessingParameterFile, QgsProcessingParameterString)

from ..core import installer
from .base import HazardAlgorithm


class InstallDependencies(HazardAlgorithm):
    NAME = "installdependencies"
    DISPLAY = "Install Python dependencies"
    GROUP = "data"
    HELP = (
        "Installs the Python packages the machine-learning algorithms need (scikit-learn, "
        "XGBoost, TensorFlow, SHAP, skops, imbalanced-learn, ...), at the versions this plugin "
        "was tested with, for the Python that QGIS uses. It is never run automatically.<br><br>"
        "The packages go into a folder of your own (by default ~/.local/share/"
        "hazard_susceptibility/pythonX.Y, or %APPDATA% on Windows), which the plugin adds to "
        "the end of Python's path, so QGIS's own numpy and GDAL are never replaced. Use "
        "<b>dry run</b> to see the pip command and the packages that are missing without "
        "installing anything. pip's output is shown as it runs; a failure is reported with "
        "pip's error lines. TensorFlow alone is about 600 MB to download.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterBoolean(
            "DRY_RUN", self.tr("Dry run: only list what would be installed"), True))
        self.addParameter(QgsProcessingParameterString(
            "TARGET", self.tr("Target folder (empty: the plugin's own)"), optional=True))
        self.addParameter(QgsProcessingParameterString(
            "PACKAGES", self.tr("Packages (empty: every pinned package)"), optional=True))
        self.addParameter(QgsProcessingParameterFile(
            "FIND_LINKS", self.tr("Install from this folder of wheels, offline (optional)"),
            behavior=QgsProcessingParameterFile.Folder, optional=True))
        self.addOutput(QgsProcessingOutputString("TARGET_USED", self.tr("Target folder")))
        self.addOutput(QgsProcessingOutputString("COMMAND", self.tr("pip command")))

    def compute(self, parameters, context, feedback, fb):
        pk = [p.strip() for p in (self.parameterAsString(parameters, "PACKAGES", context)
                                  or "").replace(";", ",").split(",") if p.strip()] or None
        rep = installer.install(pk, self.parameterAsString(parameters, "TARGET", context) or None,
                                self.parameterAsFile(parameters, "FIND_LINKS", context) or None,
                                self.parameterAsBool(parameters, "DRY_RUN", context), fb)
        feedback.pushInfo(f"Target: {rep['target']}")
        feedback.pushInfo(f"Command: {rep['command']}")
        missing = rep["missing_before"]
        feedback.pushInfo(f"{len(rep['packages'])} pinned package(s); not importable now: "
                          f"{', '.join(missing) if missing else 'none'}")
        if self.parameterAsBool(parameters, "DRY_RUN", context):
            feedback.pushInfo("Dry run: nothing was installed.")
        else:
            feedback.pushInfo("Installed. Restart QGIS if an algorithm still reports a missing "
                              "package.")
        return {"TARGET_USED": rep["target"], "COMMAND": rep["command"]}
