"""GeoDetector (Wang et al. 2010; FL-MHSM study, section 4.7): factor, interaction, risk and
ecological detectors.

Conventions (METHODS.md section 5, as the reference R package ``geodetector``):

* strata are integer codes; continuous factors are cut into ``k`` classes (quantiles by default,
  natural breaks as an option), categorical ones are used as they are;
* q = 1 - sum_h N_h var_h / (N var), with population variances;
* significance: F = (N - L)/(L - 1) * q/(1 - q) follows a non-central F(L - 1, N - L; lambda)
  with lambda = [sum_h mu_h^2 - (sum_h sqrt(N_h) mu_h)^2 / N] / s^2, s^2 the *sample* variance
  of Y (ddof = 1); p = P(F' > F);
* a stratum with a single member counts in q (its variance is 0) and in L; it has no sample
  variance, so the risk detector reports its t-tests as NaN and leaves it out of the ANOVA.

Everything is computed from per-stratum sufficient statistics (count, sum and sum of squares of
Y), which add up over raster blocks: whole rasters need no sampling and memory stays bounded.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..util.errors import InputError
from ..stats.kernels import sums_by_codes

INTERACTION_TYPES = ("nonlinear-weaken", "uni-weaken", "bi-enhance", "independent",
                     "nonlinear-enhance")


# -- sufficient statistics --------------------------------------------------------------------
@dataclass
class Strata:
    """Count, sum and sum of squares of (Y - shift) per stratum code 0..L-1."""

    n: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    shift: float = 0.0

    @classmethod
    def empty(cls, size, shift=0.0):
        return cls(np.zeros(size, np.int64), np.zeros(size), np.zeros(size), shift)

    @classmethod
    def from_arrays(cls, y, codes, size=None, shift=None):
        y = np.asarray(y, float).ravel()
        codes = np.asarray(codes).ravel().astype(np.intp)
        size = int(codes.max()) + 1 if size is None else size
        if shift is None:
            shift = float(y.mean()) if y.size else 0.0
        return cls(*sums_by_codes(codes, y - shift, size), shift)

    def add_sums(self, n, s1, s2):
        """Add per-stratum count, sum and sum of squares (of y minus this shift)."""
        self.n += n
        self.s1 += s1
        self.s2 += s2

    def nonempty(self):
        keep = self.n > 0
        return Strata(self.n[keep], self.s1[keep], self.s2[keep], self.shift), np.nonzero(keep)[0]

    @property
    def N(self):  # noqa: N802 (the paper's notation)
        return int(self.n.sum())

    @property
    def means(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return self.s1 / self.n + self.shift

    def sst(self):
        N = self.N
        t1, t2 = self.s1.sum(), self.s2.sum()
        return max(float(t2 - t1 * t1 / N), 0.0)

    def ssw(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            w = np.where(self.n > 0, self.s2 - self.s1 * self.s1 / np.maximum(self.n, 1), 0.0)
        return max(float(w.sum()), 0.0)

    def sample_variances(self):
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 1, (self.s2 - self.s1 * self.s1 / self.n) / (self.n - 1),
                            np.nan)


def _codes(strata):
    s = np.asarray(strata).ravel()
    uniq, inv = np.unique(s, return_inverse=True)
    return inv.ravel(), len(uniq), uniq


def _check(y, strata, name="factor"):
    y = np.asarray(y, float).ravel()
    s = np.asarray(strata).ravel()
    if y.shape != s.shape:
        raise InputError(f"Response and {name} strata differ in length ({y.size} vs {s.size}).",
                         name)
    if not np.isfinite(y).all():
        raise InputError("The response holds NaN or infinite values (nodata): drop those "
                         "samples first.", "RESPONSE")
    if y.size < 3:
        raise InputError("GeoDetector needs at least 3 samples.", "RESPONSE")
    return y, s


# -- detectors on sufficient statistics -------------------------------------------------------
@dataclass
class FactorResult:
    q: float
    p: float
    F: float
    n_strata: int
    n: int


def q_from_stats(st):
    with np.errstate(over="ignore", invalid="ignore"):
        sst, ssw = st.sst(), st.ssw()
    if not (np.isfinite(sst) and np.isfinite(ssw)):
        raise InputError("The response values are too large for sums of squares in double "
                         "precision: rescale the response.", "RESPONSE")
    if sst <= 0:
        raise InputError("The response is constant: q is undefined.", "RESPONSE")
    return min(max(1.0 - ssw / sst, 0.0), 1.0)


def factor_from_stats(st, name="factor"):
    from scipy import stats
    st, _ = st.nonempty()
    L, N = len(st.n), st.N
    if L < 2:
        raise InputError(f"Factor '{name}' has a single stratum: q is 0 and cannot be tested; "
                         f"use more classes or leave the factor out.", name)
    if N <= L:
        raise InputError(f"Factor '{name}': {L} strata for {N} samples; use fewer classes.",
                         name)
    q = q_from_stats(st)
    if q >= 1.0:
        return FactorResult(1.0, 0.0, float("inf"), L, N)
    mu = st.means
    var_s = st.sst() / (N - 1)
    lam = (np.sum(mu * mu) - np.sum(np.sqrt(st.n) * mu) ** 2 / N) / var_s
    F = (N - L) / (L - 1) * q / (1 - q)
    p = float(stats.ncf.sf(F, L - 1, N - L, max(float(lam), 0.0)))
    return FactorResult(float(q), p, float(F), L, N)


def interaction_type(q1, q2, q12, tol=1e-12):
    lo, hi = min(q1, q2), max(q1, q2)
    if q12 < lo - tol:
        return INTERACTION_TYPES[0]
    if q12 < hi - tol:
        return INTERACTION_TYPES[1]
    if abs(q12 - (q1 + q2)) <= tol:
        return INTERACTION_TYPES[3]
    if q12 > q1 + q2:
        return INTERACTION_TYPES[4]
    return INTERACTION_TYPES[2]


@dataclass
class RiskResult:
    strata: np.ndarray   # stratum values (codes or class labels)
    counts: np.ndarray
    means: np.ndarray
    pairs: list          # (stratum a, stratum b, t, p, significant): Welch t-tests
    anova_F: float
    anova_p: float


def risk_from_stats(st, labels=None, alpha=0.05):
    """Mean per stratum, Welch t-test of every pair of strata, one-way ANOVA."""
    from scipy import stats
    st, idx = st.nonempty()
    labels = np.asarray(idx if labels is None else np.asarray(labels)[idx])
    n, means, var = st.n.astype(float), st.means, st.sample_variances()
    pairs = []
    for i in range(len(n)):
        for j in range(i + 1, len(n)):
            if n[i] < 2 or n[j] < 2:
                pairs.append((labels[i], labels[j], float("nan"), float("nan"), False))
                continue
            a, b = var[i] / n[i], var[j] / n[j]
            if a + b == 0:
                t = float("inf") if means[i] != means[j] else 0.0
                p = 0.0 if means[i] != means[j] else 1.0
            else:
                t = (means[i] - means[j]) / np.sqrt(a + b)
                df = (a + b) ** 2 / (a * a / (n[i] - 1) + b * b / (n[j] - 1))
                p = float(2 * stats.t.sf(abs(t), df))
            pairs.append((labels[i], labels[j], float(t), p, bool(p < alpha)))
    big = n >= 2
    k, N = int(big.sum()), float(n[big].sum())
    if k >= 2:
        sub = Strata(st.n[big], st.s1[big], st.s2[big], st.shift)
        ssw = sub.ssw()
        ssb = max(sub.sst() - ssw, 0.0)
        if ssw > 0:
            F = (ssb / (k - 1)) / (ssw / (N - k))
            p = float(stats.f.sf(F, k - 1, N - k))
        else:
            F, p = float("inf"), 0.0
    else:
        F, p = float("nan"), float("nan")
    return RiskResult(labels, st.n, means, pairs, float(F), float(p))


def ecological_from_stats(st1, st2, alpha=0.05):
    """F = [N1 (N2 - 1) SSW1] / [N2 (N1 - 1) SSW2], upper-tail F test with (N1 - 1, N2 - 1)
    df: is the effect of factor 1 on Y significantly *weaker* than factor 2's (a larger
    within-strata sum)? Only with the weaker factor in the numerator can the test be
    significant; :func:`ecological_pair` tests a pair in both directions."""
    from scipy import stats
    n1, n2 = st1.N, st2.N
    w1, w2 = st1.ssw(), st2.ssw()
    if w2 <= 0:
        return float("inf"), 0.0, True
    F = (n1 * (n2 - 1) * w1) / (n2 * (n1 - 1) * w2)
    p = float(stats.f.sf(F, n1 - 1, n2 - 1))
    return float(F), p, bool(p < alpha)


def ecological_pair(st_a, st_b, a, b, alpha=0.05):
    """The ecological detector of factors ``a`` and ``b`` in both directions (as the R package
    geodetector does): the row reports the direction that can be significant, the factor
    with the larger within-strata sum (the weaker one) in the numerator, and names it."""
    F_ab, p_ab, sig_ab = ecological_from_stats(st_a, st_b, alpha)
    F_ba, p_ba, sig_ba = ecological_from_stats(st_b, st_a, alpha)
    if F_ab >= F_ba:
        weaker, stronger, F, p, sig = a, b, F_ab, p_ab, sig_ab
    else:
        weaker, stronger, F, p, sig = b, a, F_ba, p_ba, sig_ba
    return {"factor_1": a, "factor_2": b, "weaker": weaker, "stronger": stronger,
            "F": F, "p": p, "significant": sig}


# -- array front ends (small data, tests) -----------------------------------------------------
def quantile_strata(x, k=5):
    """Codes 0..k-1 of ``x`` in ``k`` quantile classes (ties kept together); NaN -> -1."""
    from ..stats.breaks import classify, quantile_breaks
    x = np.asarray(x, float)
    if not np.isfinite(x).any():
        return np.full(x.shape, -1, np.int64)
    return classify(x, quantile_breaks(x, k))


def q_statistic(y, strata):
    y, s = _check(y, strata)
    codes, L, _ = _codes(s)
    return q_from_stats(Strata.from_arrays(y, codes, L))


def factor_detector(y, strata, name="factor"):
    y, s = _check(y, strata)
    codes, L, _ = _codes(s)
    return factor_from_stats(Strata.from_arrays(y, codes, L), name)


def overlay(*strata):
    """Strata of the intersection of several factors' strata."""
    stacked = np.stack([np.asarray(s).ravel() for s in strata], axis=1)
    _, inv = np.unique(stacked, axis=0, return_inverse=True)
    return inv.ravel()


def interaction_detector(y, strata1, strata2):
    """(q1, q2, q12, type) of two factors."""
    q1 = q_statistic(y, strata1)
    q2 = q_statistic(y, strata2)
    q12 = q_statistic(y, overlay(strata1, strata2))
    return q1, q2, q12, interaction_type(q1, q2, q12)


def risk_detector(y, strata, alpha=0.05):
    y, s = _check(y, strata)
    codes, L, uniq = _codes(s)
    return risk_from_stats(Strata.from_arrays(y, codes, L), uniq, alpha)


def ecological_detector(y, strata1, strata2, alpha=0.05):
    y, s1 = _check(y, strata1)
    _, s2 = _check(y, strata2)
    c1, L1, _ = _codes(s1)
    c2, L2, _ = _codes(s2)
    shift = float(y.mean())
    return ecological_from_stats(Strata.from_arrays(y, c1, L1, shift),
                                 Strata.from_arrays(y, c2, L2, shift), alpha)


# -- the whole screening ----------------------------------------------------------------------
@dataclass
class GeoDetectorResult:
    """Tables of one GeoDetector run (one zone, or all data)."""

    n: int
    factors: list = field(default_factory=list)      # dicts: factor, q, p, strata, rank
    interactions: list = field(default_factory=list)  # dicts: factor_1, factor_2, q1, q2, q12, type
    risk: list = field(default_factory=list)          # dicts: factor, stratum, label, n, mean
    # dicts: factor, stratum_a, stratum_b, t, p, significant
    risk_tests: list = field(default_factory=list)
    anova: list = field(default_factory=list)         # dicts: factor, F, p
    ecological: list = field(default_factory=list)    # dicts: factor_1, factor_2, weaker, F, p, ...
    skipped: list = field(default_factory=list)       # (factor, reason)


def screen(single, pair_stats, names, top_n=5, risk_factors=None, labels=None, alpha=0.05):
    """Rank factors by q, then interactions and ecological tests among the top ``top_n``, and
    the risk detector on ``risk_factors`` (default: the top one).

    ``single[name]`` is the :class:`Strata` of a factor; ``pair_stats(a, b)`` returns the
    :class:`Strata` of the overlay of two factors; ``labels[name]`` optionally maps stratum codes
    to readable labels (class limits).
    """
    res = GeoDetectorResult(n=0)
    scored = []
    for name in names:
        try:
            r = factor_from_stats(single[name], name)
        except InputError as exc:
            res.skipped.append((name, str(exc)))
            continue
        scored.append((name, r))
        res.n = r.n
    if not scored:
        raise InputError("No factor could be tested: " + "; ".join(r for _, r in res.skipped),
                         "FACTORS")
    scored.sort(key=lambda t: -t[1].q)
    for rank, (name, r) in enumerate(scored, 1):
        res.factors.append({"factor": name, "q": r.q, "p": r.p, "F": r.F,
                            "strata": r.n_strata, "n": r.n, "rank": rank})
    qmap = {name: r.q for name, r in scored}
    top = [name for name, _ in scored[:top_n]]
    for i in range(len(top)):
        for j in range(i + 1, len(top)):
            a, b = top[i], top[j]
            q12 = q_from_stats(pair_stats(a, b))
            res.interactions.append({"factor_1": a, "factor_2": b, "q1": qmap[a], "q2": qmap[b],
                                     "q12": q12,
                                     "type": interaction_type(qmap[a], qmap[b], q12)})
            res.ecological.append(ecological_pair(single[a], single[b], a, b, alpha))
    chosen = list(risk_factors) if risk_factors else top[:1]
    for name in chosen:
        if name not in single:
            raise InputError(f"Risk-detector factor '{name}' is not among the factors "
                             f"({', '.join(names)}).", "RISK_FACTORS")
        lab = (labels or {}).get(name)
        rr = risk_from_stats(single[name], None, alpha)

        # strata by the user's own values (a categorical factor's codes, a continuous one's
        # class ranges) in every table and chart: internal codes 0..L-1 cannot be traced back
        def value(code):
            return lab[int(code)] if lab is not None else str(int(code))
        for code, n, m in zip(rr.strata, rr.counts, rr.means):
            res.risk.append({"factor": name, "stratum": value(code), "n": int(n),
                             "mean": float(m)})
        for a, b, t, p, sig in rr.pairs:
            res.risk_tests.append({"factor": name, "stratum_a": value(a),
                                   "stratum_b": value(b), "t": t, "p": p, "significant": sig})
        res.anova.append({"factor": name, "F": rr.anova_F, "p": rr.anova_p})
    return res
