import numpy as np
import pytest
from scipy import stats

from hazard_susceptibility.core import multihazard as mh
from hazard_susceptibility.core.errors import InputError
from hazard_susceptibility.core.raster import Grid


def test_mvg_nll_equals_scipy_logpdf():
    rng = np.random.default_rng(0)
    n, h = 40, 2
    mu = rng.normal(size=(n, h))
    raw = rng.normal(scale=0.5, size=(n, mh.n_chol(h)))
    y = rng.normal(size=(n, h))
    L = mh.chol_from_raw(raw, h)
    ref = np.array([-stats.multivariate_normal(mu[i], L[i] @ L[i].T).logpdf(y[i])
                    for i in range(n)])
    np.testing.assert_allclose(mh.mvg_nll(y, mu, raw), ref, rtol=1e-10)
    logdet, rho = mh.uncertainty_and_correlation(raw)
    np.testing.assert_allclose(logdet, [np.linalg.slogdet(L[i] @ L[i].T)[1] for i in range(n)])
    np.testing.assert_allclose(logdet, 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(1))
    assert (np.abs(rho) <= 1).all()
    for i in range(n):  # Sigma is positive definite
        assert (np.linalg.eigvalsh(L[i] @ L[i].T) > 0).all()


def test_keras_loss_equals_numpy():
    from hazard_susceptibility.core.deps import available
    if not available("tensorflow"):
        pytest.skip("tensorflow is not installed")
    rng = np.random.default_rng(1)
    h = 3
    mu = rng.normal(size=(10, h))
    raw = rng.normal(scale=0.3, size=(10, mh.n_chol(h)))
    y = rng.normal(size=(10, h))
    loss = mh.keras_mvg_nll(h)
    got = np.asarray(loss(y.astype("float32"), np.hstack([mu, raw]).astype("float32")))
    np.testing.assert_allclose(got, mh.mvg_nll(y, mu, raw), rtol=1e-4)


def test_beta_calibration_matches_betacal():
    betacal = pytest.importorskip("betacal")
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 2000)
    p = np.clip(rng.beta(2 + 3 * y, 5 - 3 * y) ** 0.7, 1e-6, 1 - 1e-6)
    ours = mh.BetaCalibration().fit(p, y)
    ref = betacal.BetaCalibration(parameters="abm").fit(p.reshape(-1, 1), y)
    test = np.linspace(0.01, 0.99, 50)
    np.testing.assert_allclose(ours.predict(test), ref.predict(test.reshape(-1, 1)), atol=1e-4)


def test_tiling_is_invisible_for_pointwise_predictions():
    grid = Grid("", (0, 1, 0, 0, 0, -1), 97, 83)
    truth = np.random.default_rng(3).random((83, 97))
    results = [(pad, truth[pad.slices]) for pad, core in mh.tiles(grid, 20, 5)]
    np.testing.assert_allclose(mh.merge_tiles(truth.shape, results), truth, rtol=1e-12)
    cover = np.zeros(truth.shape, int)
    for _, core in mh.tiles(grid, 20, 5):
        cover[core.slices] += 1
    assert (cover == 1).all()
    w = mh.edge_weights(10, 10)
    assert w.min() == 0.5 and w[0, 0] == 0.5 and w[4, 4] == 4.5
    with pytest.raises(InputError, match="smaller than the tile size"):
        mh.tiles(grid, 10, 10)


def test_bivariate_codes_and_labels():
    codes = mh.bivariate_codes([0, 4, 2, -1], [0, 4, 3, 1])
    assert codes.tolist() == [0, 24, 13, -1]
    assert mh.bivariate_label(13) == "M-H" and mh.bivariate_label(24) == "VH-VH"
