"""hazard:hnnlossweights and hazard:hnnablation: paper 000's sensitivity tests."""
import numpy as np
from qgis.core import QgsProcessingParameterFileDestination

from ...core.util import worker
from ...core.util.report import HtmlReport, figure, write_csv
from .common import HnnAlgorithm, factor_groups


class _HnnTest(HnnAlgorithm):
    def initAlgorithm(self, config=None):
        self.add_units()
        self.add_network()
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Report"), self.tr("HTML files (*.html)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_CSV", self.tr("Table (CSV)"), self.tr("CSV files (*.csv)"), optional=True))

    def _evaluate(self, parameters, context, fb, X, classes, configs):
        """Train and evaluate one network per config ({alpha, cols}) in the worker process."""
        kw = self.train_kwargs(parameters, context)
        result, _ = worker.run("evaluate_many", dict(
            kw, n_classes=int(classes.max()) + 1, arch=self.arch(parameters, context).to_json(),
            configs=configs), {"X": X, "classes": classes,
                               "test": self.test_split(classes, parameters, context)}, fb)
        return result["results"]

    def _write(self, parameters, context, title, rows, note, fig):
        rep = HtmlReport(title)
        rep.paragraph(note, note=True)
        rep.table(rows)
        rep.add_figure(fig, title)
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        out = {"OUTPUT_HTML": rep.write(html)}
        csv = self.parameterAsFileOutput(parameters, "OUTPUT_CSV", context)
        if csv:
            out["OUTPUT_CSV"] = write_csv(csv, rows)
        return out


class HnnLossWeights(_HnnTest):
    NAME = "hnnlossweights"
    DISPLAY = "HNN loss-weight test"
    HELP = (
        "Paper 000's loss-weight test (fig. 10): the network is trained for alpha = 0.0, 0.1, "
        "..., 1.0 (loss = alpha BCE + (1 - alpha) CCE) on the same split and seed, and the "
        "binary AUC and the class AUC (macro one-vs-rest) on the held-out units are reported "
        "for each. Paper: best class AUC at 0.8 (8:2), best binary AUC at 1.0 (10:0).")

    def compute(self, parameters, context, feedback, fb):
        _, _, _, X, classes = self.units(parameters, context)
        alphas = np.round(np.linspace(0, 1, 11), 1)
        evs = self._evaluate(parameters, context, fb, X, classes,
                             [{"alpha": float(a)} for a in alphas])
        rows = []
        for a, ev in zip(alphas, evs):
            rows.append({"alpha": float(a), "binary_AUC": ev["binary_auc"],
                         "class_AUC_macro_ovr": ev["macro_ovr"],
                         "class_AUC_weighted_ovo": ev["weighted_ovo"]})
            feedback.pushInfo(f"alpha {a:.1f}: binary AUC {ev['binary_auc']:.3f}, class AUC "
                              f"{ev['macro_ovr']:.3f}")
        fig, ax = figure(6, 3.5)
        ax.plot(alphas, [r["binary_AUC"] for r in rows], "o-", label="binary AUC")
        ax.plot(alphas, [r["class_AUC_macro_ovr"] for r in rows], "s-", label="class AUC")
        ax.set_xlabel("alpha (weight of the binary loss)")
        ax.set_ylabel("AUC (held-out units)")
        ax.legend()
        return self._write(parameters, context, "HNN loss-weight test", rows,
                           "Same split and seed for every alpha (paper 000, fig. 10).", fig)


class HnnAblation(_HnnTest):
    NAME = "hnnablation"
    DISPLAY = "HNN factor ablation"
    HELP = (
        "Paper 000's ablation (figs. 6 and 9): for each factor, its mean and standard deviation "
        "columns are removed together, the network is retrained on the same split and seed, "
        "and the drop in binary AUC and in each class's one-vs-rest AUC against the full model "
        "is reported. A large drop marks an important factor.")

    def compute(self, parameters, context, feedback, fb):
        _, _, names, X, classes = self.units(parameters, context)
        alpha = self.parameterAsDouble(parameters, "ALPHA", context)
        groups = factor_groups(names)
        configs = [{"alpha": alpha}] + [
            {"alpha": alpha, "cols": [j for j in range(len(names)) if j not in cols]}
            for cols in groups.values()]
        evs = self._evaluate(parameters, context, fb, X, classes, configs)
        full = evs[0]
        rows = []
        for factor, ev in zip(groups, evs[1:]):
            row = {"factor": factor, "binary_AUC": ev["binary_auc"],
                   "binary_drop": full["binary_auc"] - ev["binary_auc"]}
            for c, a in full["per_class"].items():
                row[f"class_{c}_drop"] = a - ev["per_class"].get(c, float("nan"))
            rows.append(row)
        rows.sort(key=lambda r: -r["binary_drop"])
        fig, ax = figure(6.5, 0.4 * len(rows) + 1.2)
        ax.barh([r["factor"] for r in rows][::-1], [r["binary_drop"] for r in rows][::-1],
                color="#d7301f")
        ax.set_xlabel("drop in binary AUC when the factor is removed")
        note = (f"Full model: binary AUC {full['binary_auc']:.3f}, class AUCs "
                f"{', '.join(f'{c}: {a:.3f}' for c, a in full['per_class'].items())}.")
        return self._write(parameters, context, "HNN factor ablation", rows, note, fig)
