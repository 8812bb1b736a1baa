"""XGBoost's binary classifiers in our loops (core.multihazard.trees) against XGBoost's own
prediction: the same probabilities bit for bit, whatever the batch, the row's place in it or
the thread; models the loops cannot reproduce stay XGBoost's."""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hazard_susceptibility.core.multihazard import trees

pytest.importorskip("numba")
xgb = pytest.importorskip("xgboost")


def data(n=3000, d=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(0, 1, (n, d)).astype(np.float32)
    X[:, 2] = np.round(X[:, 2] * 3)  # ties at thresholds
    logit = 1.5 * X[:, 0] - X[:, 1] * X[:, 3] + 0.5 * np.sin(3 * X[:, 4])
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y


def fit(depth=4, rounds=60, base_rate=0.5, seed=0, **kw):
    X, y = data(seed=seed)
    if base_rate != 0.5:  # an unbalanced sample: a base score away from 0.5
        keep = (y == 1) | (np.random.default_rng(seed).random(len(y)) < base_rate)
        X, y = X[keep], y[keep]
    est = xgb.XGBClassifier(n_estimators=rounds, max_depth=depth, learning_rate=0.3,
                            subsample=0.9, n_jobs=1, random_state=seed, **kw)
    return est.fit(X, y)


def rows(est, n=20_000, seed=5):
    """Fresh rows, with values on the model's thresholds and just below them."""
    X = data(n, seed=seed)[0]
    th = np.concatenate([np.asarray(t["split_conditions"], np.float32) for t in
                         __import__("json").loads(est.get_booster().save_raw("json"))
                         ["learner"]["gradient_booster"]["model"]["trees"]])
    X[::7, 0] = th[np.arange(len(X[::7])) % len(th)]
    X[1::7, 1] = np.nextafter(th[np.arange(len(X[1::7])) % len(th)], np.float32(-np.inf))
    return X


@pytest.mark.parametrize("depth,base_rate", [(2, 0.5), (4, 0.3), (6, 0.05)])
def test_the_same_bits_as_xgboost(depth, base_rate):
    est = fit(depth, base_rate=base_rate)
    ours = trees.compiled(est)
    assert isinstance(ours, trees.CompiledTrees)
    X = rows(est)
    want = est.predict_proba(X)
    ours.choice = "ours"  # our loops, whatever the timing says
    got = ours.predict_proba(X)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)
    # the margins too, against XGBoost's margin output
    m = np.empty(len(X), np.float32)
    p = np.empty(len(X), np.float32)
    trees._loops()["margin"](X, ours.thr, ours.tree, ours.mask, ours.start, ours.vals,
                             ours.base, m, p)
    np.testing.assert_array_equal(m, est.get_booster().inplace_predict(X,
                                                                       predict_type="margin"))


def test_a_row_gets_the_same_bits_anywhere_and_on_any_thread():
    est = fit(5)
    ours = trees.compiled(est)
    ours.choice = "ours"
    X = rows(est, 5001)
    full = ours.predict_proba(X)[:, 1]
    for k in (1, 3, 7, 9):
        np.testing.assert_array_equal(ours.predict_proba(X[k:])[:, 1], full[k:])
    perm = np.random.default_rng(1).permutation(len(X))
    np.testing.assert_array_equal(ours.predict_proba(X[perm])[:, 1], full[perm])
    with ThreadPoolExecutor(2) as ex:
        parts = list(ex.map(lambda s: ours.predict_proba(X[s:s + 1000])[:, 1],
                            range(0, len(X), 1000)))
    np.testing.assert_array_equal(np.concatenate(parts), full)


def test_missing_values_and_the_timed_choice_keep_xgboosts_numbers():
    est = fit(3)
    ours = trees.compiled(est)
    X = rows(est, trees.TRIAL_ROWS + 500)
    want = est.predict_proba(X)
    np.testing.assert_array_equal(ours.predict_proba(X), want)  # whichever was chosen
    assert ours.choice in ("ours", "xgboost")
    X[5, 1] = np.nan
    np.testing.assert_array_equal(ours.predict_proba(X), est.predict_proba(X))


def test_models_the_loops_cannot_reproduce_stay_xgboosts():
    X, y = data()
    deep = xgb.XGBClassifier(n_estimators=3, max_depth=10, min_child_weight=0, n_jobs=1,
                             random_state=0).fit(X, y)  # trees of more than 64 leaves
    assert trees.compiled(deep) is deep
    multi = xgb.XGBClassifier(n_estimators=5, max_depth=3, n_jobs=1).fit(X, y + (X[:, 0] > 1))
    assert trees.compiled(multi) is multi
    ours = trees.compiled(fit(3))
    assert trees.compiled(ours) is ours
    with pytest.raises(ValueError):
        ours.predict_proba(X[:, :5])
