"""hazard:applyhnn: an HNN model file on slope units."""
from qgis.core import QgsProcessingException, QgsProcessingParameterFile

from ...core.hnn.modelfile import applicability_rows
from ...core.hnn import jobs
from ...core.util import worker
from .common import HnnAlgorithm
from .. import params as P


class ApplyHnn(HnnAlgorithm):
    NAME = "applyhnn"
    DISPLAY = "Apply Hierarchical Neural Network"
    REQUIRES = ("tensorflow",)
    HELP = (
        "Applies a model file from 'Train Hierarchical Neural Network' to slope units that carry "
        "the same feature fields (by name): writes P(landslide), P(class c) for every size "
        "class, the most likely class, the spread of P(landslide) under Monte Carlo dropout "
        "(the standard deviation over seeded forward passes with the network's dropout left "
        "on; 0 passes: no spread), and the di and aoa fields (dissimilarity index to the "
        "training units, 1 inside / 0 outside the area of applicability, as 'Area of "
        "applicability' gives them) when the model file keeps its training units. The network "
        "is rebuilt from the plugin's code and only its weights (plain arrays) are read from "
        "the file, so a model file cannot run code. "
        "The fields' values are compared with the training units kept in the model file "
        "(range, 5-95 % spread, Kolmogorov-Smirnov statistic): a field holding another "
        "factor or other units is refused, naming it.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterFile(
            P.MODEL, self.tr("HNN model file (.hnn)"), extension="hnn"))
        self.add_units(class_field=False)
        self.add_number(P.MC_PASSES, "Monte Carlo dropout passes for the spread (0: none)", 30,
                        minValue=0, maxValue=1000, integer=True)
        self.add_seed_parameter()
        self.add_units_output()

    def compute(self, parameters, context, feedback, fb):
        path = self.parameterAsFile(parameters, P.MODEL, context)
        man, rows = applicability_rows(path)  # the manifest, and the training units
        src = self.parameterAsSource(parameters, P.UNITS, context)
        if src is None:
            raise QgsProcessingException("The slope-unit layer could not be opened [UNITS].")
        missing = [n for n in man.features if src.fields().indexOf(n) < 0]
        if missing:
            raise QgsProcessingException(f"The slope units lack the model's feature field(s) "
                                         f"{', '.join(missing)} [UNITS].")
        parameters = dict(parameters, FEATURE_FIELDS=man.features)
        src, feats, names, X, _ = self.units(parameters, context, need_classes=False)
        passes = self.parameterAsInt(parameters, P.MC_PASSES, context)
        seed = self.seed(parameters, context)
        from ...core.susceptibility.factor_fit import check_unit_fields
        check_unit_fields(rows[0] if rows is not None else None, man.features, X, names, seed,
                          feedback.pushInfo, feedback.pushWarning)  # names a misfit field
        _, arr = worker.run(jobs.PredictHnn(path, passes, seed), {"X": X}, fb)
        extra = {}
        if rows is not None:  # the area of applicability, as 'Area of applicability' gives it
            from ...core.susceptibility import applicability as aoa
            extra = aoa.unit_fields(aoa.from_model(rows, man.features, seed, fb.check), X)
        return {P.OUTPUT: self.write_units(parameters, context, src, feats, arr["pb"],
                                           arr["pc"], spread=arr.get("spread"), extra=extra)}
