import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hazard_susceptibility.core import geodetector as gd
from hazard_susceptibility.core.errors import InputError


def test_q_and_p_by_hand():
    y = np.array([1, 2, 3, 4, 5, 6], float)
    s = np.array([0, 0, 0, 1, 1, 1])
    # SST = 17.5, SSW = 2 + 2 = 4
    r = gd.factor_detector(y, s)
    assert r.q == pytest.approx(1 - 4 / 17.5)
    # lambda = [sum mu^2 - (sum sqrt(N_h) mu_h)^2 / N] / s^2 = (29 - 147/6) / 3.5
    lam = (29 - 147 / 6) / 3.5
    F = (6 - 2) / (2 - 1) * r.q / (1 - r.q)
    assert r.F == pytest.approx(F) and F == pytest.approx(13.5)
    assert r.p == pytest.approx(stats.ncf.sf(13.5, 1, 4, lam))
    assert (r.n_strata, r.n) == (2, 6)


def test_q_zero_for_relabelled_copies_and_one_for_constant_strata():
    y = np.array([1, 5, 2, 8, 1, 5, 2, 8], float)
    s = np.array([0, 0, 0, 0, 1, 1, 1, 1])  # both strata hold the same values
    assert gd.q_statistic(y, s) == pytest.approx(0.0, abs=1e-12)
    s_const = np.array([0, 1, 2, 3, 0, 1, 2, 3])  # every stratum constant
    assert gd.q_statistic(y, s_const) == pytest.approx(1.0)


def test_q_equals_one_minus_within_over_total_on_random_data():
    rng = np.random.default_rng(3)
    y = rng.normal(size=500)
    s = rng.integers(0, 6, 500)
    df = pd.DataFrame({"y": y, "s": s})
    g = df.groupby("s")["y"]
    expected = 1 - (g.count() * g.var(ddof=0)).sum() / (len(y) * y.var())
    assert gd.q_statistic(y, s) == pytest.approx(expected, rel=1e-12)


def test_interaction_with_itself_equals_own_q_and_types():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 400)
    b = rng.integers(0, 3, 400)
    y = a * 1.0 + b * 2.0 + (a * b) * 1.5 + rng.normal(0, 0.5, 400)
    q1, q1b, q11, _ = gd.interaction_detector(y, a, a)
    assert q11 == pytest.approx(q1) and q1b == pytest.approx(q1)
    q1, q2, q12, kind = gd.interaction_detector(y, a, b)
    assert q12 >= max(q1, q2)
    assert kind in ("bi-enhance", "nonlinear-enhance")
    assert gd.interaction_type(0.2, 0.3, 0.1) == "nonlinear-weaken"
    assert gd.interaction_type(0.2, 0.3, 0.25) == "uni-weaken"
    assert gd.interaction_type(0.2, 0.3, 0.4) == "bi-enhance"
    assert gd.interaction_type(0.2, 0.3, 0.5) == "independent"
    assert gd.interaction_type(0.2, 0.3, 0.6) == "nonlinear-enhance"


def test_risk_detector_matches_pandas_and_scipy():
    rng = np.random.default_rng(5)
    s = rng.integers(0, 4, 300)
    y = s * 0.7 + rng.normal(size=300)
    r = gd.risk_detector(y, s)
    means = pd.Series(y).groupby(s).mean()
    np.testing.assert_allclose(r.means, means.values)
    a, b, t, p, sig = r.pairs[0]
    t_ref, p_ref = stats.ttest_ind(y[s == a], y[s == b], equal_var=False)
    assert (t, p) == pytest.approx((t_ref, p_ref))
    F, pa = stats.f_oneway(*[y[s == k] for k in range(4)])
    assert (r.anova_F, r.anova_p) == pytest.approx((F, pa))


def test_ecological_detector_is_the_ratio_of_within_sums():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 5, 200)
    b = rng.integers(0, 5, 200)
    y = a + rng.normal(size=200)
    def ssw(s):
        return sum(((y[s == k] - y[s == k].mean()) ** 2).sum() for k in np.unique(s))

    # b explains nothing, a explains y: b's within sum is significantly larger
    F, p, sig = gd.ecological_detector(y, b, a)
    assert F == pytest.approx(ssw(b) / ssw(a)) and F > 1
    assert p == pytest.approx(stats.f.sf(F, 199, 199)) and sig
    F2, p2, sig2 = gd.ecological_detector(y, a, b)
    assert F2 == pytest.approx(1 / F) and not sig2


def test_quantile_strata():
    x = np.arange(100, dtype=float)
    assert np.bincount(gd.quantile_strata(x, 5)).tolist() == [20, 20, 20, 20, 20]
    x[3] = np.nan
    s = gd.quantile_strata(x, 5)
    assert s[3] == -1 and s[0] == 0 and s[99] == 4
    assert np.bincount(s[s >= 0]).sum() == 99


def test_bad_input():
    with pytest.raises(InputError, match="single stratum"):
        gd.factor_detector([1.0, 2.0, 3.0], [1, 1, 1])
    with pytest.raises(InputError, match="NaN"):
        gd.factor_detector([1.0, np.nan, 3.0], [1, 2, 1])
    with pytest.raises(InputError, match="constant"):
        gd.factor_detector([1.0, 1.0, 1.0, 1.0], [1, 2, 1, 2])
