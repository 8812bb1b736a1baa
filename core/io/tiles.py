"""The one tile runner: items (raster windows or tiles) computed on local threads, each
with its own stack, or on a Dask cluster, and consumed in order with bounded memory."""
from __future__ import annotations

from ..util.progress import as_feedback

# the core package, sent to Dask workers by value (they need not have the plugin installed)
CORE_PACKAGE = __name__.rsplit(".", 2)[0]


def run_tiles(items, compute, consume, stack_args, shared, workers=1, scheduler=None,
              feedback=None):
    """Run ``compute(stack, item, shared)`` for every item and hand each result, in item order,
    to ``consume(item, result, k)``.

    Locally the items run on ``workers`` threads, each reading through its own
    ``AlignedStack(*stack_args)`` (GDAL datasets are not thread-safe), with at most 2 x workers
    items in flight, so memory stays bounded. Given a Dask ``scheduler`` address, each item is a
    task on a worker, which opens the rasters itself (the paths must reach every worker; GDAL
    ``/vsi*`` paths do), keeps them open for the rest of the run and reads only the item's
    window: only the item goes out and only its result comes back, never factor blocks.
    ``shared`` (the model) is sent to every worker once; at most 2 x workers items are in
    flight. ``compute`` must be a module-level function."""
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
            import uuid
            remote = client.scatter(shared, broadcast=True)
            run = uuid.uuid4().hex
            in_flight = 2 * max(1, len(client.scheduler_info()["workers"]))
            try:
                _in_order(items, lambda it: client.submit(_remote_task, compute, stack_args, it,
                                                          remote, run, pure=False), in_flight,
                          consume, fb)
            finally:
                try:
                    client.run(_close_worker_stacks)
                except Exception as exc:  # noqa: BLE001  (a lost worker holds nothing any more)
                    fb.info(f"Dask: the workers' rasters of this run were not closed ({exc}); "
                            f"they close when the workers restart.")
                client.close()
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


def _remote_task(compute, stack_args, item, shared, run):
    """One item in a Dask worker: the worker opens the rasters itself (its thread keeps them
    open for the next item of the same run) and reads only the item's window; only the
    item's result travels back."""
    _worker_setup()
    return compute(_worker_stack(stack_args, run), item, shared)


def _worker_state():
    """A dict that lives as long as the worker process. Not a module global: the core package
    travels to the workers by value, so each task gets fresh copies of its modules' globals;
    the Dask worker object stays."""
    try:
        from distributed import get_worker
        w = get_worker()
    except (ImportError, ValueError):  # not in a Dask worker (tests call the task directly)
        w = _worker_state
    if not hasattr(w, "_hazard_state"):
        import threading
        w._hazard_state = {"ready": False, "stacks": [], "local": threading.local()}
    return w._hazard_state


def _worker_stack(stack_args, run):
    """This worker thread's stack on ``stack_args``, opened at its first item of the run
    ``run`` (an id unique to one call of :func:`run_tiles`)."""
    from .raster import AlignedStack
    state = _worker_state()
    held = getattr(state["local"], "held", None)
    if held is None or held[0] != run:
        if held is not None:
            held[1].close()
        held = state["local"].held = (run, AlignedStack(*stack_args))
        state["stacks"].append(held[1])
    return held[1]


def _close_worker_stacks():
    """Close the rasters the worker's threads hold (after a run; runs on every worker)."""
    state = _worker_state()
    while state["stacks"]:
        state["stacks"].pop().close()


def _worker_setup():
    """Once per worker process: BLAS on one thread (parallelism comes from the tiles, and
    every pixel gets the same numbers whoever computes it), and glibc's threshold for
    serving allocations by mmap back to its own ceiling. Dask's nanny starts workers with
    MALLOC_TRIM_THRESHOLD_ set, which freezes that threshold at 128 KiB: every block-sized
    temporary of a tile is then a fresh mmap, its pages faulted in anew (measured: a tile
    computed 1.27x slower than in the client's own threads). Memory still goes back to the
    system past the trim threshold."""
    state = _worker_state()
    if state["ready"]:
        return
    state["ready"] = True
    from threadpoolctl import threadpool_limits
    threadpool_limits(1, user_api="blas")
    import os
    import sys
    if sys.platform.startswith("linux") and os.environ.get("MALLOC_TRIM_THRESHOLD_"):
        try:
            import ctypes
            ctypes.CDLL("libc.so.6").mallopt(-3, 32 * 1024 * 1024)  # M_MMAP_THRESHOLD
        except (OSError, AttributeError):  # not glibc: nothing to tune
            pass


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
    from ..util.deps import require
    from ..util.errors import InputError
    require("dask")
    import cloudpickle
    from dask.distributed import Client
    import sys
    core_pkg = sys.modules[CORE_PACKAGE]  # the workers need not have the plugin installed
    try:
        cloudpickle.register_pickle_by_value(core_pkg)
    except (ValueError, AttributeError):
        pass
    try:
        return Client(address, timeout=10, set_as_default=False)
    except Exception as exc:  # noqa: BLE001  (anything but a scheduler answers in many ways)
        raise InputError(f"Cannot reach a Dask scheduler at '{address}' "
                         f"({type(exc).__name__}: {exc}). Give the address the scheduler "
                         f"prints, such as tcp://192.168.1.10:8786, or leave it empty to run "
                         f"on this machine.", "DASK_SCHEDULER") from None
