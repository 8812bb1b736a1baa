"""HTML reports of the susceptibility models: training, a map's evaluation, frequency ratios,
sampling scenarios compared, the area of applicability, factor screening and the
susceptibility-based absence ratio. The numerical modules return numbers and tables; this
module turns them into HTML and figures."""
import numpy as np

from ..stats.breaks import CLASS_NAMES
from ..stats.report import calibration_section
from ..util.report import HtmlReport, figure
from .comparison import PROTOCOLS
from .evaluation import FR_COLUMNS, HIST_BINS
from .screening import VIF_COLUMNS
from . import models
from .training import METRIC_COLS, describe_optimism, glm_coefficients, metric_rows


# numpy 2 deprecates trapz for trapezoid, which numpy 1.24 (Debian 12) does not have
_trapezoid = getattr(np, "trapezoid", None) or np.trapz


def describe_validation(v):
    """The validation of a TrainResult as a sentence."""
    m = v.get("method")
    if m == "random":
        return (f"a stratified random split, {100 * v.get('test_share', 0.3):g} % of the "
                f"samples held out for testing")
    if m == "mask":
        n = int(np.sum(v.get("test", [])))
        return f"the split field '{v.get('field')}' ({n} samples marked 'test')"
    if m == "blocks":
        return (f"spatial {v.get('k')}-fold cross-validation over square blocks of "
                f"{v.get('size'):g} map units")
    if m == "groups":
        return f"{v.get('k')}-fold cross-validation over the zones of '{v.get('field')}'"
    return "none (the metrics are on the training samples and are optimistic)"


def describe_params(kind, params):
    """The hyperparameters as text, the defaults that apply included."""
    return models.get(kind).describe(params)


def training_report(res, path, title="Susceptibility model"):
    """The HTML report of a :class:`.training.TrainResult`."""
    rep = HtmlReport(title)
    rep.paragraph(f"Model: <b>{models.display_name(res.kind)}</b> "
                  f"({describe_params(res.kind, res.params)}), seed {res.seed}. Validation: "
                  f"{describe_validation(res.validation)}.")
    if res.optimism:
        m0 = res.test_metrics or res.train_metrics
        rep.paragraph(describe_optimism(res.optimism, m0["AUC"], res.independent))
    if res.independent is not None:
        rep.paragraph(res.independent.describe() + " These points share no pixel (or, for "
                      "feature fields, no row of values) with a training sample; their "
                      "absences are not the sampler's, so this score does not reward where a "
                      "sampler put its absences.")
    else:
        rep.paragraph("No independent inventory was given: every score below comes from the "
                      "training samples and their own absences. Give one (INDEPENDENT: e.g. "
                      "the held-out part of 'Split inventory') to see how the model does on "
                      "presences it never saw.", note=True)
    rep.heading("Metrics")
    rep.table(metric_rows(res), METRIC_COLS, left=("set",))
    rep.paragraph("Threshold metrics: a probability above 0.5 is a predicted presence. "
                  "Kappa: P_obs = (TP+TN)/N, P_exp = "
                  "[(TP+FN)(TP+FP) + (FN+TN)(FP+TN)]/N². Brier = mean((p - y)²).", note=True)
    fig, ax = figure(5, 4.5)
    for label, (fpr, tpr) in res.roc.items():
        auc = _trapezoid(tpr, fpr)
        ax.plot(fpr, tpr, label=f"{label} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.set_title("ROC")
    ax.legend(loc="lower right")
    rep.add_figure(fig, "ROC curves")
    groups = {}
    if res.held_out is not None:
        name, yh, ph = res.held_out
        groups[f"{models.display_name(res.kind)} ({name})"] = (yh, ph)
    if res.independent is not None:
        groups[f"{models.display_name(res.kind)} (independent inventory)"] = \
            res.independent.samples
    if groups:
        where = ("the test samples" if res.held_out and res.held_out[0] == "test" else
                 "the out-of-fold predictions" if res.held_out else "")
        if res.independent is not None:
            where = (where + " and " if where else "") + "the independent inventory"
        calibration_section(rep, groups, where)
    m = res.test_metrics or res.train_metrics
    rep.heading("Confusion matrix" + (" (test)" if res.test_metrics else " (train)"))
    rep.table([{"": "observed 1", "predicted 1": m["TP"], "predicted 0": m["FN"]},
               {"": "observed 0", "predicted 1": m["FP"], "predicted 0": m["TN"]}],
              ["", "predicted 1", "predicted 0"], left=("",))
    equation = glm_coefficients(res)
    if equation is not None:
        rows, b0 = equation
        rep.heading("Coefficients")
        terms = " ".join(f"{'+' if r['coefficient'] >= 0 else '-'} {abs(r['coefficient']):.6g}"
                         f" &middot; {r['column']}" for r in rows)
        rep.paragraph(f"logit(p) = ln(p / (1 - p)) = {b0:.6g} {terms}")
        rep.paragraph("Coefficients per unit of each factor as given (categorical factors: "
                      "one column per class, 1 in that class); standardised: per standard "
                      "deviation of the training samples, the ones comparable across factors.",
                      note=True)
        rep.table([{"column": "(intercept)", "coefficient": b0, "standardised": None}] + rows,
                  ["column", "coefficient", "standardised"], left=("column",))
    rep.heading("Importance")
    imp = sorted(res.importance.items(), key=lambda t: -t[1])
    tot = sum(v for _, v in imp) or 1.0
    rep.table([{"factor": k, "importance": v, "share (%)": 100 * v / tot} for k, v in imp],
              left=("factor",))
    if res.shap is not None:
        cols = res.encoding.columns
        mean_abs = np.abs(res.shap).mean(axis=0)
        order = np.argsort(-mean_abs)[:20]
        fig, ax = figure(6.5, 0.35 * len(order) + 1.5)
        rng = np.random.default_rng(0)
        for rank, j in enumerate(order[::-1]):
            v = res.shap_X[:, j]
            span = np.ptp(v) or 1.0
            ax.scatter(res.shap[:, j], rank + rng.uniform(-0.3, 0.3, len(v)), s=3,
                       c=(v - v.min()) / span, cmap="coolwarm", alpha=0.6)
        ax.set_yticks(range(len(order)))
        ax.set_yticklabels([cols[j] for j in order[::-1]])
        ax.axvline(0, color="black", lw=0.8)
        unit = models.get(res.kind).shap_unit
        ax.set_xlabel(f"SHAP value ({unit}; colour: factor value, blue low, red high)")
        ax.set_title("SHAP summary")
        n, total = res.shap_rows
        which = f"a sample, seeded with the model's seed, of {total}" if n < total else "all"
        rep.paragraph(f"SHAP values of {n} training rows ({which}); "
                      f"they are in units of {unit}: a factor's SHAP value is how much it moves "
                      f"this sample's predicted {unit} away from the average prediction.")
        rep.add_figure(fig, "SHAP summary")
        top = order[:3]
        fig, axes = figure(3.2 * len(top), 3.0, ncols=len(top))
        for ax, j in zip(np.atleast_1d(axes), top):
            ax.scatter(res.shap_X[:, j], res.shap[:, j], s=4, alpha=0.5, color="#3182bd")
            ax.axhline(0, color="black", lw=0.8)
            ax.set_xlabel(cols[j])
            ax.set_ylabel(f"SHAP ({unit})")
        fig.suptitle("SHAP dependence of the three most important columns")
        rep.add_figure(fig, "SHAP dependence")
        shares = 100 * mean_abs / (mean_abs.sum() or 1.0)
        rep.table([{"column": cols[j], "mean |SHAP|": float(mean_abs[j]),
                    "share (%)": float(shares[j])} for j in order], left=("column",))
    rep.write(path)
    return path


# -- a map's evaluation -----------------------------------------------------------------------
def map_evaluation_report(path, name, m, scai, stats, roc, how, sources=None, independent=None,
                          extra=None):
    """The report of :func:`evaluate_map`'s results for the map called ``name``; ``how`` says
    where the absences came from; ``sources`` {what: where} (the map and inventory files) are
    listed first, with the threshold, so that the numbers can be traced. ``independent``: the
    score of an independent inventory ({metrics, scai, roc, samples, how, dropped} from
    :func:`score_at`), set beside the inventory's in every table and chart. ``extra``: what
    :func:`inside_outside` found (metrics inside and outside the area of applicability, mean
    prediction uncertainty per class)."""
    rep = HtmlReport(f"Evaluation of {name}")
    rows = [{"": k, "used": v} for k, v in (sources or {}).items()]
    rows += [{"": "presences", "used": f"{m.get('presences', '?')} on the map"},
             {"": "absences", "used": f"{m.get('n', 0) - m.get('presences', 0)}: {how}"},
             {"": "threshold", "used": f"probability > {m.get('threshold', 0.5):g} counts as "
                                       f"predicted presence (TP, FP, kappa)"}]
    rep.table(rows, ["", "used"], left=("", "used"))
    dropped = stats.get("dropped", {})
    if any(dropped.values()):
        rep.paragraph(f"Left out, off the map or on its nodata: {dropped['presences']} "
                      f"presence(s) and {dropped['absences']} absence(s).", note=True)
    for note in stats.get("notes", []):
        rep.paragraph(note, note=True)
    if independent is not None:
        mi = independent["metrics"]
        rep.paragraph(f"Independent inventory: {mi['presences']} presences and "
                      f"{mi['n'] - mi['presences']} absences ({independent['how']}), scored "
                      f"on the same map with the same classes. If the inventory above was used "
                      f"to draw the training samples, its score is optimistic and this one is "
                      f"the honest figure." + (
                          f" Left out, off the map or on its nodata: "
                          f"{independent['dropped']['presences']} presence(s) and "
                          f"{independent['dropped']['absences']} absence(s)."
                          if any(independent["dropped"].values()) else ""))
    rep.heading("Metrics")
    if independent is None:
        rep.table([m], METRIC_COLS[1:], left=())
    else:
        rep.table([dict(m, set="inventory"),
                   dict(independent["metrics"], set="independent inventory")], METRIC_COLS,
                  left=("set",))
    fig, ax = figure(5, 4.5)
    ax.plot(*roc, label=f"{'inventory, ' if independent else ''}AUC {m['AUC']:.3f}")
    if independent is not None:
        ax.plot(*independent["roc"],
                label=f"independent inventory, AUC {independent['metrics']['AUC']:.3f}")
    ax.plot([0, 1], [0, 1], "k--", lw=0.8)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(loc="lower right")
    rep.add_figure(fig, "ROC")
    rep.heading("SCAI (seed cell area index)")
    rep.table(scai, ["class", "area_pixels", "area_pct", "hazard", "hazard_pct", "SCAI"],
              left=("class",))
    rep.paragraph("Class limits: " + ", ".join(f"{v:.4f}" for v in stats["limits"]))
    if independent is not None:
        rep.heading("SCAI with the independent inventory")
        rep.table(independent["scai"], ["class", "area_pixels", "area_pct", "hazard",
                                        "hazard_pct", "SCAI"], left=("class",))
    if scai:
        fig, ax = figure(6, 3.2)
        xs = np.arange(len(scai))
        ax.bar(xs - 0.2, [r["area_pct"] for r in scai], 0.4, color="#bdbdbd", label="area")
        ax.bar(xs + 0.2, [r["hazard_pct"] for r in scai], 0.4, color="#d7301f",
               label="inventory (presences)")
        ax.set_xticks(xs)
        ax.set_xticklabels([r["class"] for r in scai], fontsize=8)
        ax.set_ylabel("% per class")
        ax.legend(fontsize=8)
        rep.add_figure(fig, "share of area and of inventory per class")
        if len(scai) >= 2:
            top = scai[-2:]
            rep.paragraph(f"The two highest classes cover {sum(r['area_pct'] for r in top):.1f} "
                          f"% of the area and hold {sum(r['hazard_pct'] for r in top):.1f} % "
                          f"of the presences. A useful map puts much of the inventory in "
                          f"little area; a saturated one puts much of the area in its highest "
                          f"classes.")
    if extra and extra.get("rows"):
        rep.heading("Inside and outside the area of applicability")
        inside, outside = extra["rows"]
        rep.paragraph(
            f"{outside['area_pct']:.1f} % of the map's area and {outside['inventory_pct']:.1f} "
            f"% of the presences lie outside the area of applicability, where the model "
            f"extrapolates. Metrics need presences and absences on both sides; a side without "
            f"one of them has counts only.")
        rep.table(extra["rows"], ["set", "area_pct", "inventory_pct", "n", "presences", "AUC",
                                  "kappa", "Brier"], left=("set",))
        a_in, a_out = inside.get("AUC"), outside.get("AUC")
        if a_in is not None and a_out is not None and a_in == a_in and a_out == a_out:
            rep.paragraph(f"AUC {a_in:.3f} inside against {a_out:.3f} outside: "
                          + ("the model does worse where it extrapolates, as expected."
                             if a_out < a_in else
                             "no loss outside here; with few points outside, a difference "
                             "may not show."))
    if extra and extra.get("class_uncertainty"):
        rep.heading("Prediction uncertainty per class")
        rep.paragraph("Mean spread of the model's trees or fold models over the pixels of "
                      "each class: where it is high, the ensemble disagrees on the class.",
                      note=True)
        rep.table(extra["class_uncertainty"], ["class", "pixels", "mean_uncertainty"],
                  left=("class",))
    if "samples" in stats:
        groups = {name: stats["samples"]}
        if independent is not None:
            groups[f"{name} (independent inventory)"] = independent["samples"]
        calibration_section(rep, groups, "the evaluation points")
    rep.heading("LSI statistics")
    rep.paragraph(f"mean {stats['mean']:.4f}, standard deviation {stats['std']:.4f}, "
                  f"{stats['n']} pixels")
    fig, ax = figure(6, 3)
    ax.bar(HIST_BINS[:-1], stats["hist"], width=np.diff(HIST_BINS), align="edge",
           color="#fdae61", edgecolor="white")
    ax.set_xlabel("susceptibility index")
    ax.set_ylabel("pixels")
    rep.add_figure(fig, "LSI histogram")
    rep.write(path)
    return path


def frequency_ratio_report(path, rows, n_hazards):
    rep = HtmlReport("Frequency ratio")
    rep.paragraph(f"{n_hazards} hazard samples. FR = %hazard / %area; RF = FR / sum of FR over "
                  f"the factor's classes (%). Method: Li & Tian (2025), table 2.", note=True)
    rep.table(rows, FR_COLUMNS, left=("factor", "class"))
    return rep.write(path)


# -- sampling scenarios compared ---------------------------------------------------------------
def comparison_report(path, comp):
    """The HTML report of a :class:`Comparison`."""
    rows = comp.rows
    rep = HtmlReport("Sampling scenarios compared")
    share = f"{100 * comp.holdout:g} %"
    rep.paragraph(
        f"Model: {models.display_name(comp.kind)}. {comp.n_held} presences ({share} of "
        f"the unique presence locations, seeded) and {share} of each scenario's absences were "
        f"held out of training. Each scenario is scored by two protocols"
        f"{' and an independent inventory' if comp.independent else ''}:")
    rep.paragraph(
        "<b>Own test split</b> (Li & Tian (2025) and the Rangamati Mahalanobis study): its "
        "held-out presences against its own "
        "held-out absences. Each set is judged by its own absences, so a sampler that puts "
        "absences where presences never are (far in factor space, on flat ground) scores "
        "high by construction: these figures can be set beside the papers', not beside each "
        "other.<br><b>Common yardstick</b>: the same held-out presences against one common "
        "background of random valid pixels (10 per held-out presence) for every scenario: "
        "the fair comparison between sampling strategies.")
    cols = ["scenario", "presences", "absences", "factors", "test presences (own)",
            "test absences (own)"]
    rep.table(rows, cols, left=("scenario",))
    rep.heading("Scores by protocol")
    table = []
    for r in rows:
        for suffix, name in PROTOCOLS:
            if f"AUC{suffix}" in r:
                table.append({"scenario": r["scenario"], "protocol": name,
                              "AUC": r[f"AUC{suffix}"], "kappa": r[f"kappa{suffix}"],
                              "Brier": r[f"Brier{suffix}"]})
    rep.table(table, ["scenario", "protocol", "AUC", "kappa", "Brier"],
              left=("scenario", "protocol"))
    if comp.independent:
        info = comp.independent
        gone = "; ".join(f"{v} {k}" for k, v in info["left_out"].items() if v)
        rep.paragraph(f"Independent inventory: {info['presences']} presences and "
                      f"{info['absences']} absences ({info['how']})" +
                      (f"; left out: {gone}" if gone else "") + ".", note=True)
    best = {name: max(rows, key=lambda r: r[f"AUC{suffix}"])["scenario"]
            for suffix, name in PROTOCOLS if f"AUC{suffix}" in rows[0]}
    if len(set(best.values())) > 1:
        rep.paragraph("The protocols do not agree on the best scenario (" + "; ".join(
            f"{k}: {v}" for k, v in best.items()) + "): trust the common yardstick and the "
            "independent inventory over the own split.", note=True)
    rep.heading("LSI statistics")
    rep.table(rows, ["scenario", "LSI_mean", "LSI_std"], left=("scenario",))
    rep.heading("SCAI per class (should fall from very low to very high)")
    rep.table(rows, ["scenario"] + [f"SCAI {n}" for n in CLASS_NAMES], left=("scenario",))
    rep.heading("Class area shares (%)")
    rep.table(rows, ["scenario"] + [f"area % {n}" for n in CLASS_NAMES], left=("scenario",))
    fig, ax = figure(6.5, 3.5)
    centres = (HIST_BINS[:-1] + HIST_BINS[1:]) / 2
    for name, h in comp.hists.items():
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
    return path


# -- the area of applicability ----------------------------------------------------------------
def applicability_report(path, app, res, model_name, units=False):
    """The HTML report of an area of applicability: what was measured, the share outside, the
    DI of the map against the training rows' own, the weights."""
    rep = HtmlReport(f"Area of applicability of {model_name}")
    what = "slope units" if units else "pixels"
    total = res.inside + res.outside
    share = 100.0 * res.outside / max(1, total)
    rep.paragraph(
        f"<b>{share:.1f} %</b> of the {total:,} {what} lie outside the area of applicability "
        f"(DI above {app.threshold:.4f}): there the factors combine in ways the training "
        f"samples never showed, and the model extrapolates. Its predictions there are not "
        f"supported by the validation, whatever the AUC.")
    rows = [{"": "training rows", "value": f"{len(app.train):,}"},
            {"": "cross-validation folds", "value": app.folds_how or f"{app.folds}"},
            {"": "mean distance between training rows (d̄)",
             "value": f"{app.d_bar:.4f} ({'a seeded sample of ' if app.sampled else 'all '}"
                      f"{app.pairs:,} pairs)"},
            {"": "threshold (upper whisker of the training rows' DI across the folds)",
             "value": f"{app.threshold:.4f}"},
            {"": f"{what} inside / outside", "value": f"{res.inside:,} / {res.outside:,}"}]
    rep.table(rows, ["", "value"], left=("", "value"))
    rep.paragraph(
        "Dissimilarity index (DI, Meyer &amp; Pebesma 2021): the factors are standardised with "
        "the training rows' mean and standard deviation and weighted by the model's "
        "importance of each; DI is the distance to the nearest training row divided by the "
        "mean distance between training rows (0 on a training row). The threshold is the "
        "upper whisker (R's boxplot.stats) of the training rows' own DI, each measured to the "
        "nearest training row outside its cross-validation fold: the dissimilarity the "
        "validation has seen. Reference: Meyer, H. &amp; Pebesma, E. (2021), Predicting into "
        "unknown space? Estimating the area of applicability of spatial prediction models, "
        "Methods in Ecology and Evolution 12, 1620-1633.", note=True)
    fig, ax = figure(6.5, 3.4)
    vals = res.sample[np.isfinite(res.sample)]
    hi = float(max(np.quantile(vals, 0.995) if vals.size else 1.0, app.threshold * 1.5,
                   np.nanmax(app.train_di)))
    bins = np.linspace(0, hi, 41)
    ax.hist(np.clip(vals, 0, hi), bins, density=True, color="#9ecae1",
            label=f"{what} (a seeded sample)" if not units else what)
    ax.hist(app.train_di, bins, density=True, histtype="step", color="#08519c", lw=1.5,
            label="training rows, across the folds")
    ax.axvline(app.threshold, color="#d7301f", lw=1.5, ls="--",
               label=f"threshold {app.threshold:.3f}")
    ax.set_xlabel("dissimilarity index")
    ax.set_ylabel("density")
    ax.legend(fontsize=8)
    rep.add_figure(fig, "DI of the map and of the training rows")
    tot = float(app.weights.sum()) or 1.0
    order = np.argsort(-app.weights)
    rep.heading("Weights (the model's importance of each column)")
    rep.table([{"column": app.columns[j], "weight (%)": 100 * app.weights[j] / tot}
               for j in order], ["column", "weight (%)"], left=("column",))
    rep.write(path)
    return path


# -- factor screening --------------------------------------------------------------------------
def screening_report(path, sc):
    names = sc.names
    rep = HtmlReport("Factor screening")
    rep.paragraph(f"{sc.n} samples. VIF flagged above {sc.vif_max:g}; pairs with |r| > "
                  f"{sc.r_max:g} listed.")
    rep.table(sc.rows, VIF_COLUMNS, left=("factor",))
    rep.heading("Correlated pairs")
    rep.table(sc.pairs, ["factor_1", "factor_2", "r"], left=("factor_1", "factor_2"))
    fig, ax = figure(1.5 + 0.5 * len(names), 1.2 + 0.45 * len(names))
    im = ax.imshow(sc.r, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    fig.colorbar(im, ax=ax, label="Pearson r")
    rep.add_figure(fig, "correlation")
    return rep.write(path)


# -- the susceptibility-based absence ratio -----------------------------------------------------
def susceptibility_ratio_report(path, res, n_presences):
    rep = HtmlReport("Susceptibility-based absence ratio")
    counts = res.counts
    rows = [{"class": CLASS_NAMES[k], "pixels": int(c), "area (km²)": c * res.pixel_area / 1e6,
             "share (%)": 100.0 * c / counts.sum()} for k, c in enumerate(counts)]
    rep.table(rows, left=("class",))
    rep.paragraph(f"Class limits (probability): {', '.join(f'{v:.4f}' for v in res.limits)}; "
                  f"GVF of the breaks on the sample: {res.gvf:.3f}.")
    rep.paragraph(f"<b>Ratio</b> r = area(very low) / area(very high) = {counts[0]} / "
                  f"{counts[-1]} = {res.ratio:.3f}, so {len(res.x)} absences for {n_presences} "
                  f"presences.")
    fig, ax = figure(6, 3)
    ax.bar(CLASS_NAMES, [r["area (km²)"] for r in rows],
           color=["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"])
    ax.set_ylabel("area (km²)")
    ax.set_title("Initial susceptibility classes")
    rep.add_figure(fig, "class areas")
    rep.paragraph("Method: Li & Tian (2025), scenario 2; METHODS.md section 1.5.", note=True)
    return rep.write(path)
