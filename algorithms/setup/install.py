"""hazard:installdependencies: the plugin's pinned Python packages for QGIS's Python."""
from qgis.core import (QgsProcessingOutputString, QgsProcessingParameterBoolean,
                       QgsProcessingParameterFile, QgsProcessingParameterString)

from ...core.util import deps, installer
from ..base import HazardAlgorithm
from .. import compat
from .. import params as P


class InstallDependencies(HazardAlgorithm):
    NAME = "installdependencies"
    DISPLAY = "Install Python dependencies"
    GROUP = "setup"
    HELP = (
        "Installs the Python packages the machine-learning algorithms need (scikit-learn, "
        "XGBoost, TensorFlow, SHAP, imbalanced-learn, ...), at the versions this plugin "
        "was tested with, for the Python that QGIS runs. It is never run automatically.<br><br>"
        "The pinned set is chosen for QGIS's own Python and numpy: QGIS 3.22 on Python 3.11 with "
        "numpy 1 (py311-numpy1), QGIS 3.34/3.40 on Python 3.12 with numpy 1 or 2 (py312-numpy1, "
        "py312-numpy2), QGIS 3.40/3.44 on Python 3.13 with numpy 2 (py313-numpy2), QGIS 3.44 on "
        "Python 3.14 with numpy 2 (py314-numpy2, e.g. Debian forky/sid); the log says which set "
        "it used. numpy and GDAL are QGIS's own and never installed. The set for Python 3.14 has "
        "no TensorFlow, which has no release for Python 3.14 yet: there the neural-network "
        "algorithms (HNN, multi-hazard training) refuse and say what to do, and every other "
        "algorithm works.<br><br>"
        "The packages go into a folder of your own (by default ~/.local/share/"
        "hazard_susceptibility/pythonX.Y, or %APPDATA% on Windows), which the plugin adds to "
        "Python's path before its site-packages (as a virtual environment would); QGIS's own "
        "numpy and GDAL are never replaced. PACKAGES takes names from the pinned set only. Use "
        "<b>dry run</b> to see the pip command and the packages that are missing without "
        "installing anything. pip's output is shown as it runs; a failure is reported with "
        "pip's error lines. TensorFlow alone is about 600 MB to download.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterBoolean(
            P.DRY_RUN, self.tr("Dry run: only list what would be installed"), True))
        self.addParameter(QgsProcessingParameterString(
            P.TARGET, self.tr("Target folder (empty: the plugin's own)"), optional=True))
        self.addParameter(QgsProcessingParameterString(
            P.PACKAGES, self.tr("Packages (empty: every pinned package)"), optional=True))
        self.addParameter(QgsProcessingParameterFile(
            P.FIND_LINKS, self.tr("Install from this folder of wheels, offline"),
            behavior=compat.FILE_FOLDER, optional=True))
        self.addOutput(QgsProcessingOutputString(P.TARGET_USED, self.tr("Target folder")))
        self.addOutput(QgsProcessingOutputString(P.COMMAND, self.tr("pip command")))
        self.addOutput(QgsProcessingOutputString(P.PINNED_SET, self.tr("Pinned set used")))

    def compute(self, parameters, context, feedback, fb):
        pk = [p.strip() for p in (self.parameterAsString(parameters, P.PACKAGES, context)
                                  or "").replace(";", ",").split(",") if p.strip()] or None
        rep = installer.install(pk, self.parameterAsString(parameters, P.TARGET, context) or None,
                                self.parameterAsFile(parameters, P.FIND_LINKS, context) or None,
                                self.parameterAsBool(parameters, P.DRY_RUN, context), fb)
        notes = rep["lock_notes"][0] if rep["lock_notes"] else ""
        feedback.pushInfo(f"Pinned set: {rep['tag']} ({rep['lock']}). {notes}")
        if rep["without"]:
            feedback.pushWarning(rep["without_note"] + self._refusing(rep["without"]))
        feedback.pushInfo(f"Target: {rep['target']}")
        feedback.pushInfo(f"Command: {rep['command']}")
        missing = rep["missing_before"]
        feedback.pushInfo(f"{len(rep['packages'])} pinned package(s); not importable now: "
                          f"{', '.join(missing) if missing else 'none'}")
        if self.parameterAsBool(parameters, P.DRY_RUN, context):
            feedback.pushInfo("Dry run: nothing was installed.")
        else:
            feedback.pushInfo("Installed. Restart QGIS if an algorithm still reports a missing "
                              "package.")
        return {P.TARGET_USED: rep["target"], P.COMMAND: rep["command"], P.PINNED_SET: rep["tag"]}

    def _refusing(self, without):
        """' Here: <the provider's algorithms that need a package of ``without``>.'"""
        imports = {mod for mod, (pip, _use) in deps.OPTIONAL.items() if pip in without}
        provider = self.provider()
        names = sorted(a.displayName() for a in (provider.algorithms() if provider else [])
                       if imports & set(getattr(a, "REQUIRES", ())))
        return f" Here: {', '.join(names)}." if names else ""
