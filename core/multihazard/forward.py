"""The forward passes of the multi-hazard networks in numpy (FL-MHSM study, METHODS.md section 4):
the Early Fusion network of :func:`.experts.build_early_fusion` and the gate of
:func:`.experts.build_gate`, from their weights, without TensorFlow."""
from __future__ import annotations

import math

import numpy as np

LN_EPSILON = 1e-3  # of the layer normalisations (Keras' default)

# The networks are small: their forward passes in numpy give the same numbers in every thread,
# process and Dask worker (TensorFlow's kernels change their summation order with the thread
# count), and mapping then needs neither TensorFlow nor its process isolation. They run in
# float64 and the maps are stored as float32: the last-bit differences of vectorised kernels
# (between batch sizes, and from one run to the next) vanish in that rounding. In float32 they
# do not: a float32 forward pass, twice as fast, gave a few pixels in a million a different
# last bit of the log-uncertainty between two runs of the same map. The Early Fusion pass
# works in buffers allocated once per call, not in fresh temporaries for every chunk.

GELU_C = math.sqrt(2 / math.pi)


def gelu(x, t=None):
    """GELU in its tanh form, 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), the form the
    network is trained with (an order of magnitude cheaper than erf on a whole raster),
    computed as x / (1 + exp(-2 u)), u = sqrt(2/pi) (x + 0.044715 x^3), the same function
    (0.5 (1 + tanh u) = 1 / (1 + exp(-2 u))) in less time: numpy's exp is vectorised where its
    tanh is not (2.5x on one array, 1.45x within a map's profile). ``t`` (as ``x``) receives
    the result when given."""
    if t is None:
        t = np.empty_like(x)
    np.multiply(x, x, out=t)
    t *= 0.044715
    t += 1.0
    t *= x
    t *= -2.0 * GELU_C
    with np.errstate(over="ignore", under="ignore"):  # far out in the tails: -0 and x
        np.exp(t, out=t)
    t += 1.0
    np.divide(x, t, out=t)
    return t


def _layer_norm(x, gamma, beta, eps=LN_EPSILON, m=None, v=None, tmp=None):
    """Layer normalisation of the rows of ``x`` (in place); ``m``, ``v`` (rows,) and ``tmp``
    (as ``x``) are optional workspaces."""
    if m is None:
        m, v, tmp = np.empty(len(x), x.dtype), np.empty(len(x), x.dtype), np.empty_like(x)
    np.add.reduce(x, axis=1, out=m)
    m /= x.shape[1]
    x -= m[:, None]
    np.multiply(x, x, out=tmp)
    np.add.reduce(tmp, axis=1, out=v)
    v /= x.shape[1]
    v += eps
    np.sqrt(v, out=v)
    np.divide(1.0, v, out=v)
    x *= v[:, None]
    x *= gamma
    x += beta
    return x


def early_fusion_forward(weights, Z, chunk=2048):
    """Raw outputs [mu | L entries] of the Early Fusion network (weights in Keras'
    ``get_weights`` order of :func:`build_early_fusion`) for z-scored inputs ``Z``, in float64,
    in chunks of rows that stay in the CPU cache, in buffers allocated once."""
    (k1, b1, g1, e1, k2, b2, g2, e2, k3, b3, g3, e3, k4, b4, g4, e4, k5, b5) = \
        [np.ascontiguousarray(w, np.float64) for w in weights]
    Z = np.asarray(Z)
    n = len(Z)
    out = np.empty((n, k5.shape[1]))
    c = max(1, min(chunk, n))
    zin = np.empty((c, k1.shape[0]))
    widths = {k.shape[1] for k in (k1, k2, k3, k4, k5)}
    a = {w: np.empty((c, w)) for w in widths}  # layer outputs
    b = {w: np.empty((c, w)) for w in widths}  # their activations / the residual sum
    t = {w: np.empty((c, w)) for w in widths}  # scratch
    m, v = np.empty(c), np.empty(c)

    def dense(x, k, bias, r):
        y = a[k.shape[1]][:r]
        np.matmul(x, k, out=y)
        y += bias
        return y

    def norm(x, g, e, r):
        return _layer_norm(x, g, e, LN_EPSILON, m[:r], v[:r], t[x.shape[1]][:r])

    for s in range(0, n, c):
        r = min(c, n - s)
        x_in = zin[:r]
        x_in[...] = Z[s:s + r]
        w1 = k1.shape[1]
        x = norm(gelu(dense(x_in, k1, b1, r), b[w1][:r]), g1, e1, r)  # in b[w1]
        y = gelu(dense(x, k2, b2, r), t[w1][:r])  # in t[w1]
        x += y
        x = norm(x, g2, e2, r)  # still b[w1]; t[w1] is scratch again
        for k, bias, g, e in ((k3, b3, g3, e3), (k4, b4, g4, e4)):
            x = norm(gelu(dense(x, k, bias, r), b[k.shape[1]][:r]), g, e, r)
        out[s:s + r] = dense(x, k5, b5, r)
    return out


def gate_forward(weights, z, h=2):
    """(p_MoE (n, h), expert weights (n, n_experts)) of the gate of :func:`build_gate`."""
    k1, b1, k2, b2, k3, b3 = [np.asarray(w, np.float64) for w in weights]
    z = np.asarray(z, np.float64)
    g = np.maximum(z @ k1 + b1, 0)
    g = np.maximum(g @ k2 + b2, 0)
    a = g @ k3 + b3
    a = np.exp(a - a.max(axis=1, keepdims=True))
    w = a / a.sum(axis=1, keepdims=True)
    experts = z.reshape(len(z), -1, h)
    return np.einsum("ne,neh->nh", w, experts), w
