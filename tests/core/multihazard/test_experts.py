import numpy as np
import pytest

from hazard_susceptibility.core.multihazard import experts
from hazard_susceptibility.core.multihazard.uncertainty import uncertainty_and_correlation
from hazard_susceptibility.core.util.errors import InputError


def test_late_fusion_search_is_seeded_and_learns():
    pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] - X[:, 1] + rng.normal(scale=0.5, size=400) > 0.5).astype(int)
    est, params, auc = experts.train_late_fusion(X, y, seed=1, n_iter=4)
    est2, params2, auc2 = experts.train_late_fusion(X, y, seed=1, n_iter=4)
    assert params == params2 and auc == auc2 and auc > 0.8
    assert {"min_child_weight", "gamma", "reg_lambda"} <= set(params)
    assert est.get_params()["reg_lambda"] == params["reg_lambda"]
    assert set(params) == set(experts.LF_SPACE) | {"scale_pos_weight"}
    with pytest.raises(InputError, match="too few"):
        experts.train_late_fusion(X[:5], np.array([1, 0, 0, 0, 0]))


def _tf_or_skip():
    from hazard_susceptibility.core.util.deps import available
    if not available("tensorflow"):
        pytest.skip("tensorflow is not installed")


def test_early_stopping_rows_are_a_seeded_share_of_the_training_rows():
    fit, stop = experts.stopping_rows(1000, 0.2, seed=42)
    assert len(stop) == 200 and len(fit) == 800
    assert np.array_equal(np.union1d(fit, stop), np.arange(1000))  # disjoint, all rows
    again = experts.stopping_rows(1000, 0.2, seed=42)
    assert np.array_equal(again[1], stop) and np.array_equal(again[0], fit)
    assert not np.array_equal(experts.stopping_rows(1000, 0.2, seed=1)[1], stop)
    # a random share: about a fifth of the first and of the last half
    assert 70 < (stop < 500).sum() < 130
    # share 0 (the FL-MHSM study: stop on the validation split), or nothing left on one side
    for n, share in ((1000, 0.0), (2, 0.1), (1, 0.5)):
        f, s = experts.stopping_rows(n, share, seed=0)
        assert s is None and np.array_equal(f, np.arange(n))


def test_early_fusion_learns_and_gives_valid_uncertainty():
    _tf_or_skip()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 5))
    Y = np.column_stack([(X[:, 0] + rng.normal(scale=0.5, size=1500) > 0),
                         (X[:, 1] - X[:, 0] + rng.normal(scale=0.5, size=1500) > 0.5)]).astype(int)
    model, mean, std, cal, _ = experts.train_early_fusion(X[:1200], Y[:1200], X[1200:],
                                                          Y[1200:], epochs=60, batch=64,
                                                          patience=10)
    # Keras' own forward pass here; mapping uses the numpy one (tested against it elsewhere)
    raw = model.predict((X[1200:] - mean) / std, verbose=0)
    p = np.column_stack([c.predict(1 / (1 + np.exp(-raw[:, j]))) for j, c in enumerate(cal)])
    logdet, rho = uncertainty_and_correlation(raw[:, 2:], 2)
    from sklearn.metrics import roc_auc_score
    # the Bayes AUCs are about 0.9; a Gaussian likelihood on 0/1 labels gets close
    assert roc_auc_score(Y[1200:, 0], p[:, 0]) > 0.75 and roc_auc_score(Y[1200:, 1], p[:, 1]) > 0.75
    assert ((p >= 0) & (p <= 1)).all() and np.isfinite(logdet).all()
    assert (np.abs(rho) <= 1).all()


def test_gate_weights_sum_to_one_and_moe_lies_between_the_experts():
    _tf_or_skip()
    rng = np.random.default_rng(1)
    z = rng.random((64, 4)).astype("float32")  # p_LF(f, l), p_EF(f, l)
    gate, weights = experts.build_gate()
    p, w = gate.predict(z, verbose=0), weights.predict(z, verbose=0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-5)
    lo = np.minimum(z[:, :2], z[:, 2:]) - 1e-6
    hi = np.maximum(z[:, :2], z[:, 2:]) + 1e-6
    assert ((p >= lo) & (p <= hi)).all()
    y = (rng.random((64, 2)) > 0.5).astype("float32")
    before = weights.predict(z, verbose=0)
    gate.fit(z, y, epochs=5, verbose=0)
    assert not np.allclose(before, weights.predict(z, verbose=0))  # training moves the gate
