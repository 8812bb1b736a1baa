"""Applying a fitted model over a factor stack, block by block, and classifying the result."""
from __future__ import annotations

import numpy as np

from .breaks import classify
from .progress import as_feedback
from .raster import Grid, RasterWriter, iter_windows, open_raster

CLASS_NAMES = ["very low", "low", "moderate", "high", "very high"]


def predict_to_raster(stack, predict, path, feedback=None, sample=100_000, seed=0):
    """Write ``predict(X (n, bands)) -> (n,)`` of every valid pixel to a GeoTIFF.

    Returns (number of valid pixels, a seeded random sample of at most ``sample`` predicted
    values, for class breaks)."""
    fb = as_feedback(feedback)
    rng = np.random.default_rng(seed)
    keep_p = min(1.0, sample / max(1, stack.grid.xsize * stack.grid.ysize))
    wins = list(stack.windows())
    kept, n_valid = [], 0
    w = RasterWriter(path, stack.grid, ["probability"])
    try:
        for k, win in enumerate(wins):
            fb.check()
            data = stack.read(win)
            ok = ~np.isnan(data[0])
            out = np.full((win.rows, win.cols), np.nan, np.float32)
            if ok.any():
                p = np.asarray(predict(data[:, ok].T), float)
                out[ok] = p
                n_valid += int(ok.sum())
                kept.append(p[rng.random(p.size) < keep_p])
            w.write(win, out)
            fb.report((k + 1) / len(wins))
    finally:
        w.close()
    sample_values = np.concatenate(kept) if kept else np.empty(0)
    if sample_values.size > sample:
        sample_values = rng.choice(sample_values, sample, replace=False)
    return n_valid, sample_values


def class_counts(path, limits, feedback=None):
    """Pixels of a (probability) raster in each class of ``limits``."""
    fb = as_feedback(feedback)
    ds = open_raster(path)
    grid = Grid.from_dataset(ds)
    band = ds.GetRasterBand(1)
    nd = band.GetNoDataValue()
    counts = np.zeros(len(limits) + 1, np.int64)
    wins = list(iter_windows(grid))
    for k, win in enumerate(wins):
        fb.check()
        a = band.ReadAsArray(win.col, win.row, win.cols, win.rows).astype(float)
        if nd is not None:
            a[a == nd] = np.nan
        c = classify(a[~np.isnan(a)], limits)
        counts += np.bincount(c, minlength=len(counts))
        fb.report((k + 1) / len(wins))
    return counts
