import numpy as np
import pytest

from hazard_susceptibility.core.util.deps import available  # noqa: E402

if not available("tensorflow"):  # imported through the plugin (core.deps.require), not here
    pytest.skip("tensorflow is not installed", allow_module_level=True)

from hazard_susceptibility.core.hnn.modelfile import load_hnn, read_manifest, save_hnn  # noqa: E402
from hazard_susceptibility.core.hnn.network import Architecture, predict  # noqa: E402
from hazard_susceptibility.core.hnn.training import train_hnn  # noqa: E402
from tests.core.hnn.test_training import _units  # noqa: E402


def test_model_file_round_trip(tmp_path):
    X, c = _units(200)
    r = train_hnn(X, c, 3, Architecture(1, 4, 1, 4), epochs=2, seed=0)
    save_hnn(tmp_path / "m.hnn", r, ["a", "b", "c", "d"], 0, crs_authid="EPSG:32717")
    model, man = load_hnn(tmp_path / "m.hnn")
    assert man.features == ["a", "b", "c", "d"] and man.n_classes == 3
    assert read_manifest(tmp_path / "m.hnn") == man
    pb, pc = predict(model, X, np.array(man.mean), np.array(man.std))
    qb, qc = predict(r, X)
    # the network rebuilt from the architecture with the file's weights computes the same
    np.testing.assert_array_equal(pb, qb)
    np.testing.assert_array_equal(pc, qc)
