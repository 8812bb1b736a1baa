"""hazard:ocsvmabsences: absences a one-class SVM of the presence locations calls outliers."""

from ...core.sampling import samplers as smp
from .common import SamplingAlgorithm
from .. import params as P


class OcsvmAbsences(SamplingAlgorithm):
    NAME = "ocsvmabsences"
    DISPLAY = "Absences by one-class SVM"
    SAMPLER = smp.OCSVM.name
    REQUIRES = ("sklearn",)
    HELP = (
        "Draws absence samples that a one-class SVM fitted on the (standardised) coordinates "
        "of the presences predicts as outliers, at least the minimum distance (default 100 m) "
        "from every presence, as in the FL-MHSM study for both hazards.<br><br>"
        "Candidates are drawn uniformly among the valid pixels of the factor rasters (seeded, "
        "one per pixel at most, never on a presence pixel); those inside the SVM's support are "
        "rejected. nu bounds the share of presences treated as outliers by the SVM (RBF "
        "kernel, gamma 'scale').")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.add_number(P.NU, "nu of the one-class SVM", 0.1, minValue=0.001, maxValue=1.0)
        self.add_count_parameters()
        self.add_common_parameters(min_distance=100.0)
        self.add_output()

    def compute(self, parameters, context, feedback, fb):
        with self.factor_stack(parameters, context) as stack:
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.1))
            n = self.count(parameters, context, len(pres))
            ax, ay, _, _, _ = smp.ocsvm_absences(
                stack, pres, n, self.rng(parameters, context),
                self.parameterAsDouble(parameters, P.MIN_DISTANCE, context),
                self.parameterAsDouble(parameters, P.NU, context), feedback=fb.sub(0.1, 0.95))
            crs = stack.grid.crs_wkt
        return {P.OUTPUT: self.write_absences(parameters, context, crs, pres, ax, ay,
                                              "One-class SVM samples")}
