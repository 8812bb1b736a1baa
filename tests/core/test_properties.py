"""Property-based tests of the core's numeric functions: random shapes, NaN, inf and constant
columns give correct values or the core's own error, never a crash or a silent NaN."""
import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from hazard_susceptibility.core.geodetector import detectors as gd
from hazard_susceptibility.core.stats import metrics as mt
from hazard_susceptibility.core.multihazard import uncertainty
from hazard_susceptibility.core.sampling import samplers as smp
from hazard_susceptibility.core.stats.breaks import classify, gvf, natural_breaks
from hazard_susceptibility.core.util.errors import HazardError

FLOATS = st.floats(allow_nan=True, allow_infinity=True, width=64)
FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(1, 5)), elements=FLOATS))
def test_mahalanobis_model_is_finite_or_refuses(X):
    names = [f"f{i}" for i in range(X.shape[1])]
    try:
        m = smp.mahalanobis_model(X, names, dof="p")
    except HazardError:
        return
    d2 = smp.mahalanobis_d2(m, X)
    assert np.isfinite(m.critical) and np.isfinite(d2).all() and (d2 >= -1e-6).all()


@SETTINGS
@given(arrays(np.float64, st.integers(3, 60), elements=FLOATS),
       arrays(np.int64, st.integers(3, 60), elements=st.integers(0, 4)))
def test_q_statistic_in_unit_interval_or_refuses(y, s):
    n = min(len(y), len(s))
    try:
        r = gd.factor_detector(y[:n], s[:n])
    except HazardError:
        return
    assert 0.0 <= r.q <= 1.0 and 0.0 <= r.p <= 1.0


@SETTINGS
@given(arrays(np.int64, 5, elements=st.integers(0, 1000)),
       arrays(np.int64, 5, elements=st.integers(0, 50)))
def test_scai_and_frequency_ratio(area, hazard):
    if area.sum() == 0:
        return
    rows = mt.scai(area, hazard)
    for r in rows:
        assert r["SCAI"] >= 0 and not np.isnan(r["SCAI"]) or hazard.sum() == 0
        if r["hazard"] == 0 and hazard.sum() > 0:
            assert r["SCAI"] == float("inf")
    E, F, fr, rf = mt.frequency_ratio(area, hazard)
    assert np.isfinite(fr).all() and (fr >= 0).all()
    if hazard.sum() and (area[hazard > 0] > 0).all():  # hazards only where there is area
        assert np.isclose(rf.sum(), 100.0) and np.isclose(F.sum(), 100.0)


@SETTINGS
@given(arrays(np.float64, st.integers(1, 300), elements=FINITE), st.integers(2, 6))
def test_natural_breaks_are_ordered_and_gvf_bounded(v, k):
    lim = natural_breaks(v, k, sample=0)
    assert (np.diff(lim) > 0).all() and len(lim) <= k - 1
    g = gvf(v, classify(v, lim))
    assert -1e-9 <= g <= 1 + 1e-9


@SETTINGS
@given(arrays(np.float64, st.integers(1, 50), elements=FLOATS), st.integers(2, 5))
def test_natural_breaks_skip_nan_and_inf(v, k):
    try:
        lim = natural_breaks(v, k, sample=0)
    except HazardError:
        assert not np.isfinite(v).any()
        return
    assert np.isfinite(lim).all()


@SETTINGS
@given(st.integers(1, 3), st.integers(1, 20), st.integers(0, 10_000))
def test_mvg_nll_is_finite_and_matches_its_definition(h, n, seed):
    rng = np.random.default_rng(seed)
    mu = rng.normal(size=(n, h))
    raw = rng.normal(scale=2.0, size=(n, uncertainty.n_chol(h)))
    y = rng.normal(size=(n, h))
    nll = uncertainty.mvg_nll(y, mu, raw)
    assert np.isfinite(nll).all()
    logdet, rho = uncertainty.uncertainty_and_correlation(raw, h)
    assert np.isfinite(logdet).all() and (np.abs(rho) <= 1).all()


@SETTINGS
@given(arrays(np.float64, st.integers(4, 80), elements=st.floats(0, 1)))
def test_threshold_metrics_are_bounded(p):
    y = (np.arange(len(p)) % 2).astype(int)
    m = mt.threshold_metrics(y, p)
    for k in ("AUC", "accuracy", "Brier"):
        assert 0 <= m[k] <= 1
    assert -1 <= m["kappa"] <= 1 or np.isnan(m["kappa"])
