"""Graphical Modeler workflows shipped with the plugin, offered as algorithms with clean ids."""
import os

from qgis.core import QgsProcessingException, QgsProcessingModelAlgorithm

from ..base import PLUGIN_DIR, HazardAlgorithm, output_file_name
from .. import compat, guard, loading
from ..registry import algorithm_classes
from .. import params as P

WORKFLOWS = {
    # id: (file in models/, display name, help)
    "workflowmahalanobis": (
        "landslide_mahalanobis.model3", "Workflow: landslide susceptibility (Mahalanobis)",
        "The workflow of the Rangamati Mahalanobis study as a Graphical Modeler model, evaluated "
        "on data it never saw: "
        "a share of the inventory held out in whole spatial blocks (HOLDOUT, BLOCK_SIZE), "
        "absences by Mahalanobis distance (1:1) for the rest, a random forest (scored on the "
        "held-out landslides beside its internal score), the susceptibility map with 5 "
        "natural-breaks classes and the spread of the trees, the area of applicability "
        "(dissimilarity index and mask), and the map's evaluation with SCAI on the held-out "
        "landslides (and on an optional INDEPENDENT inventory), inside and outside the area "
        "of applicability. Open models/landslide_mahalanobis.model3 in the Graphical Modeler "
        "to see or change the chain."),
    "workflowhnn": (
        "landslide_size_hnn.model3", "Workflow: landslide occurrence and size per slope unit",
        "The workflow of Aguilera et al. (2022) as a Graphical Modeler model: slope-unit "
        "statistics of the factors "
        "with the landslide area per unit, units without data left out, landslide size classes, "
        "and the Hierarchical Neural Network with its report (ROC against the GLM, class AUCs, "
        "Moran's I), and the units' area of applicability (dissimilarity index to the "
        "training units, inside or outside). Open models/landslide_size_hnn.model3 in the "
        "Graphical Modeler to see or change the chain."),
    "workflowmultihazard": (
        "flood_landslide_multihazard.model3",
        "Workflow: flood-landslide multi-hazard susceptibility",
        "The FL-MHSM study's workflow as a Graphical Modeler model: multi-hazard samples "
        "(absences by ABSENCE_METHOD: by default random outside a buffer, 3 per presence; "
        "the FL-MHSM study's one-class SVM on the coordinates, a one-class SVM in factor space or "
        "Mahalanobis chi-square on request; synthetic KDE presences by KDE_RATIO, none by "
        "default, the FL-MHSM study: 1.5; 80/10/10 per zone), zone-wise feature selection, "
        "Late Fusion, Early Fusion and the Mixture of Experts per zone (each zone leaning on "
        "the all-zone models by its sample size), the maps on overlapping "
        "tiles (blended across zone borders) with uncertainty, correlation, the area of "
        "applicability of each zone's models and the 25-class bivariate map, the evaluation "
        "report (Jaccard, MH density, zonal uncertainty) and GeoDetector on the MoE maps per "
        "zone (all factors, interactions among the top 5, risk detector on the top one). Open "
        "models/flood_landslide_multihazard.model3 in the Graphical Modeler to see or change "
        "the chain."),
}

for _file, _title, _ in WORKFLOWS.values():  # a shipped model run in the Modeler: its group
    loading.MODEL_TITLES[os.path.splitext(_file)[0]] = _title


def _child_algorithm(alg_id):
    """A child's algorithm with its parameters: this plugin's from its own classes (the
    registry is still being filled when the workflows load), the others from the registry."""
    from qgis.core import QgsApplication
    provider, _, name = alg_id.partition(":")
    if provider == "hazard":
        for cls in algorithm_classes():
            if cls.NAME == name:
                a = cls()
                a.initAlgorithm()
                return a
    return QgsApplication.processingRegistry().algorithmById(alg_id)


def _steps_requires(model):
    classes = {cls.NAME: cls for cls in algorithm_classes()}
    needed = []
    for child in model.childAlgorithms().values():
        provider, _, name = child.algorithmId().partition(":")
        if provider == "hazard" and name in classes:
            needed += [m for m in classes[name].REQUIRES if m not in needed]
    return tuple(needed)


class Workflow(HazardAlgorithm):
    """A shipped model offered as an algorithm: its inputs in workflow order (as laid out in
    the model), its outputs under their own UPPER_SNAKE names with descriptions (the model
    names them "<step>:<NAME>"), and OUTPUT_FOLDER for the outputs not given."""

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
        self.outputs_map = {}  # our output name -> (model output name, file extension)
        # every step's packages, checked before the first step runs: a missing one had
        # stopped the run at its step, after the steps before it, and its message came back
        # again wrapped in the model's "Error encountered while running <step>"
        self.REQUIRES = _steps_requires(self.model)
        self.folder = ""  # OUTPUT_FOLDER of this run, once resolved

    def createInstance(self):
        return Workflow(self.key)

    def shortHelpString(self):
        return self.tr(self.HELP + "<br><br>Every output you do not name (left as a temporary "
                       "layer or file) is written into OUTPUT_FOLDER under its own name; the "
                       "dialog's default for that folder is a temporary one. The layers load "
                       "into one group per run: the samples on top, then the map, the "
                       "supporting layers (uncertainty, dissimilarity, area of applicability, "
                       "D²) below it, unchecked.")

    def initAlgorithm(self, config=None):
        from qgis.core import QgsProcessingParameterFolderDestination
        inputs = [d for d in self.model.parameterDefinitions() if not d.isDestination()]
        pos = {n: self.model.parameterComponent(n).position().x()
               for n in self.model.parameterComponents()}
        for d in sorted(inputs, key=lambda d: pos.get(d.name(), 0.0)):
            self.addParameter(d.clone())
        children = self.model.childAlgorithms()
        for cid in sorted(children, key=lambda c: children[c].position().y()):
            child = children[cid]
            alg = _child_algorithm(child.algorithmId())
            for out in child.modelOutputs().values():
                d = alg.parameterDefinition(out.childOutputName()) if alg else None
                if d is None:
                    continue
                c = d.clone()
                c.setName(out.name())
                c.setDescription(out.description() or out.name())
                c.setHelp(f"{out.description()}: from the step '{child.description()}' "
                          f"({child.algorithmId()}, {out.childOutputName()}).")
                c.setFlags(c.flags() | compat.FLAG_OPTIONAL)
                # every output is written (into OUTPUT_FOLDER when not named): the dialog
                # offers each as a temporary layer, loaded, rather than "[Skip output]"
                c.setCreateByDefault(True)
                self.addParameter(c)
                self.outputs_map[out.name()] = (f"{cid}:{out.name()}",
                                                d.defaultFileExtension() or "")
        self.addParameter(QgsProcessingParameterFolderDestination(
            P.OUTPUT_FOLDER, self.tr("Folder for the outputs not named above"), optional=True))

    def resolve_destinations(self, parameters, context):
        """OUTPUT_FOLDER first (the dialog's default is a temporary folder), then every output
        left TEMPORARY_OUTPUT: into OUTPUT_FOLDER when there is one, under its own name."""
        from qgis.core import QgsProcessingUtils
        params = dict(parameters)
        folder = params.get(P.OUTPUT_FOLDER)
        if folder is not None and guard.is_temporary(folder):
            params[P.OUTPUT_FOLDER] = guard.with_sink(
                folder, QgsProcessingUtils.generateTempFilename(self.key))
        self.folder = self.parameterAsFileOutput(params, P.OUTPUT_FOLDER, context) \
            if params.get(P.OUTPUT_FOLDER) else ""
        return super().resolve_destinations(params, context)

    def temporary_destination(self, definition, parameters, context):
        if self.folder and definition.name() in self.outputs_map:
            return os.path.join(self.folder, output_file_name(
                definition, self.outputs_map[definition.name()][1]))
        return super().temporary_destination(definition, parameters, context)

    def compute(self, parameters, context, feedback, fb):
        import processing
        from qgis.core import QgsApplication
        folder = self.folder
        params = {k: v for k, v in parameters.items() if k not in self.outputs_map and
                  k != P.OUTPUT_FOLDER}
        missing = [n for n in self.outputs_map if not parameters.get(n)]
        if missing and not folder and QgsApplication.platform() != "desktop":
            raise QgsProcessingException(
                f"Outputs {', '.join(missing)} are not named and would be temporary files "
                f"deleted when this run ends: give OUTPUT_FOLDER (or name each output) "
                f"[{P.OUTPUT_FOLDER}].")
        if folder:
            os.makedirs(folder, exist_ok=True)
        for name, (model_name, ext) in self.outputs_map.items():
            given = parameters.get(name)
            if not given:  # not asked for: into the folder (or a temporary file), not loaded
                given = self.temporary_destination(self.parameterDefinition(name), parameters,
                                                   context)
            params[model_name] = given
        res = processing.run(self.model, params, context=context, feedback=feedback,
                             is_child_algorithm=True)
        out = {name: res.get(model_name) for name, (model_name, _) in self.outputs_map.items()}
        for name, dest in out.items():  # loaded under the workflow's names of its outputs
            if isinstance(dest, str):
                loading.note(dest, name=self.parameterDefinition(name).description())
        if folder:
            out[P.OUTPUT_FOLDER] = folder
        return out
