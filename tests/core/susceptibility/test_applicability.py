"""Dissimilarity index and area of applicability (Meyer & Pebesma 2021) against brute-force
numpy, R's boxplot.stats and a synthetic region whose truth is known."""
import numpy as np
import pytest

from hazard_susceptibility.core.susceptibility import applicability as ap
from hazard_susceptibility.core.util.errors import InputError


def _brute(X, w, folds, Xnew):
    """Everything by hand: R's scale (n - 1), weights, all pairs, nearest neighbours."""
    mean, sd = X.mean(0), X.std(0, ddof=1)
    Z = (X - mean) / sd * w
    D = np.sqrt(((Z[:, None, :] - Z[None, :, :]) ** 2).sum(-1))
    n = len(X)
    d_bar = D[~np.eye(n, dtype=bool)].mean()
    train_di = np.array([D[i, folds != folds[i]].min() for i in range(n)]) / d_bar
    Zn = (Xnew - mean) / sd * w
    dn = np.sqrt(((Zn[:, None, :] - Z[None, :, :]) ** 2).sum(-1)).min(1)
    return d_bar, train_di, dn / d_bar


def test_di_equals_brute_force_numpy():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 4)) * [1, 10, 0.1, 3] + [0, 5, -2, 100]
    w = np.array([0.5, 0.1, 0.3, 0.1])
    folds = rng.integers(0, 5, 150)
    Xnew = rng.normal(size=(400, 4)) * [2, 10, 0.1, 3] + [0, 5, -2, 100]
    app = ap.fit(X, list("abcd"), w, folds)
    d_bar, train_di, di = _brute(X, w, folds, Xnew)
    assert app.d_bar == pytest.approx(d_bar, rel=1e-12)
    np.testing.assert_allclose(app.train_di, train_di, rtol=1e-10)
    np.testing.assert_allclose(app.di(Xnew), di, rtol=1e-10)
    # a row equal to a training row has DI 0; a missing value gives NaN
    got = app.di(np.vstack([X[7], [np.nan, 1, 1, 1]]))
    assert got[0] == 0.0 and np.isnan(got[1])


def test_threshold_is_r_boxplot_stats_upper_whisker():
    # R: boxplot.stats(c(1:100, 1000))$stats == c(1, 26, 51, 76, 100)
    assert ap.upper_whisker(np.r_[np.arange(1, 101), 1000.0]) == 100.0
    # R: boxplot.stats(c(1:10, 50))$stats == c(1, 3.5, 6, 8.5, 10)
    assert ap.upper_whisker(np.r_[np.arange(1, 11), 50.0]) == 10.0
    # R: fivenum(c(1, 2, 3, 4, 30)) = 1 2 3 4 30; fence 4 + 1.5 * 2 = 7: whisker 4
    assert ap.upper_whisker([30.0, 1, 2, 3, 4]) == 4.0


def test_a_factor_outside_the_training_range_is_outside_the_aoa():
    """A synthetic region: training rows cover x1 in [0, 1]; the region runs to x1 = 3. Rows
    past the training range must fall outside, rows inside it inside."""
    rng = np.random.default_rng(1)
    X = np.c_[rng.uniform(0, 1, 400), rng.uniform(0, 1, 400)]
    folds = rng.integers(0, 5, 400)
    app = ap.fit(X, ["x1", "x2"], [1.0, 1.0], folds)
    grid = np.c_[np.linspace(0, 3, 301), np.full(301, 0.5)]
    inside = app.inside(app.di(grid))
    assert inside[grid[:, 0] <= 0.9].all()
    assert not inside[grid[:, 0] >= 1.5].any()
    # a factor without importance does not move the DI at all
    app0 = ap.fit(X, ["x1", "x2"], [1.0, 0.0], folds)
    far = np.c_[np.full(5, 0.5), np.linspace(5, 50, 5)]
    assert (app0.inside(app0.di(far)) == 1).all()


def test_sampled_mean_distance_is_close_and_seeded():
    rng = np.random.default_rng(2)
    Z = rng.normal(size=(3000, 3))
    exact, pairs, sampled = ap.mean_pair_distance(Z)
    assert not sampled and pairs == 3000 * 2999 // 2
    est, n, sampled = ap.mean_pair_distance(Z, seed=5, exact_rows=1000, sampled_pairs=200_000)
    assert sampled and n == 200_000 and est == pytest.approx(exact, rel=0.01)
    assert est == ap.mean_pair_distance(Z, seed=5, exact_rows=1000, sampled_pairs=200_000)[0]


def test_refusals_name_what_to_do():
    X = np.random.default_rng(3).normal(size=(20, 2))
    with pytest.raises(InputError, match="two cross-validation folds"):
        ap.fit(X, ["a", "b"], [1, 1], np.zeros(20))
    with pytest.raises(InputError, match="zero importance"):
        ap.fit(X, ["a", "b"], [0, 0], np.arange(20) % 2)
    folds, how = ap.assign_folds(np.zeros(20), np.zeros(20), 20, 5, 0, block_size=100.0)
    assert how == "random 5-fold" and sorted(np.bincount(folds)) == [4] * 5


def test_di_raster_is_the_brute_force_di_on_1_or_2_workers_and_dask(tmp_path):
    """The DI of every pixel, tile by tile on threads or Dask worker processes (the search
    travels to them), equals a brute-force minimum over the training rows."""
    from osgeo import gdal
    from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
    from hazard_susceptibility.core.susceptibility.apply import apply_to_raster
    from tests.helpers import write_raster
    rng = np.random.default_rng(4)
    t = (700000.0, 10, 0, 9500000.0, 0, -10)
    a = np.cumsum(rng.normal(size=(200, 300)), axis=1)  # smooth along rows, like factors
    b = rng.normal(size=(200, 300))
    a[:5, :5] = -9999
    paths = [write_raster(tmp_path / "a.tif", a, t, nodata=-9999),
             write_raster(tmp_path / "b.tif", b, t)]
    bands = [Band(p, 1, n) for p, n in zip(paths, "ab")]
    X = np.c_[rng.choice(a[5:].ravel(), 200), rng.normal(size=200)]
    X = np.vstack([X, X[:20]])  # duplicate training rows
    app = ap.fit(X, ["a", "b"], [0.7, 0.3], rng.integers(0, 4, len(X)))
    outs = {}
    with AlignedStack(bands, Grid.from_path(paths[0])) as st:
        for w in (1, 2):
            apply_to_raster(st, app.di, str(tmp_path / f"w{w}.tif"), workers=w)
            outs[w] = gdal.Open(str(tmp_path / f"w{w}.tif")).ReadAsArray()
        pytest.importorskip("distributed")
        from distributed import LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            apply_to_raster(st, app.di, str(tmp_path / "dask.tif"),
                            scheduler=cluster.scheduler_address)
        outs["dask"] = gdal.Open(str(tmp_path / "dask.tif")).ReadAsArray()
    np.testing.assert_array_equal(outs[1], outs[2])
    np.testing.assert_array_equal(outs[1], outs["dask"])
    a, b = (gdal.Open(p).ReadAsArray().astype(float) for p in paths)  # as the stack reads
    Z = app.transform(np.c_[a.ravel(), b.ravel()])
    d2 = np.empty(len(Z))
    for k in range(0, len(Z), 10_000):
        s = 0.0
        for j in range(2):  # every pixel against every training row, columns added in order
            s = s + (Z[k:k + 10_000, None, j] - app.train[None, :, j]) ** 2
        d2[k:k + 10_000] = s.min(axis=1)
    want = (np.sqrt(d2) / app.d_bar).astype(np.float32).reshape(a.shape)
    want[:5, :5] = -9999
    np.testing.assert_array_equal(outs[1], want)
