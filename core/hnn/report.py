"""HTML reports of the Hierarchical Neural Network: training, Aguilera et al.'s (2022)
loss-weight test and
factor ablation, and the landslide size classes."""
import re

import numpy as np

from ..stats import metrics as mt
from ..stats.report import calibration_section
from ..util.report import HtmlReport, figure

LOSS_WEIGHTS = tuple(float(a) for a in np.round(np.linspace(0, 1, 11), 1))


def training_report(path, result, alpha, ev, glm_auc, y_test, pb, glm_p, pc, moran, names,
                    class_ranges=None):
    """The report of 'Train Hierarchical Neural Network': the worker's ``result`` (history,
    search, arch, smote), test metrics ``ev`` against the GLM's AUC, ROC curves of the test units
    (``y_test`` size classes, ``pb`` P(landslide), ``glm_p``, ``pc`` P(class)) and Moran's I."""
    history, search_rows = result["history"], result["search"]
    rep = HtmlReport("Hierarchical Neural Network")
    a = result["arch"]

    def counts(c):  # per class: a list indexed by class (or a dict class -> count)
        pairs = sorted(c.items(), key=lambda t: int(t[0])) if isinstance(c, dict) else \
            list(enumerate(c))
        return ", ".join(f"class {k}: {v}" for k, v in pairs)
    rep.paragraph(f"Block 1: {a['n1']} layer(s) of {a['u1']} units; block 2: {a['n2']} "
                  f"layer(s) of {a['u2']} units; learning rate {a['lr']:g}, L2 {a['l2']:g}, "
                  f"dropout {a['dropout']:g}; loss weight alpha {alpha}; {len(names)} features; "
                  f"{len(history['loss'])} epochs run. SMOTE on the training part only: "
                  f"{counts(result['smote']['before'])} before, "
                  f"{counts(result['smote']['after'])} after.")
    rep.heading("Test metrics")
    rep.table([{"binary AUC (HNN)": ev["binary_auc"], "binary AUC (GLM)": glm_auc,
                "macro OvR AUC": ev["macro_ovr"], "weighted OvR AUC": ev["weighted_ovr"],
                "weighted OvO AUC": ev["weighted_ovo"]}])
    ranges = class_ranges or {}

    def area(c):
        lo, hi = ranges.get(int(c), (None, None))
        return "no landslide" if int(c) == 0 else (f"{lo:,.0f} - {hi:,.0f} m²" if lo is not None
                                                   else "")
    rep.table([{"class": c, "landslide area of its units": area(c), "one-vs-rest AUC": a}
               for c, a in ev["per_class"].items()],
              ["class", "landslide area of its units", "one-vs-rest AUC"],
              left=("landslide area of its units",))
    _curves_figure(rep, history)
    yb = (y_test > 0).astype(int)
    _roc_figure(rep, ev, glm_auc, y_test, yb, pb, glm_p, pc)
    calibration_section(rep, {"HNN P(landslide)": (yb, pb), "GLM": (yb, glm_p)},
                        "the test slope units")
    rep.heading("Confusion matrix (rows observed, columns predicted)")
    rep.table([{"observed": i, **{f"pred {j}": v for j, v in enumerate(row)}}
               for i, row in enumerate(ev["confusion"])])
    rep.heading("Spatial autocorrelation of occurrence")
    rep.paragraph(f"Moran's I = {moran['I']:.4f}, E[I] = {moran['E']:.6f}, z = {moran['z']:.2f}, "
                  f"p = {moran['p']:.3g} (queen contiguity, binary weights, normality "
                  f"assumption). For scale only: Aguilera et al. (2022) reports I = 0.2077 for "
                  f"its own "
                  f"study area; it is not a target for this one.")
    if search_rows:
        rep.heading("Monte Carlo search")
        rep.table(search_rows)
    rep.write(path)
    return path


def _curves_figure(rep, history):
    fig, ax = figure(6, 3.2)
    for k in ("loss", "val_loss"):
        ax.plot(history[k], label=k)
    ax.set_xlabel("epoch")
    ax.legend()
    ax.set_title("Training curves")
    rep.add_figure(fig, "training curves")


def _roc_figure(rep, ev, glm_auc, y_test, yb, pb, glm_p, pc):
    """ROC curves of the test units: occurrence by the HNN and the GLM, each size class."""
    fig, ax = figure(5, 4.5)
    ax.plot(*mt.roc_curve(yb, pb), label=f"HNN (AUC {ev['binary_auc']:.3f})")
    ax.plot(*mt.roc_curve(yb, glm_p), label=f"GLM (AUC {glm_auc:.3f})")
    for c in ev["per_class"]:
        ax.plot(*mt.roc_curve(y_test == int(c), pc[:, int(c)]), lw=0.8, ls=":",
                label=f"class {c} vs rest")
    ax.plot([0, 1], [0, 1], "k--", lw=0.6)
    ax.set_xlabel("false positive rate")
    ax.set_ylabel("true positive rate")
    ax.legend(fontsize=7, loc="lower right")
    rep.add_figure(fig, "ROC")


def factor_groups(names):
    """Feature columns of each factor: <f>_mean and <f>_std together; others alone."""
    groups = {}
    for j, n in enumerate(names):
        m = re.match(r"(.+)_(mean|std)$", n)
        groups.setdefault(m.group(1) if m else n, []).append(j)
    return groups


def ablation_configs(names, alpha):
    """The networks of the ablation: the full one, then one without each factor's columns."""
    return [{"alpha": alpha}] + [
        {"alpha": alpha, "cols": [j for j in range(len(names)) if j not in cols]}
        for cols in factor_groups(names).values()]


def loss_weight_rows(evaluations, alphas=LOSS_WEIGHTS):
    """One row per alpha of the loss-weight test from the networks' test metrics."""
    return [{"alpha": float(a), "binary_AUC": ev["binary_auc"],
             "class_AUC_macro_ovr": ev["macro_ovr"],
             "class_AUC_weighted_ovo": ev["weighted_ovo"]} for a, ev in zip(alphas, evaluations)]


def ablation_rows(names, evaluations):
    """Drop in binary AUC and in each class's one-vs-rest AUC against the full network (the
    first evaluation) when a factor is removed; largest binary drop first."""
    full = evaluations[0]
    rows = []
    for factor, ev in zip(factor_groups(names), evaluations[1:]):
        row = {"factor": factor, "binary_AUC": ev["binary_auc"],
               "binary_drop": full["binary_auc"] - ev["binary_auc"]}
        for c, a in full["per_class"].items():
            row[f"class_{c}_drop"] = a - ev["per_class"].get(c, float("nan"))
        rows.append(row)
    rows.sort(key=lambda r: -r["binary_drop"])
    return rows


def class_area_ranges(area, classes):
    """{class: (smallest, largest) landslide area of its units}, NaN areas left out."""
    area, classes = np.asarray(area, float), np.asarray(classes)
    out = {}
    for c in np.unique(classes):
        a = area[(classes == c) & np.isfinite(area)]
        if len(a):
            out[int(c)] = (float(a.min()), float(a.max()))
    return out


def training_rows(ev, glm_auc, n_test, moran):
    """The table of 'Train Hierarchical Neural Network' (metric, value): the test metrics
    ``ev`` beside the GLM's AUC, the test units and Moran's I of occurrence."""
    rows = [{"metric": "binary AUC (HNN)", "value": ev["binary_auc"]},
            {"metric": "binary AUC (GLM)", "value": glm_auc},
            {"metric": "macro one-vs-rest AUC", "value": ev["macro_ovr"]},
            {"metric": "weighted one-vs-rest AUC", "value": ev["weighted_ovr"]},
            {"metric": "weighted one-vs-one AUC", "value": ev["weighted_ovo"]}]
    rows += [{"metric": f"class {c} one-vs-rest AUC", "value": a}
             for c, a in ev["per_class"].items()]
    return rows + [{"metric": "test units", "value": int(n_test)},
                   {"metric": "Moran's I of occurrence", "value": moran["I"]}]


def _table_report(path, title, rows, note, fig):
    rep = HtmlReport(title)
    rep.paragraph(note, note=True)
    rep.table(rows)
    rep.add_figure(fig, title)
    return rep.write(path)


def loss_weight_report(path, rows):
    fig, ax = figure(6, 3.5)
    alphas = [r["alpha"] for r in rows]
    ax.plot(alphas, [r["binary_AUC"] for r in rows], "o-", label="binary AUC")
    ax.plot(alphas, [r["class_AUC_macro_ovr"] for r in rows], "s-", label="class AUC")
    ax.set_xlabel("alpha (weight of the binary loss)")
    ax.set_ylabel("AUC (held-out units)")
    ax.legend()
    return _table_report(path, "HNN loss-weight test", rows,
                         "Same split and seed for every alpha (Aguilera et al. 2022, fig. 10).",
                         fig)


def ablation_report(path, rows, full):
    """``full``: the test metrics of the network with every factor."""
    fig, ax = figure(6.5, 0.4 * len(rows) + 1.2)
    ax.barh([r["factor"] for r in rows][::-1], [r["binary_drop"] for r in rows][::-1],
            color="#d7301f")
    ax.set_xlabel("drop in binary AUC when the factor is removed")
    note = (f"Full model: binary AUC {full['binary_auc']:.3f}, class AUCs "
            f"{', '.join(f'{c}: {a:.3f}' for c, a in full['per_class'].items())}.")
    return _table_report(path, "HNN factor ablation", rows, note, fig)


def size_class_report(path, sc, rows):
    """``sc``: the :class:`~.network.SizeClasses`; ``rows``: its table of the units' areas."""
    rep = HtmlReport("Landslide size classes")
    rep.paragraph(f"Fisher-Jenks with k = {sc.k_initial} (GVF {sc.gvf:.3f}); merges: "
                  f"{', '.join(f'class {a} into {b}' for a, b in sc.merges) or 'none'}; the "
                  f"final {sc.n_classes - 1} landslide classes have a GVF of "
                  f"{sc.gvf_final:.3f} (rule: {sc.gvf_min:g}).")
    for w in sc.warnings():
        rep.paragraph(f"<b>Warning</b>: {w}")
    rep.table(rows, ["class", "name", "min_excl", "max_incl", "count"], left=("name",))
    rep.paragraph("Bounds in the area field's units (m²); the lowest bound is the "
                  "smallest non-zero area - 1e-6 (Aguilera et al. 2022, tables 2-3).", note=True)
    return rep.write(path)
