import math

import numpy as np
import pytest
from scipy import stats

from hazard_susceptibility.core.multihazard import blocks as mh
from hazard_susceptibility.core.util.errors import InputError
from hazard_susceptibility.core.io.raster import Grid


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
    from hazard_susceptibility.core.util.deps import available
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


def _merge_tiles(shape, results):
    """Weighted mean of overlapping tile predictions (padded Window, array) by edge weights."""
    num, den = np.zeros(shape), np.zeros(shape)
    for win, arr in results:
        w = mh.edge_weights(win.rows, win.cols)
        ok = ~np.isnan(arr)
        num[win.slices] += np.where(ok, arr * w, 0.0)
        den[win.slices] += np.where(ok, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def test_tiling_is_invisible_for_pointwise_predictions():
    grid = Grid("", (0, 1, 0, 0, 0, -1), 97, 83)
    truth = np.random.default_rng(3).random((83, 97))
    results = [(pad, truth[pad.slices]) for pad, core in mh.tiles(grid, 20, 5)]
    np.testing.assert_allclose(_merge_tiles(truth.shape, results), truth, rtol=1e-12)
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


def test_split_three_is_stratified_by_zone_and_label():
    labels = np.r_[np.ones(100), np.zeros(100), np.ones(50), np.zeros(50)]
    zones = np.r_[np.full(200, "a"), np.full(100, "b")]
    s = mh.split_three(labels, zones, seed=0)
    for z, n in (("a", 100), ("b", 50)):
        for lab in (0, 1):
            sel = (zones == z) & (labels == lab)
            assert (s[sel] == "train").sum() == round(0.8 * n)
            assert (s[sel] == "val").sum() == round(0.1 * n)
    assert (mh.split_three(labels, zones, seed=0) == s).all()


def test_zone_feature_selection_drops_correlated_and_useless_factors():
    pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    n = 600
    a = rng.normal(size=n)
    twin = a * 0.99 + rng.normal(scale=0.05, size=n)  # |r| > 0.7 with a
    b = rng.normal(size=n)
    const_in_z2 = np.where(np.arange(n) < 300, rng.normal(size=n), 1.0)
    X = np.column_stack([a, twin, b, const_in_z2])
    zone = np.where(np.arange(n) < 300, "1", "2")
    hazard = np.where(np.arange(n) % 2 == 0, "flood", "landslide")
    label = (a + 0.5 * b + rng.normal(scale=0.5, size=n) > 0).astype(int)
    rows, kept = mh.zone_feature_selection(X, hazard, label, zone, ["a", "twin", "b", "c"])
    assert "twin" not in kept["1"] and "a" in kept["1"] and "b" in kept["1"]
    assert "c" not in kept["2"]
    reasons = {(r["zone"], r["factor"]): r["reason"] for r in rows}
    assert reasons[("1", "twin")].startswith("|r| = ") and "with a" in reasons[("1", "twin")]
    assert reasons[("2", "c")] == "constant in the zone"


def test_shap_shares_on_a_sample_agree_with_every_row_and_decide_zero_alike():
    """SHAP on 2,000 of 20,000 rows: the shares stay within 2 percentage points of SHAP on
    every row, the local accuracy of XGBoost's TreeSHAP holds on the rows (contributions sum
    to the margin), and a factor the model never splits on is the only one with a zero
    share."""
    xgb = pytest.importorskip("xgboost")
    rng = np.random.default_rng(4)
    n = 20_000
    X = rng.normal(size=(n, 5))
    X[:, 4] = 0.0  # constant: no split can use it
    y = (X[:, 0] + 0.6 * X[:, 1] - 0.3 * X[:, 2] + rng.normal(scale=0.7, size=n) > 0).astype(int)
    sampled, used = mh.shap_shares(X, y, seed=1, sample=2000, with_used=True)
    full = mh.shap_shares(X, y, seed=1, sample=0)
    m = xgb.XGBClassifier(n_estimators=200, max_depth=4, learning_rate=0.1, subsample=0.8,
                          random_state=1, n_jobs=1, tree_method="hist").fit(X, y)
    contrib = m.get_booster().predict(xgb.DMatrix(X[:500]), pred_contribs=True)
    np.testing.assert_allclose(contrib.sum(axis=1), m.predict(X[:500], output_margin=True),
                               rtol=1e-4, atol=1e-4)
    ref = np.abs(contrib[:, :-1]).mean(axis=0)  # the same model: full's first 500 rows
    assert np.argmax(ref) == np.argmax(full) == 0
    assert np.abs(sampled - full).max() < 2.0
    assert used.tolist() == [True, True, True, True, False]
    assert (full > 0).tolist() == used.tolist() and sampled[4] == 0


def test_pearson_screening_leaves_categorical_codes_alone():
    """Lithology codes that happen to correlate with a continuous factor stay; two continuous
    twins are screened as before (r checked against numpy)."""
    rng = np.random.default_rng(3)
    n = 500
    slope = rng.normal(size=n)
    litho = np.digitize(slope + rng.normal(scale=0.2, size=n), [-1, 0, 1]) + 1  # codes 1..4
    twin = slope + rng.normal(scale=0.1, size=n)
    X = np.column_stack([slope, litho, twin])
    r = np.corrcoef(X, rowvar=False)
    assert abs(r[0, 1]) > 0.7  # the codes correlate with slope
    kept, dropped = mh.pearson_screen(X, ["slope", "litho", "twin"], 0.7,
                                      [False, True, False])
    assert kept == ["slope", "litho"] and dropped["twin"] == ("slope", pytest.approx(r[0, 2]))
    kept, _ = mh.pearson_screen(X, ["slope", "litho", "twin"], 0.7)  # all taken as continuous
    assert "litho" not in kept
    pytest.importorskip("xgboost")
    label = (slope + rng.normal(scale=0.5, size=n) > 0).astype(int)
    rows, kept_by_zone = mh.zone_feature_selection(
        X, np.full(n, "landslide"), label, np.full(n, "1"), ["slope", "litho", "twin"],
        categorical=[False, True, False])
    reasons = {r["factor"]: r["reason"] for r in rows}
    assert reasons["litho"] == "categorical: not screened by Pearson's r"
    assert "twin" not in kept_by_zone["1"]


def test_late_fusion_search_is_seeded_and_learns():
    pytest.importorskip("xgboost")
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 4))
    y = (X[:, 0] - X[:, 1] + rng.normal(scale=0.5, size=400) > 0.5).astype(int)
    est, params, auc = mh.train_late_fusion(X, y, seed=1, n_iter=4)
    est2, params2, auc2 = mh.train_late_fusion(X, y, seed=1, n_iter=4)
    assert params == params2 and auc == auc2 and auc > 0.8
    assert {"min_child_weight", "gamma", "reg_lambda"} <= set(params)
    assert est.get_params()["reg_lambda"] == params["reg_lambda"]
    assert set(params) == set(mh.LF_SPACE) | {"scale_pos_weight"}
    with pytest.raises(InputError, match="too few"):
        mh.train_late_fusion(X[:5], np.array([1, 0, 0, 0, 0]))


def _tf_or_skip():
    from hazard_susceptibility.core.util.deps import available
    if not available("tensorflow"):
        pytest.skip("tensorflow is not installed")


def test_early_fusion_learns_and_gives_valid_uncertainty():
    _tf_or_skip()
    rng = np.random.default_rng(0)
    X = rng.normal(size=(1500, 5))
    Y = np.column_stack([(X[:, 0] + rng.normal(scale=0.5, size=1500) > 0),
                         (X[:, 1] - X[:, 0] + rng.normal(scale=0.5, size=1500) > 0.5)]).astype(int)
    model, mean, std, cal, _ = mh.train_early_fusion(X[:1200], Y[:1200], X[1200:], Y[1200:],
                                                  epochs=60, batch=64, patience=10)
    # Keras' own forward pass here; mapping uses the numpy one (tested against it elsewhere)
    raw = model.predict((X[1200:] - mean) / std, verbose=0)
    p = np.column_stack([c.predict(1 / (1 + np.exp(-raw[:, j]))) for j, c in enumerate(cal)])
    logdet, rho = mh.uncertainty_and_correlation(raw[:, 2:], 2)
    from sklearn.metrics import roc_auc_score
    # the Bayes AUCs are about 0.9; a Gaussian likelihood on 0/1 labels gets close
    assert roc_auc_score(Y[1200:, 0], p[:, 0]) > 0.75 and roc_auc_score(Y[1200:, 1], p[:, 1]) > 0.75
    assert ((p >= 0) & (p <= 1)).all() and np.isfinite(logdet).all()
    assert (np.abs(rho) <= 1).all()


def test_gate_weights_sum_to_one_and_moe_lies_between_the_experts():
    _tf_or_skip()
    rng = np.random.default_rng(1)
    z = rng.random((64, 4)).astype("float32")  # p_LF(f, l), p_EF(f, l)
    gate, weights = mh.build_gate()
    p, w = gate.predict(z, verbose=0), weights.predict(z, verbose=0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0, rtol=1e-5)
    lo = np.minimum(z[:, :2], z[:, 2:]) - 1e-6
    hi = np.maximum(z[:, :2], z[:, 2:]) + 1e-6
    assert ((p >= lo) & (p <= hi)).all()
    y = (rng.random((64, 2)) > 0.5).astype("float32")
    before = weights.predict(z, verbose=0)
    gate.fit(z, y, epochs=5, verbose=0)
    assert not np.allclose(before, weights.predict(z, verbose=0))  # training moves the gate


def test_gelu_is_the_tanh_form_everywhere():
    """gelu() computes x / (1 + exp(-2u)); it must equal the tanh form Keras trains with,
    0.5 x (1 + tanh u), far into both tails too (no overflow warning, no NaN)."""
    x = np.concatenate([np.linspace(-40, 40, 20001), [-1e3, 1e3, 0.0]])
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    ref = 0.5 * x * (1 + np.tanh(u))
    with np.errstate(all="raise"):
        got = mh.gelu(x.copy())
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    assert np.isfinite(got).all()
