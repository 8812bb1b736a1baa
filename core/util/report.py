"""Self-contained HTML reports (figures embedded as PNG) and CSV tables: the generic pieces
every package's ``report`` module builds on.

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

from .partial import AtomicOutput

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
