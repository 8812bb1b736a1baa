"""hazard:mahalanobisabsences: absences where D^2 exceeds the chi-square critical value."""
from qgis.core import (QgsProcessingParameterBoolean, QgsProcessingParameterEnum,
                       QgsProcessingParameterRasterDestination)

from ...core.sampling import samplers as smp
from ...core.sampling.mahalanobis import MAHALANOBIS, mahalanobis_absences
from ...core.sampling.report import mahalanobis_report
from .common import SamplingAlgorithm
from ..styles import attach_style, critical_value, sampling_mask
from .. import params as P

DOFS = ["p-1", "p"]


class MahalanobisAbsences(SamplingAlgorithm):
    NAME = "mahalanobisabsences"
    DISPLAY = "Absences by Mahalanobis distance (chi-square)"
    SAMPLER = MAHALANOBIS.name
    REQUIRES = ("scipy",)
    HELP = (
        "Draws absence (non-hazard) samples where the environment is unlike the presences', after "
        "the Mahalanobis-distance sampling of the Rangamati study (Scientific Reports).<br><br>"
        "m and C are the mean and covariance of the continuous factors over the presences; for "
        "every pixel D&sup2; = (x-m)<sup>T</sup>C<sup>-1</sup>(x-m). The sampling space is "
        "D&sup2; &gt; c, c = &chi;&sup2;<sub>1-&alpha;</sub>(dof), dof = p-1 as published (or p); "
        "e.g. p = 15, &alpha; = 0.05, dof 14 gives c = 23.68. Absences are drawn uniformly in "
        "it, seeded, one per pixel at most, never on a presence pixel or on nodata, and at "
        "least the minimum distance from every presence.<br>"
        "Categorical factors are left out of the distance (they only restrict the valid "
        "pixels). Collinear factors (a singular or ill-conditioned C) are an error that names "
        "them, unless you allow the pseudo-inverse.<br><br>"
        "<b>Outputs</b>: the samples (label 0 absences, with the presences as label 1 unless "
        "switched off), the D&sup2; raster, the sampling-space mask (1 admissible, 0 not) and an "
        "HTML summary (D&sup2; histogram with the critical value, p, dof, admissible share).")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.add_number(P.ALPHA, "Significance level alpha", 0.05, minValue=1e-9, maxValue=0.5)
        self.addParameter(QgsProcessingParameterEnum(
            P.DOF, self.tr("Degrees of freedom"), ["p - 1 (as published)", "p"], defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(
            P.ALLOW_PINV, self.tr("Use the pseudo-inverse when the covariance is singular"),
            False))
        self.add_count_parameters()
        self.add_common_parameters()
        self.add_output()
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_D2, self.tr("Squared Mahalanobis distance D²"), optional=True))
        self.addParameter(QgsProcessingParameterRasterDestination(
            P.OUTPUT_MASK, self.tr("Sampling space (1: D² > critical value)"), optional=True))
        self.add_report_outputs("Summary", optional=True)

    def compute(self, parameters, context, feedback, fb):
        with self.factor_stack(parameters, context) as stack:
            cont = [i for i, c in enumerate(stack.categorical) if not c]
            skipped = [stack.names[i] for i, c in enumerate(stack.categorical) if c]
            if skipped:
                feedback.pushInfo(f"Categorical factor(s) {', '.join(skipped)} are left out of "
                                  f"the distance; they only restrict the valid pixels.")
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.05))
            names = [stack.names[i] for i in cont]
            model = smp.mahalanobis_model(
                pres.values[:, cont], names,
                self.parameterAsDouble(parameters, P.ALPHA, context),
                DOFS[self.parameterAsEnum(parameters, P.DOF, context)],
                self.parameterAsBool(parameters, P.ALLOW_PINV, context))
            if model.pseudo_inverse:
                feedback.pushWarning("The covariance is singular: the pseudo-inverse is used.")
            feedback.pushInfo(f"p = {len(names)} factors ({', '.join(names)}), dof = "
                              f"{model.dof}, critical D² = {model.critical:.4f}")
            n = self.count(parameters, context, len(pres))
            d2_path = self.parameterAsOutputLayer(parameters, P.OUTPUT_D2, context) or None
            mask_path = self.parameterAsOutputLayer(parameters, P.OUTPUT_MASK, context) or None

            res = mahalanobis_absences(
                stack, pres, cont, model, n, self.rng(parameters, context), d2_path, mask_path,
                self.parameterAsDouble(parameters, P.MIN_DISTANCE, context), fb.sub(0.05, 0.95))
            ax, ay, n_valid, n_adm = res.x, res.y, res.n_valid, res.n_admissible
            crs = stack.grid.crs_wkt
        dest = self.write_absences(parameters, context, crs, pres, ax, ay,
                                   "Mahalanobis samples")
        out = {P.OUTPUT: dest}
        if d2_path:
            attach_style(context, d2_path, critical_value(model.critical), "raster", "D²",
                         role="support", order=1)
            out[P.OUTPUT_D2] = d2_path
        if mask_path:
            attach_style(context, mask_path, sampling_mask(), "raster", "Sampling space",
                         role="support")
            out[P.OUTPUT_MASK] = mask_path
        out.update(self.optional_report(parameters, context, mahalanobis_report, model, res,
                                        len(pres)))
        feedback.pushInfo(f"Admissible pixels: {n_adm} of {n_valid} valid "
                          f"({100.0 * n_adm / max(1, n_valid):.1f} %); {len(ax)} absences drawn.")
        return out
