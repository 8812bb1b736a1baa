"""HTML reports of the absence samplers: the Mahalanobis chi-square summary with its D²
histogram, and the factor-threshold correction with its SHAP dependence. The samplers return
numbers and tables; this module turns them into HTML and figures."""
import numpy as np

from ..util.report import HtmlReport, figure
from .mahalanobis import D2_BINS


def d2_histogram(hist, critical):
    """The D² histogram on a log axis from the first to the last filled bin (the first bin,
    from 0, drawn from half its upper edge: a bar from 0 had stretched the axis to 1e-17),
    with the critical value marked."""
    fig, ax = figure(7, 3.5)
    edges = D2_BINS.copy()
    edges[0] = edges[1] / 2
    ax.stairs(hist, edges, fill=True, color="#807dba")
    ax.set_xscale("log")
    filled = np.nonzero(hist)[0]
    lo = edges[filled[0]] if len(filled) else edges[0]
    hi = edges[filled[-1] + 1] if len(filled) else edges[-1]
    ax.set_xlim(min(lo, critical / 2), max(hi, critical * 2))
    ax.axvline(critical, color="#d7301f", lw=2, label=f"critical value {critical:.2f}")
    ax.set_xlabel("D² (squared Mahalanobis distance to the presences)")
    ax.set_ylabel("pixels")
    ax.legend()
    return fig


def mahalanobis_report(path, model, result, n_presences):
    """The summary: D², critical value and admissible share, the D² histogram against the
    critical value, and the presences' statistics."""
    n_valid, n_adm = result.n_valid, result.n_admissible
    rep = HtmlReport("Mahalanobis chi-square absence sampling")
    rep.table([{"factors (p)": len(model.names), "dof": model.dof, "alpha": model.alpha,
                "critical D²": model.critical, "presences": n_presences,
                "absences": len(result.x), "valid pixels": n_valid,
                "admissible pixels": n_adm,
                "admissible share (%)": 100.0 * n_adm / max(1, n_valid),
                "pseudo-inverse": model.pseudo_inverse}])
    rep.paragraph("Factors: " + ", ".join(model.names))
    rep.add_figure(d2_histogram(result.hist, model.critical), "D2 histogram")
    rep.heading("Presence statistics")
    rep.table([{"factor": n, "mean": float(m), "std": float(np.sqrt(model.cov[i, i]))}
               for i, (n, m) in enumerate(zip(model.names, model.mean))], left=("factor",))
    rep.paragraph("Method: the Rangamati study (Mahalanobis distance based absence-data sampling); "
                  "METHODS.md section 1.1.", note=True)
    return rep.write(path)


def threshold_report(path, res):
    """The correction's summary with the SHAP dependence curve and its threshold."""
    rep = HtmlReport("Factor-threshold absence correction")
    rep.table([{"factor": res.factor, "threshold": res.threshold, "prone side": res.side,
                "threshold from": "SHAP" if res.derived else "user",
                "absences": res.n_absences, "replaced": res.replaced}],
              left=("factor", "prone side", "threshold from"))
    rows = res.crossing_rows()
    if rows:
        rep.heading("Sign changes of the binned mean SHAP")
        rep.paragraph(f"{len(rows)} sign change(s). " + (
            "The one with the largest jump of the mean is the threshold; the others are "
            "listed so that you can judge whether the step is clear." if res.derived and
            len(rows) > 1 else "" if res.derived else "The threshold was given, not "
            "derived."), note=True)
        rep.table([{"value": r["value"], "jump of mean SHAP": r["jump"],
                    "SHAP positive": r["prone"], "taken": "yes" if r["taken"] else ""}
                   for r in rows], left=("SHAP positive", "taken"))
    if res.curve is not None:
        v, s, centres, means = res.curve
        fig, ax = figure(7, 3.8)
        ax.scatter(v, s, s=4, alpha=0.3, color="#999999", label="samples")
        ax.plot(centres, means, "o-", color="#2c7bb6", label="binned mean SHAP")
        ax.axhline(0, color="black", lw=0.8)
        others = [r["value"] for r in rows if not r["taken"]]
        for k, o in enumerate(others):
            ax.axvline(o, color="#fdae61", lw=1, ls="--",
                       label="other sign changes" if k == 0 else None)
        ax.axvline(res.threshold, color="#d7301f", lw=2, label=f"threshold {res.threshold:.4g}")
        ax.set_xlabel(res.factor)
        ax.set_ylabel("SHAP value (log-odds)")
        ax.legend()
        rep.add_figure(fig, "SHAP dependence")
    rep.paragraph("Method: Li & Tian (2025), scenario 3; METHODS.md section 1.6. SHAP values are "
                  "XGBoost's exact TreeSHAP (pred_contribs).", note=True)
    return rep.write(path)
