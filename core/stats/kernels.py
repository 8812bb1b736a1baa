"""Compiled inner loops for per-stratum and per-zone statistics, the hot spots of GeoDetector
and of slope-unit statistics on rasters.

Each function has two implementations with the same results: a numba-compiled loop that
classifies and accumulates in one pass over the values (no temporary arrays, and it releases the
GIL, so threads really run in parallel), and a numpy one (classification by comparisons, then
``bincount``) used when numba is not installed or ``HAZARD_NUMBA=0``. numba comes with shap;
the compiled code is cached beside this file (or in the user's cache) after the first call.

Both accumulate count, sum of ``d`` and sum of ``d * d`` per stratum code, ``d`` being the
response minus a shift; a value equal to a limit goes to the lower class (as
:func:`core.stats.breaks.classify`).
"""
from __future__ import annotations

import numpy as np

from ..util.jit import compiled_once

_COMPILED = {}
#: stripes of bins the loops spread consecutive values over: strata come in long runs of one
#: code on rasters, and adding into the same bin again and again waits on the previous addition
LANES = 4


def _jit():
    """The compiled loops, or None without numba (or with HAZARD_NUMBA=0)."""
    return compiled_once(_COMPILED, "loops", _compile)


def _compile():
    import numba

    @numba.njit(nogil=True, cache=True, inline="always")
    def put(out, c, i, di):  # value i, of stratum c, into stripe i mod 4
        lane = i & 3
        out[0, c, lane] += 1.0
        out[1, c, lane] += di
        out[2, c, lane] += di * di

    @numba.njit(nogil=True, cache=True)
    def by_limits(x, limits, offset, d, out):
        nlim = limits.shape[0]
        with_offset = offset.shape[0] > 0
        for i in range(x.shape[0]):
            v = x[i]
            c = 0
            for k in range(nlim):
                if v > limits[k]:
                    c += 1
            if with_offset:
                c += offset[i]
            put(out, c, i, d[i])

    @numba.njit(nogil=True, cache=True)
    def by_codes(codes, d, out):
        for i in range(codes.shape[0]):
            put(out, codes[i], i, d[i])

    @numba.njit(nogil=True, cache=True)
    def by_zone(data, ids, shift, count, s1, s2):
        nb = data.shape[0]
        n = ids.size
        d = data.reshape(nb, n)
        z = ids.reshape(n).astype(np.int64)
        for b in range(nb):  # the combined mask, band by band (contiguous reads)
            for p in range(n):
                if z[p] > 0 and np.isnan(d[b, p]):
                    z[p] = 0
        # zones come in runs along the rows: sum each run, then add it to its zone
        prev, k = z[0], 0
        for p in range(n):
            if z[p] != prev:
                count[prev] += k
                prev, k = z[p], 0
            k += 1
        count[prev] += k
        for b in range(nb):
            sh = shift[b]
            prev, a1, a2 = z[0], 0.0, 0.0
            for p in range(n):
                zp = z[p]
                if zp != prev:
                    s1[b, prev] += a1
                    s2[b, prev] += a2
                    prev, a1, a2 = zp, 0.0, 0.0
                if zp > 0:
                    v = d[b, p] - sh
                    a1 += v
                    a2 += v * v
            s1[b, prev] += a1
            s2[b, prev] += a2

    return by_limits, by_codes, by_zone


def _finish(out):
    """(count, sum, sum of squares) from the striped accumulators (3, size, LANES)."""
    tot = out.sum(axis=2)
    return tot[0].astype(np.int64), tot[1], tot[2]


def sums_by_limits(x, limits, d, size, offset=None):
    """Per-stratum (count, sum of d, sum of d^2) of the values ``x`` classified by ``limits``
    (code = number of limits below the value) plus ``offset`` (e.g. zone index x codes per
    zone), over ``size`` strata. ``x`` must be finite."""
    x = np.ascontiguousarray(x, np.float64)
    d = np.ascontiguousarray(d, np.float64)
    limits = np.ascontiguousarray(limits, np.float64)
    loops = _jit()
    if loops is not None:
        out = np.zeros((3, size, LANES))
        off = np.zeros(0, np.intp) if offset is None else np.ascontiguousarray(offset, np.intp)
        loops[0](x, limits, off, d, out)
        return _finish(out)
    from .breaks import classify
    codes = classify(x, limits)
    if offset is not None:
        codes += offset
    return _numpy_sums(codes, d, size)


def sums_by_codes(codes, d, size):
    """Per-stratum (count, sum of d, sum of d^2) of the values with stratum ``codes``
    (integers in 0..size-1)."""
    d = np.ascontiguousarray(d, np.float64)
    loops = _jit()
    if loops is not None:
        out = np.zeros((3, size, LANES))
        loops[1](np.ascontiguousarray(codes, np.intp), d, out)
        return _finish(out)
    return _numpy_sums(np.asarray(codes, np.intp), d, size)


def _numpy_sums(codes, d, size):
    d2 = d * d
    if len(codes) >= 1024 and size * LANES <= 1 << 16:
        # the same striping as the compiled loops, through bincount
        c = codes * LANES + (np.arange(len(codes)) & (LANES - 1))
        m = size * LANES
        out = np.stack([np.bincount(c, minlength=m).astype(np.float64),
                        np.bincount(c, weights=d, minlength=m),
                        np.bincount(c, weights=d2, minlength=m)]).reshape(3, size, LANES)
        return _finish(out)
    return (np.bincount(codes, minlength=size).astype(np.int64),
            np.bincount(codes, weights=d, minlength=size),
            np.bincount(codes, weights=d2, minlength=size))


def zone_sums(data, ids, shift, count, s1, s2):
    """Add, per zone id (``ids`` > 0; 0 is outside every zone), the number of pixels where
    every band of ``data`` (bands, rows, cols) is finite to ``count``, and the sums of the
    band values minus ``shift`` and of their squares to ``s1`` and ``s2`` (bands, zones + 1).
    ``data`` may be overwritten."""
    loops = _jit()
    if loops is not None:
        loops[2](np.ascontiguousarray(data, np.float64), np.ascontiguousarray(ids),
                 np.ascontiguousarray(shift, np.float64), count, s1, s2)
        return
    nb = data.shape[0]
    size = len(count)
    ok = (ids > 0) & ~np.isnan(data.sum(axis=0))  # a NaN in any band makes the sum NaN
    if not ok.any():
        return
    z = np.where(ok, ids, 0).astype(np.intp).ravel()
    # zones are contiguous patches, so along the rows the id changes rarely: sum each run of
    # equal ids (a sequential pass), then spread the few run sums over the zones with
    # bincount, far cheaper than a bincount over every pixel; pixels outside every zone or off
    # the mask land in bin 0, which the caller ignores (NaN only ever lands there)
    starts = np.flatnonzero(np.concatenate(([True], z[1:] != z[:-1])))
    zr = z[starts]
    lengths = np.diff(np.append(starts, z.size))
    count += np.bincount(zr, weights=lengths, minlength=size).astype(np.int64)
    flat = data.reshape(nb, -1)
    flat -= shift[:, None]
    r1 = np.add.reduceat(flat, starts, axis=1)
    flat *= flat
    r2 = np.add.reduceat(flat, starts, axis=1)
    for j in range(nb):
        s1[j] += np.bincount(zr, weights=r1[j], minlength=size)
        s2[j] += np.bincount(zr, weights=r2[j], minlength=size)
