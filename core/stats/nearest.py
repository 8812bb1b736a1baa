"""Exact distance from each query row to its nearest reference row (Euclidean): the inner loop of
the area of applicability (:mod:`core.susceptibility.applicability`) over millions of pixels.

The distance has one definition, whatever finds the nearest row: the squared differences of the
columns added in column order, in float64, then the square root. A search returns the smallest
of those sums over every reference row, so it equals a brute-force minimum computed with the
same formula bit for bit; ties (equal distances, duplicate rows) cannot change it, since only
the value is returned.

Two implementations give those same values:

* numba-compiled (it releases the GIL, so tile threads run in parallel): the reference rows are
  cut into leaves of at most ``leaf_size`` rows by median splits of the widest column (a k-d
  tree's leaves), each with its bounding box. For each query row, every leaf's box distance is
  computed (a lower bound on the distance to any of its rows), and the leaves are scanned from
  the nearest box on, until the next box is farther than the nearest row found; a leaf's rows
  are scanned together, vectorised over the rows (each row's sum still in column order). The
  search starts from the distance to the previous query row's nearest row (consecutive rows of
  a raster block are neighbouring pixels). A box is skipped only when its bound exceeds the
  best distance so far by more than float rounding could account for, so skipping never
  changes the result;
* without numba (or with ``HAZARD_NUMBA=0``): scipy's cKDTree for the two nearest rows, then the
  formula above for the nearest; rows whose two nearest are tied within rounding (where cKDTree's
  own summation order could pick either) get a brute-force minimum over every reference row.

With 1,000 reference rows of 10 columns (an inventory's training rows in the weighted factor
space) the compiled search takes about 0.4 of cKDTree's time per query row, and about half with
8,000 rows (``bench/bench_applicability.py``).
"""
from __future__ import annotations

import math

import numpy as np

from ..util.jit import compiled_once

_COMPILED = {}
#: reference rows per leaf: at least this many, more when the leaves would exceed MAX_LEAVES
LEAF_SIZE = 64
MAX_LEAVES = 64
#: a leaf is skipped when its box bound exceeds the best squared distance by this relative
#: margin: far above the rounding of the bound (a few units of 1e-16 per column)
PRUNE_MARGIN = 1e-9


def _jit():
    """The compiled search, or None without numba (or with HAZARD_NUMBA=0)."""
    return compiled_once(_COMPILED, "search", _compile)


def _compile():
    import numba

    @numba.njit(nogil=True, cache=True)
    def search(X, Tt, lo, hi, start, end, margin, out):
        n, c = X.shape
        n_leaves = start.shape[0]
        width = 1
        for leaf in range(n_leaves):
            width = max(width, end[leaf] - start[leaf])
        buf = np.empty(width)
        bounds = np.empty(n_leaves)
        guess = 0
        for i in range(n):
            x = X[i]
            # the previous row's nearest row first: its distance bounds the search
            best = 0.0
            for j in range(c):
                d = x[j] - Tt[j, guess]
                best += d * d
            for leaf in range(n_leaves):
                bounds[leaf] = 0.0
            for j in range(c):  # every leaf's box bound, vectorised over the leaves
                xj = x[j]
                for leaf in range(n_leaves):
                    d = max(lo[j, leaf] - xj, xj - hi[j, leaf], 0.0)
                    bounds[leaf] += d * d
            while True:  # leaves by increasing bound, until none can hold a nearer row
                leaf = 0
                low = bounds[0]
                for k in range(1, n_leaves):
                    if bounds[k] < low:
                        low = bounds[k]
                        leaf = k
                if low > best * margin:
                    break
                bounds[leaf] = np.inf
                p0 = start[leaf]
                m = end[leaf] - p0
                for q in range(m):
                    buf[q] = 0.0
                for j in range(c):  # column after column, vectorised over the leaf's rows
                    xj = x[j]
                    row = Tt[j, p0:p0 + m]
                    for q in range(m):
                        d = xj - row[q]
                        buf[q] += d * d
                for q in range(m):
                    if buf[q] < best:
                        best = buf[q]
                        guess = p0 + q
            out[i] = np.sqrt(best)

    return search


def squared_distances(X, T):
    """(len(X), len(T)) squared distances by this module's formula (columns added in order):
    the brute force the searches equal."""
    s = np.zeros((len(X), len(T)))
    for j in range(X.shape[1]):
        d = X[:, j, None] - T[None, :, j]
        s += d * d
    return s


class NearestTree:
    """The reference rows ``T`` (n, c), searched by :meth:`distances`. Holds numpy arrays only
    (it pickles, e.g. to Dask workers); the leaves are made on first use."""

    def __init__(self, T, leaf_size=None):
        T = np.ascontiguousarray(T, np.float64)
        if T.ndim != 2 or len(T) == 0:
            raise ValueError("NearestTree needs a non-empty 2-D array of reference rows")
        if not np.isfinite(T).all():
            raise ValueError("NearestTree: the reference rows must be finite")
        self.T = T
        self.leaf_size = int(leaf_size or max(LEAF_SIZE, math.ceil(len(T) / MAX_LEAVES)))
        self._leaves = None
        self._ck = None

    def __getstate__(self):
        return {"T": self.T, "leaf_size": self.leaf_size, "_leaves": None, "_ck": None}

    def leaves(self):
        """(rows transposed (c, n) in leaf order, box minima (c, leaves), box maxima, first and
        end row of each leaf): median splits of the widest column until a leaf holds at most
        ``leaf_size`` rows (or all its rows are equal)."""
        if self._leaves is not None:
            return self._leaves
        T = self.T
        order = np.arange(len(T))
        lo, hi, start, end = [], [], [], []
        todo = [(0, len(T))]
        while todo:
            a, b = todo.pop()
            rows = T[order[a:b]]
            low, high = rows.min(axis=0), rows.max(axis=0)
            spread = high - low
            if b - a <= self.leaf_size or not spread.max() > 0:
                lo.append(low)
                hi.append(high)
                start.append(a)
                end.append(b)
                continue
            order[a:b] = order[a:b][np.argsort(rows[:, int(np.argmax(spread))], kind="stable")]
            m = (a + b) // 2
            todo.append((m, b))
            todo.append((a, m))
        self._leaves = (np.ascontiguousarray(T[order].T), np.ascontiguousarray(np.array(lo).T),
                        np.ascontiguousarray(np.array(hi).T), np.array(start, np.int64),
                        np.array(end, np.int64))
        return self._leaves

    def distances(self, X):
        """Distance from each row of ``X`` (m, c), all finite, to its nearest reference row."""
        X = np.ascontiguousarray(X, np.float64)
        if X.ndim != 2 or X.shape[1] != self.T.shape[1]:
            raise ValueError("NearestTree.distances: X must have the reference rows' columns")
        out = np.empty(len(X))
        if not len(X):
            return out
        search = _jit()
        if search is None:
            return self._scipy_distances(X)
        search(X, *self.leaves(), 1.0 + PRUNE_MARGIN, out)
        return out

    def _scipy_distances(self, X):
        """cKDTree's two nearest rows, the formula's distance to the nearest, and a brute force
        where the two are tied within rounding."""
        from scipy.spatial import cKDTree
        if self._ck is None:
            self._ck = cKDTree(self.T)
        k = min(2, len(self.T))
        d, idx = self._ck.query(X, k=k)
        if k == 1:
            d, idx = d[:, None], idx[:, None]
        near = self.T[idx[:, 0]]
        s = np.zeros(len(X))
        for j in range(X.shape[1]):
            e = X[:, j] - near[:, j]
            s += e * e
        out = np.sqrt(s)
        if k == 2:
            tied = np.flatnonzero(d[:, 1] <= d[:, 0] * (1 + PRUNE_MARGIN))
            for a in range(0, len(tied), 1024):
                rows = tied[a:a + 1024]
                out[rows] = np.sqrt(squared_distances(X[rows], self.T).min(axis=1))
        return out
