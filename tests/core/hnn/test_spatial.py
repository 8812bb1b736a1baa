import numpy as np
import pytest

from hazard_susceptibility.core.hnn.spatial import morans_i


def test_morans_i_against_a_dense_computation():
    rng = np.random.default_rng(0)
    n = 30
    W = (rng.random((n, n)) < 0.15).astype(float)
    W = np.triu(W, 1)
    W = W + W.T
    x = (rng.random(n) < 0.4).astype(float)
    nb = [list(np.nonzero(W[i])[0]) for i in range(n)]
    r = morans_i(x, nb)
    z = x - x.mean()
    I = n / W.sum() * z @ W @ z / (z @ z)  # noqa: E741  (Moran's I)
    assert r["I"] == pytest.approx(I) and r["E"] == pytest.approx(-1 / (n - 1))
    assert 0 <= r["p"] <= 1
