import numpy as np
import pytest

from hazard_susceptibility.core.util.deps import available  # noqa: E402

if not available("tensorflow"):  # imported through the plugin (core.deps.require), not here
    pytest.skip("tensorflow is not installed", allow_module_level=True)

from hazard_susceptibility.core.hnn.network import Architecture, build_model  # noqa: E402


def test_class_block_takes_the_binary_output():
    m = build_model(5, 3, Architecture(1, 4, 1, 4), 0.5)
    concat = m.get_layer("concat")
    inbound = [t._keras_history.operation.name for t in concat.input]
    assert "binary" in inbound and "block1_dropout0" in inbound


def test_loss_is_alpha_bce_plus_one_minus_alpha_cce():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 4)).astype("float32")
    cls = rng.integers(0, 3, 32)
    alpha = 0.7
    m = build_model(4, 3, Architecture(1, 8, 1, 8, l2=0.0, dropout=0.2), alpha)
    yb = (cls > 0).astype("float32")[:, None]
    yc = np.eye(3, dtype="float32")[cls]
    pb, pc = m.predict(X, verbose=0)
    eps = 1e-7
    pb = np.clip(pb, eps, 1 - eps)
    bce = -np.mean(yb * np.log(pb) + (1 - yb) * np.log(1 - pb))
    cce = -np.mean(np.sum(yc * np.log(np.clip(pc, eps, 1)), axis=1))
    got = m.evaluate(X, {"binary": yb, "size": yc}, verbose=0, batch_size=32)
    total = got[0] if isinstance(got, list) else got
    assert total == pytest.approx(alpha * bce + (1 - alpha) * cce, rel=1e-4)


def test_l2_penalty_covers_every_layer_including_both_heads():
    """The loss's penalty equals l2 x the sum of squared kernel weights of all Dense layers
    (paper 000, appendix A), computed from the weights themselves."""
    arch = Architecture(2, 8, 1, 6, l2=1e-2, dropout=0.0)
    m = build_model(4, 3, arch, 0.5)
    dense = [layer for layer in m.layers if type(layer).__name__ == "Dense"]
    assert {"binary", "size"} <= {layer.name for layer in dense}
    expected = sum(arch.l2 * float(np.sum(np.square(layer.get_weights()[0]))) for layer in dense)
    got = float(sum(float(np.asarray(v)) for v in m.losses))
    assert got == pytest.approx(expected, rel=1e-5)
