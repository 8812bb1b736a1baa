"""Graphical Modeler workflows shipped with the plugin, offered as algorithms with clean ids."""
import os

from qgis.core import QgsProcessingException, QgsProcessingModelAlgorithm

from ..base import PLUGIN_DIR, HazardAlgorithm
from .. import compat

WORKFLOWS = {
    # id: (file in models/, display name, help)
    "workflowmahalanobis": (
        "landslide_mahalanobis.model3", "Workflow: landslide susceptibility (Mahalanobis)",
        "Paper 003's workflow as a Graphical Modeler model: absences by Mahalanobis distance "
        "(1:1), a random forest on the samples, the susceptibility map with 5 natural-breaks "
        "classes, and its evaluation with SCAI. Open models/landslide_mahalanobis.model3 in "
        "the Graphical Modeler to see or change the chain."),
    "workflowhnn": (
        "landslide_size_hnn.model3", "Workflow: landslide occurrence and size per slope unit",
        "Paper 000's workflow as a Graphical Modeler model: slope-unit statistics of the factors "
        "with the landslide area per unit, units without data left out, landslide size classes, "
        "and the Hierarchical Neural Network with its report (ROC against the GLM, class AUCs, "
        "Moran's I). Open models/landslide_size_hnn.model3 in the Graphical Modeler to see or "
        "change the chain."),
    "workflowmultihazard": (
        "flood_landslide_multihazard.model3",
        "Workflow: flood-landslide multi-hazard susceptibility",
        "Paper 002's workflow (FL-MHSM) as a Graphical Modeler model: multi-hazard samples (KDE "
        "augmentation, one-class-SVM absences, 80/10/10 per zone), zone-wise feature selection, "
        "Late Fusion, Early Fusion and the Mixture of Experts per zone, the maps on overlapping "
        "tiles with uncertainty, correlation and the 25-class bivariate map, the evaluation "
        "report (Jaccard, MH density, zonal uncertainty) and GeoDetector on the MoE maps per "
        "zone (all factors, interactions among the top 5, risk detector on the top one). Open "
        "models/flood_landslide_multihazard.model3 in the Graphical Modeler to see or change "
        "the chain."),
}


class Workflow(HazardAlgorithm):
    GROUP = "workflows"

    def __init__(self, key):
        super().__init__()
        self.key = key
        fname, self.DISPLAY, self.HELP = WORKFLOWS[key]
        self.NAME = key
        self.path = os.path.join(PLUGIN_DIR, "models", fname)
        self.model = QgsProcessingModelAlgorithm()
        if not self.model.fromFile(self.path):
            raise QgsProcessingException(f"Cannot load the workflow {self.path}")

    def createInstance(self):
        return Workflow(self.key)

    def initAlgorithm(self, config=None):
        from qgis.core import QgsProcessingParameterDefinition
        for d in self.model.parameterDefinitions():
            c = d.clone()
            if c.isDestination():
                # optional here (QGIS 3.22 ignores a destination's default when checking it);
                # compute() gives every output left out a temporary destination
                c.setFlags(c.flags() | compat.FLAG_OPTIONAL)
            self.addParameter(c)

    def compute(self, parameters, context, feedback, fb):
        import processing
        params = dict(parameters)
        for d in self.model.parameterDefinitions():
            if d.isDestination() and not params.get(d.name()):
                params[d.name()] = "TEMPORARY_OUTPUT"
        return processing.run(self.model, params, context=context, feedback=feedback,
                              is_child_algorithm=True)
