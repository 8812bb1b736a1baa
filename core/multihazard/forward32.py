"""Inference of the multi-hazard networks for the maps: the Early Fusion network in float32 and
the gate in float64, in compiled loops (numba) with a fixed order of operations, so that a
pixel gets the same numbers, bit for bit, whatever thread, process, Dask worker, run or batch
computes it. The float64 numpy passes (core.multihazard.forward: early_fusion_forward,
gate_forward) stay the reference; the maps agree with them within 1e-5 in probability
(tests/core/multihazard/test_forward32.py).

Why loops of our own. A float32 pass through numpy and BLAS is not reproducible: BLAS picks
its kernel and its blocking from the matrix's shape and the thread count, and numpy's SIMD
reductions and exponentials treat the elements of an array's tail and of unaligned rows
differently from the others, so a pixel's last bit depended on where it fell in a batch (a
float32 trial changed a few log-uncertainty pixels in a million between two runs of one map).
In float64 those differences vanished when the maps were rounded to float32; in float32 they
do not. Here:

- the pixels go through in blocks of :data:`BLOCK`, the last one padded with zeros: every
  pixel, wherever it falls, goes through the same instructions;
- each unit of a dense layer is a chain of fused multiply-adds over its inputs in their
  order, from zero, then its bias: the units side by side in vector lanes, never one sum split
  across lanes (LLVM vector code of our own, :func:`_dense_lanes_intrinsic`: 4 pixels x 64
  units at a time, the accumulators in registers, near the cores' float32 peak), so the
  result depends on neither the data, the batch, the thread nor the vector width; the output
  layer's 5 units are dot products summed in vector lanes in an order fixed when the loop is
  compiled (it depends on the processor's instruction set only);
- GELU's exponential is a polynomial of our own, in the same vector code for every element
  (a library's vector and scalar versions can differ in the last bit);
- the loops use no threads of their own and release the GIL: the maps' parallelism comes from
  their tiles (threads or Dask processes), each tile's pixels computed as above.

The compiled code is cached beside this file (or in the user's cache) after the first call
(about 10 s to compile, a fraction of a second to load; the loops reach each other through
module globals, so that the cache holds across processes). numba is imported only when a map
needs it; without it the maps use the float64 reference (about twice as slow), as the
algorithm says in its log.
"""
from __future__ import annotations

import numpy as np

from ..util.jit import compiled_once, numba_enabled

#: pixels per block (a multiple of the dense layers' 4 pixels at a time)
BLOCK = 64
#: units of a dense layer computed side by side: 4 vectors of 16 float32 lanes
LANES = 64
#: the float32 loops' error on an output j of the network, against float64: at most 2.9 to 6.5
#: x 2^-24 x S_j on trained and random networks (tests/core/multihazard/test_forward32.py), S_j
#: = sum_i |k5[i, j]| (|g_i| + |beta_i|), the output layer's weights times the size of the last
#: layer norm's outputs; the bound takes ERROR_FACTOR x 2^-24 x S_j
ERROR_FACTOR = 16.0
#: the maps' tolerance against the float64 reference, in probability
TOLERANCE = 1e-5
_COMPILED = {}
_NONE = np.empty(0)  # no z-scoring in the loops (EarlyFusion32.raw)
# the loops early_fusion calls, made by _compile (module globals: see there)
_DENSE_LANES = _DENSE = _LAYER = _GELU = _LAYER_NORM = _AFFINE = None


def available():
    """True when the float32 loops can run here: numba is installed and not switched off
    (``HAZARD_NUMBA=0``, as for the statistics' loops of core.stats.kernels)."""
    from ..util.deps import available as has
    return numba_enabled() and has("numba")


def slope_limits(weights, h=2):
    """The steepest beta calibration, max(a, b), that each of the first ``h`` outputs (mu) of
    the network ``weights`` allows in float32: a calibrated probability moves at most max(a,
    b) / 4 times as far as mu (and so does its logit in the zones' shrinkage), and mu moves at
    most ERROR_FACTOR x 2^-24 x S_j, so below the limit the maps stay within TOLERANCE of the
    float64 reference."""
    k5, g4, e4 = (np.asarray(weights[i], np.float64) for i in (16, 14, 15))
    s = (np.abs(k5[:, :h]) * (np.abs(g4) + np.abs(e4))[:, None]).sum(axis=0)
    return 4 * TOLERANCE / (ERROR_FACTOR * 2.0 ** -24 * np.maximum(s, 1e-300))


def float32_safe(weights, calibrations):
    """True when the network ``weights`` with these beta calibrations (BetaCalibration
    objects or [a, b, c] lists, one per hazard) runs in float32 within TOLERANCE of float64
    (:func:`slope_limits`). A steeper calibration (a near-step fit, max(a, b) in the
    thousands, seen on zones with few validation samples) leaves the network to float64."""
    slopes = [max(c.a, c.b) if hasattr(c, "a") else max(c[0], c[1]) for c in calibrations]
    return bool(np.all(np.array(slopes) <= slope_limits(weights, len(slopes))))


def early_fusion_outputs(raw, calibrations, h=2):
    """(calibrated probabilities (n, h), joint log-uncertainty (n,), correlation (n,)) of the
    network's raw outputs ``raw`` (n, h + h(h+1)/2, float32 or float64), pixel by pixel in
    float64 with the C library's exp and log: as ModelSet.ef_predict with
    uncertainty.BetaCalibration and uncertainty.uncertainty_and_correlation (log det Sigma =
    2 sum of the raw diagonal entries, the logs of L_ii), for two hazards. Not numpy: its vector exp
    and log give a different last bit than its scalar ones and pick one by the arrays' layout
    and alignment, which change from run to run (seen: 1 pixel in 500 of the float32 maps'
    log-uncertainty flipped its last bit between two runs)."""
    if h != 2:
        raise ValueError("the compiled outputs are those of two hazards")
    raw = np.ascontiguousarray(raw)
    cal = np.array([[c.a, c.b, c.c] if hasattr(c, "a") else list(c)[:3]
                    for c in calibrations], np.float64)
    n = len(raw)
    p, logdet, rho = np.empty((n, h)), np.empty(n), np.empty(n)
    if n:
        _loops()["outputs"](raw, cal, p, logdet, rho)
    return p, logdet, rho


def shrink(own, base, weights):
    """logit p = w logit p_zone + (1 - w) logit p_all per hazard (both clipped to 1e-7 .. 1 -
    1e-7), pixel by pixel (as training.Predictor.predict_zone, deterministic as
    :func:`early_fusion_outputs`)."""
    own = np.ascontiguousarray(own, np.float64)
    base = np.ascontiguousarray(base, np.float64)
    w = np.ascontiguousarray(weights, np.float64)
    out = np.empty_like(own)
    if len(own):
        _loops()["shrink"](own, base, w, out)
    return out


def _loops():
    """The compiled loops (compiled or loaded from numba's cache once per process); raises
    DependencyError naming numba when it is missing."""
    return compiled_once(_COMPILED, "loops", _compile, required=True)


class EarlyFusion32:
    """The Early Fusion network's weights (Keras' ``get_weights`` order of
    experts.build_early_fusion) laid out for the float32 loops: each dense kernel as it is
    (inputs x units) when its units are a multiple of :data:`LANES`, transposed (units x
    inputs) otherwise (the output layer's 5 units), everything float32 and contiguous."""

    def __init__(self, weights):
        w = [np.asarray(a) for a in weights]
        if len(w) != 18 or w[4].shape[0] != w[4].shape[1] or w[0].shape[1] != w[4].shape[0]:
            raise ValueError("not the weights of the Early Fusion network")
        f32 = [np.ascontiguousarray(a, np.float32) for a in w]
        # the kernels (inputs x units) as they are for the layers of a multiple of LANES
        # units (dense_lanes), transposed (units x inputs) for the others (dense_dot)
        for k in (0, 4, 8, 12, 16):
            if f32[k].shape[1] % LANES:
                f32[k] = np.ascontiguousarray(f32[k].T)
        self.arrays = tuple(f32)
        self.n_inputs, self.n_outputs = w[0].shape[0], w[16].shape[1]

    def raw(self, Z):
        """Raw outputs [mu | L entries] (n, outputs), float32, of the z-scored inputs ``Z``."""
        from .forward import LN_EPSILON
        Z = np.ascontiguousarray(Z, np.float32)
        if Z.ndim != 2 or Z.shape[1] != self.n_inputs:
            raise ValueError(f"expected {self.n_inputs} input columns, got {Z.shape}")
        out = np.empty((len(Z), self.n_outputs), np.float32)
        if len(Z):
            _loops()["early_fusion"](Z, _NONE, _NONE, *self.arrays, np.float32(LN_EPSILON), out)
        return out

    def raw_columns(self, C, mean, std):
        """:meth:`raw` of ``(C - mean) / std`` (C: model columns, float64), the z-scores
        computed pixel by pixel inside the loops (in float64, then rounded to float32: the
        same bits as ``raw((C - mean) / std)``) instead of as two whole arrays first."""
        from .forward import LN_EPSILON
        C = np.ascontiguousarray(C, np.float64)
        mean = np.ascontiguousarray(mean, np.float64).reshape(-1)
        std = np.ascontiguousarray(std, np.float64).reshape(-1)
        if C.ndim != 2 or C.shape[1] != self.n_inputs or len(mean) != self.n_inputs or \
                len(std) != self.n_inputs:
            raise ValueError(f"expected {self.n_inputs} input columns, got {C.shape}")
        out = np.empty((len(C), self.n_outputs), np.float32)
        if len(C):
            _loops()["early_fusion"](C, mean, std, *self.arrays, np.float32(LN_EPSILON), out)
        return out


def gate(weights, z, h=2):
    """(p_MoE (n, h), expert weights (n, experts)) of the gate (experts.build_gate) in float64,
    each pixel's sums in a fixed order; as forward.gate_forward."""
    k1, b1, k2, b2, k3, b3 = [np.ascontiguousarray(w, np.float64) for w in weights]
    z = np.ascontiguousarray(z, np.float64)
    n_exp = k3.shape[1]
    if z.ndim != 2 or z.shape[1] != n_exp * h or k1.shape[0] != z.shape[1]:
        raise ValueError(f"expected {n_exp * h} gate inputs, got {z.shape}")
    p = np.empty((len(z), h))
    w = np.empty((len(z), n_exp))
    if len(z):
        _loops()["gate"](z, k1, b1, k2, b2, k3, b3, h, p, w)
    return p, w


def _compile():
    import numba

    f32 = np.float32
    zero = f32(0.0)
    one = f32(1.0)
    # GELU, tanh form: x / (1 + exp(t)), t = -2 sqrt(2/pi) (x + 0.044715 x^3)
    gelu_c = f32(-2.0 * np.sqrt(2.0 / np.pi))
    gelu_a = f32(0.044715)
    # exp(t) = 2^k exp(r), k = round(t / ln 2), r = t - k ln 2 (ln 2 in two parts, the first
    # exact in float32, so k ln2_hi is exact), exp(r) by its Taylor series to r^7 (|r| <=
    # ln 2 / 2: the remainder is below 1e-8 relative, under float32's precision)
    log2e = f32(1.4426950408889634)
    ln2_hi = f32(0.693359375)
    ln2_lo = f32(0.6931471805599453 - 0.693359375)
    t_max = f32(87.0)  # exp(87) still a float32 (2^k, k <= 126, a normal number)
    magic = f32(12582912.0)  # 1.5 x 2^23: x + magic - magic rounds x to an integer
    c2, c3, c4 = f32(1 / 2), f32(1 / 6), f32(1 / 24)
    c5, c6, c7 = f32(1 / 120), f32(1 / 720), f32(1 / 5040)
    block = BLOCK
    # "numpy" error model: a division is a plain division (no zero check), so loops vectorise;
    # sums may be reordered into vector lanes only where "reassoc" is given (the dot products
    # and layer norms' sums), an order fixed at compile time
    lanes = dict(nogil=True, cache=True, error_model="numpy", fastmath={"reassoc", "contract"})
    plain = dict(nogil=True, cache=True, error_model="numpy", fastmath={"contract"})

    # the loops call each other through module globals, not closure variables: numba's cache
    # keys a function on its closure's pickled values, and a compiled function (or a new
    # intrinsic) pickles differently in every process, so with closures every process
    # compiled the loops again (and added an entry to the cache)
    global _DENSE_LANES, _DENSE, _LAYER, _GELU, _LAYER_NORM, _AFFINE
    if _DENSE_LANES is None:
        _DENSE_LANES = _dense_lanes_intrinsic()
    n_lanes = LANES

    @numba.njit(**lanes)
    def dense(X, KT, b, Y):
        """Y = X K + b, KT = K transposed (units x inputs): 4 pixels x 4 units at a time, each a
        dot product over the inputs summed in vector lanes (the layers whose units are not a
        multiple of LANES: the output layer's 5)."""
        nb, nin = X.shape
        nout = KT.shape[0]
        n4 = nout - nout % 4
        for j in range(0, n4, 4):
            w0 = KT[j]
            w1 = KT[j + 1]
            w2 = KT[j + 2]
            w3 = KT[j + 3]
            for p in range(0, nb, 4):
                x0 = X[p]
                x1 = X[p + 1]
                x2 = X[p + 2]
                x3 = X[p + 3]
                s00 = zero; s01 = zero; s02 = zero; s03 = zero  # noqa: E702
                s10 = zero; s11 = zero; s12 = zero; s13 = zero  # noqa: E702
                s20 = zero; s21 = zero; s22 = zero; s23 = zero  # noqa: E702
                s30 = zero; s31 = zero; s32 = zero; s33 = zero  # noqa: E702
                for i in range(nin):
                    a = w0[i]
                    c = w1[i]
                    d = w2[i]
                    e = w3[i]
                    v = x0[i]
                    s00 += v * a; s01 += v * c; s02 += v * d; s03 += v * e  # noqa: E702
                    v = x1[i]
                    s10 += v * a; s11 += v * c; s12 += v * d; s13 += v * e  # noqa: E702
                    v = x2[i]
                    s20 += v * a; s21 += v * c; s22 += v * d; s23 += v * e  # noqa: E702
                    v = x3[i]
                    s30 += v * a; s31 += v * c; s32 += v * d; s33 += v * e  # noqa: E702
                Y[p, j] = s00 + b[j]
                Y[p, j + 1] = s01 + b[j + 1]
                Y[p, j + 2] = s02 + b[j + 2]
                Y[p, j + 3] = s03 + b[j + 3]
                Y[p + 1, j] = s10 + b[j]
                Y[p + 1, j + 1] = s11 + b[j + 1]
                Y[p + 1, j + 2] = s12 + b[j + 2]
                Y[p + 1, j + 3] = s13 + b[j + 3]
                Y[p + 2, j] = s20 + b[j]
                Y[p + 2, j + 1] = s21 + b[j + 1]
                Y[p + 2, j + 2] = s22 + b[j + 2]
                Y[p + 2, j + 3] = s23 + b[j + 3]
                Y[p + 3, j] = s30 + b[j]
                Y[p + 3, j + 1] = s31 + b[j + 1]
                Y[p + 3, j + 2] = s32 + b[j + 2]
                Y[p + 3, j + 3] = s33 + b[j + 3]
        for j in range(n4, nout):  # the units left over (the output layer's 5th)
            w0 = KT[j]
            for p in range(0, nb, 4):
                x0 = X[p]
                x1 = X[p + 1]
                x2 = X[p + 2]
                x3 = X[p + 3]
                s00 = zero; s10 = zero; s20 = zero; s30 = zero  # noqa: E702
                for i in range(nin):
                    a = w0[i]
                    s00 += x0[i] * a; s10 += x1[i] * a  # noqa: E702
                    s20 += x2[i] * a; s30 += x3[i] * a  # noqa: E702
                Y[p, j] = s00 + b[j]
                Y[p + 1, j] = s10 + b[j]
                Y[p + 2, j] = s20 + b[j]
                Y[p + 3, j] = s30 + b[j]

    _DENSE = dense

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def layer(X, K, b, Y):
        """Y = X K + b: :func:`_dense_lanes_intrinsic` when the units are a multiple of
        LANES (K: inputs x units), otherwise :func:`dense` (K: units x inputs)."""
        if Y.shape[1] % n_lanes == 0:
            _DENSE_LANES(X, K, b, Y)
        else:
            _DENSE(X, K, b, Y)
    _LAYER = layer

    @numba.njit(**plain)
    def gelu(Y, E, S):
        """GELU in place on Y (pixels x units, contiguous); E (float32) and S (int32), as Y:
        scratch."""
        n = Y.size
        y = Y.reshape(n)
        e = E.reshape(n)
        s = S.reshape(n)
        for j in range(n):
            x = y[j]
            t = gelu_c * (x + gelu_a * x * x * x)
            t = t if t < t_max else t_max
            t = t if t > -t_max else -t_max
            k = (t * log2e + magic) - magic
            r = (t - k * ln2_hi) - k * ln2_lo
            e[j] = one + r * (one + r * (c2 + r * (c3 + r * (c4 + r * (c5 + r * (
                c6 + r * c7))))))
            s[j] = (np.int32(k) + np.int32(127)) << np.int32(23)  # the bits of 2^k
        two_k = s.view(np.float32)
        for j in range(n):
            y[j] = y[j] / (one + e[j] * two_k[j])

    _GELU = gelu

    @numba.njit(**lanes)
    def layer_norm(Y, g, b, eps):
        """Layer normalisation of the rows of Y in place (mean, then the mean square about it,
        as forward._layer_norm)."""
        nb, w = Y.shape
        inv_w = one / f32(w)
        for p in range(nb):
            y = Y[p]
            m = zero
            for j in range(w):
                m += y[j]
            m *= inv_w
            v = zero
            for j in range(w):
                d = y[j] - m
                v += d * d
            inv = one / np.sqrt(v * inv_w + eps)
            for j in range(w):
                y[j] = (y[j] - m) * inv * g[j] + b[j]

    _LAYER_NORM = layer_norm

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def early_fusion(Z, mean, std, k1, b1, g1, e1, k2, b2, g2, e2, k3, b3, g3, e3, k4, b4, g4,
                     e4, k5, b5, eps, out):
        """The network of experts.build_early_fusion on the rows of Z, block by block of
        ``block`` pixels (the last padded with zeros), into out (rows x outputs). With ``mean``
        and ``std`` not empty, Z holds float64 columns and the network's inputs are
        float32((Z - mean) / std); otherwise Z holds the inputs."""
        n, nin = Z.shape
        zscore = mean.shape[0] > 0
        w1 = b1.shape[0]  # units, whatever the layout of the kernels
        w3 = b3.shape[0]
        w4 = b4.shape[0]
        w5 = b5.shape[0]
        x0 = np.zeros((block, nin), np.float32)
        a = np.empty((block, w1), np.float32)
        r = np.empty((block, w1), np.float32)
        c = np.empty((block, w3), np.float32)
        d = np.empty((block, w4), np.float32)
        o = np.empty((block, w5), np.float32)
        f1 = np.empty((block, w1), np.float32)  # GELU's scratch, a pair per width
        i1 = np.empty((block, w1), np.int32)
        f3 = np.empty((block, w3), np.float32)
        i3 = np.empty((block, w3), np.int32)
        f4 = np.empty((block, w4), np.float32)
        i4 = np.empty((block, w4), np.int32)
        for start in range(0, n, block):
            rows = min(block, n - start)
            if zscore:
                for p in range(rows):
                    for i in range(nin):
                        x0[p, i] = np.float32((Z[start + p, i] - mean[i]) / std[i])
            else:
                for p in range(rows):
                    for i in range(nin):
                        x0[p, i] = Z[start + p, i]
            for p in range(rows, block):
                for i in range(nin):
                    x0[p, i] = zero
            _LAYER(x0, k1, b1, a)
            _GELU(a, f1, i1)
            _LAYER_NORM(a, g1, e1, eps)
            _LAYER(a, k2, b2, r)  # the residual block
            _GELU(r, f1, i1)
            for p in range(block):
                for j in range(w1):
                    a[p, j] += r[p, j]
            _LAYER_NORM(a, g2, e2, eps)
            _LAYER(a, k3, b3, c)
            _GELU(c, f3, i3)
            _LAYER_NORM(c, g3, e3, eps)
            _LAYER(c, k4, b4, d)
            _GELU(d, f4, i4)
            _LAYER_NORM(d, g4, e4, eps)
            _LAYER(d, k5, b5, o)
            for p in range(rows):
                for j in range(w5):
                    out[start + p, j] = o[p, j]

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def affine(x, k, b, g, relu):
        """g = x k + b (k: inputs x units), then ReLU in place with ``relu``: each unit's sum
        is the bias, then each input's product added in input order (a multiplication and an
        addition, never fused), the units side by side in vector lanes: the same operations on
        each unit as one unit at a time."""
        nu = g.shape[0]
        for j in range(nu):
            g[j] = b[j]
        for i in range(x.shape[0]):
            xi = x[i]
            kr = k[i]
            for j in range(nu):
                g[j] += xi * kr[j]
        if relu:
            for j in range(nu):
                g[j] = g[j] if g[j] > 0.0 else 0.0

    _AFFINE = affine

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def gate_loop(z, k1, b1, k2, b2, k3, b3, h, p_out, w_out):
        """The gate of experts.build_gate, pixel by pixel in float64, every sum in input
        order (:func:`affine`): ReLU(z k1 + b1) -> ReLU(. k2 + b2) -> softmax(. k3 + b3) =
        expert weights; p_h = sum_e w_e z[e h + h']."""
        n = z.shape[0]
        ne = k3.shape[1]
        g1 = np.empty(k1.shape[1])
        g2 = np.empty(k2.shape[1])
        a = np.empty(ne)
        for q in range(n):
            _AFFINE(z[q], k1, b1, g1, True)
            _AFFINE(g1, k2, b2, g2, True)
            _AFFINE(g2, k3, b3, a, False)
            top = -np.inf
            for j in range(ne):
                top = a[j] if a[j] > top else top
            tot = 0.0
            for j in range(ne):
                a[j] = np.exp(a[j] - top)
                tot += a[j]
            for j in range(ne):
                w_out[q, j] = a[j] / tot
            for k in range(h):
                acc = 0.0
                for j in range(ne):
                    acc += w_out[q, j] * z[q, j * h + k]
                p_out[q, k] = acc

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def outputs(raw, cal, p, logdet, rho):
        lo, hi = 1e-12, 1.0 - 1e-12
        for q in range(raw.shape[0]):
            for j in range(2):
                s = 1.0 / (1.0 + np.exp(-np.float64(raw[q, j])))
                s = lo if s < lo else (hi if s > hi else s)
                z = cal[j, 0] * np.log(s) - cal[j, 1] * np.log(1.0 - s) + cal[j, 2]
                p[q, j] = 1.0 / (1.0 + np.exp(-z))
            d0 = np.float64(raw[q, 2])
            l10 = np.float64(raw[q, 3])
            d1 = np.float64(raw[q, 4])
            logdet[q] = 2.0 * (d0 + d1)
            l00 = np.exp(d0)
            l11 = np.exp(d1)
            s00 = l00 * l00
            r = (l00 * l10) / np.sqrt(s00 * (l10 * l10 + l11 * l11))
            rho[q] = -1.0 if r < -1.0 else (1.0 if r > 1.0 else r)

    @numba.njit(nogil=True, cache=True, error_model="numpy")
    def shrink_loop(own, base, w, out):
        lo, hi = 1e-7, 1.0 - 1e-7
        for q in range(own.shape[0]):
            for j in range(own.shape[1]):
                a = own[q, j]
                a = lo if a < lo else (hi if a > hi else a)
                b = base[q, j]
                b = lo if b < lo else (hi if b > hi else b)
                lg = w[j] * np.log(a / (1.0 - a)) + (1.0 - w[j]) * np.log(b / (1.0 - b))
                out[q, j] = 1.0 / (1.0 + np.exp(-lg))

    return {"early_fusion": early_fusion, "gate": gate_loop, "outputs": outputs,
            "shrink": shrink_loop}


def _dense_lanes_intrinsic():
    """A numba intrinsic ``dense_lanes(X, K, b, Y)``: Y = X K + b for float32 C-contiguous
    arrays, X (pixels x inputs, pixels a multiple of 4), K (inputs x units, units a multiple
    of LANES), written as LLVM vector code: 4 pixels x 64 units at a time, 16 accumulators of
    16 lanes, one unit per lane. Each output is a chain of fused multiply-adds (llvm.fma,
    rounded once each) over the inputs in their order from zero, then + b: no sum is split
    across lanes, so the result depends neither on the pixel's place nor on the processor's
    vector width (AVX-512, AVX2 + FMA or any other, where LLVM splits the vectors), and the
    accumulators stay in registers (the loops numba writes from Python keep them in memory:
    they cannot tell that Y does not overlap X or K)."""
    from llvmlite import ir
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic
    rows, vecs, width = 4, LANES // 16, 16

    @intrinsic
    def dense_lanes(typingctx, X, K, b, Y):
        for t in (X, K, b, Y):
            if not (isinstance(t, types.Array) and t.dtype == types.float32 and
                    t.layout == "C"):
                return None
        if (X.ndim, K.ndim, b.ndim, Y.ndim) != (2, 2, 1, 2):
            return None

        def codegen(context, builder, sig, args):
            vt = ir.VectorType(ir.FloatType(), width)
            xa, ka, ba, ya = [context.make_array(t)(context, builder, v)
                              for t, v in zip(sig.args, args)]
            nb, nin = cgutils.unpack_tuple(builder, xa.shape, 2)
            nout = cgutils.unpack_tuple(builder, ka.shape, 2)[1]
            fma = cgutils.get_or_insert_function(builder.module, ir.FunctionType(vt, [vt] * 3),
                                                 "llvm.fma.v16f32")
            acc = [cgutils.alloca_once(builder, vt) for _ in range(rows * vecs)]
            zero = ir.Constant(vt, [0.0] * width)
            spread = ir.Constant(ir.VectorType(ir.IntType(32), width), [0] * width)
            undef = ir.Constant(vt, ir.Undefined)

            def const(v):
                return ir.Constant(nb.type, v)

            def vector(ptr, at):
                return builder.bitcast(builder.gep(ptr, [at]), vt.as_pointer())

            with cgutils.for_range_slice(builder, const(0), nb, const(rows)) as (p, _):
                with cgutils.for_range_slice(builder, const(0), nout,
                                             const(vecs * width)) as (j0, _):
                    for a in acc:
                        builder.store(zero, a)
                    starts = [builder.mul(builder.add(p, const(r)), nin) for r in range(rows)]
                    with cgutils.for_range(builder, nin) as loop:
                        i = loop.index
                        kb = builder.add(builder.mul(i, nout), j0)
                        kv = [builder.load(vector(ka.data, builder.add(kb, const(q * width))),
                                           align=4) for q in range(vecs)]
                        for r in range(rows):
                            x = builder.load(builder.gep(xa.data, [builder.add(starts[r], i)]))
                            xv = builder.shuffle_vector(builder.insert_element(
                                undef, x, ir.Constant(ir.IntType(32), 0)), undef, spread)
                            for q in range(vecs):
                                a = acc[r * vecs + q]
                                builder.store(builder.call(fma, [xv, kv[q], builder.load(a)]),
                                              a)
                    for r in range(rows):
                        yb = builder.add(builder.mul(builder.add(p, const(r)), nout), j0)
                        for q in range(vecs):
                            bv = builder.load(vector(ba.data, builder.add(j0, const(q * width))),
                                              align=4)
                            builder.store(builder.fadd(builder.load(acc[r * vecs + q]), bv),
                                          vector(ya.data, builder.add(yb, const(q * width))),
                                          align=4)
            return context.get_dummy_value()
        return types.void(X, K, b, Y), codegen
    return dense_lanes
