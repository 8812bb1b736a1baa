"""hazard:multiratioabsences: random absence sets for a list of ratios, each split."""
import numpy as np
from qgis.core import QgsProcessingParameterString

from ...core.sampling import samplers as smp
from .common import SamplingAlgorithm
from .. import params as P


class MultiRatioAbsences(SamplingAlgorithm):
    NAME = "multiratioabsences"
    DISPLAY = "Random absences for several ratios"
    SAMPLER = smp.RANDOM.name
    HELP = (
        "Scenario 1 of Li & Tian (2025): one run produces a sample set for each "
        "presence:absence ratio of a list (default 1:1, 1:5, 1:50, 1:100, 1:150, 1:200). Each "
        "set holds every presence and its own random absences (drawn uniformly among the valid "
        "pixels, seeded, at least the minimum distance from the presences), and its own "
        "stratified train/test split (default 70/30 for each label).<br><br>"
        "<b>Output</b>: one point layer with label, sampler, ratio (e.g. '1:5') and split "
        "('train' or 'test'); select one set with an expression such as \"ratio\" = '1:5'.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterString(
            P.RATIOS, self.tr("Ratios (presence:absence)"), "1:1, 1:5, 1:50, 1:100, 1:150, 1:200"))
        self.add_number(P.TEST_SHARE, "Test share of each label", 0.3, minValue=0.0, maxValue=0.9)
        self.add_common_parameters(include_presences=False)
        self.add_output(text="Sample sets")

    def compute(self, parameters, context, feedback, fb):
        text = self.parameterAsString(parameters, P.RATIOS, context)
        ratios = smp.parse_ratios(text)
        labels_txt = [p.strip() if ":" in p else f"1:{p.strip()}"
                      for p in text.replace(";", ",").split(",") if p.strip()]
        share = self.parameterAsDouble(parameters, P.TEST_SHARE, context)
        rng = self.rng(parameters, context)
        xs, ys, cols = [], [], {"label": [], "sampler": [], "ratio": [], "split": []}
        with self.factor_stack(parameters, context) as stack:
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.05))
            adm = smp.Admissible(stack, pres,
                                 self.parameterAsDouble(parameters, P.MIN_DISTANCE, context))
            # every set is kept until the output is written: their memory checked at once
            smp.absence_count(len(pres), ratio=sum(ratios), ratio_param=P.RATIOS)
            for k, (r, name) in enumerate(zip(ratios, labels_txt)):
                n = smp.absence_count(len(pres), ratio=r, ratio_param=P.RATIOS)
                ax, ay, _ = smp.draw(adm, n, rng, fb.sub(0.05 + 0.9 * k / len(ratios),
                                                         0.05 + 0.9 * (k + 1) / len(ratios)))
                lab = np.r_[np.ones(len(pres), int), np.zeros(n, int)]
                xs.append(np.concatenate([pres.x, ax]))
                ys.append(np.concatenate([pres.y, ay]))
                cols["label"].append(lab)
                cols["sampler"].append(np.array(["presence"] * len(pres) + [self.SAMPLER] * n,
                                                object))
                cols["ratio"].append(np.array([name] * len(lab), object))
                cols["split"].append(smp.stratified_split(lab, share, rng))
                feedback.pushInfo(f"{name}: {len(pres)} presences, {n} absences")
            crs = stack.grid.crs_wkt
        cols = {k: np.concatenate(v) for k, v in cols.items()}
        return {P.OUTPUT: self.write_samples(parameters, context, crs, np.concatenate(xs),
                                             np.concatenate(ys), cols,
                                             layer_name="Multi-ratio samples")}
