"""Mahalanobis chi-square absence sampling (Rangamati Mahalanobis study, METHODS.md section 1.1)
over a factor stack: the D² and sampling-space rasters and the draw (the summary report is
:func:`.report.mahalanobis_report`)."""
from __future__ import annotations

import contextlib

from dataclasses import dataclass

import numpy as np

from ..io.raster import RasterWriter
from ..util.partial import AtomicOutput
from ..util.progress import as_feedback
from .samplers import Admissible, declare, draw, mahalanobis_d2

MAHALANOBIS = declare("mahalanobis", space="factor",
                      separates="far from the presences in factor space (Mahalanobis "
                                "chi-square)")
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
