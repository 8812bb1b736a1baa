"""Extremely randomized trees, the kind added by one module (models/extra_trees.py) and one
registration line: its model file against scikit-learn's own ExtraTreesClassifier, and the
whole chain (training, map, spread, SHAP, area of applicability, reports) on a synthetic
region whose true process is known."""
import zipfile

import numpy as np
import pytest
from osgeo import gdal

from hazard_susceptibility.core.io.raster import Band, Grid
from hazard_susceptibility.core.susceptibility import applicability as ap
from hazard_susceptibility.core.susceptibility import estimators, holdout, models
from hazard_susceptibility.core.susceptibility.apply import map_model, spread_function
from hazard_susceptibility.core.susceptibility.report import training_report as report
from hazard_susceptibility.core.susceptibility.training import save, train
from tests.helpers import write_raster

X0, Y0, N, CELL = 700000.0, 9500000.0, 140, 30.0


def _rows(n=600, seed=0):
    rng = np.random.default_rng(seed)
    a, b, noise = rng.normal(size=(3, n))
    cat = rng.integers(1, 4, n).astype(float)
    y = (rng.random(n) < 1 / (1 + np.exp(-(2 * a - 1.5 * b + (cat == 2))))).astype(int)
    return np.column_stack([a, b, noise, cat]), y, ["a", "b", "noise", "cat"], \
        [False, False, False, True]


def test_registry_keeps_the_enum_order_and_appends_extra_trees():
    assert models.NAMES == ("rf", "xgboost", "glm", "extratrees")
    assert models.titles() == ["Random forest", "XGBoost", "Logistic GLM",
                               "Extremely randomized trees"]
    assert models.get("extratrees").defaults["n_estimators"] == 500
    with pytest.raises(Exception, match="choose one of rf, xgboost, glm, extratrees"):
        models.get("svm")


def test_model_file_round_trip_equals_scikit_learn_s_own_extra_trees(tmp_path):
    """The file holds plain arrays only (the trees' nodes under et/), and the forest rebuilt
    from them predicts exactly what scikit-learn's ExtraTreesClassifier, fitted on the same
    rows with the same settings and seed, predicts."""
    from sklearn.ensemble import ExtraTreesClassifier
    X, y, names, cat = _rows()
    res = train(X, y, names, cat, "extratrees", {"n_estimators": 25},
                {"method": "random", "test_share": 0.3}, seed=3, shap_sample=0)
    path = tmp_path / "et.hsm"
    save(res, path, crs_authid="EPSG:32717", label_field="label", n_samples=len(y))
    with zipfile.ZipFile(path) as z:
        members = z.namelist()
    assert all(m == "manifest.json" or (m.startswith(("et/", "aoa/")) and m.endswith(".npy"))
               for m in members), members
    est, man = estimators.load_model(path)
    assert man.kind == "extratrees" and man.estimator.n_trees == 25
    assert type(est) is ExtraTreesClassifier
    Xt = res.encoding.transform(X)
    test = holdout.random_split(y, 0.3, 3)
    ref = ExtraTreesClassifier(n_estimators=25, max_features="sqrt", random_state=3,
                               n_jobs=1).fit(Xt[~test], y[~test])
    np.testing.assert_array_equal(est.predict_proba(Xt), ref.predict_proba(Xt))
    rng = np.random.default_rng(5)
    Xn = rng.normal(0, 3, size=(500, Xt.shape[1]))  # rows it never saw, beyond its range too
    np.testing.assert_array_equal(est.predict_proba(Xn), ref.predict_proba(Xn))


def test_memory_bound_holds_a_fitted_forest_without_bootstrap():
    """Each extra tree splits down to every row (no bootstrap): the bound must hold a forest
    fully grown on noisy rows, which the random forest's bootstrap share would not."""
    import pickle

    from sklearn.ensemble import ExtraTreesClassifier
    rng = np.random.default_rng(0)
    X = rng.random((2000, 5))
    y = (X[:, 0] + rng.normal(0, 1.0, 2000) > 0.5).astype(int)
    real = len(pickle.dumps(ExtraTreesClassifier(20, random_state=0).fit(X, y)))
    assert real < models.forest_bytes("extratrees", 20, 2000) < 6 * real


def _region(tmp_path):
    """Two smooth factors and a noise factor; landslides drawn from a known logistic process
    logit = 2 a - 1.5 b - 2 (on z-scores); absences at random."""
    from scipy import ndimage
    rng = np.random.default_rng(11)
    t = (X0, CELL, 0, Y0, 0, -CELL)

    def smooth():
        f = ndimage.gaussian_filter(rng.normal(size=(N, N)), 6)
        return (f - f.mean()) / f.std()
    a, b, noise = smooth(), smooth(), rng.normal(size=(N, N))
    logit = 2 * a - 1.5 * b - 2
    bands = [Band(write_raster(tmp_path / f"{n}.tif", v.astype(np.float32), t), 1, n)
             for n, v in (("a", a), ("b", b), ("noise", noise))]
    pres = np.nonzero((rng.random((N, N)) < 1 / (1 + np.exp(-logit))).ravel())[0]
    pres = rng.choice(pres, min(400, len(pres)), replace=False)
    absn = rng.choice(np.setdiff1d(np.arange(N * N), pres), 800, replace=False)
    cells = np.r_[pres, absn]
    r, c = np.divmod(cells, N)
    X = np.column_stack([a.ravel()[cells], b.ravel()[cells], noise.ravel()[cells]])
    xy = (X0 + (c + 0.5) * CELL, Y0 - (r + 0.5) * CELL)
    return bands, logit, X, np.r_[np.ones(len(pres)), np.zeros(len(absn))].astype(int), xy


def test_train_apply_spread_shap_and_aoa_on_a_region_with_a_known_truth(tmp_path):
    from scipy.stats import spearmanr
    from sklearn.metrics import roc_auc_score
    shap = pytest.importorskip("shap")
    bands, logit, X, y, xy = _region(tmp_path)
    res = train(X, y, ["a", "b", "noise"], [False] * 3, "extratrees",
                {"n_estimators": 60, "min_samples_leaf": 5}, {"method": "random",
                                                               "test_share": 0.3},
                seed=4, coords=xy, shap_sample=200, aoa_folds=(5, 1500.0))
    # within 0.04 of the true process's own AUC on the same test split (0.795)
    test = holdout.random_split(y, 0.3, 4)
    truth_auc = roc_auc_score(y[test], 2 * X[test, 0] - 1.5 * X[test, 1])
    assert res.test_metrics["AUC"] > truth_auc - 0.04
    assert res.importance["noise"] < min(res.importance["a"], res.importance["b"])
    # SHAP: shap's TreeExplainer on the forest, additive in probability
    p = res.estimator.predict_proba(res.shap_X)[:, 1]
    assert res.shap.shape == (200, 3) and np.ptp(p - res.shap.sum(axis=1)) < 1e-6
    ref = shap.TreeExplainer(res.estimator).shap_values(res.shap_X, check_additivity=False)
    np.testing.assert_allclose(res.shap, np.asarray(ref)[..., 1], atol=1e-12)
    path = tmp_path / "et.hsm"
    save(res, path, grid=Grid.from_path(bands[0].path), crs_authid="EPSG:32717",
         label_field="label", n_samples=len(y))
    est, man, ex = estimators.load_model(path, extras=True)
    assert ex.fold_models == []  # its spread comes from its trees
    np.testing.assert_array_equal(ex.aoa[2], est.feature_importances_)
    # the map ranks the pixels as the true process does
    out, sp = str(tmp_path / "p.tif"), str(tmp_path / "s.tif")
    spread = spread_function(est, man.kind, ex.fold_models)
    m = map_model(est, man, bands[::-1], out, str(tmp_path / "c.tif"), seed=4,
                  spread=spread, spread_path=sp)
    assert m.valid_pixels == N * N and len(m.limits) == 4
    prob = gdal.Open(out).ReadAsArray().astype(float)
    assert spearmanr(prob.ravel(), logit.ravel())[0] > 0.9  # 0.97
    # the spread is the standard deviation of the trees' probabilities
    s = gdal.Open(sp).ReadAsArray().astype(float)
    rng = np.random.default_rng(0)
    rows, cols = rng.integers(0, N, 50), rng.integers(0, N, 50)
    V = np.column_stack([gdal.Open(b.path).ReadAsArray()[rows, cols] for b in bands])
    per_tree = np.array([t.predict_proba(V)[:, 1] for t in est.estimators_])
    np.testing.assert_allclose(s[rows, cols], per_tree.std(axis=0), atol=1e-6)
    np.testing.assert_allclose(prob[rows, cols], per_tree.mean(axis=0), atol=1e-6)
    # area of applicability: inside where the training rows are, outside far beyond them
    app = ap.from_model(ex.aoa, man.encoding.columns, seed=4)
    d = app.di(np.array([[0.0, 0.0, 0.0], [40.0, -40.0, 0.0]]))
    assert app.inside(d).tolist() == [1, 0]
    # the reports name the kind and the unit of its SHAP values
    report(res, str(tmp_path / "r.html"), "t")
    html = (tmp_path / "r.html").read_text()
    assert "extremely randomized trees" in html and "units of probability" in html
    assert "trees 60, maximum depth unlimited" in html


def test_compare_sampling_trains_extra_trees(tmp_path):
    """The comparison of sampling scenarios with the new kind: the true presences against
    random absences score near the truth's own AUC on the common yardstick; against absences
    drawn where the true process is highest (among the presences), far below it."""
    from sklearn.metrics import roc_auc_score

    from hazard_susceptibility.core.io.raster import AlignedStack
    from hazard_susceptibility.core.susceptibility.comparison import Scenario, compare_scenarios
    from hazard_susceptibility.core.susceptibility.report import comparison_report
    bands, logit, X, y, xy = _region(tmp_path)
    xy = np.column_stack(xy)
    top = np.argsort(logit.ravel())[-2000:]
    r, c = np.divmod(np.random.default_rng(2).choice(top, 800, replace=False), N)
    bad = np.column_stack([X0 + (c + 0.5) * CELL, Y0 - (r + 0.5) * CELL])
    scenarios = [Scenario("random", xy, y),
                 Scenario("among", np.vstack([xy[y == 1], bad]), np.r_[y[y == 1], 0 * r])]
    with AlignedStack(bands, Grid.from_path(bands[0].path)) as stack:
        comp = compare_scenarios(stack, scenarios, "extratrees", {"n_estimators": 30}, seed=1)
    truth_auc = roc_auc_score(y, 2 * X[:, 0] - 1.5 * X[:, 1])  # 0.80 on every sample
    assert comp.rows[0]["AUC"] > truth_auc - 0.1 > comp.rows[1]["AUC"] + 0.2
    html = open(comparison_report(str(tmp_path / "c.html"), comp)).read()
    assert "Model: extremely randomized trees" in html
