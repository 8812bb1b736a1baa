import numpy as np
import pytest

from hazard_susceptibility.core.util.deps import available  # noqa: E402

if not available("tensorflow"):  # imported through the plugin (core.deps.require), not here
    pytest.skip("tensorflow is not installed", allow_module_level=True)

from hazard_susceptibility.core.hnn.evaluation import evaluate  # noqa: E402
from hazard_susceptibility.core.hnn.jobs import TrainHnn  # noqa: E402
from hazard_susceptibility.core.hnn.network import Architecture, predict  # noqa: E402
from hazard_susceptibility.core.hnn.training import train_hnn  # noqa: E402


def _units(n=600, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    logit = 1.8 * X[:, 0] - 1.0
    occ = rng.random(n) < 1 / (1 + np.exp(-logit))
    size = np.where(X[:, 1] > 0.3, 2, 1)
    return X, np.where(occ, size, 0)


def test_smote_only_on_training_rows_and_seeded_weights():
    X, c = _units()
    test_idx = np.arange(0, 600, 5)
    r1 = train_hnn(X, c, 3, Architecture(1, 8, 1, 8), epochs=3, patience=2,
                   test_idx=test_idx, seed=3)
    assert not set(r1.train_idx) & set(test_idx)
    after = r1.smote_counts["after"]
    assert len(set(after)) == 1 and after[0] > min(r1.smote_counts["before"])
    r2 = train_hnn(X, c, 3, Architecture(1, 8, 1, 8), epochs=3, patience=2,
                   test_idx=test_idx, seed=3)
    for a, b in zip(r1.model.get_weights(), r2.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_worker_training_reports_progress_and_stops_when_cancelled(tmp_path):
    import time

    from hazard_susceptibility.core.util import worker
    from hazard_susceptibility.core.util.errors import Cancelled
    from hazard_susceptibility.core.util.progress import Feedback
    X, c = _units(2000)
    seen, cancel_at = [], []

    def is_cancelled():  # the user presses Cancel once 5 % is reported
        if any(v > 0.05 for v in seen) and not cancel_at:
            cancel_at.append(time.time())
        return bool(cancel_at)
    fb = Feedback(progress=seen.append, is_cancelled=is_cancelled)
    with pytest.raises(Cancelled):
        worker.run(TrainHnn(3, Architecture(2, 32, 2, 32), epochs=2000, patience=2000,
                            val_share=0.2, seed=0, alpha=0.8,
                            model_path=str(tmp_path / "m.hnn"), features=list("abcd")),
                   {"X": X, "classes": c, "test": np.arange(0, 2000, 5)}, fb)
    # stopped within seconds of the request (2000 epochs would take minutes), whatever the
    # machine's load before it, and nothing written
    assert seen and cancel_at and time.time() - cancel_at[0] < 15
    assert not (tmp_path / "m.hnn").exists()


def test_worker_trains_like_the_core(tmp_path):
    from hazard_susceptibility.core.util import worker
    X, c = _units(400)
    test = np.arange(0, 400, 5)
    result, arr = worker.run(TrainHnn(3, Architecture(1, 8, 1, 8), 3, 3, 0.2, 1, 0.8,
                                      str(tmp_path / "m.hnn"), list("abcd")),
                             {"X": X, "classes": c, "test": test})
    res = train_hnn(X, c, 3, Architecture(1, 8, 1, 8), 0.8, 3, 3, 0.2, test, 1)
    pb, _ = predict(res, X)
    np.testing.assert_allclose(arr["pb"], pb, rtol=1e-4, atol=1e-6)
    ev, _, _ = evaluate(res, X, c, test)
    assert result["metrics"]["binary_auc"] == pytest.approx(ev["binary_auc"], abs=1e-6)
