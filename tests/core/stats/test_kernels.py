"""The compiled per-stratum loops (numba) against the numpy ones and a plain bincount, and
GeoDetector runs that must not depend on the number of threads or on numba."""
import numpy as np
import pytest

from hazard_susceptibility.core.stats import kernels
from hazard_susceptibility.core.stats.breaks import classify


@pytest.fixture
def numpy_only(monkeypatch):
    """Force the numpy implementation (as without numba)."""
    monkeypatch.setitem(kernels._COMPILED, "loops", None)


def _data(n=50_003, runs=True, seed=0):
    rng = np.random.default_rng(seed)
    x = np.cumsum(rng.normal(size=n)) if runs else rng.normal(size=n)  # runs of one class
    d = rng.normal(size=n) * 3 + 0.5
    limits = np.quantile(x, [0.2, 0.4, 0.6, 0.8])
    x[::97] = limits[rng.integers(0, 4, len(x[::97]))]  # values equal to a limit go low
    return x, d, limits


def _plain(codes, d, size):
    return (np.bincount(codes, minlength=size), np.bincount(codes, weights=d, minlength=size),
            np.bincount(codes, weights=d * d, minlength=size))


@pytest.mark.parametrize("runs", [True, False])
def test_compiled_and_numpy_loops_give_identical_sums(runs, monkeypatch):
    pytest.importorskip("numba")
    x, d, limits = _data(runs=runs)
    offset = (np.arange(len(x)) % 3) * 5  # e.g. three zones of five classes
    codes = classify(x, limits)
    compiled = [kernels.sums_by_limits(x, limits, d, 5), kernels.sums_by_codes(codes, d, 5),
                kernels.sums_by_limits(x, limits, d, 15, offset)]
    assert kernels._jit() is not None
    monkeypatch.setitem(kernels._COMPILED, "loops", None)
    plain = [kernels.sums_by_limits(x, limits, d, 5), kernels.sums_by_codes(codes, d, 5),
             kernels.sums_by_limits(x, limits, d, 15, offset)]
    for a, b in zip(compiled, plain):
        for u, v in zip(a, b):  # the same additions in the same order: bit for bit
            np.testing.assert_array_equal(u, v)
    # and both are the per-stratum sums
    ref = _plain(codes, d, 5)
    np.testing.assert_array_equal(compiled[0][0], ref[0])
    for u, v in zip(compiled[0][1:], ref[1:]):
        np.testing.assert_allclose(u, v, rtol=1e-12)
    ref15 = _plain(codes + offset, d, 15)
    np.testing.assert_array_equal(compiled[2][0], ref15[0])
    np.testing.assert_allclose(compiled[2][1], ref15[1], rtol=1e-12)


def test_numpy_loops_on_short_and_long_inputs(numpy_only):
    for n in (7, 5000):  # below and above the striping threshold
        x, d, limits = _data(n=n, seed=n)
        got = kernels.sums_by_limits(x, limits, d, 5)
        ref = _plain(classify(x, limits), d, 5)
        np.testing.assert_array_equal(got[0], ref[0])
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(got[2], ref[2], rtol=1e-12)


def _table(n=40_000, seed=5):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    X[:, 2] = rng.integers(1, 6, n)
    y = 2 * X[:, 0] + (X[:, 2] == 3) + rng.normal(size=n)
    zones = rng.integers(1, 4, n).astype(float)
    return y, X, zones


def _chunked(y, X, zones=None, size=7_000):
    """Table chunks of ``size`` rows (as raster blocks come), sampled for the limits."""
    Xt = np.ascontiguousarray(X.T)

    def chunks():
        for s0 in range(0, len(y), size):
            yield y[s0:s0 + size], Xt[:, s0:s0 + size], (None if zones is None
                                                         else zones[s0:s0 + size])
    chunks.upper = len(y) * 40  # keep about 1 value in 40 for the limits
    return chunks


def _flat(res):
    out = []
    for key in sorted(res):
        r = res[key]
        out += [(key, f["factor"], f["q"], f["p"]) for f in r.factors]
        assert r.interactions
        out += [tuple(sorted(i.items())) for i in r.interactions]
    return out


@pytest.mark.parametrize("zones", [False, True])
def test_run_does_not_depend_on_threads_or_numba(zones, monkeypatch):
    from hazard_susceptibility.core.geodetector.run import run_chunks
    y, X, z = _table()
    names, cat = ["a", "b", "c", "noise"], [False, False, True, False]
    chunks = _chunked(y, X, z if zones else None)
    runs = [_flat(run_chunks(chunks, names, cat, 5, top_n=3, seed=4, workers=w)[0])
            for w in (1, 2, 3)]
    monkeypatch.setitem(kernels._COMPILED, "loops", None)
    runs.append(_flat(run_chunks(chunks, names, cat, 5, top_n=3, seed=4, workers=2)[0]))
    assert runs[0] == runs[1] == runs[2] == runs[3]
    # a different seed draws another sample for the limits
    other = _flat(run_chunks(chunks, names, cat, 5, top_n=3, seed=5, workers=2)[0])
    assert other != runs[0]


def test_zone_sums_compiled_and_numpy_equal_direct_sums(monkeypatch):
    """Zones as patches (runs along rows), pixels outside every zone, NaN in single bands:
    per zone the count of pixels valid in every band and the sums of (value - shift) and its
    square, whichever implementation."""
    rng = np.random.default_rng(11)
    rows, cols, nb, nz = 70, 90, 3, 12
    r, c = np.mgrid[0:rows, 0:cols]
    ids = ((r // 20) * 4 + c // 25 + 1).astype(np.int32)  # 16 patches, 12 of them zones
    ids[ids > nz] = 0
    data = rng.normal(100, 5, (nb, rows, cols))
    data[1][rng.random((rows, cols)) < 0.05] = np.nan
    data[2, :3, :] = np.nan
    shift = np.array([100.0, 99.0, 101.0])
    valid = (ids > 0) & ~np.isnan(data).any(axis=0)
    results = []
    for compiled in (True, False):
        if not compiled:
            monkeypatch.setitem(kernels._COMPILED, "loops", None)
        elif kernels._jit() is None:
            continue
        count = np.zeros(nz + 1, np.int64)
        s1, s2 = np.zeros((nb, nz + 1)), np.zeros((nb, nz + 1))
        kernels.zone_sums(data.copy(), ids, shift, count, s1, s2)
        for k in range(1, nz + 1):
            sel = valid & (ids == k)
            assert count[k] == sel.sum() > 0
            for b in range(nb):
                v = data[b][sel] - shift[b]
                np.testing.assert_allclose(s1[b, k], v.sum(), rtol=1e-10, atol=1e-9)
                np.testing.assert_allclose(s2[b, k], (v * v).sum(), rtol=1e-12)
        results.append(compiled)
    assert False in results
