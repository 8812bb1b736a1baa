"""Nearest-row distances (core.stats.nearest) against a brute force written here, bit for bit,
on random data with ties and duplicate rows, and against scipy within float rounding; for the
compiled search and for the scipy fallback (as without numba)."""
import pickle
import threading

import numpy as np
import pytest

from hazard_susceptibility.core.stats import nearest


def _brute(X, T):
    """Every distance, the columns' squared differences added in column order, then the min."""
    s = 0.0
    for j in range(X.shape[1]):
        s = s + (X[:, None, j] - T[None, :, j]) ** 2
    return np.sqrt(np.min(s, axis=1))


@pytest.fixture(params=["compiled", "scipy"])
def impl(request, monkeypatch):
    if request.param == "compiled":
        pytest.importorskip("numba")
        assert nearest._jit() is not None
    else:
        monkeypatch.setitem(nearest._COMPILED, "search", None)
    return request.param


def _cases():
    rng = np.random.default_rng(7)
    for trial in range(24):
        n, c = int(rng.integers(1, 400)), int(rng.integers(1, 12))
        if trial % 3 == 0:  # on an integer grid: many equal distances
            T = rng.integers(0, 4, (n, c)).astype(float)
            X = rng.integers(0, 4, (700, c)) + (rng.random((700, c)) < 0.3) * 0.5
        else:
            T = rng.normal(size=(n, c)) * rng.uniform(0.01, 100, c) + rng.normal(0, 50, c)
            X = rng.normal(size=(700, c)) * rng.uniform(0.01, 200, c) + T.mean(axis=0)
        if trial % 2:  # duplicate rows, and a constant column
            T = np.vstack([T, T[: n // 2 + 1]])
            T[:, 0] = 3.0
        X = np.vstack([X, T[rng.integers(0, len(T), 60)]])  # rows on reference rows
        yield T, X, int(rng.integers(1, 80))


def test_distances_equal_a_brute_force_bit_for_bit(impl):
    for T, X, leaf in _cases():
        want = _brute(X, T)
        got = nearest.NearestTree(T, leaf_size=leaf).distances(X)
        assert np.array_equal(got, want), (T.shape, leaf, np.abs(got - want).max())
        assert (got[-60:] == 0).all()  # a row on a reference row is at distance 0
        # with the default leaves too, and within float rounding of scipy's distances
        got = nearest.NearestTree(T).distances(X)
        assert np.array_equal(got, want)
        from scipy.spatial.distance import cdist
        np.testing.assert_allclose(got, cdist(X, T).min(axis=1), rtol=1e-13, atol=1e-300)


def test_rows_in_any_order_or_blocks_give_the_same_values(impl):
    """The search starts from the previous row's nearest row: a head start only."""
    rng = np.random.default_rng(3)
    T = rng.normal(size=(3000, 6))
    X = np.cumsum(rng.normal(0, 0.05, (5000, 6)), axis=0)  # neighbouring rows, like pixels
    tree = nearest.NearestTree(T)
    whole = tree.distances(X)
    perm = rng.permutation(len(X))
    assert np.array_equal(tree.distances(X[perm]), whole[perm])
    assert np.array_equal(np.concatenate([tree.distances(b) for b in np.array_split(X, 7)]),
                          whole)
    assert np.array_equal(whole, _brute(X, T))


def test_threads_and_pickling_give_the_same_values(impl):
    rng = np.random.default_rng(5)
    T = rng.normal(size=(800, 10))
    X = rng.normal(size=(20_000, 10)) * 1.5
    tree = nearest.NearestTree(T)
    want = tree.distances(X)
    parts = np.array_split(X, 4)
    got = [None] * 4

    def run(k):
        got[k] = tree.distances(parts[k])
    threads = [threading.Thread(target=run, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert np.array_equal(np.concatenate(got), want)
    assert np.array_equal(pickle.loads(pickle.dumps(tree)).distances(X), want)


def test_refusals():
    with pytest.raises(ValueError):
        nearest.NearestTree(np.empty((0, 3)))
    with pytest.raises(ValueError):
        nearest.NearestTree([[1.0, np.nan]])
    with pytest.raises(ValueError):
        nearest.NearestTree(np.ones((4, 2))).distances(np.ones((3, 3)))
    assert nearest.NearestTree(np.ones((4, 2))).distances(np.empty((0, 2))).shape == (0,)
