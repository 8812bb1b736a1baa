"""hazard:hnnlossweights and hazard:hnnablation: Aguilera et al.'s (2022) sensitivity tests."""

from ...core.hnn import report as rp
from ...core.hnn import jobs
from ...core.util import worker
from .common import HnnAlgorithm
from .. import params as P


class _HnnTest(HnnAlgorithm):
    def initAlgorithm(self, config=None):
        self.add_units()
        self.add_network()
        self.add_report_outputs("Report", "Table (CSV)")

    def _evaluate(self, parameters, context, fb, X, classes, configs):
        """Train and evaluate one network per config ({alpha, cols}) in the worker process."""
        kw = self.train_kwargs(parameters, context)
        result, _ = worker.run(jobs.EvaluateHnns(
            n_classes=int(classes.max()) + 1, arch=self.arch(parameters, context),
            configs=[jobs.Config(**c) for c in configs], **kw),
            {"X": X, "classes": classes, "test": self.test_split(classes, parameters, context)},
            fb)
        return result["results"]

    def _outputs(self, parameters, context, rows, report, *args):
        out = {P.OUTPUT_HTML: report(self.parameterAsFileOutput(parameters, P.OUTPUT_HTML,
                                                                context), rows, *args)}
        out.update(self.optional_csv(parameters, context, rows))
        return out


class HnnLossWeights(_HnnTest):
    NAME = "hnnlossweights"
    DISPLAY = "HNN loss-weight test"
    HELP = (
        "Aguilera et al.'s (2022) loss-weight test (fig. 10): the network is trained for alpha = "
        "0.0, 0.1, "
        "..., 1.0 (loss = alpha BCE + (1 - alpha) CCE) on the same split and seed, and the "
        "binary AUC and the class AUC (macro one-vs-rest) on the held-out units are reported "
        "for each. Paper: best class AUC at 0.8 (8:2), best binary AUC at 1.0 (10:0).")

    def compute(self, parameters, context, feedback, fb):
        _, _, _, X, classes = self.units(parameters, context)
        rows = rp.loss_weight_rows(self._evaluate(parameters, context, fb, X, classes, [
            {"alpha": a} for a in rp.LOSS_WEIGHTS]))
        for r in rows:
            feedback.pushInfo(f"alpha {r['alpha']:.1f}: binary AUC {r['binary_AUC']:.3f}, class "
                              f"AUC {r['class_AUC_macro_ovr']:.3f}")
        return self._outputs(parameters, context, rows, rp.loss_weight_report)


class HnnAblation(_HnnTest):
    NAME = "hnnablation"
    DISPLAY = "HNN factor ablation"
    HELP = (
        "Aguilera et al.'s (2022) ablation (figs. 6 and 9): for each factor, its mean and "
        "standard deviation "
        "columns are removed together, the network is retrained on the same split and seed, "
        "and the drop in binary AUC and in each class's one-vs-rest AUC against the full model "
        "is reported. A large drop marks an important factor.")

    def compute(self, parameters, context, feedback, fb):
        _, _, names, X, classes = self.units(parameters, context)
        alpha = self.parameterAsDouble(parameters, P.ALPHA, context)
        evs = self._evaluate(parameters, context, fb, X, classes,
                             rp.ablation_configs(names, alpha))
        return self._outputs(parameters, context, rp.ablation_rows(names, evs),
                             rp.ablation_report, evs[0])
