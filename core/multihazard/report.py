"""HTML reports of the multi-hazard models."""
import numpy as np

from ..stats.report import calibration_section
from ..util.report import HtmlReport, figure
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
    rep.write(path)
    return path


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
