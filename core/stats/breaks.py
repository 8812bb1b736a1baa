"""Class breaks: quantiles and exact natural breaks (Fisher-Jenks), and the GVF.

Natural breaks are the optimal 1-D k-means partition (minimum within-class sum of squares, which
is what Fisher-Jenks optimises), computed exactly in O(k n) by ``kmeans1d``. On large inputs the
breaks come from a seeded random sample (METHODS.md section 2), and the GVF is reported for it.
"""
from __future__ import annotations

import numpy as np

from ..util.deps import require
from ..util.errors import InputError


CLASS_NAMES = ["very low", "low", "moderate", "high", "very high"]  # of 5 classes


def class_names(k):
    """The names of k classes: very low .. very high for 5, else class 1 .. class k."""
    return list(CLASS_NAMES) if k == 5 else [f"class {i + 1}" for i in range(k)]


def quantile_breaks(values, k, overwrite=False):
    """Inner class limits (k - 1 values at most; ties collapse) of k quantile classes.
    ``overwrite``: ``values`` (float64) may be sorted in place."""
    v = np.asarray(values, float)
    if not np.isfinite(v).all():
        v = v[np.isfinite(v)]
    if v.size == 0:
        raise InputError("No finite value to classify.")
    # np.quantile on sorted values: the same numbers, and numpy's vectorised sort beats the
    # selection np.quantile does on unsorted ones
    if overwrite and v is values:
        v.sort()
    else:
        v = np.sort(v)
    return np.unique(np.quantile(v, np.linspace(0, 1, k + 1)[1:-1]))


def natural_breaks(values, k, sample=100_000, seed=0):
    """Inner class limits of the optimal k-class partition (Fisher-Jenks).

    Each limit is the largest value of the lower class, so ``classify`` puts a value equal to a
    limit in the lower class, as jenkspy's breaks do. With more than ``sample`` values the
    breaks are computed on a seeded random sample of that size.
    """
    v = np.asarray(values, float)
    v = v[np.isfinite(v)]
    if v.size == 0:
        raise InputError("No finite value to classify.")
    if sample and v.size > sample:
        v = np.random.default_rng(seed).choice(v, sample, replace=False)
    u = np.unique(v)
    if len(u) <= k:
        return u[:-1].copy()
    kmeans1d = require("kmeans1d")
    v = np.sort(v)
    clusters, _ = kmeans1d.cluster(v, k)
    clusters = np.asarray(clusters)
    ends = [v[clusters == c].max() for c in range(k) if (clusters == c).any()]
    return np.unique(np.asarray(ends[:-1], float))


def keep_share(size, total):
    """The probability with which each of ``total`` values is kept so that about ``size`` are
    (1: all of them when there are no more)."""
    return min(1.0, size / max(1, total))


class BreakSample:
    """The seeded sample of a raster's values that class breaks are computed from, taken in
    one pass over its windows: each of the ``total`` values (the grid's pixels) is kept with
    probability :func:`keep_share` (``size``, ``total``), drawn by one generator seeded with
    ``seed`` window after window in order, so that the same windows in the same order give the
    same sample, whoever computed them."""

    def __init__(self, size, total, seed=0):
        self.size = size
        self.share = keep_share(size, total)
        self.rng = np.random.default_rng(seed)

    def pick(self, shape):
        """Where the values of the next window (of ``shape``) are kept: a boolean mask."""
        return self.rng.random(shape) < self.share

    def take(self, values):
        """The kept values of the next 1-D array of values."""
        return values[self.pick(values.size)]

    def at_most(self, values):
        """``values`` cut to ``size`` by a seeded choice when there are more of them."""
        if values.size > self.size:
            return self.rng.choice(values, self.size, replace=False)
        return values


def classify(values, limits):
    """Class codes 0..len(limits) (value <= limit goes low); NaN -> -1."""
    v = np.asarray(values, float)
    limits = np.asarray(limits, float)
    if len(limits) <= 8:  # a few comparisons beat a binary search per value
        # counted in one byte per value (a third of the time of counting in intp)
        acc = np.zeros(v.shape, np.uint8)
        above = np.empty(v.shape, bool)
        for lim in limits:
            np.greater(v, lim, out=above)
            acc += above
        out = acc.astype(np.intp)
    else:
        out = np.searchsorted(limits, v, side="left").astype(np.intp)
    nan = np.isnan(v)
    if nan.any():
        out[nan] = -1
    return out


def gvf(values, codes):
    """Goodness of variance fit: 1 - SDCM / SDAM."""
    v = np.asarray(values, float)
    c = np.asarray(codes)
    ok = np.isfinite(v) & (c >= 0)
    v, c = v[ok], c[ok]
    d = v - v.mean()  # centred: the sums of squares below do not cancel catastrophically
    sdam = (d * d).sum()
    if sdam == 0:
        return 1.0
    n = np.bincount(c)
    s = np.bincount(c, weights=d)
    s2 = np.bincount(c, weights=d * d)
    with np.errstate(invalid="ignore", divide="ignore"):
        sdcm = np.nansum(np.maximum(s2 - np.where(n > 0, s * s / n, 0.0), 0.0))
    return float(min(max(1.0 - sdcm / sdam, 0.0), 1.0))
