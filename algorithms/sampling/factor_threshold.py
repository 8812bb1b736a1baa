"""hazard:factorthresholdabsences: move absences off the hazard-prone side of a factor."""
import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingOutputNumber, QgsProcessingOutputString,
                       QgsProcessingParameterEnum, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterLayer)

from ...core.sampling import samplers as smp
from ...core.util.report import HtmlReport, figure
from ...core.io.zonal import geometries_from_wkb
from .. import compat
from ..base import source_geometries
from .common import SamplingAlgorithm

SIDES = ["auto", "below", "above"]


class FactorThresholdAbsences(SamplingAlgorithm):
    NAME = "factorthresholdabsences"
    DISPLAY = "Absences corrected by a factor threshold (SHAP)"
    SAMPLER = "factor_threshold"
    REQUIRES = ("xgboost",)
    HELP = (
        "Scenario 3 of paper 001 (Li & Tian 2025, NDVI &lt; 0.8 there): absences lying on the "
        "hazard-prone side of a factor's threshold are dropped and replaced by as many absences "
        "drawn on the other side.<br><br>"
        "The threshold is given, or derived from SHAP: a gradient-boosted tree model (XGBoost) "
        "is fitted on the presences and the starting absences, the exact TreeSHAP values of the "
        "factor are binned (20 quantile bins), and the threshold is the factor value where the "
        "binned mean SHAP changes sign (the largest such change, interpolated). The prone side "
        "is where SHAP is positive, unless you set it. The report shows the SHAP dependence "
        "curve with the threshold.<br><br>"
        "The starting absences are a point layer (e.g. from 'Random absences outside a buffer'; "
        "features with label 1 are ignored), or random absences drawn here at the given ratio. "
        "Replacements are seeded, one per pixel, never on a presence pixel, an existing absence "
        "or nodata, and at least the minimum distance from every presence.")

    def initAlgorithm(self, config=None):
        self.add_presence_parameter()
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterRasterLayer(
            "THRESHOLD_FACTOR", self.tr("Factor to threshold (one of the factor rasters)")))
        self.addParameter(QgsProcessingParameterNumber(
            "THRESHOLD", self.tr("Threshold (empty: derive it from SHAP)"), compat.NUMBER_DOUBLE,
            optional=True))
        self.addParameter(QgsProcessingParameterEnum(
            "PRONE_SIDE", self.tr("Hazard-prone side of the threshold"),
            ["auto (from the SHAP dependence)", "below", "above"], defaultValue=0))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "START_ABSENCES", self.tr("Starting absences (empty: random, at the ratio)"),
            [compat.TYPE_VECTOR_POINT], optional=True))
        self.add_count_parameters()
        self.add_common_parameters()
        self.add_output()
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Report"), self.tr("HTML files (*.html)"), optional=True))
        self.addOutput(QgsProcessingOutputNumber("THRESHOLD_USED", self.tr("Threshold used")))
        self.addOutput(QgsProcessingOutputString("PRONE_SIDE_USED", self.tr("Prone side used")))

    def compute(self, parameters, context, feedback, fb):
        fac_layer = self.parameterAsRasterLayer(parameters, "THRESHOLD_FACTOR", context)
        given = parameters.get("THRESHOLD")
        given = None if given in (None, "") else self.parameterAsDouble(parameters, "THRESHOLD",
                                                                         context)
        side = SIDES[self.parameterAsEnum(parameters, "PRONE_SIDE", context)]
        rng = self.rng(parameters, context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        with self.factor_stack(parameters, context) as stack:
            j = self._factor_index(stack, fac_layer)
            pres = self.presences(parameters, context, stack, feedback, fb.sub(0, 0.05))
            adm = smp.Admissible(stack, pres,
                                 self.parameterAsDouble(parameters, "MIN_DISTANCE", context))
            start = self.parameterAsSource(parameters, "START_ABSENCES", context)
            if start is not None:
                sx, sy = self._start_points(start, stack, context)
                sa = smp.locate_presences(stack, sx, sy)
                ax, ay, avals = sa.x, sa.y, sa.values
                if len(ax) == 0:
                    raise QgsProcessingException("No starting absence lies on valid pixels "
                                                 "[START_ABSENCES].")
            else:
                n = self.count(parameters, context, len(pres))
                ax, ay, _ = smp.draw(adm, n, rng, fb.sub(0.05, 0.3))
                avals = smp.sample_at(stack, ax, ay)
            curve = None
            if given is None or side == "auto":
                X = np.vstack([pres.values, avals])
                y = np.r_[np.ones(len(pres)), np.zeros(len(avals))]
                shap = smp.shap_dependence(X, y, j, seed)
                t_shap, side_shap, centres, means = smp.shap_threshold(X[:, j], shap)
                curve = (X[:, j], shap, centres, means)
                t = t_shap if given is None else given
                if side == "auto":
                    side = side_shap
            else:
                t = given
            v = avals[:, j]
            prone = v < t if side == "below" else v > t
            keep_x, keep_y = ax[~prone], ay[~prone]
            n_rep = int(prone.sum())
            feedback.pushInfo(f"Threshold {stack.names[j]} = {t:.4g}, prone side: {side}; "
                              f"{n_rep} of {len(ax)} absences replaced.")
            if n_rep:
                row, col = stack.grid.rowcol(ax, ay)
                adm.exclude = row * stack.grid.xsize + col  # never on an existing absence

                def other_side(win, data):
                    with np.errstate(invalid="ignore"):
                        return data[j] >= t if side == "below" else data[j] <= t
                adm.constraint = other_side
                nx, ny, _ = smp.draw(adm, n_rep, rng, fb.sub(0.3, 0.95))
                keep_x = np.concatenate([keep_x, nx])
                keep_y = np.concatenate([keep_y, ny])
            crs = stack.grid.crs_wkt
            fname = stack.names[j]
        x, y, cols = self.with_presences(parameters, context, pres, keep_x, keep_y, self.SAMPLER)
        out = {"OUTPUT": self.write_samples(parameters, context, crs, x, y, cols,
                                            layer_name="Threshold-corrected samples"),
               "THRESHOLD_USED": float(t), "PRONE_SIDE_USED": side}
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        if html:
            self._report(html, fname, t, side, given is None, curve, n_rep, len(ax))
            out["OUTPUT_HTML"] = html
        return out

    @staticmethod
    def _factor_index(stack, layer):
        from ...core.io.raster import bands_of
        from ..base import raster_path
        wanted = bands_of(raster_path(layer, "THRESHOLD_FACTOR"), layer.name())[0]
        for i, b in enumerate(stack.bands):
            if b.path == wanted.path and b.band == wanted.band:
                return i
        raise QgsProcessingException(f"'{layer.name()}' is not among the factor rasters: add it "
                                     f"to [FACTORS] [THRESHOLD_FACTOR].")

    @staticmethod
    def _start_points(src, stack, context):
        crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
        has_label = src.fields().indexOf("label") >= 0
        wkbs, feats = source_geometries(src, "START_ABSENCES", crs, context)
        xs, ys = [], []
        for g, f in zip(geometries_from_wkb(wkbs), feats):
            if g is None or (has_label and f["label"] == 1):
                continue
            px, py = g.GetPoint_2D()
            xs.append(px)
            ys.append(py)
        return np.array(xs), np.array(ys)

    @staticmethod
    def _report(path, fname, t, side, derived, curve, n_rep, n_abs):
        rep = HtmlReport("Factor-threshold absence correction")
        rep.table([{"factor": fname, "threshold": t, "prone side": side,
                    "threshold from": "SHAP" if derived else "user", "absences": n_abs,
                    "replaced": n_rep}], left=("factor", "prone side", "threshold from"))
        if curve is not None:
            v, s, centres, means = curve
            fig, ax = figure(7, 3.8)
            ax.scatter(v, s, s=4, alpha=0.3, color="#999999", label="samples")
            ax.plot(centres, means, "o-", color="#2c7bb6", label="binned mean SHAP")
            ax.axhline(0, color="black", lw=0.8)
            ax.axvline(t, color="#d7301f", lw=2, label=f"threshold {t:.4g}")
            ax.set_xlabel(fname)
            ax.set_ylabel("SHAP value (log-odds)")
            ax.legend()
            rep.add_figure(fig, "SHAP dependence")
        rep.paragraph("Method: paper 001, scenario 3; METHODS.md section 1.6. SHAP values are "
                      "XGBoost's exact TreeSHAP (pred_contribs).", note=True)
        rep.write(path)
