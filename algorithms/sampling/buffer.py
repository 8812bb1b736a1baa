"""hazard:bufferabsences: random absences outside a buffer around the presences."""
from ...core.sampling import samplers as smp
from .common import SamplingAlgorithm
from .. import params as P


class BufferAbsences(SamplingAlgorithm):
    NAME = "bufferabsences"
    DISPLAY = "Random absences outside a buffer"
    SAMPLER = smp.BUFFER_RANDOM.name
    HELP = (
        "Draws absence samples uniformly at random among the valid pixels of the factor "
        "rasters that lie at least the buffer distance from every presence (METHODS.md 1.3). "
        "Seeded; one sample per pixel at most; never on a presence pixel or on nodata. The "
        "count is given directly or as a ratio to the presences; asking for more absences "
        "than there are admissible pixels is an error that says how many there are.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.add_count_parameters()
        self.add_common_parameters(min_distance=100.0)
        self.add_output()

    def compute(self, parameters, context, feedback, fb):
        with self.factor_stack(parameters, context) as stack:
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.1))
            n = self.count(parameters, context, len(pres))
            adm = smp.Admissible(stack, pres,
                                 self.parameterAsDouble(parameters, P.MIN_DISTANCE, context))
            ax, ay, _ = smp.draw(adm, n, self.rng(parameters, context), fb.sub(0.1, 0.95))
            crs = stack.grid.crs_wkt
        return {P.OUTPUT: self.write_absences(parameters, context, crs, pres, ax, ay,
                                              "Buffer samples")}
