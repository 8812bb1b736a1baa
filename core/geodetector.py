"""GeoDetector (Wang et al.): factor, interaction, risk and ecological detectors.

Conventions (METHODS.md section 5, as the reference R package ``geodetector``):

* strata are integer codes; continuous factors are cut into ``k`` quantile classes by
  :func:`quantile_strata`, categorical ones are used as they are;
* q = 1 - sum_h N_h var_h / (N var), with population variances;
* significance: F = (N - L)/(L - 1) * q/(1 - q) follows a non-central F(L - 1, N - L; lambda)
  with lambda = [sum_h mu_h^2 - (sum_h sqrt(N_h) mu_h)^2 / N] / s^2, s^2 the *sample* variance
  of Y (ddof = 1); p = P(F' > F);
* strata with a single member count in q (their variance is 0) and in L.

All sums use ``numpy.bincount``, so whole rasters (tens of millions of values) need no sampling.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import InputError

INTERACTION_TYPES = ("nonlinear-weaken", "uni-weaken", "bi-enhance", "independent",
                     "nonlinear-enhance")


def quantile_strata(x, k=5):
    """Codes 0..k-1 of ``x`` in ``k`` quantile classes (ties kept together); NaN -> -1."""
    x = np.asarray(x, float)
    out = np.full(x.shape, -1, np.int64)
    ok = ~np.isnan(x)
    if not ok.any():
        return out
    edges = np.unique(np.quantile(x[ok], np.linspace(0, 1, k + 1)[1:-1]))
    out[ok] = np.searchsorted(edges, x[ok], side="right")
    return out


def _codes(strata):
    """Dense codes 0..L-1 of the strata and L."""
    s = np.asarray(strata)
    uniq, inv = np.unique(s, return_inverse=True)
    return inv.ravel(), len(uniq)


def _check(y, strata, name="factor"):
    y = np.asarray(y, float).ravel()
    s = np.asarray(strata).ravel()
    if y.shape != s.shape:
        raise InputError(f"Response and {name} strata differ in length ({y.size} vs {s.size}).",
                         name)
    if np.isnan(y).any():
        raise InputError("The response holds NaN (nodata): drop those samples first.", "RESPONSE")
    if y.size < 3:
        raise InputError("GeoDetector needs at least 3 samples.", "RESPONSE")
    return y, s


@dataclass
class FactorResult:
    q: float
    p: float
    F: float
    n_strata: int
    n: int


def q_statistic(y, strata):
    """q of ``strata`` for ``y`` (no significance)."""
    y, s = _check(y, strata)
    codes, L = _codes(s)
    return _q(y, codes, L)[0]


def _q(y, codes, L):
    n = np.bincount(codes, minlength=L).astype(float)
    s1 = np.bincount(codes, weights=y, minlength=L)
    mean = y.mean()
    d = y - mean
    sst = float(d @ d)
    # within sum of squares, computed around the global mean for stability
    s1d = np.bincount(codes, weights=d, minlength=L)
    s2d = np.bincount(codes, weights=d * d, minlength=L)
    with np.errstate(invalid="ignore", divide="ignore"):
        ssw = float(np.sum(s2d - np.where(n > 0, s1d * s1d / n, 0.0)))
    if sst <= 0:
        raise InputError("The response is constant: q is undefined.", "RESPONSE")
    q = 1.0 - max(ssw, 0.0) / sst
    return min(max(q, 0.0), 1.0), n, s1


def factor_detector(y, strata):
    """q and its p-value (non-central F) for one factor's strata."""
    from scipy import stats
    y, s = _check(y, strata)
    codes, L = _codes(s)
    if L < 2:
        raise InputError("The factor has a single stratum: q is 0 and cannot be tested; use more "
                         "classes or another factor.", "FACTORS")
    N = y.size
    if N <= L:
        raise InputError(f"{L} strata for {N} samples: every stratum needs members; use fewer "
                         f"classes.", "FACTORS")
    q, n, s1 = _q(y, codes, L)
    mu = s1 / n
    var_s = y.var(ddof=1)
    lam = (np.sum(mu * mu) - np.sum(np.sqrt(n) * mu) ** 2 / N) / var_s
    if q >= 1.0:
        return FactorResult(1.0, 0.0, float("inf"), L, N)
    F = (N - L) / (L - 1) * q / (1 - q)
    p = float(stats.ncf.sf(F, L - 1, N - L, max(lam, 0.0)))
    return FactorResult(float(q), p, float(F), L, N)


def overlay(*strata):
    """Strata of the intersection of several factors' strata."""
    arrs = [np.asarray(s).ravel() for s in strata]
    stacked = np.stack(arrs, axis=1)
    _, inv = np.unique(stacked, axis=0, return_inverse=True)
    return inv.ravel()


def interaction_type(q1, q2, q12, tol=1e-12):
    lo, hi = min(q1, q2), max(q1, q2)
    if q12 < lo - tol:
        return INTERACTION_TYPES[0]
    if q12 <= hi + tol and q12 >= lo - tol and q12 < hi - tol:
        return INTERACTION_TYPES[1]
    if abs(q12 - (q1 + q2)) <= tol:
        return INTERACTION_TYPES[3]
    if q12 > q1 + q2:
        return INTERACTION_TYPES[4]
    return INTERACTION_TYPES[2]


def interaction_detector(y, strata1, strata2):
    """(q1, q2, q12, type) of two factors."""
    q1 = q_statistic(y, strata1)
    q2 = q_statistic(y, strata2)
    q12 = q_statistic(y, overlay(strata1, strata2))
    return q1, q2, q12, interaction_type(q1, q2, q12)


@dataclass
class RiskResult:
    strata: np.ndarray   # stratum values
    counts: np.ndarray
    means: np.ndarray
    pairs: list          # (stratum a, stratum b, t, p, significant) Welch t-tests
    anova_F: float
    anova_p: float


def risk_detector(y, strata, alpha=0.05):
    """Mean response per stratum, Welch t-test for every pair of strata, one-way ANOVA.

    A stratum with one member has no variance: its pairs are reported with NaN t and p (not
    significant), and it is left out of the ANOVA."""
    from scipy import stats
    y, s = _check(y, strata)
    values, codes = np.unique(s, return_inverse=True)
    codes = codes.ravel()
    counts = np.bincount(codes)
    means = np.bincount(codes, weights=y) / counts
    groups = [y[codes == i] for i in range(len(values))]
    pairs = []
    for i in range(len(values)):
        for j in range(i + 1, len(values)):
            if counts[i] < 2 or counts[j] < 2:
                pairs.append((values[i], values[j], float("nan"), float("nan"), False))
                continue
            t, p = stats.ttest_ind(groups[i], groups[j], equal_var=False)
            pairs.append((values[i], values[j], float(t), float(p), bool(p < alpha)))
    big = [g for g in groups if len(g) >= 2]
    if len(big) >= 2:
        F, p = stats.f_oneway(*big)
    else:
        F, p = float("nan"), float("nan")
    return RiskResult(values, counts, means, pairs, float(F), float(p))


def ecological_detector(y, strata1, strata2, alpha=0.05):
    """F = [N1 (N2 - 1) SSW1] / [N2 (N1 - 1) SSW2] and its p-value (F test, df N1-1, N2-1):
    is factor 1's effect on the response significantly different from factor 2's?"""
    from scipy import stats
    y, s1 = _check(y, strata1)
    _, s2 = _check(y, strata2)
    n = y.size

    def ssw(s):
        codes, L = _codes(s)
        q, _, _ = _q(y, codes, L)
        return (1 - q) * float(((y - y.mean()) ** 2).sum())

    w1, w2 = ssw(s1), ssw(s2)
    if w2 <= 0:
        return float("inf"), 0.0, True
    F = (n * (n - 1) * w1) / (n * (n - 1) * w2)
    p = float(stats.f.sf(F, n - 1, n - 1))
    return float(F), p, bool(p < alpha)
