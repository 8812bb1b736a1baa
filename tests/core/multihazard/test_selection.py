import numpy as np
import pytest

from hazard_susceptibility.core.multihazard import selection


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
    rows, kept = selection.zone_feature_selection(X, hazard, label, zone, ["a", "twin", "b", "c"])
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
    sampled, used = selection.shap_shares(X, y, seed=1, sample=2000, with_used=True)
    full = selection.shap_shares(X, y, seed=1, sample=0)
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
    kept, dropped = selection.pearson_screen(X, ["slope", "litho", "twin"], 0.7,
                                             [False, True, False])
    assert kept == ["slope", "litho"] and dropped["twin"] == ("slope", pytest.approx(r[0, 2]))
    kept, _ = selection.pearson_screen(X, ["slope", "litho", "twin"], 0.7)  # all continuous
    assert "litho" not in kept
    pytest.importorskip("xgboost")
    label = (slope + rng.normal(scale=0.5, size=n) > 0).astype(int)
    rows, kept_by_zone = selection.zone_feature_selection(
        X, np.full(n, "landslide"), label, np.full(n, "1"), ["slope", "litho", "twin"],
        categorical=[False, True, False])
    reasons = {r["factor"]: r["reason"] for r in rows}
    assert reasons["litho"] == "categorical: not screened by Pearson's r"
    assert "twin" not in kept_by_zone["1"]
