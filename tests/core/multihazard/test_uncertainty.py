import numpy as np
import pytest
from scipy import stats

from hazard_susceptibility.core.multihazard import uncertainty as unc


def test_mvg_nll_equals_scipy_logpdf():
    rng = np.random.default_rng(0)
    n, h = 40, 2
    mu = rng.normal(size=(n, h))
    raw = rng.normal(scale=0.5, size=(n, unc.n_chol(h)))
    y = rng.normal(size=(n, h))
    L = unc.chol_from_raw(raw, h)
    ref = np.array([-stats.multivariate_normal(mu[i], L[i] @ L[i].T).logpdf(y[i])
                    for i in range(n)])
    np.testing.assert_allclose(unc.mvg_nll(y, mu, raw), ref, rtol=1e-10)
    logdet, rho = unc.uncertainty_and_correlation(raw)
    np.testing.assert_allclose(logdet, [np.linalg.slogdet(L[i] @ L[i].T)[1] for i in range(n)])
    np.testing.assert_allclose(logdet, 2 * np.log(np.diagonal(L, axis1=1, axis2=2)).sum(1))
    assert (np.abs(rho) <= 1).all()
    for i in range(n):  # Sigma is positive definite
        assert (np.linalg.eigvalsh(L[i] @ L[i].T) > 0).all()


def test_keras_loss_equals_numpy():
    from hazard_susceptibility.core.util.deps import available
    if not available("tensorflow"):
        pytest.skip("tensorflow is not installed")
    rng = np.random.default_rng(1)
    h = 3
    mu = rng.normal(size=(10, h))
    raw = rng.normal(scale=0.3, size=(10, unc.n_chol(h)))
    y = rng.normal(size=(10, h))
    loss = unc.keras_mvg_nll(h)
    got = np.asarray(loss(y.astype("float32"), np.hstack([mu, raw]).astype("float32")))
    np.testing.assert_allclose(got, unc.mvg_nll(y, mu, raw), rtol=1e-4)


def test_beta_calibration_matches_betacal():
    betacal = pytest.importorskip("betacal")
    rng = np.random.default_rng(2)
    y = rng.integers(0, 2, 2000)
    p = np.clip(rng.beta(2 + 3 * y, 5 - 3 * y) ** 0.7, 1e-6, 1 - 1e-6)
    ours = unc.BetaCalibration().fit(p, y)
    ref = betacal.BetaCalibration(parameters="abm").fit(p.reshape(-1, 1), y)
    test = np.linspace(0.01, 0.99, 50)
    np.testing.assert_allclose(ours.predict(test), ref.predict(test.reshape(-1, 1)), atol=1e-4)
