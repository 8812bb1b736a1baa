"""HTML reports of the multi-hazard models: training, zone-wise feature selection and the
evaluation of the maps."""
import numpy as np

from ..stats.report import calibration_section
from ..util.report import HtmlReport, figure
from .bivariate import LEVELS, bivariate_colors
from .training import HAZARDS, METRICS, MODELS


def calibration_groups(predictions):
    """{"<MODEL> <hazard>": (y, p)} of the pooled test predictions ("y_<h>", "<m>_<h>")."""
    out = {}
    for h in HAZARDS:
        if f"y_{h}" in predictions:
            for m in MODELS:
                if f"{m}_{h}" in predictions:
                    out[f"{m.upper()} {h}"] = (predictions[f"y_{h}"], predictions[f"{m}_{h}"])
    return out


def training_report(path, result, predictions=None):
    """The training report of 'Train multi-hazard models' from the worker's result (a dict:
    metrics, sources, notes, features, lf_params, history) and the pooled test predictions
    (calibration)."""
    rows = result["metrics"]
    rep = HtmlReport("Multi-hazard models: Late Fusion, Early Fusion, Mixture of Experts")
    rep.paragraph("Metrics on each zone's test split (the hazard's own samples), threshold 0.5 "
                  "for precision, recall, F1 and accuracy; 'macro' rows average the zones "
                  "(FL-MHSM study, table 5).", note=True)
    counts = result.get("counts") or []
    if counts:
        rep.heading("Samples per split")
        rep.paragraph("Scores are computed on real points only: synthetic (KDE) presences "
                      "are drawn next to the training presences and stay in the training "
                      "split.", note=True)
        rep.table(counts, ["hazard", "split", "presences", "synthetic", "absences"],
                  left=("hazard", "split"))
    rep.heading("Macro-averaged over zones")
    macro = [r for r in rows if r["zone"] == "macro"]
    rep.table(macro, ["hazard", "model", "n"] + list(METRICS), left=("hazard", "model"))
    if macro:
        _macro_auc_figure(rep, macro)
    calibration_section(rep, calibration_groups(predictions or {}),
                        "the test splits of every zone (real points only)")
    caution = result.get("caution")
    if caution:
        rep.heading("Caution: optimistic scores")
        rep.paragraph(caution)
    rep.heading("Per zone")
    rep.paragraph("auc_low and auc_high: the 95 % percentile bootstrap interval of the test AUC "
                  "(500 seeded resamples within each class). A zone's test split with fewer "
                  "than 30 presences is flagged among the notes.", note=True)
    per_zone = [r for r in rows if r["zone"] != "macro"]
    extra = [c for c in ("presences", "auc_low", "auc_high") if any(c in r for r in per_zone)]
    rep.table(per_zone, ["zone", "hazard", "model", "n"] + extra + list(METRICS),
              left=("zone", "hazard", "model"))
    rep.heading("Models each zone uses")
    rep.table([dict(zone=z, **s) for z, s in result["sources"].items()])
    if result["notes"]:
        rep.heading("Fallbacks and notes")
        for n in result["notes"]:
            rep.paragraph(n)
    rep.heading("Factors and Late Fusion hyperparameters")
    for key, feats in result["features"].items():
        rep.paragraph(f"<b>{key}</b>: {', '.join(feats)}")
        for h, p in result["lf_params"].get(key, {}).items():
            rep.paragraph(f"&nbsp;&nbsp;{h}: " + ", ".join(f"{k} = {v:.4g}" if isinstance(
                v, float) else f"{k} = {v}" for k, v in sorted(p.items())))
    hist = result["history"]
    if any("ef" in h for h in hist.values()):
        _curves_figure(rep, hist)
    rep.write(path)
    return path


def _macro_auc_figure(rep, macro):
    """Bars of the macro AUC per model and hazard."""
    fig, ax = figure(6, 3.2)
    hazards = sorted({r["hazard"] for r in macro})
    models = ["LF", "EF", "MOE"]
    for i, m in enumerate(models):
        vals = [next((r["auc"] for r in macro if r["hazard"] == h and r["model"] == m),
                     np.nan) for h in hazards]
        ax.bar(np.arange(len(hazards)) + (i - 1) * 0.27, vals, 0.25, label=m)
    ax.set_xticks(range(len(hazards)))
    ax.set_xticklabels(hazards)
    ax.set_ylim(0.5, 1.0)
    ax.set_ylabel("macro AUC")
    ax.legend()
    rep.add_figure(fig, "macro AUC per model and hazard")


def _curves_figure(rep, hist):
    """The validation losses of every Early Fusion network and gate, epoch by epoch."""
    fig, axes = figure(8, 3.2)
    fig.clf()
    a1, a2 = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for key, h in hist.items():
        if "ef" in h:
            a1.plot(h["ef"]["val_loss"], label=f"{key}")
        if "gate" in h:
            a2.plot(h["gate"]["val_loss"], label=f"{key}")
    a1.set_title("Early Fusion: validation NLL")
    a2.set_title("Gate: hold-out loss")
    for a in (a1, a2):
        a.set_xlabel("epoch")
        a.legend(fontsize=7)
    rep.add_figure(fig, "training curves")


def feature_selection_columns(rows):
    """The table's columns: zone, factor, kept, reason, then the SHAP shares per hazard."""
    return sorted({c for r in rows for c in r}, key=lambda c: (c not in (
        "zone", "factor", "kept", "reason"), c))


def feature_selection_report(path, rows):
    """The report of the zone-wise feature selection (FL-MHSM study, table 4)."""
    rep = HtmlReport("Zone-wise feature selection")
    rep.paragraph("Pearson screening, then SHAP shares per hazard (FL-MHSM study, table 4).",
                  note=True)
    rep.table(rows, feature_selection_columns(rows), left=("zone", "factor", "reason"))
    return rep.write(path)


# -- the evaluation of the maps ----------------------------------------------------------------
def evaluation_report(path, ev):
    """The HTML report of an :class:`MhEvaluation`."""
    rep = HtmlReport("Multi-hazard evaluation")
    if ev.held_out:
        rep.heading("Held-out presences against random background")
        rep.paragraph("Each map's AUC on presences held out before any sampling, against "
                      "random background pixels of the map (the same for every map): no "
                      "sampler's absences enter this score, unlike the test AUCs of the "
                      "training report. auc_low and auc_high: 95 % bootstrap interval.",
                      note=True)
        rep.table(ev.held_out, left=("model", "hazard"))
    if ev.jaccard:
        rep.heading("Spatial agreement of the high + very high areas (Jaccard)")
        rep.table(ev.jaccard, left=("hazard", "pair"))
    if ev.density:
        rep.heading("MH density: % of inventory points per bivariate cell")
        rep.add_figure(density_heatmaps(ev.density, ev.n_on), "MH density heatmaps")
        top = sorted((r for r in ev.density_rows() if r["inventory"] == "both inventories"),
                     key=lambda r: -r["percent"])[:5]
        if top:
            rep.paragraph("Densest cells (both inventories): " + "; ".join(
                f"{r['cell']} {r['percent']:.1f} %" for r in top))
    if ev.shares:
        rep.heading("Share of area and of inventory per level")
        rep.paragraph("Each map's natural-breaks levels (very low to very high): the share of "
                      "the area in the level next to the share of that hazard's inventory "
                      "points. A useful map puts much of the inventory in little area; a "
                      "saturated one puts much of the area in its high levels.", note=True)
        rep.paragraph("These shares count every inventory point given here. The points the "
                      "models were trained on (the training split of 'Multi-hazard samples') "
                      "sit in high levels by construction, so an inventory that drew the "
                      "samples flatters the maps: for held-out evidence give the held-out part "
                      "of 'Split inventory' (or another inventory) here, and read the training "
                      "report's metrics, which are on the test split of real points.",
                      note=True)
        rep.table(ev.shares, ["model", "hazard", "level", "lo", "hi", "area_pct",
                              "inventory_pct"], left=("model", "hazard", "level"))
        for h in HAZARDS:
            for m in sorted({r["model"] for r in ev.shares if r["hazard"] == h}):
                top = [r for r in ev.shares if r["hazard"] == h and r["model"] == m][-2:]
                if top:
                    rep.paragraph(f"{m} {h}: high + very high cover "
                                  f"{sum(r['area_pct'] for r in top):.1f} % of the area and "
                                  f"hold {sum(r['inventory_pct'] for r in top):.1f} % of the "
                                  f"{top[0]['points']} inventory points.")
    if ev.zonal:
        rep.heading("Zonal means (FL-MHSM study, table 6)")
        rep.table(ev.zonal, ev.zonal_columns, left=("zone",))
    rep.write(path)
    return path


def density_heatmaps(dens, n_on):
    """The bivariate palette's legend and one heatmap of % per cell for each inventory."""
    from matplotlib.colors import to_rgb
    fig, _ = figure(4.2 * (len(dens) + 1), 4.0)
    fig.clf()
    k = len(dens) + 1
    ax = fig.add_subplot(1, k, 1)
    cols = bivariate_colors()
    ax.imshow(np.array([[to_rgb(cols[5 * i + j]) for j in range(5)] for i in range(5)]),
              origin="lower")
    ax.set_title("bivariate legend", fontsize=9)
    for i, (name, d) in enumerate(dens.items(), start=2):
        ax = fig.add_subplot(1, k, i)
        im = ax.imshow(d, origin="lower", cmap="magma_r")
        for a in range(5):
            for b in range(5):
                ax.text(b, a, f"{d[a, b]:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if d[a, b] > d.max() * 0.6 else "black")
        ax.set_title(f"{name} (n = {n_on[name]})", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.7, label="%")
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        ax.set_xticks(range(5))
        ax.set_xticklabels(LEVELS)
        ax.set_yticks(range(5))
        ax.set_yticklabels(LEVELS)
        ax.set_xlabel("landslide level")
        ax.set_ylabel("flood level")
    return fig
