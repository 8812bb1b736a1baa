"""hazard:trainhnn: the Hierarchical Neural Network on slope units."""
import numpy as np
from qgis.core import QgsProcessingParameterFileDestination

from ...core.hnn.spatial import morans_i, queen_neighbours
from ...core.hnn import jobs
from ...core.util import worker
from ...core.hnn.report import class_area_ranges, training_report, training_rows
from ...core.io.zonal import geometries_from_wkb
from ..base import source_geometries
from ..vector_io import numbers
from .common import HnnAlgorithm
from .. import params as P


class TrainHnn(HnnAlgorithm):
    NAME = "trainhnn"
    DISPLAY = "Train Hierarchical Neural Network"
    HELP = (
        "Trains the Hierarchical Neural Network of Aguilera et al. (2022): one "
        "TensorFlow network that predicts, per slope unit, whether a landslide occurs and its "
        "size class.<br><br>"
        "<b>Network</b>: the z-scored features go through block 1 (N1 dense layers of U1 units, "
        "ReLU, L2 penalty, dropout) to the binary head (sigmoid); block 2 takes block 1's "
        "output together with the binary head's (N2 layers of U2 units, LeakyReLU, L2, dropout) "
        "to the class head (softmax); the L2 penalty applies to every layer, both heads "
        "included (Aguilera et al. 2022, appendix A). Loss = &alpha; BCE + (1 - &alpha;) CCE "
        "(paper: best class "
        "AUC at &alpha; = 0.8, best binary AUC at 1.0). Adam, early stopping on the validation "
        "loss (patience 15, up to 300 epochs, 80:20 train/validation), keeping the best "
        "epoch's weights. SMOTE balances the size classes of the training part only. A held-out "
        "test share (default 20%) is used for the report. With search trials &gt; 0, a Monte "
        "Carlo search over the paper's space (table 5; trials x repeats, lowest mean minimum "
        "validation loss) picks the architecture.<br><br>"
        "<b>Outputs</b>: the model file (.hnn: the network's weights as plain arrays and a "
        "manifest with its architecture; the network is rebuilt from the plugin's code when "
        "the file is opened, so it cannot run code), the slope units with P(landslide), "
        "P(class c) and the most likely class, "
        "and an HTML report: training curves, binary ROC against the logistic GLM on the same "
        "split, per-class ROC, macro and weighted one-vs-rest and weighted one-vs-one AUC, the "
        "confusion matrix, and Moran's I of occurrence (queen contiguity). Progress is reported "
        "every epoch and a cancel stops training within the epoch. Same seed, same weights.")

    def initAlgorithm(self, config=None):
        self.add_units()
        self.add_network()
        self.add_number(P.SEARCH_TRIALS, "Monte Carlo search trials (0: no search)", 0, minValue=0,
                        integer=True)
        self.add_number(P.SEARCH_REPEATS, "Repeats of each trial", 1, minValue=1, integer=True)
        self.addParameter(QgsProcessingParameterFileDestination(
            P.OUTPUT_MODEL, self.tr("HNN model file"), self.tr("HNN model (*.hnn)")))
        self.add_units_output()
        self.add_report_outputs("HNN report", "Test metrics (CSV)")

    def compute(self, parameters, context, feedback, fb):
        src, feats, names, X, classes = self.units(parameters, context)
        K = int(classes.max()) + 1
        test = self.test_split(classes, parameters, context)
        alpha = self.parameterAsDouble(parameters, P.ALPHA, context)
        kw = self.train_kwargs(parameters, context)
        arch = self.arch(parameters, context)
        trials = self.parameterAsInt(parameters, P.SEARCH_TRIALS, context)
        result, arr = worker.run(jobs.TrainHnn(
            n_classes=K, arch=arch, alpha=alpha, trials=trials,
            repeats=self.parameterAsInt(parameters, P.SEARCH_REPEATS, context),
            model_path=self.parameterAsFileOutput(parameters, P.OUTPUT_MODEL, context),
            features=names, crs_authid=src.sourceCrs().authid(), **kw),
            {"X": X, "classes": classes, "test": test}, fb.sub(0, 0.9))
        ev = result["metrics"]
        glm_auc, glm_p = result["glm_auc"], arr["glm_p"]
        crs = src.sourceCrs()
        wkbs, _ = source_geometries(src, P.UNITS, crs, context)
        moran = morans_i((classes > 0).astype(float),
                         queen_neighbours(geometries_from_wkb(wkbs)))
        path = self.parameterAsFileOutput(parameters, P.OUTPUT_MODEL, context)
        split = np.full(len(classes), "validation", dtype=object)
        split[arr["train_idx"].astype(int)] = "train"
        split[test] = "test"
        dest = self.write_units(parameters, context, src, feats, arr["pb"], arr["pc"],
                                split=split)
        html = self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context)
        ranges = class_area_ranges(numbers(feats, ["ls_area"])[:, 0], classes) \
            if src.fields().indexOf("ls_area") >= 0 else {}  # as 'Landslide size classes' left
        training_report(html, result, alpha, ev, glm_auc, classes[test], arr["pb_test"], glm_p,
                        arr["pc_test"], moran, names, ranges)
        rows = training_rows(ev, glm_auc, len(test), moran)
        feedback.pushInfo(f"binary AUC {ev['binary_auc']:.3f} (GLM {glm_auc:.3f}); class AUC "
                          f"macro OvR {ev['macro_ovr']:.3f}; Moran's I {moran['I']:.4f}")
        out = {P.OUTPUT_MODEL: path, P.OUTPUT: dest, P.OUTPUT_HTML: html}
        out.update(self.optional_csv(parameters, context, rows, ["metric", "value"]))
        return out
