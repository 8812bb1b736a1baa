import math

import numpy as np

from hazard_susceptibility.core.multihazard import forward


def test_gelu_is_the_tanh_form_everywhere():
    """gelu() computes x / (1 + exp(-2u)); it must equal the tanh form Keras trains with,
    0.5 x (1 + tanh u), far into both tails too (no overflow warning, no NaN)."""
    x = np.concatenate([np.linspace(-40, 40, 20001), [-1e3, 1e3, 0.0]])
    u = math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)
    ref = 0.5 * x * (1 + np.tanh(u))
    with np.errstate(all="raise"):
        got = forward.gelu(x.copy())
    np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-15)
    assert np.isfinite(got).all()
