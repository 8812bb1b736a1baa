"""The float32 loops of the multi-hazard maps (core.multihazard.forward32) against the float64
numpy reference (forward.early_fusion_forward, gate_forward): within 1e-5 in probability, and
the same bits for a pixel whatever the batch, the position in it, the thread, the process or
the run."""
import hashlib
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from hazard_susceptibility.core import multihazard as mh
from hazard_susceptibility.core.multihazard import forward32
from tests.conftest import PLUGINS

pytest.importorskip("numba")
WIDTHS = (256, 256, 128, 64)  # experts.build_early_fusion


def network(n_in=14, seed=0, scale=1.0):
    """Weights of the Early Fusion network's shapes (Keras' get_weights order): Glorot-uniform
    kernels (Keras' default) times ``scale``, biases, and layer-norm gains and offsets near
    their trained values."""
    rng = np.random.default_rng(seed)
    w = []
    fan_in = n_in
    for units in WIDTHS:
        lim = scale * np.sqrt(6 / (fan_in + units))
        w += [rng.uniform(-lim, lim, (fan_in, units)), rng.normal(0, 0.1, units),
              rng.normal(1, 0.2, units), rng.normal(0, 0.1, units)]
        fan_in = units
    lim = scale * np.sqrt(6 / (fan_in + 5))
    w += [rng.uniform(-lim, lim, (fan_in, 5)), rng.normal(0, 0.1, 5)]
    # as a bundle stores them: float32 values
    return [a.astype(np.float32).astype(np.float64) for a in w]


def inputs(n, n_in=14, seed=1):
    """z-scored factors: mostly within a few standard deviations, some far out (the sample
    area's maps reach |z| = 25 outside the training range)."""
    rng = np.random.default_rng(seed)
    Z = rng.normal(0, 1.5, (n, n_in))
    Z[::97] *= 12
    return Z


def calibrated(raw, slope):
    """A beta calibration with a = b = ``slope`` (the calibrated probability moves at most
    slope / 4 times as far as mu)."""
    cal = mh.BetaCalibration()
    cal.a, cal.b, cal.c = slope, slope, 0.3
    return cal.predict(1 / (1 + np.exp(-raw)))


@pytest.mark.parametrize("scale", [1.0, 2.0])
def test_float32_network_agrees_with_the_float64_reference(scale):
    w = network(seed=int(scale), scale=scale)
    Z = inputs(200_000)
    ref = mh.early_fusion_forward(w, Z)
    got = forward32.EarlyFusion32(w).raw(Z).astype(float)
    assert got.shape == ref.shape == (len(Z), 5)
    assert np.abs(got - ref).max() < 1e-6 * max(1.0, np.abs(ref).max())
    # each output's error within the bound the float32 path relies on
    s = (np.abs(w[16]) * (np.abs(w[14]) + np.abs(w[15]))[:, None]).sum(axis=0)
    err = np.abs(got - ref).max(axis=0)
    assert (err <= forward32.ERROR_FACTOR * 2.0 ** -24 * s).all(), err / (2.0 ** -24 * s)
    # probabilities through the steepest calibrations allowed: within 1e-5
    limits = forward32.slope_limits(w)
    for j in range(2):
        dp = np.abs(calibrated(got[:, j], limits[j]) - calibrated(ref[:, j], limits[j]))
        assert dp.max() < forward32.TOLERANCE, dp.max()
    # the log-uncertainty (2 x the sum of two outputs) within the bound too; the correlation
    # rho = L_10 / |L_1.| (not a probability) moves at most (error of L_10 + |L_10| x error
    # of log L_11) / |L_1.|: large only where Sigma's second row is tiny
    bound = forward32.ERROR_FACTOR * 2.0 ** -24 * s
    ld, rho = mh.uncertainty_and_correlation(got[:, 2:])
    ld0, rho0 = mh.uncertainty_and_correlation(ref[:, 2:])
    assert np.abs(ld - ld0).max() <= 2 * (bound[2] + bound[4])
    norm = np.hypot(ref[:, 3], np.exp(ref[:, 4]))
    assert (np.abs(rho - rho0) <= (bound[3] + np.abs(ref[:, 3]) * bound[4]) / norm).all()


def test_a_pixel_gets_the_same_bits_wherever_it_falls_in_a_batch():
    net = forward32.EarlyFusion32(network())
    Z = inputs(3 * forward32.BLOCK + 17)
    full = net.raw(Z)
    for k in (1, 3, 5, forward32.BLOCK - 1, forward32.BLOCK + 2):  # shifted in its block
        np.testing.assert_array_equal(net.raw(Z[k:]), full[k:])
    perm = np.random.default_rng(2).permutation(len(Z))
    np.testing.assert_array_equal(net.raw(Z[perm]), full[perm])
    np.testing.assert_array_equal(np.concatenate([net.raw(Z[i:i + 1]) for i in range(40)]),
                                  full[:40])  # one pixel at a time
    # a pixel whose value is far out (GELU's exponential clamped) and NaN stays NaN
    Zx = Z[:8].copy()
    Zx[0] = 1e4
    Zx[1, 3] = np.nan
    out = net.raw(Zx)
    assert np.isfinite(out[0]).all() and np.isnan(out[1]).all()
    np.testing.assert_array_equal(out[2:], full[2:8])


def test_threads_and_numba_thread_counts_give_the_same_bits():
    import numba
    net = forward32.EarlyFusion32(network())
    Z = inputs(20_000)
    ref = net.raw(Z)
    chunks = np.array_split(np.arange(len(Z)), 7)
    before = numba.get_num_threads()
    try:
        for n in (1, min(2, numba.config.NUMBA_NUM_THREADS)):
            numba.set_num_threads(n)
            np.testing.assert_array_equal(net.raw(Z), ref)
    finally:
        numba.set_num_threads(before)
    with ThreadPoolExecutor(2) as ex:  # the loops release the GIL: tiles on threads
        parts = list(ex.map(lambda i: net.raw(Z[i]), chunks))
    np.testing.assert_array_equal(np.concatenate(parts), ref)


CHILD = r"""
import sys
sys.path.insert(0, {plugins!r})
import numpy as np
from hazard_susceptibility.core import multihazard as mh
from hazard_susceptibility.core.multihazard import forward32
d = np.load({path!r})
w = [d["w%d" % i] for i in range(18)]
raw = forward32.EarlyFusion32(w).raw(d["Z"])
p_ef, logdet, rho = forward32.early_fusion_outputs(raw, [[3.0, 2.0, 0.5], [1.5, 4.0, -1.0]])
p, g = forward32.gate([d["g%d" % i] for i in range(6)], d["z"])
np.savez({out!r}, raw=raw, p_ef=p_ef, logdet=logdet, rho=rho, p=p, g=g)
"""


def _digest(arrays):
    h = hashlib.sha256()
    for k in sorted(arrays):
        h.update(np.ascontiguousarray(arrays[k]).tobytes())
    return h.hexdigest()


def test_two_processes_give_the_same_bits_and_logdet(tmp_path):
    """Two fresh processes (compiled code from numba's cache), batches of different sizes:
    the same raw outputs, log-uncertainty, correlation and gate, bit for bit."""
    rng = np.random.default_rng(3)
    w, gw = network(seed=4), gate_weights()
    Z, z = inputs(50_000, seed=5), rng.random((50_000, 4)).astype(np.float32)
    path = str(tmp_path / "in.npz")
    np.savez(path, Z=Z, z=z, **{f"w{i}": a for i, a in enumerate(w)},
             **{f"g{i}": a for i, a in enumerate(gw)})
    digests = []
    for run in range(2):
        out = str(tmp_path / f"out{run}.npz")
        res = subprocess.run([sys.executable, "-c", CHILD.format(plugins=PLUGINS, path=path,
                                                                 out=out)],
                             capture_output=True, text=True, env=dict(os.environ))
        assert res.returncode == 0, res.stderr
        digests.append(_digest(dict(np.load(out))))
    raw = forward32.EarlyFusion32(w).raw(Z[::-1])[::-1]  # and here, reversed
    p_ef, logdet, rho = forward32.early_fusion_outputs(raw, [[3.0, 2.0, 0.5], [1.5, 4.0, -1.0]])
    p, g = forward32.gate(gw, z)
    here = _digest(dict(raw=raw, p_ef=p_ef, logdet=logdet, rho=rho, p=p, g=g))
    assert digests[0] == digests[1] == here


def test_outputs_and_shrinkage_equal_the_reference_whatever_the_layout():
    """Calibrated probabilities, log-uncertainty and correlation as ModelSet.ef_predict's
    numpy formulas; the same bits whatever the array's offset, stride or length (numpy's
    vector exp and log do not promise that: the log-uncertainty of float32 outputs sits on
    float32 rounding midpoints, where its last bit then flipped from run to run)."""
    raw = forward32.EarlyFusion32(network()).raw(inputs(30_000))
    cals = []
    for a, b, c in ((3.0, 2.0, 0.5), (0.0, 4.0, -1.0)):
        cal = mh.BetaCalibration()
        cal.a, cal.b, cal.c = a, b, c
        cals.append(cal)
    p, logdet, rho = forward32.early_fusion_outputs(raw, cals)
    r64 = raw.astype(float)
    want = np.column_stack([c.predict(1 / (1 + np.exp(-r64[:, j]))) for j, c in enumerate(cals)])
    ld0, rho0 = mh.uncertainty_and_correlation(r64[:, 2:])
    np.testing.assert_allclose(p, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(logdet, ld0, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(rho, rho0, rtol=1e-12, atol=1e-14)
    for k in (1, 7, 333):
        wide = np.zeros((len(raw) + k, 9), raw.dtype)
        wide[k:, 3:8] = raw
        got = forward32.early_fusion_outputs(wide[k:, 3:8], cals)
        for u, v in zip(got, (p, logdet, rho)):
            np.testing.assert_array_equal(u, v)
    # the zones' shrinkage towards the all-zone models
    rng = np.random.default_rng(8)
    own, base, w = rng.random((5000, 2)), rng.random((5000, 2)), np.array([0.3, 0.8])
    own[0, 0], base[1, 1] = 0.0, 1.0  # clipped to 1e-7 .. 1 - 1e-7

    def logit(q):
        q = np.clip(q, 1e-7, 1 - 1e-7)
        return np.log(q / (1 - q))
    want = 1 / (1 + np.exp(-(w * logit(own) + (1 - w) * logit(base))))
    got = forward32.shrink(own, base, w)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_array_equal(forward32.shrink(own[3:], base[3:], w), got[3:])


def gate_weights(seed=6):
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 0.5, (4, 32)), rng.normal(0, 0.1, 32), rng.normal(0, 0.3, (32, 16)),
            rng.normal(0, 0.1, 16), rng.normal(0, 0.5, (16, 2)), rng.normal(0, 0.1, 2)]


def test_gate_equals_the_reference():
    z = np.random.default_rng(7).random((10_000, 4)).astype(np.float32)
    p, w = forward32.gate(gate_weights(), z)
    p0, w0 = mh.gate_forward(gate_weights(), z)
    np.testing.assert_allclose(p, p0, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(w, w0, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(forward32.gate(gate_weights(), z[::-1])[0], p[::-1])


def test_zscores_inside_the_loops_give_the_same_bits():
    """raw_columns z-scores each pixel in float64 and rounds it to float32, as numpy does on
    whole arrays before raw: the same inputs, so the same outputs bit for bit."""
    rng = np.random.default_rng(11)
    net = forward32.EarlyFusion32(network())
    mean, std = rng.normal(100, 50, 14), rng.uniform(0.1, 300, 14)
    C = mean + std * inputs(3_001)
    C[5] = mean  # z = 0 exactly
    want = net.raw((C - mean) / std)
    np.testing.assert_array_equal(net.raw_columns(C, mean, std), want)
    np.testing.assert_array_equal(net.raw_columns(C[7:], mean[None, :], std), want[7:])
    assert net.raw_columns(C[:0], mean, std).shape == (0, 5)
    with pytest.raises(ValueError):
        net.raw_columns(C[:, :13], mean[:13], std[:13])


def test_gate_is_bit_for_bit_the_documented_order_of_operations():
    """Each unit: its bias, then each input's product added in input order (no fused
    multiply-add), whatever the vector lanes; checked against plain Python floats."""
    import math
    wts = gate_weights(8)
    z = np.random.default_rng(9).normal(0.5, 0.6, (300, 4)).astype(np.float32)
    p, w = forward32.gate(wts, z)
    k1, b1, k2, b2, k3, b3 = [np.asarray(a, np.float64).tolist() for a in wts]

    def layer(x, k, b, relu):
        out = []
        for j in range(len(b)):
            acc = b[j]
            for i in range(len(x)):
                acc += x[i] * k[i][j]
            out.append((acc if acc > 0.0 else 0.0) if relu else acc)
        return out
    for q in range(len(z)):
        x = [float(v) for v in z[q]]
        a = layer(layer(layer(x, k1, b1, True), k2, b2, True), k3, b3, False)
        e = [math.exp(v - max(a)) for v in a]
        we = [v / sum(e) for v in e]
        assert w[q].tolist() == we
        assert p[q].tolist() == [we[0] * x[k] + we[1] * x[2 + k] for k in range(2)]


def test_steep_calibrations_are_left_to_float64():
    w = network()
    limits = forward32.slope_limits(w)
    cal = mh.BetaCalibration()
    cal.a, cal.b, cal.c = 0.9 * limits[0], 3.0, 1.0
    assert forward32.float32_safe(w, [cal, [1.0, 2.0, 0.0]])
    assert not forward32.float32_safe(w, [cal, [3053.1, 2828.3, -790.1]])  # a near-step fit
    cal.a = 1.1 * limits[0]
    assert not forward32.float32_safe(w, [cal, [1.0, 2.0, 0.0]])


def test_numba_is_imported_lazily_and_named_when_missing(monkeypatch):
    code = (f"import sys; sys.path.insert(0, {PLUGINS!r}); "
            "import hazard_susceptibility.core.multihazard.forward32 as f, "
            "hazard_susceptibility.core.multihazard.mapping, "
            "hazard_susceptibility.core.multihazard.training; "
            "assert 'numba' not in sys.modules, 'numba imported'; print(f.available())")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(os.environ, HAZARD_NUMBA="0"))
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "False"  # HAZARD_NUMBA=0: the maps use float64
    from hazard_susceptibility.core.util import deps
    from hazard_susceptibility.core.util.errors import DependencyError
    real = deps.available
    monkeypatch.setattr(deps, "available", lambda m: m != "numba" and real(m))
    monkeypatch.setattr(forward32, "_COMPILED", {})
    assert not forward32.available()
    with pytest.raises(DependencyError) as e:  # e.g. a Dask worker without numba
        forward32.EarlyFusion32(network()).raw(inputs(10))
    assert "numba" in str(e.value)
