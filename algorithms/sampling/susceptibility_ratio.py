"""hazard:susceptibilityratioabsences: the absence ratio from an initial susceptibility map."""
import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterFileDestination,
                       QgsProcessingParameterNumber, QgsProcessingParameterRasterDestination)

from ...core.sampling import samplers as smp
from ...core.stats.breaks import gvf, natural_breaks, classify
from ...core.susceptibility.apply import CLASS_NAMES, apply_to_raster, class_counts
from ...core.io.raster import AtomicOutput
from ...core.util.report import HtmlReport, figure
from .. import compat
from .common import SamplingAlgorithm
from ..styles import attach_style, raster_pseudocolor


class SusceptibilityRatioAbsences(SamplingAlgorithm):
    NAME = "susceptibilityratioabsences"
    DISPLAY = "Absences at a susceptibility-based ratio"
    SAMPLER = "susceptibility_ratio"
    REQUIRES = ("sklearn", "kmeans1d")
    HELP = (
        "Scenario 2 of paper 001 (Li & Tian 2025): the number of absences follows from an "
        "initial susceptibility map. A random forest is fitted on the presences and as many "
        "random absences (1:1), it predicts every valid pixel, the map is cut into 5 natural-"
        "breaks classes (Fisher-Jenks, on a seeded sample of 100,000 values), and the ratio "
        "r = area(very low) / area(very high) (paper: 326,157 / 77,189 = 4.23) gives r x n "
        "absences, drawn at random among the valid pixels away from the presences.<br><br>"
        "<b>Outputs</b>: the samples, the initial susceptibility map, and a report with the "
        "class areas, the GVF of the breaks and the ratio.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterNumber(
            "TREES", self.tr("Trees of the initial random forest"), compat.NUMBER_INTEGER, 200,
            minValue=10))
        self.add_common_parameters()
        self.add_output()
        self.addParameter(QgsProcessingParameterRasterDestination(
            "OUTPUT_MAP", self.tr("Initial susceptibility map")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Report"), self.tr("HTML files (*.html)"), optional=True))

    def compute(self, parameters, context, feedback, fb):
        from sklearn.ensemble import RandomForestClassifier
        rng = self.rng(parameters, context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        map_path = self.parameterAsOutputLayer(parameters, "OUTPUT_MAP", context)
        with self.factor_stack(parameters, context) as stack:
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.05))
            adm = smp.Admissible(stack, pres,
                                 self.parameterAsDouble(parameters, "MIN_DISTANCE", context))
            bx, by, _ = smp.draw(adm, len(pres), rng, fb.sub(0.05, 0.15))
            Xa = smp.sample_at(stack, bx, by)
            X = np.vstack([pres.values, Xa])
            y = np.r_[np.ones(len(pres)), np.zeros(len(Xa))]
            rf = RandomForestClassifier(self.parameterAsInt(parameters, "TREES", context),
                                        random_state=seed, n_jobs=1).fit(X, y)
            with AtomicOutput(map_path) as tmp:
                n_valid, sample = apply_to_raster(stack, lambda v: rf.predict_proba(v)[:, 1],
                                                  tmp, 1, None, fb.sub(0.15, 0.6),
                                                  sample=100_000, seed=seed)
                limits = natural_breaks(sample, 5, sample=0, seed=seed)
                if len(limits) < 4:
                    raise QgsProcessingException("The initial map has fewer than 5 distinct "
                                                 "values: natural breaks need more variety.")
                counts = class_counts(tmp, limits, fb.sub(0.6, 0.7))
                if counts[-1] == 0:
                    raise QgsProcessingException("The 'very high' class of the initial map is "
                                                 "empty: the ratio is undefined.")
                ratio = counts[0] / counts[-1]
                n = smp.absence_count(len(pres), ratio=ratio)
                ax, ay, _ = smp.draw(adm, n, rng, fb.sub(0.7, 0.95))
            crs = stack.grid.crs_wkt
            area = stack.grid.pixel_area
        feedback.pushInfo(f"ratio = area(very low) / area(very high) = {counts[0]} / "
                          f"{counts[-1]} = {ratio:.3f}: {n} absences for {len(pres)} presences")
        x, y, cols = self.with_presences(parameters, context, pres, ax, ay, self.SAMPLER)
        dest = self.write_samples(parameters, context, crs, x, y, cols,
                                  layer_name="Susceptibility-ratio samples")
        attach_style(context, map_path, raster_pseudocolor(1, "RdYlGn"), "raster",
                     "Initial susceptibility")
        out = {"OUTPUT": dest, "OUTPUT_MAP": map_path}
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        if html:
            rep = HtmlReport("Susceptibility-based absence ratio")
            rows = [{"class": CLASS_NAMES[k], "pixels": int(c), "area (km²)": c * area / 1e6,
                     "share (%)": 100.0 * c / counts.sum()} for k, c in enumerate(counts)]
            rep.table(rows, left=("class",))
            rep.paragraph(f"Class limits (probability): {', '.join(f'{v:.4f}' for v in limits)}; "
                          f"GVF of the breaks on the sample: "
                          f"{gvf(sample, classify(sample, limits)):.3f}.")
            rep.paragraph(f"<b>Ratio</b> r = area(very low) / area(very high) = {counts[0]} / "
                          f"{counts[-1]} = {ratio:.3f}, so {n} absences for {len(pres)} "
                          f"presences.")
            fig, ax = figure(6, 3)
            ax.bar(CLASS_NAMES, [r["area (km²)"] for r in rows],
                   color=["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"])
            ax.set_ylabel("area (km²)")
            ax.set_title("Initial susceptibility classes")
            rep.add_figure(fig, "class areas")
            rep.paragraph("Method: paper 001, scenario 2; METHODS.md section 1.5.", note=True)
            rep.write(html)
            out["OUTPUT_HTML"] = html
        return out
