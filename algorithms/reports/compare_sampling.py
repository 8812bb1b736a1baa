"""hazard:comparesampling: the same model trained on several sample sets, compared."""
import os
import tempfile

import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingParameterEnum, QgsProcessingParameterFileDestination,
                       QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                       QgsProcessingParameterString, QgsVectorLayer)

from ...core.stats import metrics as mt
from ...core.sampling import samplers as smp
from ...core.stats.breaks import classify, natural_breaks
from ...core.susceptibility.evaluation import HIST_BINS, map_statistics
from ...core.susceptibility.apply import CLASS_NAMES, apply_to_raster
from ...core.susceptibility.estimators import Encoding, make_estimator
from ...core.io.raster import AlignedStack, Band, Grid, sample_at
from ...core.util.report import HtmlReport, figure, write_csv
from .. import compat
from ..base import HazardAlgorithm

MODELS = ["rf", "xgboost", "glm"]


class CompareSampling(HazardAlgorithm):
    NAME = "comparesampling"
    DISPLAY = "Compare sampling scenarios"
    GROUP = "reports"
    REQUIRES = ("sklearn", "matplotlib", "kmeans1d")
    HELP = (
        "Trains the same model on several labelled sample sets (layers, or the groups of a "
        "field such as the multi-ratio sampler's 'ratio') and compares them on the same "
        "held-out presences, as papers 001 and 003 compare sampling strategies.<br><br>"
        "A seeded share of the presences (default 30%) is held out of every training set; "
        "each scenario's model is evaluated on those presences against one common background "
        "of random valid pixels (10 per held-out presence): AUC, kappa and Brier at 0.5. "
        "Each scenario's map is classified by its own natural breaks: SCAI per class with the "
        "held-out presences, LSI mean, standard deviation and histogram, and class area "
        "shares, side by side.<br>"
        "Scenarios whose absences were drawn by slope threshold leave the slope factor out (its "
        "name is a parameter), as paper 003 recommends. The maps go to the output folder when "
        "one is given.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterMultipleLayers(
            "SCENARIOS", self.tr("Labelled sample layers"), compat.TYPE_VECTOR_POINT))
        self.addParameter(QgsProcessingParameterString(
            "GROUP_FIELD", self.tr("Field splitting a layer into scenarios (e.g. ratio)"),
            optional=True))
        self.addParameter(QgsProcessingParameterString(
            "LABEL_FIELD", self.tr("Label field"), "label"))
        self.add_factor_parameters()
        self.addParameter(QgsProcessingParameterEnum(
            "MODEL", self.tr("Model"), ["Random forest", "XGBoost", "Logistic GLM"],
            defaultValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "TREES", self.tr("Trees (0: default)"), compat.NUMBER_INTEGER, 200, minValue=0))
        self.addParameter(QgsProcessingParameterNumber(
            "HOLDOUT", self.tr("Share of presences held out"), compat.NUMBER_DOUBLE, 0.3,
            minValue=0.05, maxValue=0.9))
        self.addParameter(QgsProcessingParameterString(
            "SLOPE_FACTOR", self.tr("Slope factor left out of slope-threshold scenarios"),
            "slope", optional=True))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", self.tr("Random seed"), compat.NUMBER_INTEGER, 42, minValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Comparison report"), self.tr("HTML files (*.html)")))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_CSV", self.tr("Comparison table (CSV)"), self.tr("CSV files (*.csv)"),
            optional=True))
        self.addParameter(QgsProcessingParameterFolderDestination(
            "OUTPUT_MAPS", self.tr("Folder for the scenario maps"), optional=True))

    def compute(self, parameters, context, feedback, fb):
        kind = MODELS[self.parameterAsEnum(parameters, "MODEL", context)]
        trees = self.parameterAsInt(parameters, "TREES", context)
        params = {"n_estimators": trees} if trees and kind != "glm" else {}
        seed = self.parameterAsInt(parameters, "SEED", context)
        label_field = self.parameterAsString(parameters, "LABEL_FIELD", context) or "label"
        group_field = self.parameterAsString(parameters, "GROUP_FIELD", context) or None
        slope_name = self.parameterAsString(parameters, "SLOPE_FACTOR", context) or None
        maps = self.parameterAsString(parameters, "OUTPUT_MAPS", context) or None
        rng = np.random.default_rng(seed)
        with self.factor_stack(parameters, context) as stack:
            crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
            scenarios = self._scenarios(parameters, context, crs, label_field, group_field)
            if len(scenarios) < 2:
                raise QgsProcessingException("Give at least two scenarios (layers, or groups of "
                                             "the group field) [SCENARIOS].")
            # common held-out presences: unique presence locations of all scenarios
            allp = np.unique(np.round(np.vstack([s["xy"][s["y"] == 1] for s in scenarios]), 3),
                             axis=0)
            hold = rng.random(len(allp)) < self.parameterAsDouble(parameters, "HOLDOUT",
                                                                  context)
            held = allp[hold]
            if len(held) < 5:
                raise QgsProcessingException(f"Only {len(held)} presences held out: too few to "
                                             f"evaluate; give more presences or a larger share.")
            held_keys = {tuple(p) for p in held}
            pres = smp.locate_presences(stack, allp[:, 0], allp[:, 1])
            bx, by, _ = smp.draw(smp.Admissible(stack, pres), 10 * len(held), rng,
                                 fb.sub(0, 0.05), what="background pixels")
            ex = np.vstack([sample_at(stack, held[:, 0], held[:, 1]), sample_at(stack, bx, by)])
            ey = np.r_[np.ones(len(held)), np.zeros(len(bx))]
            ok = np.isfinite(ex).all(axis=1)
            ex, ey = ex[ok], ey[ok]
            rows, hists, tmpdir = [], {}, tempfile.mkdtemp(prefix="hazard_compare_")
            for k, sc in enumerate(scenarios):
                step = fb.sub(0.05 + 0.9 * k / len(scenarios),
                              0.05 + 0.9 * (k + 1) / len(scenarios))
                keep = np.array([tuple(p) not in held_keys for p in np.round(sc["xy"], 3)])
                X = sample_at(stack, sc["xy"][keep, 0], sc["xy"][keep, 1])
                y = sc["y"][keep]
                good = np.isfinite(X).all(axis=1)
                X, y = X[good], y[good]
                cols = [i for i, n in enumerate(stack.names)
                        if not (sc["slope_threshold"] and n == slope_name)]
                names = [stack.names[i] for i in cols]
                cat = [stack.categorical[i] for i in cols]
                enc = Encoding.fit(X[:, cols], names, cat)
                est = make_estimator(kind, params, seed).fit(enc.transform(X[:, cols]), y)

                def predict(v, est=est, enc=enc, cols=cols):
                    return est.predict_proba(enc.transform(v[:, cols]))[:, 1]
                p = predict(ex)
                m = mt.threshold_metrics(ey, p)
                path = os.path.join(maps or tmpdir, f"{_safe(sc['name'])}.tif")
                if maps:
                    os.makedirs(maps, exist_ok=True)
                _, sample = apply_to_raster(stack, predict, path, 1, None, step.sub(0, 0.7),
                                            seed=seed)
                limits = natural_breaks(sample, 5, sample=0, seed=seed)
                with AlignedStack([Band(path, 1, "p")], Grid.from_path(path)) as ms:
                    st = map_statistics(ms, 0, limits, step.sub(0.7, 1.0))
                hz = np.bincount(classify(predict(ex[ey == 1]), limits), minlength=5)
                scai = mt.scai(st["counts"], hz)
                row = {"scenario": sc["name"], "presences": int((y == 1).sum()),
                       "absences": int((y == 0).sum()), "factors": len(cols),
                       "AUC": m["AUC"], "kappa": m["kappa"], "Brier": m["Brier"],
                       "LSI_mean": st["mean"], "LSI_std": st["std"]}
                for name, r in zip(CLASS_NAMES, scai):
                    row[f"SCAI {name}"] = r["SCAI"]
                    row[f"area % {name}"] = r["area_pct"]
                rows.append(row)
                hists[sc["name"]] = st["hist"] / max(1, st["hist"].sum())
                feedback.pushInfo(f"{sc['name']}: AUC {m['AUC']:.3f}, kappa {m['kappa']:.3f}")
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        _report(html, rows, hists, kind, len(held))
        out = {"OUTPUT_HTML": html}
        csv = self.parameterAsFileOutput(parameters, "OUTPUT_CSV", context)
        if csv:
            out["OUTPUT_CSV"] = write_csv(csv, rows)
        if maps:
            out["OUTPUT_MAPS"] = maps
        return out

    def _scenarios(self, parameters, context, crs, label_field, group_field):
        from qgis.core import QgsCoordinateTransform
        out = []
        for lyr in self.parameterAsLayerList(parameters, "SCENARIOS", context) or []:
            if not isinstance(lyr, QgsVectorLayer) or lyr.fields().indexOf(label_field) < 0:
                raise QgsProcessingException(f"Layer '{lyr.name()}' has no field '{label_field}' "
                                             f"[LABEL_FIELD].")
            xf = QgsCoordinateTransform(lyr.crs(), crs, context.transformContext()) \
                if lyr.crs() != crs else None
            groups = {}
            has_sampler = lyr.fields().indexOf("sampler") >= 0
            for f in lyr.getFeatures():
                g = f.geometry()
                if g is None or g.isNull():
                    continue
                if xf is not None:
                    g.transform(xf)
                pt = g.asPoint()
                key = lyr.name() if not group_field else f"{lyr.name()} {group_field}=" \
                                                         f"{f[group_field]}"
                d = groups.setdefault(key, {"xy": [], "y": [], "samplers": set()})
                d["xy"].append((pt.x(), pt.y()))
                d["y"].append(int(f[label_field]))
                if has_sampler and int(f[label_field]) == 0:
                    d["samplers"].add(str(f["sampler"]))
            for key, d in groups.items():
                out.append({"name": key, "xy": np.array(d["xy"]), "y": np.array(d["y"]),
                            "slope_threshold": d["samplers"] == {"slope_threshold"}})
        return out


def _safe(name):
    import re
    return re.sub(r"[^0-9A-Za-z_.-]+", "_", name)


def _report(path, rows, hists, kind, n_held):
    rep = HtmlReport("Sampling scenarios compared")
    rep.paragraph(f"Model {kind}; {n_held} held-out presences against a common background of "
                  f"random valid pixels.")
    cols = ["scenario", "presences", "absences", "factors", "AUC", "kappa", "Brier", "LSI_mean",
            "LSI_std"]
    rep.table(rows, cols, left=("scenario",))
    rep.heading("SCAI per class (should fall from very low to very high)")
    rep.table(rows, ["scenario"] + [f"SCAI {n}" for n in CLASS_NAMES], left=("scenario",))
    rep.heading("Class area shares (%)")
    rep.table(rows, ["scenario"] + [f"area % {n}" for n in CLASS_NAMES], left=("scenario",))
    fig, ax = figure(6.5, 3.5)
    centres = (HIST_BINS[:-1] + HIST_BINS[1:]) / 2
    for name, h in hists.items():
        ax.plot(centres, h, marker="o", ms=3, label=name)
    ax.set_xlabel("susceptibility index")
    ax.set_ylabel("share of pixels")
    ax.legend(fontsize=8)
    rep.add_figure(fig, "LSI distributions")
    fig, ax = figure(6.5, 3.5)
    for r in rows:
        ax.plot(CLASS_NAMES, [min(r[f"SCAI {n}"], 50) for n in CLASS_NAMES], marker="o",
                label=r["scenario"])
    ax.set_yscale("log")
    ax.set_ylabel("SCAI (capped at 50)")
    ax.legend(fontsize=8)
    rep.add_figure(fig, "SCAI")
    rep.write(path)
