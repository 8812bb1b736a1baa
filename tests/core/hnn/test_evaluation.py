import numpy as np

from hazard_susceptibility.core.hnn.evaluation import glm_baseline


def test_the_glm_baseline_is_the_unpenalised_maximum_likelihood_fit():
    """Paper 000's baseline is a plain binomial GLM; the HNN's had been scikit-learn's default
    (C = 1, a ridge penalty). Its probabilities equal a Newton fit's to 1e-6."""
    rng = np.random.default_rng(7)
    n = 600
    X = np.column_stack([rng.normal(5, 2, n), rng.normal(0, 1, n), rng.normal(-3, 4, n)])
    logit = -0.5 + 0.6 * X[:, 0] - 1.2 * X[:, 1] + 0.1 * X[:, 2]
    classes = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), 2, 0)
    tr, te = np.arange(0, 450), np.arange(450, n)
    _, p = glm_baseline(X, classes, tr, te)
    A = np.column_stack([np.ones(len(tr)), X[tr]])
    y = (classes[tr] > 0).astype(float)
    beta = np.zeros(A.shape[1])
    for _ in range(50):  # Newton-Raphson
        q = 1 / (1 + np.exp(-A @ beta))
        beta += np.linalg.solve(A.T @ (A * (q * (1 - q))[:, None]), A.T @ (y - q))
    ref = 1 / (1 + np.exp(-np.column_stack([np.ones(len(te)), X[te]]) @ beta))
    np.testing.assert_allclose(p, ref, atol=1e-6)
