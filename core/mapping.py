"""Applying a fitted model over a factor stack, block by block, and classifying the result."""
from __future__ import annotations

import numpy as np

from .breaks import classify
from .progress import as_feedback
from .raster import Grid, RasterWriter, iter_windows, open_raster, read_window

CLASS_NAMES = ["very low", "low", "moderate", "high", "very high"]


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
    from .errors import InputError
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
    """Predictions of the valid pixels of one window (NaN elsewhere)."""
    data = stack.read(window)
    ok = ~np.isnan(data[0])
    out = np.full((window.rows, window.cols), np.nan, np.float32)
    if ok.any():
        out[ok] = np.asarray(predict(data[:, ok].T), np.float32)
    return out


def run_tiles(items, compute, consume, stack_args, shared, workers=1, scheduler=None,
              feedback=None):
    """Run ``compute(stack, item, shared)`` for every item and hand each result, in item order,
    to ``consume(item, result, k)``.

    Locally the items run on ``workers`` threads, each reading through its own
    ``AlignedStack(*stack_args)`` (GDAL datasets are not thread-safe), with at most 2 x workers
    items in flight, so memory stays bounded. Given a Dask ``scheduler`` address, each item is a
    task in another process with a private stack, and ``shared`` (the model) is sent to every
    worker once. ``compute`` must be a module-level function."""
    import threading
    from concurrent.futures import ThreadPoolExecutor
    from .raster import AlignedStack
    fb = as_feedback(feedback)
    local = threading.local()
    stacks = []

    def run_local(item):
        st = getattr(local, "stack", None)
        if st is None:
            st = local.stack = AlignedStack(*stack_args)
            stacks.append(st)
        return compute(st, item, shared)

    try:
        if scheduler:
            client = _dask_client(scheduler)
            remote = client.scatter(shared, broadcast=True)
            in_flight = 2 * max(1, len(client.scheduler_info()["workers"]))
            _in_order(items, lambda it: client.submit(_remote_task, compute, stack_args, it,
                                                      remote, pure=False), in_flight, consume, fb)
        elif workers > 1:
            with ThreadPoolExecutor(max_workers=workers) as ex:
                _in_order(items, lambda it: ex.submit(run_local, it), 2 * workers, consume, fb)
        else:
            for k, it in enumerate(items):
                fb.check()
                consume(it, run_local(it), k)
    finally:
        for st in stacks:
            st.close()


def _remote_task(compute, stack_args, item, shared):
    """One item through a private stack (a Dask task in another process)."""
    from .raster import AlignedStack
    with AlignedStack(*stack_args) as st:
        return compute(st, item, shared)


def apply_to_raster(stack, predict, path, workers=1, scheduler=None, feedback=None,
                    sample=1_000_000, seed=0):
    """Predict every valid pixel into a GeoTIFF, tile by tile.

    Tiles run on ``workers`` local threads (in order, with a bounded number in flight, so memory
    stays bounded), or on an existing Dask cluster given its scheduler address. The result does
    not depend on the number of workers. Returns (valid pixels, seeded sample of values)."""
    fb = as_feedback(feedback)
    rng = np.random.default_rng(seed)
    keep_p = min(1.0, sample / max(1, stack.grid.xsize * stack.grid.ysize))
    wins = list(stack.windows())
    kept, n_valid = [], 0
    w = RasterWriter(path, stack.grid, ["probability"])

    def consume(win, out, k):
        nonlocal n_valid
        valid = out[~np.isnan(out)].astype(float)
        n_valid += valid.size
        if valid.size:
            kept.append(valid[rng.random(valid.size) < keep_p])
        w.write(win, out)
        fb.report((k + 1) / len(wins))

    try:
        run_tiles(wins, _predict_block, consume, (stack.bands, stack.grid, stack.resampling),
                  predict, workers, scheduler, fb)
    finally:
        w.close()
    values = np.concatenate(kept) if kept else np.empty(0)
    if values.size > sample:
        values = rng.choice(values, sample, replace=False)
    return n_valid, values


def _in_order(wins, submit, in_flight, consume, fb):
    """Submit tiles with at most ``in_flight`` pending and consume results in tile order."""
    for k, (win, result) in enumerate(ordered_results(wins, submit, in_flight, fb.check)):
        consume(win, result, k)


def ordered_results(items, submit, in_flight, check=None):
    """Yield ``(item, submit(item).result())`` in item order, with at most ``in_flight``
    items submitted and not yet yielded (memory stays bounded whatever the number of items).
    ``items`` may be any iterable, e.g. a generator reading raster blocks; ``check`` (e.g. a
    cancellation check) runs before each result is awaited."""
    import collections
    pending = collections.deque()
    for it in items:
        pending.append((it, submit(it)))
        while len(pending) >= in_flight:
            it0, fut = pending.popleft()
            if check:
                check()
            yield it0, fut.result()
    while pending:
        it0, fut = pending.popleft()
        if check:
            check()
        yield it0, fut.result()


def _dask_client(address):
    from .deps import require
    from .errors import InputError
    require("dask")
    import cloudpickle
    from dask.distributed import Client
    import sys
    core_pkg = sys.modules[__package__]  # the workers need not have the plugin installed
    try:
        cloudpickle.register_pickle_by_value(core_pkg)
    except (ValueError, AttributeError):
        pass
    try:
        return Client(address, timeout=10, set_as_default=False)
    except (OSError, TimeoutError) as exc:
        raise InputError(f"Cannot reach the Dask scheduler at '{address}': {exc}",
                         "DASK_SCHEDULER")


def write_classes(prob_path, limits, out_path, feedback=None):
    """A Byte raster of classes 1..len(limits)+1 (0 = nodata) from a probability raster."""
    from osgeo import gdal
    grid, blocks = _raster_blocks(prob_path, feedback)
    names = CLASS_NAMES if len(limits) == 4 else [f"class {i + 1}" for i in range(len(limits) + 1)]
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
