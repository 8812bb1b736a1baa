"""HTML report and CSV tables of a GeoDetector run."""
from __future__ import annotations

import os

import numpy as np

from ..util.report import HtmlReport, ensure_dir, figure, write_csv

CONVENTIONS = (
    "<b>Conventions.</b> Continuous factors are cut into strata ({method}, {classes} classes, "
    "limits from the data of each zone{sampled}); categorical factors are used as they are. "
    "q = 1 - &Sigma;<sub>h</sub> N<sub>h</sub>&sigma;<sub>h</sub>&sup2; / (N&sigma;&sup2;) with "
    "population variances. Its p-value uses F = (N-L)/(L-1)&middot;q/(1-q), which follows a "
    "non-central F(L-1, N-L; &lambda;), &lambda; = [&Sigma;&mu;<sub>h</sub>&sup2; - "
    "(&Sigma;&radic;N<sub>h</sub>&mu;<sub>h</sub>)&sup2;/N] / s&sup2; with s&sup2; the sample "
    "variance of Y, as in the R package geodetector. Interaction types: q12 &lt; min(q1, q2) "
    "nonlinear-weaken; min &lt; q12 &lt; max uni-weaken; max &lt; q12 &lt; q1 + q2 bi-enhance; "
    "q12 = q1 + q2 independent; q12 &gt; q1 + q2 nonlinear-enhance. Risk detector: mean response "
    "per stratum, Welch t-test for every pair of strata, one-way ANOVA; strata with a single "
    "member have no variance: their t-tests are NaN and they are left out of the ANOVA (they "
    "still count in q). Ecological detector: F = N1(N2-1)SSW1 / [N2(N1-1)SSW2], F test with "
    "(N1-1, N2-1) degrees of freedom; significant means factor 1's effect is weaker than "
    "factor 2's. Method: Wang et al. (2010); screening as in the FL-MHSM study (factor detector "
    "on all "
    "factors, interactions among the top N, risk detector on the top factor).")


def _q_bars(rows, title):
    fig, ax = figure(6.5, 0.4 * len(rows) + 1.2)
    names = [r["factor"] for r in rows][::-1]
    qs = [r["q"] for r in rows][::-1]
    colors = ["#2c7bb6" if r["p"] < 0.05 else "#abd9e9" for r in rows][::-1]
    ax.barh(names, qs, color=colors)
    ax.set_xlabel("q (dark: p < 0.05)")
    ax.set_title(title)
    ax.set_xlim(0, max(1e-3, max(qs) * 1.1))
    return fig


def _heatmap(rows, title):
    names = []
    for r in rows:
        for n in (r["factor_1"], r["factor_2"]):
            if n not in names:
                names.append(n)
    m = np.full((len(names), len(names)), np.nan)
    for r in rows:
        i, j = names.index(r["factor_1"]), names.index(r["factor_2"])
        m[i, j] = m[j, i] = r["q12"]
        m[i, i] = r["q1"]
        m[j, j] = r["q2"]
    fig, ax = figure(1.0 + 0.7 * len(names), 0.8 + 0.6 * len(names))
    im = ax.imshow(m, cmap="viridis", vmin=0, vmax=max(1e-3, float(np.nanmax(m))))
    ax.set_xticks(range(len(names)))
    ax.set_xticklabels(names, rotation=45, ha="right")
    ax.set_yticks(range(len(names)))
    ax.set_yticklabels(names)
    for i in range(len(names)):
        for j in range(len(names)):
            if not np.isnan(m[i, j]):
                light = m[i, j] > 0.6 * np.nanmax(m)
                ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center",
                        color="black" if light else "white",
                        fontsize=8)
    fig.colorbar(im, ax=ax, label="q (diagonal: single factor)")
    ax.set_title(title)
    return fig


def _risk_bars(rows, factor):
    fig, ax = figure(6.5, 3.2)
    ax.bar(range(len(rows)), [r["mean"] for r in rows], color="#fdae61")
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels([r["stratum"] for r in rows], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("mean response")
    ax.set_title(f"Risk detector: {factor}")
    return fig


def write_outputs(results, html_path=None, csv_folder=None, response="response", method="quantile",
                  classes=5, sample_note="", zone_field=None):
    """Write the HTML report and/or the CSV tables; returns the written paths."""
    written = []
    tables = {k: [] for k in ("factor_detector", "interaction_detector", "risk_detector",
                              "risk_tests", "anova", "ecological_detector")}
    rep = HtmlReport(f"GeoDetector: {response}")
    rep.paragraph(CONVENTIONS.format(method="quantiles" if method == "quantile"
                                     else "natural breaks (Fisher-Jenks)", classes=classes,
                                     sampled=sample_note), note=True)
    for zone, r in results.items():
        title = "All data" if zone == "all" else f"Zone {zone}" + (
            f" ({zone_field})" if zone_field else "")
        rep.heading(title)
        if r is None:
            rep.paragraph("Skipped: too few samples or strata in this zone.", note=True)
            continue
        rep.paragraph(f"N = {r.n} samples.")
        for name, why in r.skipped:
            rep.paragraph(f"Factor {name} skipped: {why}", note=True)
        for key, rows in (("factor_detector", r.factors), ("interaction_detector",
                                                           r.interactions),
                          ("risk_detector", r.risk), ("risk_tests", r.risk_tests),
                          ("anova", r.anova), ("ecological_detector", r.ecological)):
            tables[key] += [dict(zone=zone, **row) for row in rows]
        rep.heading("Factor detector", 3)
        rep.table(r.factors, ["rank", "factor", "q", "p", "strata", "n"], left=("factor",))
        rep.add_figure(_q_bars(r.factors, f"q of each factor ({title})"), "q bar chart")
        if r.interactions:
            rep.heading("Interaction detector", 3)
            rep.table(r.interactions, ["factor_1", "factor_2", "q1", "q2", "q12", "type"],
                      left=("factor_1", "factor_2", "type"))
            rep.add_figure(_heatmap(r.interactions, "Interaction q"), "interaction heatmap")
        for factor in sorted({x["factor"] for x in r.risk}):
            rows = [x for x in r.risk if x["factor"] == factor]
            rep.heading(f"Risk detector: {factor}", 3)
            rep.table(rows, ["stratum", "n", "mean"], left=("stratum",))
            rep.add_figure(_risk_bars(rows, factor), "risk bars")
            a = [x for x in r.anova if x["factor"] == factor][0]
            rep.paragraph(f"One-way ANOVA: F = {a['F']:.4g}, p = {a['p']:.4g}.")
            rep.table([x for x in r.risk_tests if x["factor"] == factor],
                      ["stratum_a", "stratum_b", "t", "p", "significant"],
                      left=("stratum_a", "stratum_b"))
        if r.ecological:
            rep.heading("Ecological detector", 3)
            rep.paragraph("Each pair is tested in both directions; the row gives the one with "
                          "the weaker factor's within-strata sum in the numerator, the only "
                          "one that can be significant: 'significant' means the weaker "
                          "factor's effect on the response is significantly smaller.",
                          note=True)
            rep.table(r.ecological, ["factor_1", "factor_2", "weaker", "F", "p",
                                     "significant"], left=("factor_1", "factor_2", "weaker"))
    if html_path:
        written.append(rep.write(html_path))
    if csv_folder:
        ensure_dir(csv_folder)
        for key, rows in tables.items():
            cols = ["zone"] + ([c for c in rows[0] if c != "zone"] if rows else [])
            written.append(write_csv(os.path.join(csv_folder, f"{key}.csv"), rows, cols))
    return written
