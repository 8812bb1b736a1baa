"""The Dask path of the tile runner: each worker opens the rasters itself, keeps them for the
rest of one run (not across runs), computes with BLAS on one thread, and sends back only the
item's result."""
import numpy as np
import pytest

from hazard_susceptibility.core.io.raster import Band, Grid, Window
from hazard_susceptibility.core.io.tiles import run_tiles
from tests.helpers import write_raster


def _probe(stack, win, shared):
    """What a worker saw: its process, its stack object, BLAS threads, and the window's sum."""
    import os
    from threadpoolctl import threadpool_info
    blas = [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]
    return os.getpid(), id(stack), blas, float(np.nansum(stack.read(win))) * shared


def test_workers_read_their_own_windows_and_keep_their_rasters_for_one_run(tmp_path):
    pytest.importorskip("distributed")
    from distributed import LocalCluster
    a = np.arange(64 * 48, dtype=float).reshape(64, 48)
    path = write_raster(tmp_path / "a.tif", a, (0, 10, 0, 640, 0, -10))
    grid = Grid.from_path(path)
    wins = [Window(r, 0, 16, 48) for r in range(0, 64, 16)]
    got = {}
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        for run in ("first", "second"):
            out = []
            run_tiles(wins, _probe, lambda w, r, k: out.append(r), ([Band(path)], grid), 2.0,
                      scheduler=cluster.scheduler_address)
            got[run] = out
    import os
    for run, out in got.items():
        assert [r[3] for r in out] == [2.0 * a[w.slices].sum() for w in wins]  # in order
        assert {r[0] for r in out} != {os.getpid()}  # computed in the worker process
        assert len({r[1] for r in out}) == 1  # one stack for the whole run
        assert all(r[2] and set(r[2]) == {1} for r in out)  # BLAS on one thread
    assert got["first"][0][1] != got["second"][0][1]  # a new run opens the rasters again


def test_rasters_left_open_on_the_workers_are_reported_not_passed_over(tmp_path, monkeypatch):
    """Closing the workers' rasters after a run can fail (a worker lost, a closed connection):
    the run's results stand, and the log says what was left open instead of saying nothing."""
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    from hazard_susceptibility.core.util.progress import Feedback

    def lost(self, *args, **kwargs):
        raise OSError("connection to the worker closed")
    monkeypatch.setattr(Client, "run", lost)
    a = np.ones((32, 16))
    path = write_raster(tmp_path / "a.tif", a, (0, 10, 0, 320, 0, -10))
    wins = [Window(r, 0, 16, 16) for r in (0, 16)]
    out, log = [], []
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        run_tiles(wins, _probe, lambda w, r, k: out.append(r[3]),
                  ([Band(path)], Grid.from_path(path)), 1.0,
                  scheduler=cluster.scheduler_address, feedback=Feedback(log=log.append))
    assert out == [256.0, 256.0]
    assert any("not closed (connection to the worker closed)" in m for m in log), log
