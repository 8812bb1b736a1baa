"""Applying a fitted model over a factor stack, block by block (on the tile runner), and
classifying the result."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..stats.breaks import CLASS_NAMES, class_names, classify  # noqa: F401 (CLASS_NAMES: API)
from ..stats.breaks import BreakSample
from ..util.progress import as_feedback
from ..io.raster import Grid, RasterWriter, iter_windows, open_raster, read_window
from ..io.tiles import run_tiles
from . import models


def _raster_blocks(path, feedback=None):
    """(grid, iterator of (window, float array with NaN on nodata)) of a single-band raster."""
    fb = as_feedback(feedback)
    ds = open_raster(path)
    grid = Grid.from_dataset(ds)
    wins = list(iter_windows(grid))

    def blocks():  # holds the dataset for as long as it is iterated
        for k, win in enumerate(wins):
            fb.check()
            yield win, read_window(ds, win)
            fb.report((k + 1) / len(wins))
    return grid, blocks()


def class_counts(path, limits, feedback=None):
    """Pixels of a (probability) raster in each class of ``limits``."""
    counts = np.zeros(len(limits) + 1, np.int64)
    for _, a in _raster_blocks(path, feedback)[1]:
        counts += np.bincount(classify(a[~np.isnan(a)], limits), minlength=len(counts))
    return counts


def match_factors(bands, wanted, wanted_categorical=None):
    """Reorder ``bands`` to the model's factor names ``wanted``; an error lists what is missing.
    Returns (bands in order, names of unused bands)."""
    from ..util.errors import InputError
    by_name = {b.name: b for b in bands}
    missing = [n for n in wanted if n not in by_name]
    if missing:
        raise InputError(f"The model needs the factor(s) {', '.join(missing)}, which are not "
                         f"among the rasters given ({', '.join(by_name) or 'none'}). Give rasters "
                         f"named as in training (layer names or band descriptions).", "FACTORS")
    ordered = [by_name[n] for n in wanted]
    if wanted_categorical is not None:
        for b, c in zip(ordered, wanted_categorical):
            b.categorical = bool(c)
    return ordered, [n for n in by_name if n not in wanted]


def _predict_block(stack, window, predict):
    """Predictions of the valid pixels of one window (NaN elsewhere): (rows, cols) for a
    ``predict`` of one value per row, (k, rows, cols) for one of k values per row."""
    return _predict_data(stack.read(window), predict)


def _predict_data(data, predict):
    """:func:`_predict_block` of a block already read, ``data`` (bands, rows, cols)."""
    rows, cols = data.shape[1:]
    ok = ~np.isnan(data[0])
    out = None
    if ok.any():
        vals = np.asarray(predict(data[:, ok].T), np.float32)
        out = np.full(vals.shape[1:] + (rows, cols), np.nan, np.float32)
        out[..., ok] = vals.T if vals.ndim == 2 else vals
    return out


def apply_to_raster(stack, predict, path, workers=1, scheduler=None, feedback=None,
                    sample=1_000_000, seed=0, names=("probability",)):
    """Predict every valid pixel into a GeoTIFF, block by block.

    With ``workers`` > 1 local threads, the calling thread reads the blocks (through its own
    copy of ``stack``; each read decodes the files on every core, see
    :func:`core.io.raster.decoding_threads`), the workers predict them, and one thread writes
    the results in order, with at most :data:`IN_FLIGHT` x workers blocks in flight (memory
    stays bounded).
    Workers that each read their own blocks did not scale: reads of one stack on two threads,
    each with its own datasets, decoded much of the same data twice (1.19x on 2 workers in
    ``bench/bench_apply.py``). With one worker, or on an existing Dask cluster given its
    scheduler address, the tile runner reads, predicts and writes (on Dask each worker reads
    its own windows: only windows and results travel). The result does not depend on the
    number of workers: each block's prediction is the same call on the same rows.

    ``path`` may be a list of k paths, each a one-band raster (band description from
    ``names``), when ``predict`` returns k values per row (n, k): one read of the factors
    serves every output. Returns (valid pixels, seeded sample of the first output's values)."""
    fb = as_feedback(feedback)
    sampler = BreakSample(sample, stack.grid.xsize * stack.grid.ysize, seed)
    wins = list(stack.windows())
    kept, n_valid = [], 0
    paths = [path] if isinstance(path, (str, bytes)) or not hasattr(path, "__len__") \
        else list(path)
    names = list(names) + [f"value {i + 1}" for i in range(len(names), len(paths))]
    writers = []

    def store(win, out):
        nonlocal n_valid
        if out is None:
            out = np.full((len(paths), win.rows, win.cols), np.nan, np.float32)
        out = out.reshape((-1, win.rows, win.cols))
        valid = out[0][~np.isnan(out[0])].astype(float)
        n_valid += valid.size
        if valid.size:
            kept.append(sampler.take(valid))
        for w, band in zip(writers, out):
            w.write(win, band)

    def consume(win, out, k):
        store(win, out)
        fb.report((k + 1) / len(wins))

    try:
        for p, n in zip(paths, names):
            writers.append(RasterWriter(p, stack.grid, [n]))
        if workers > 1 and not scheduler:
            _read_here_predict_there(stack, wins, predict, workers, store, fb)
        else:
            run_tiles(wins, _predict_block, consume,
                      (stack.bands, stack.grid, stack.resampling), predict, workers, scheduler,
                      fb)
    finally:
        for w in writers:
            w.close()
    values = np.concatenate(kept) if kept else np.empty(0)
    return n_valid, sampler.at_most(values)


#: blocks read and not yet written per worker, when several workers predict: slack for the
#: workers' uneven pace (a block of 10 factors is about 5 MB)
IN_FLIGHT = 4


def _read_here_predict_there(stack, wins, predict, workers, store, fb):
    """Blocks read by the calling thread from ``stack``, predicted on ``workers`` threads and
    stored (``store(window, result)``) in window order by one writing thread, while this one
    reads on and reports the progress (see :func:`apply_to_raster`)."""
    import collections
    from concurrent.futures import ThreadPoolExecutor
    from ..io.tiles import ordered_results

    def blocks():
        for win in wins:
            fb.check()
            yield win, own.read(win)

    with stack.reopen() as own, \
            ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hazard-apply") as ex, \
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="hazard-write") as wr:
        done = ordered_results(blocks(), lambda wd: ex.submit(_predict_data, wd[1], predict),
                               IN_FLIGHT * workers, fb.check)
        writing = collections.deque()  # the writing thread stores one block at a time, in order
        written = 0
        for (win, _), out in done:
            writing.append(wr.submit(store, win, out))
            while len(writing) > 2 or (writing and written + len(writing) == len(wins)):
                writing.popleft().result()
                written += 1
                fb.report(written / len(wins))


def write_classes(prob_path, limits, out_path, feedback=None):
    """A Byte raster of classes 1..len(limits)+1 (0 = nodata) from a probability raster."""
    from osgeo import gdal
    grid, blocks = _raster_blocks(prob_path, feedback)
    names = class_names(len(limits) + 1)
    w = RasterWriter(out_path, grid, ["susceptibility_class"], gdal.GDT_Byte, 0)
    counts = np.zeros(len(limits) + 1, np.int64)
    try:
        for win, a in blocks:
            c = classify(a, limits) + 1
            c[np.isnan(a)] = 0
            counts += np.bincount(c[c > 0] - 1, minlength=len(counts))
            w.write(win, c.astype(np.uint8))
        w.set_metadata({"classes": ",".join(names)})
    finally:
        w.close()
    return counts, names


@dataclass
class MapResult:
    valid_pixels: int
    limits: np.ndarray | None = None  # natural breaks of the 5 classes, when written
    gvf: float | None = None
    sample_size: int = 0
    counts: np.ndarray | None = None
    class_names: list | None = None


def model_bands(manifest, bands, log=None):
    """A raster model file's factor bands in its own order (matched by name, with its
    categorical flags) and the grid to map on (its training grid, else the first band's)."""
    log = log or (lambda msg: None)
    enc = manifest.encoding
    ordered, unused = match_factors(bands, enc.names, enc.categorical)
    if unused:
        log(f"Not used by the model: {', '.join(unused)}")
    return ordered, manifest.grid or Grid.from_path(ordered[0].path)


def one_thread(*models):
    """Hold each model to one thread of its own: the tiles are the parallelism (one per
    worker), as for the multi-hazard maps. A model loaded from a file predicts on every core
    otherwise (XGBoost's default), so two workers ran four threads on two cores and were
    barely faster than one. Predictions do not depend on it."""
    for m in models:
        if m is not None and "n_jobs" in m.get_params(deep=False):
            m.set_params(n_jobs=1)
    return models


def spread_function(estimator, kind, fold_models=()):
    """The prediction spread of a model at encoded rows, as its kind gives it: the standard
    deviation of a forest's trees' probabilities, or of the probabilities of its fold models
    (XGBoost, GLM), each held to one thread. None when the model has neither."""
    one_thread(*fold_models)
    return models.get(kind).spread(estimator, fold_models)


def map_model(estimator, manifest, bands, out_path, classes_path=None, workers=1,
              scheduler=None, break_sample=1_000_000, seed=0, feedback=None, log=None,
              spread=None, spread_path=None):
    """A raster model file's probability map over ``bands`` (matched to its factors by name, in
    its own order, on its training grid when it has one) and, when ``classes_path`` is given, 5
    natural-breaks classes from a seeded sample of the map; with ``spread`` (from
    :func:`spread_function`) and ``spread_path``, the prediction spread in the same pass. Every
    file is written under a temporary name and moved into place only when complete."""
    from ..io.raster import AlignedStack
    from ..util.partial import AtomicOutput
    from ..stats.breaks import gvf, natural_breaks
    from ..util.errors import InputError
    fb = as_feedback(feedback)
    enc = manifest.encoding
    ordered, grid = model_bands(manifest, bands, log)
    one_thread(estimator)

    def predict(X):
        return estimator.predict_proba(enc.transform(X))[:, 1]

    def predict_and_spread(X):
        Xt = enc.transform(X)
        return np.column_stack([estimator.predict_proba(Xt)[:, 1], spread(Xt)])

    with AlignedStack(ordered, grid, manifest.resampling) as stack:
        from contextlib import nullcontext
        with AtomicOutput(out_path) as tmp, (AtomicOutput(spread_path) if spread_path else
                                             nullcontext()) as tmp_spread:
            if spread_path:
                n_valid, sample = apply_to_raster(
                    stack, predict_and_spread, [tmp, tmp_spread], workers, scheduler,
                    fb.sub(0, 0.85), break_sample, seed,
                    names=("probability", "prediction_spread"))
            else:
                n_valid, sample = apply_to_raster(stack, predict, tmp, workers, scheduler,
                                                  fb.sub(0, 0.85), break_sample, seed)
            if n_valid == 0:
                raise InputError("No pixel has a value in every factor: check the rasters' "
                                 "extent and nodata.", "FACTORS")
    res = MapResult(n_valid, sample_size=len(sample))
    if classes_path:
        res.limits = natural_breaks(sample, 5, sample=0, seed=seed)
        res.gvf = float(gvf(sample, classify(sample, res.limits)))
        with AtomicOutput(classes_path) as tmp:
            res.counts, res.class_names = write_classes(out_path, res.limits, tmp,
                                                        fb.sub(0.85, 1.0))
    return res
