"""Self-contained HTML reports (figures embedded as PNG) and CSV tables.

Figures use matplotlib's object API on the Agg canvas (no pyplot state, no GUI), imported only
when a figure is made.
"""
from __future__ import annotations

import base64
import csv
import html
import io
import math
import os
import threading

from ..io.raster import AtomicOutput

#: one figure drawn at a time in this process: matplotlib is not thread-safe, and reports can be
#: written from Processing task threads side by side
_DRAWING = threading.Lock()

CSS = """
body{font-family:sans-serif;margin:1.5em;color:#222;max-width:70em}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:.6em 0}td,th{border:1px solid #bbb;padding:.2em .6em;
text-align:right}th{background:#eee}td.l,th.l{text-align:left}p.note{color:#555;font-size:.9em}
"""


def _fmt(v):
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v != 0 and (abs(v) < 1e-3 or abs(v) >= 1e6):
            return f"{v:.3e}"
        return f"{v:.4f}"
    return str(v)


def figure(width=6.0, height=3.5, ncols=1):
    """A matplotlib Figure with one Axes (or a row of ``ncols``), rendered off-screen."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    fig = Figure(figsize=(width, height), dpi=100)
    FigureCanvasAgg(fig)
    if ncols > 1:
        return fig, fig.subplots(1, ncols)
    return fig, fig.add_subplot(111)


class HtmlReport:
    def __init__(self, title):
        self.title = title
        self.parts = []

    def heading(self, text, level=2):
        self.parts.append(f"<h{level}>{html.escape(text)}</h{level}>")

    def paragraph(self, text, note=False):
        cls = ' class="note"' if note else ""
        self.parts.append(f"<p{cls}>{text}</p>")

    def table(self, rows, columns=None, left=()):
        if not rows:
            self.paragraph("(no rows)", note=True)
            return
        columns = columns or list(rows[0])
        head = "".join(f'<th class="{"l" if c in left else ""}">{html.escape(str(c))}</th>'
                       for c in columns)
        body = []
        for r in rows:
            cells = "".join(f'<td class="{"l" if c in left else ""}">{html.escape(_fmt(r.get(c)))}'
                            f"</td>" for c in columns)
            body.append(f"<tr>{cells}</tr>")
        self.parts.append(f"<table><tr>{head}</tr>{''.join(body)}</table>")

    def add_figure(self, fig, alt=""):
        buf = io.BytesIO()
        with _DRAWING:  # matplotlib is not thread-safe, even on separate figures
            fig.tight_layout()
            fig.savefig(buf, format="png")
            fig.clf()  # free the figure's artists now, not at interpreter exit
        data = base64.b64encode(buf.getvalue()).decode("ascii")
        self.parts.append(f'<p><img alt="{html.escape(alt)}" src="data:image/png;base64,{data}"/>'
                          f"</p>")

    def html(self):
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>"
                f"{html.escape(self.title)}</title><style>{CSS}</style></head><body>"
                f"<h1>{html.escape(self.title)}</h1>{''.join(self.parts)}</body></html>")

    def write(self, path):
        with AtomicOutput(path) as tmp:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.write(self.html())
        return path


def write_csv(path, rows, columns=None):
    """Write dict rows as CSV (atomic); columns default to the first row's keys."""
    columns = columns or (list(rows[0]) if rows else [])
    with AtomicOutput(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            w.writeheader()
            for r in rows:
                w.writerow({c: r.get(c) for c in columns})
    return path


def ensure_dir(path):
    if path:
        os.makedirs(path, exist_ok=True)
    return path


SMALL_BIN = 10  # reliability bins with fewer samples are drawn hollow


def calibration_section(rep, groups, where="the test samples", bins=10):
    """A reliability diagram and the Brier score's calibration part for each of ``groups``
    {name: (y, p)}; a sentence when a group over- or under-predicts on average by more than
    0.1. Groups with fewer than 2 samples or one class only are left out."""
    from ..stats.metrics import brier_decomposition, reliability
    import numpy as np
    groups = {k: (np.asarray(y, float), np.asarray(p, float)) for k, (y, p) in groups.items()
              if len(y) >= 2}
    if not groups:
        return
    rep.heading("Calibration")
    rep.paragraph(f"Reliability on {where}: the share of presences among the samples in each "
                  f"probability bin against the mean predicted probability. A calibrated "
                  f"model follows the diagonal. 'reliability' is the Brier score's calibration "
                  f"part (Murphy's decomposition over {bins} bins, 0 is perfect); resolution "
                  f"is what the model separates. The samples' share of presences is set by "
                  f"the sampling design (often 1:1), not by the landscape: a probability is "
                  f"calibrated to that share, not to the area's frequency of events. A "
                  f"marker's area is the number of samples in its bin; a hollow marker holds "
                  f"fewer than {SMALL_BIN}, too few to read its position.",
                  note=True)
    fig, ax = figure(5.2, 4.2)
    ax.plot([0, 1], [0, 1], color="#999999", lw=1, ls="--", label="calibrated")
    rows, warnings = [], []
    for name, (y, p) in groups.items():
        curve = reliability(y, p, bins)
        xs = [r["mean_predicted"] for r in curve]
        ys = [r["observed"] for r in curve]
        line, = ax.plot(xs, ys, "-", lw=1.2, label=name)
        n = np.array([r["n"] for r in curve], float)
        size = 12 + 140 * n / max(1.0, float(n.max()))  # marker area: samples in the bin
        few = n < SMALL_BIN
        ax.scatter(np.array(xs)[~few], np.array(ys)[~few], s=size[~few],
                   color=line.get_color(), zorder=3)
        ax.scatter(np.array(xs)[few], np.array(ys)[few], s=size[few], facecolors="white",
                   edgecolors=line.get_color(), zorder=3)
        d = brier_decomposition(y, p, bins)
        rows.append({"model": name, "n": len(y), "mean predicted": float(p.mean()),
                     "observed share": float(y.mean()), "Brier": d["brier"],
                     "reliability": d["reliability"], "resolution": d["resolution"],
                     "uncertainty": d["uncertainty"]})
        gap = float(p.mean() - y.mean())
        if abs(gap) > 0.1:
            warnings.append(f"{name}: mean predicted probability {p.mean():.2f} against an "
                            f"observed share of {y.mean():.2f}: the model "
                            f"{'over' if gap > 0 else 'under'}-predicts.")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed share of presences")
    ax.legend(fontsize=7)
    rep.add_figure(fig, "reliability diagram")
    rep.table(rows, left=("model",))
    for w in warnings:
        rep.paragraph(w)
