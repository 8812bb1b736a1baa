"""Mahalanobis chi-square absence sampling (Rangamati Mahalanobis study, METHODS.md section 1.1)
over a factor
stack: the D² and sampling-space rasters, the draw, and the summary report."""
from __future__ import annotations

import contextlib

from dataclasses import dataclass

import numpy as np

from ..io.raster import RasterWriter
from ..util.partial import AtomicOutput
from ..util.progress import as_feedback
from ..util.report import HtmlReport, figure
from .samplers import Admissible, draw, mahalanobis_d2

D2_BINS = np.concatenate([[0.0], np.logspace(-2, 4, 121)])


@dataclass
class MahalanobisDraw:
    x: np.ndarray
    y: np.ndarray
    hist: np.ndarray   # pixels per D2_BINS bin
    n_valid: int
    n_admissible: int


def mahalanobis_absences(stack, presences, columns, model, count, rng, d2_path, mask_path,
                         min_distance=100.0, feedback=None):
    """Write D² (float32) and the sampling space (1 where D² exceeds the critical value, 0
    elsewhere, 255 nodata; each only when its path is given) of the stack's bands ``columns``
    block by block, then draw ``count`` absences among the admissible pixels (sampling space,
    at least ``min_distance`` from every presence). The rasters take their names only once
    the absences are drawn: a failed draw (too few admissible pixels) leaves nothing behind."""
    from osgeo import gdal
    fb = as_feedback(feedback)

    def beyond(win, data):
        with np.errstate(invalid="ignore"):
            return mahalanobis_d2(model, data[columns]) > model.critical

    adm = Admissible(stack, presences, min_distance, beyond)
    hist = np.zeros(len(D2_BINS) - 1, np.int64)
    n_valid = n_adm = 0
    wins = list(stack.windows())
    with contextlib.ExitStack() as outs:
        writers = []  # (writer, what it writes) for the rasters asked for
        if d2_path:
            writers.append((RasterWriter(outs.enter_context(AtomicOutput(d2_path)), stack.grid,
                                         ["d2"]), "d2"))
        if mask_path:
            writers.append((RasterWriter(outs.enter_context(AtomicOutput(mask_path)),
                                         stack.grid, ["sampling_space"], gdal.GDT_Byte, 255),
                            "mask"))
        try:
            for k, win in enumerate(wins):
                fb.check()
                with np.errstate(invalid="ignore"):
                    d2 = mahalanobis_d2(model, stack.read(win)[columns])
                valid = ~np.isnan(d2)
                mask = np.where(valid, (d2 > model.critical).astype(np.uint8), 255)
                for w, what in writers:
                    w.write(win, d2.astype(np.float32) if what == "d2" else mask)
                hist += np.histogram(d2[valid], D2_BINS)[0]
                n_valid += int(valid.sum())
                n_adm += int((mask == 1).sum())
                fb.report(0.5 * (k + 1) / len(wins))
        finally:
            for w, _ in writers:
                w.close()
        ax, ay, _ = draw(adm, count, rng, fb.sub(0.5, 1.0))
    return MahalanobisDraw(ax, ay, hist, n_valid, n_adm)


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
