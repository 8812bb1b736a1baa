"""hazard:mahalanobisabsences: absences where D^2 exceeds the chi-square critical value."""
import numpy as np
from osgeo import gdal
from qgis.core import (QgsProcessingParameterBoolean, QgsProcessingParameterEnum,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterDestination)

from ...core.sampling import samplers as smp
from ...core.io.raster import AtomicOutput, RasterWriter
from ...core.util.report import HtmlReport, figure
from .. import compat
from .common import SamplingAlgorithm
from ..styles import attach_style, raster_pseudocolor

DOFS = ["p-1", "p"]
BINS = np.concatenate([[0.0], np.logspace(-2, 4, 121)])


class MahalanobisAbsences(SamplingAlgorithm):
    NAME = "mahalanobisabsences"
    DISPLAY = "Absences by Mahalanobis distance (chi-square)"
    SAMPLER = "mahalanobis"
    REQUIRES = ("scipy",)
    HELP = (
        "Draws absence (non-hazard) samples where the environment is unlike the presences', after "
        "the Mahalanobis-distance sampling of paper 003 (Sci. Rep., Rangamati).<br><br>"
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
        self.addParameter(QgsProcessingParameterNumber(
            "ALPHA", self.tr("Significance level alpha"), compat.NUMBER_DOUBLE, 0.05,
            minValue=1e-9, maxValue=0.5))
        self.addParameter(QgsProcessingParameterEnum(
            "DOF", self.tr("Degrees of freedom"), ["p - 1 (as published)", "p"], defaultValue=0))
        self.addParameter(QgsProcessingParameterBoolean(
            "ALLOW_PINV", self.tr("Use the pseudo-inverse when the covariance is singular"),
            False))
        self.add_count_parameters()
        self.add_common_parameters()
        self.add_output()
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_D2", self.tr("Squared Mahalanobis distance D²")))
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_MASK", self.tr("Sampling space (1: D² > critical value)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Summary"), self.tr("HTML files (*.html)"), optional=True))

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
                self.parameterAsDouble(parameters, "ALPHA", context),
                DOFS[self.parameterAsEnum(parameters, "DOF", context)],
                self.parameterAsBool(parameters, "ALLOW_PINV", context))
            if model.pseudo_inverse:
                feedback.pushWarning("The covariance is singular: the pseudo-inverse is used.")
            feedback.pushInfo(f"p = {len(names)} factors ({', '.join(names)}), dof = "
                              f"{model.dof}, critical D² = {model.critical:.4f}")
            n = self.count(parameters, context, len(pres))
            d2_path = self.parameterAsOutputLayer(parameters, "OUTPUT_D2", context)
            mask_path = self.parameterAsOutputLayer(parameters, "OUTPUT_MASK", context)

            def beyond(win, data):
                with np.errstate(invalid="ignore"):
                    return smp.mahalanobis_d2(model, data[cont]) > model.critical

            adm = smp.Admissible(stack, pres, self.parameterAsDouble(parameters, "MIN_DISTANCE",
                                                                     context), beyond)
            # the rasters take their names only once the absences are drawn: a failed draw
            # (too few admissible pixels) leaves nothing behind
            with AtomicOutput(d2_path) as t1, AtomicOutput(mask_path) as t2:
                hist, n_valid, n_adm = self._rasters(stack, cont, model, t1, t2,
                                                     fb.sub(0.05, 0.5))
                ax, ay, _ = smp.draw(adm, n, self.rng(parameters, context), fb.sub(0.5, 0.95))
            crs = stack.grid.crs_wkt
        x, y, cols = self.with_presences(parameters, context, pres, ax, ay, self.SAMPLER)
        dest = self.write_samples(parameters, context, crs, x, y, cols,
                                  layer_name="Mahalanobis samples")
        attach_style(context, d2_path, raster_pseudocolor(1, "Magma"), "raster", "D²")
        attach_style(context, mask_path, raster_pseudocolor(1, "Greys"), "raster",
                     "Sampling space")
        out = {"OUTPUT": dest, "OUTPUT_D2": d2_path, "OUTPUT_MASK": mask_path}
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        if html:
            self._report(html, model, hist, n_valid, n_adm, len(pres), len(ax))
            out["OUTPUT_HTML"] = html
        feedback.pushInfo(f"Admissible pixels: {n_adm} of {n_valid} valid "
                          f"({100.0 * n_adm / max(1, n_valid):.1f} %); {len(ax)} absences drawn.")
        return out

    @staticmethod
    def _rasters(stack, cont, model, d2_path, mask_path, fb):
        hist = np.zeros(len(BINS) - 1, np.int64)
        n_valid = n_adm = 0
        wins = list(stack.windows())
        w1 = RasterWriter(d2_path, stack.grid, ["d2"])
        w2 = RasterWriter(mask_path, stack.grid, ["sampling_space"], gdal.GDT_Byte, 255)
        try:
            for k, win in enumerate(wins):
                fb.check()
                data = stack.read(win)
                with np.errstate(invalid="ignore"):
                    d2 = smp.mahalanobis_d2(model, data[cont])
                valid = ~np.isnan(d2)
                mask = np.where(valid, (d2 > model.critical).astype(np.uint8), 255)
                w1.write(win, d2.astype(np.float32))
                w2.write(win, mask)
                hist += np.histogram(d2[valid], BINS)[0]
                n_valid += int(valid.sum())
                n_adm += int((mask == 1).sum())
                fb.report((k + 1) / len(wins))
        finally:
            w1.close()
            w2.close()
        return hist, n_valid, n_adm

    def _report(self, path, model, hist, n_valid, n_adm, n_pres, n_abs):
        rep = HtmlReport("Mahalanobis chi-square absence sampling")
        rep.table([{"factors (p)": len(model.names), "dof": model.dof, "alpha": model.alpha,
                    "critical D²": model.critical, "presences": n_pres, "absences": n_abs,
                    "valid pixels": n_valid, "admissible pixels": n_adm,
                    "admissible share (%)": 100.0 * n_adm / max(1, n_valid),
                    "pseudo-inverse": model.pseudo_inverse}])
        rep.paragraph("Factors: " + ", ".join(model.names))
        fig, ax = figure(7, 3.5)
        centres = np.sqrt(BINS[:-1] * BINS[1:])
        centres[0] = BINS[1] / 2
        ax.bar(centres, hist, width=np.diff(BINS), align="center", color="#807dba")
        ax.set_xscale("log")
        ax.axvline(model.critical, color="#d7301f", lw=2,
                   label=f"critical value {model.critical:.2f}")
        ax.set_xlabel("D² (squared Mahalanobis distance to the presences)")
        ax.set_ylabel("pixels")
        ax.legend()
        rep.add_figure(fig, "D2 histogram")
        rep.heading("Presence statistics")
        rep.table([{"factor": n, "mean": float(m), "std": float(np.sqrt(model.cov[i, i]))}
                   for i, (n, m) in enumerate(zip(model.names, model.mean))], left=("factor",))
        rep.paragraph("Method: paper 003 (Mahalanobis distance based absence-data sampling); "
                      "METHODS.md section 1.1.", note=True)
        rep.write(path)
