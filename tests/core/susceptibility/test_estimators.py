import numpy as np
import pytest
from sklearn import metrics as skm

from hazard_susceptibility.core.stats import metrics as mt
from hazard_susceptibility.core.susceptibility import estimators as models
from hazard_susceptibility.core.util.errors import InputError
from hazard_susceptibility.core.susceptibility.training import save, train


def _data(n=600, seed=0):
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, n))
    cat = rng.integers(1, 4, n).astype(float)
    logit = 2.0 * a - 1.5 * b + 1.0 * (cat == 2)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    X = np.column_stack([a, b, noise, cat])
    return X, y, ["a", "b", "noise", "cat"], [False, False, False, True]


def test_metrics_equal_scikit_learn():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(y * 0.3 + rng.random(300) * 0.7, 0, 1)
    m = mt.threshold_metrics(y, p)
    pred = (p >= 0.5).astype(int)
    assert m["AUC"] == pytest.approx(skm.roc_auc_score(y, p))
    assert m["kappa"] == pytest.approx(skm.cohen_kappa_score(y, pred))
    assert m["precision"] == pytest.approx(skm.precision_score(y, pred))
    assert m["recall"] == pytest.approx(skm.recall_score(y, pred))
    assert m["F1"] == pytest.approx(skm.f1_score(y, pred))
    assert m["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))
    assert m["Brier"] == pytest.approx(skm.brier_score_loss(y, p))
    fpr, tpr = mt.roc_curve(y, p)
    assert np.trapz(tpr, fpr) == pytest.approx(m["AUC"])


def test_kappa_and_scai_by_hand():
    # TP 40, FP 10, TN 35, FN 15: P_obs = 0.75, P_exp = (55*50 + 50*45)/100^2 = 0.5
    assert mt.kappa(40, 10, 35, 15) == pytest.approx((0.75 - 0.5) / 0.5)
    rows = mt.scai([500, 300, 100, 60, 40], [2, 5, 10, 13, 20])
    assert rows[0]["SCAI"] == pytest.approx(50 / 4)
    assert rows[4]["SCAI"] == pytest.approx(4 / 40)
    assert mt.scai([10, 10], [0, 5])[0]["SCAI"] == float("inf")


def test_vif_and_frequency_ratio():
    rng = np.random.default_rng(0)
    a = rng.normal(size=500)
    b = a + rng.normal(scale=0.5, size=500)
    c = rng.normal(size=500)
    v = mt.vif(np.column_stack([a, b, c]), ["a", "b", "c"])
    r2 = np.corrcoef(a, b)[0, 1] ** 2  # regressing b on a and c: ~ corr(a, b)^2
    assert v[1] == pytest.approx(1 / (1 - r2), rel=0.02) and v[2] < 1.05
    E, F, fr, rf = mt.frequency_ratio([50, 30, 20], [1, 3, 6])
    np.testing.assert_allclose(E, [50, 30, 20])
    np.testing.assert_allclose(F, [10, 30, 60])
    np.testing.assert_allclose(fr, [0.2, 1.0, 3.0])
    np.testing.assert_allclose(rf, [100 * 0.2 / 4.2, 100 / 4.2, 300 / 4.2])


@pytest.mark.parametrize("kind", ["rf", "xgboost", "glm"])
def test_train_recovers_signal_and_ranks_noise_last(kind):
    X, y, names, cat = _data()
    res = train(X, y, names, cat, kind, {"n_estimators": 100} if kind != "glm" else None,
                {"method": "random", "test_share": 0.3}, seed=0)
    assert res.test_metrics["AUC"] > 0.75
    imp = res.importance
    assert min(imp["a"], imp["b"]) > imp["noise"]
    again = train(X, y, names, cat, kind, {"n_estimators": 100} if kind != "glm" else None,
                  {"method": "random", "test_share": 0.3}, seed=0)
    assert again.test_metrics == res.test_metrics


def test_spatial_block_folds_share_no_block():
    rng = np.random.default_rng(0)
    x, yy = rng.uniform(0, 10000, 500), rng.uniform(0, 10000, 500)
    from hazard_susceptibility.core.susceptibility.holdout import block_folds
    fold = block_folds(x, yy, 2000.0, 5, seed=1)
    blocks = np.floor(x / 2000).astype(int) * 100 + np.floor(yy / 2000).astype(int)
    for b in np.unique(blocks):
        assert len(np.unique(fold[blocks == b])) == 1
    assert set(fold) == set(range(5))
    X, y, names, cat = _data(500)
    res = train(X, y, names, cat, "glm", None, {"method": "blocks", "size": 2000.0, "k": 5},
                seed=0, coords=(x, yy))
    assert len(res.folds) == 5 and res.test_metrics["AUC"] > 0.7


def test_model_file_round_trip_gives_the_same_probabilities(tmp_path):
    """The estimator rebuilt from plain arrays (forest nodes, GLM coefficients) or XGBoost's
    JSON predicts exactly what the trained one does; the manifest comes back typed."""
    X, y, names, cat = _data()
    for kind in ("rf", "xgboost", "glm"):
        res = train(X, y, names, cat, kind, {"n_estimators": 20} if kind != "glm" else None,
                    {"method": "random", "test_share": 0.3}, seed=0)
        path = tmp_path / f"{kind}.hsm"
        save(res, path, crs_authid="EPSG:32717", label_field="label", n_samples=len(y))
        est, man = models.load_model(path)
        Xt = res.encoding.transform(X)
        np.testing.assert_array_equal(est.predict_proba(Xt), res.estimator.predict_proba(Xt))
        assert man.kind == kind and man.encoding.names == names and man.mode == "fields"
        assert man.test_metrics["AUC"] == res.test_metrics["AUC"] and man.seed == 0
        assert man.encoding == res.encoding
    bad = tmp_path / "bad.hsm"
    bad.write_bytes(b"\x80\x04not a zip")
    with pytest.raises(InputError, match="not a susceptibility model file"):
        models.load_model(bad)


def test_bad_training_data():
    X, y, names, cat = _data(100)
    with pytest.raises(InputError, match="0 \\(absence\\) or 1"):
        train(X, np.where(y == 1, 2, 0), names, cat, "glm")
    with pytest.raises(InputError, match="constant"):
        X2 = X.copy()
        X2[:, 2] = 5.0
        train(X2, y, names, cat, "glm")
    with pytest.raises(InputError, match="label 1"):
        y2 = np.zeros_like(y)
        y2[:2] = 1
        train(X, y2, names, cat, "glm")


def test_fractional_labels_are_refused_not_rounded():
    """A label of 0.5 must not become an absence (it did, by an integer cast before the check)."""
    X, y, names, cat = _data(100)
    for bad in (0.5, np.nan, 2.0):
        yb = y.astype(float)
        yb[3] = bad
        with pytest.raises(InputError, match="0 \\(absence\\) or 1"):
            train(X, yb, names, cat, "glm")


def test_raster_models_keep_every_resampling_the_stack_offers(tmp_path):
    """A raster model trained with any of the stack's resamplings (near and average too, which
    the manifest check first refused at writing) is written and read back with it."""
    from hazard_susceptibility.core.io.raster import RESAMPLINGS, Grid
    X, y, names, cat = _data(200)
    res = train(X, y, names, cat, "glm", None, {"method": "none"}, seed=0)
    grid = Grid("", (0.0, 30.0, 0.0, 0.0, 0.0, -30.0), 10, 10)
    for r in RESAMPLINGS:
        save(res, tmp_path / f"{r}.hsm", grid=grid, resampling=r)
        _, man = models.load_model(tmp_path / f"{r}.hsm")
        assert man.resampling == r and man.grid == grid and man.mode == "rasters"


def test_shap_runs_on_a_seeded_sample_in_the_model_s_own_units(tmp_path):
    """SHAP had run on every training row (120 of 122 s on 3,335 slope units) and the report
    said "log-odds" for a random forest whose SHAP values are probabilities: now a seeded
    sample of SHAP_SAMPLE rows, said so, with the unit that holds: for the forest, the SHAP
    values of a row plus the mean prediction add up to its predicted probability."""
    pytest.importorskip("shap")
    from hazard_susceptibility.core.susceptibility.report import training_report
    X, y, names, cat = _data(400)
    a = train(X, y, names, cat, "rf", {"n_estimators": 30}, seed=3, shap_sample=50)
    b = train(X, y, names, cat, "rf", {"n_estimators": 30}, seed=3, shap_sample=50)
    assert a.shap.shape[0] == 50 and a.shap_rows[0] == 50 and a.shap_rows[1] > 50
    np.testing.assert_array_equal(a.shap, b.shap)  # same seed, same rows, same values
    p = a.estimator.predict_proba(a.shap_X)[:, 1]
    # additivity in probability units: prediction - sum of SHAP is one constant, E[f(X)]
    assert np.ptp(p - a.shap.sum(axis=1)) < 1e-6
    training_report(a, str(tmp_path / "r.html"), "t")
    html = (tmp_path / "r.html").read_text()
    assert "SHAP values of 50 training rows (a sample, seeded" in html
    assert "units of probability" in html and "log-odds" not in html
    assert "SHAP dependence" in html
    none = train(X, y, names, cat, "rf", {"n_estimators": 10}, seed=3, shap_sample=0)
    assert none.shap is None


def _irls(X, y, iters=50):
    """A plain binomial GLM by Newton-Raphson (iteratively reweighted least squares)."""
    A = np.column_stack([np.ones(len(X)), X])
    beta = np.zeros(A.shape[1])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-A @ beta))
        w = p * (1 - p)
        beta += np.linalg.solve(A.T @ (A * w[:, None]), A.T @ (y - p))
    return beta


def test_the_glm_report_gives_the_equation_in_the_factors_units(tmp_path):
    """The GLM report had given only |standardised coefficient|: it now gives the intercept and
    signed coefficients per unit, equal to a Newton fit of the same binomial GLM, and the
    equation; and no Python dict dumps for the validation or the parameters."""
    from hazard_susceptibility.core.susceptibility.report import training_report
    from hazard_susceptibility.core.susceptibility.training import glm_coefficients
    rng = np.random.default_rng(4)
    n = 800
    X = np.column_stack([rng.normal(10, 3, n), rng.normal(-2, 0.5, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(-1.0 + 0.4 * X[:, 0] - 1.5 * X[:, 1])))).astype(int)
    res = train(X, y, ["slope", "twi"], [False, False], "glm", seed=0,
                validation={"method": "random", "test_share": 0.3})
    rows, b0 = glm_coefficients(res)
    # the fit is on the training split: refit that split by Newton
    from hazard_susceptibility.core.susceptibility.holdout import random_split
    test = random_split(y, 0.3, 0)
    ref = _irls(X[~test], y[~test])
    np.testing.assert_allclose([b0] + [r["coefficient"] for r in rows], ref, rtol=1e-6)
    training_report(res, str(tmp_path / "r.html"), "GLM")
    html = (tmp_path / "r.html").read_text()
    assert "logit(p) = ln(p / (1 - p)) = " in html and "slope" in html
    assert f"{b0:.6g}" in html
    assert "{" not in html.split("<body>")[-1].split("<style>")[0] or "'method'" not in html
    assert "'method'" not in html and "stratified random split, 30 %" in html


def test_a_probability_of_exactly_the_threshold_is_not_a_presence():
    """Paper 003: a unit is predicted landslide when its probability exceeds 0.5; random-forest
    vote fractions hit 0.5 exactly, and those had counted as presences."""
    tp, fp, tn, fn = mt.confusion([1, 0, 1, 0], [0.5, 0.5, 0.51, 0.49])
    assert (tp, fp, tn, fn) == (1, 0, 2, 1)
    assert skm.confusion_matrix([1, 0, 1, 0], np.array([0.5, 0.5, 0.51, 0.49]) > 0.5
                                ).ravel().tolist() == [tn, fp, fn, tp]
