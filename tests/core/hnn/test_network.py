import numpy as np
import pytest

from hazard_susceptibility.core.util.deps import available  # noqa: E402

if not available("tensorflow"):  # imported through the plugin (core.deps.require), not here
    pytest.skip("tensorflow is not installed", allow_module_level=True)

from hazard_susceptibility.core.hnn import network as hnn  # noqa: E402
from hazard_susceptibility.core.hnn.jobs import TrainHnn  # noqa: E402
from hazard_susceptibility.core.util.errors import InputError  # noqa: E402


def test_gvf_rule_picks_k_on_known_breaks():
    rng = np.random.default_rng(0)
    areas = np.concatenate([np.zeros(500), rng.normal(1000, 50, 200), rng.normal(5000, 100, 60),
                            rng.normal(20000, 300, 20)])
    # k = 2 splits {1000, 5000} from {20000} with GVF 0.89; k = 3 separates all three
    assert hnn.size_classes(areas, gvf_min=0.85).k_initial == 2
    sc = hnn.size_classes(areas, gvf_min=0.95)
    assert sc.n_classes == 3 + 1 and sc.k_initial == 3
    assert sc.gvf >= 0.95
    counts = np.bincount(sc.classify(areas))
    assert counts.tolist() == [500, 200, 60, 20]
    rows = sc.table(areas)
    assert rows[1]["min_excl"] == pytest.approx(areas[areas > 0].min() - 1e-6)


def test_small_classes_merge_down_and_errors():
    rng = np.random.default_rng(1)
    areas = np.concatenate([np.zeros(100), rng.normal(1000, 50, 100), rng.normal(5000, 100, 40),
                            [90000.0, 95000.0]])
    sc = hnn.size_classes(areas, gvf_min=0.95, min_members=6)
    counts = np.bincount(sc.classify(areas))[1:]
    assert (counts >= 6).all() and sc.merges
    with pytest.raises(InputError, match="merging is disabled"):
        hnn.size_classes(areas, gvf_min=0.95, min_members=6, merge=False)
    with pytest.raises(InputError, match="negative"):
        hnn.size_classes(np.r_[areas, -1.0])


def test_class_block_takes_the_binary_output():
    m = hnn.build_model(5, 3, hnn.Architecture(1, 4, 1, 4), 0.5)
    concat = m.get_layer("concat")
    inbound = [t._keras_history.operation.name for t in concat.input]
    assert "binary" in inbound and "block1_dropout0" in inbound


def test_loss_is_alpha_bce_plus_one_minus_alpha_cce():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(32, 4)).astype("float32")
    cls = rng.integers(0, 3, 32)
    alpha = 0.7
    m = hnn.build_model(4, 3, hnn.Architecture(1, 8, 1, 8, l2=0.0, dropout=0.2), alpha)
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
    arch = hnn.Architecture(2, 8, 1, 6, l2=1e-2, dropout=0.0)
    m = hnn.build_model(4, 3, arch, 0.5)
    dense = [layer for layer in m.layers if type(layer).__name__ == "Dense"]
    assert {"binary", "size"} <= {layer.name for layer in dense}
    expected = sum(arch.l2 * float(np.sum(np.square(layer.get_weights()[0]))) for layer in dense)
    got = float(sum(float(np.asarray(v)) for v in m.losses))
    assert got == pytest.approx(expected, rel=1e-5)


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
    r1 = hnn.train_hnn(X, c, 3, hnn.Architecture(1, 8, 1, 8), epochs=3, patience=2,
                       test_idx=test_idx, seed=3)
    assert not set(r1.train_idx) & set(test_idx)
    after = r1.smote_counts["after"]
    assert len(set(after)) == 1 and after[0] > min(r1.smote_counts["before"])
    r2 = hnn.train_hnn(X, c, 3, hnn.Architecture(1, 8, 1, 8), epochs=3, patience=2,
                       test_idx=test_idx, seed=3)
    for a, b in zip(r1.model.get_weights(), r2.model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_morans_i_against_a_dense_computation():
    rng = np.random.default_rng(0)
    n = 30
    W = (rng.random((n, n)) < 0.15).astype(float)
    W = np.triu(W, 1)
    W = W + W.T
    x = (rng.random(n) < 0.4).astype(float)
    nb = [list(np.nonzero(W[i])[0]) for i in range(n)]
    r = hnn.morans_i(x, nb)
    z = x - x.mean()
    I = n / W.sum() * z @ W @ z / (z @ z)
    assert r["I"] == pytest.approx(I) and r["E"] == pytest.approx(-1 / (n - 1))
    assert 0 <= r["p"] <= 1


def test_model_file_round_trip(tmp_path):
    X, c = _units(200)
    r = hnn.train_hnn(X, c, 3, hnn.Architecture(1, 4, 1, 4), epochs=2, seed=0)
    hnn.save_hnn(tmp_path / "m.hnn", r, ["a", "b", "c", "d"], 0, crs_authid="EPSG:32717")
    model, man = hnn.load_hnn(tmp_path / "m.hnn")
    assert man.features == ["a", "b", "c", "d"] and man.n_classes == 3
    assert hnn.read_manifest(tmp_path / "m.hnn") == man
    pb, pc = hnn.predict(model, X, np.array(man.mean), np.array(man.std))
    qb, qc = hnn.predict(r, X)
    # the network rebuilt from the architecture with the file's weights computes the same
    np.testing.assert_array_equal(pb, qb)
    np.testing.assert_array_equal(pc, qc)


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
        worker.run(TrainHnn(3, hnn.Architecture(2, 32, 2, 32), epochs=2000, patience=2000,
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
    result, arr = worker.run(TrainHnn(3, hnn.Architecture(1, 8, 1, 8), 3, 3, 0.2, 1, 0.8,
                                      str(tmp_path / "m.hnn"), list("abcd")),
                             {"X": X, "classes": c, "test": test})
    res = hnn.train_hnn(X, c, 3, hnn.Architecture(1, 8, 1, 8), 0.8, 3, 3, 0.2, test, 1)
    pb, _ = hnn.predict(res, X)
    np.testing.assert_allclose(arr["pb"], pb, rtol=1e-4, atol=1e-6)
    ev, _, _ = hnn.evaluate(res, X, c, test)
    assert result["metrics"]["binary_auc"] == pytest.approx(ev["binary_auc"], abs=1e-6)


def test_the_glm_baseline_is_the_unpenalised_maximum_likelihood_fit():
    """Paper 000's baseline is a plain binomial GLM; the HNN's had been scikit-learn's default
    (C = 1, a ridge penalty). Its probabilities equal a Newton fit's to 1e-6."""
    from hazard_susceptibility.core.hnn.network import glm_baseline
    rng = np.random.default_rng(7)
    n = 600
    X = np.column_stack([rng.normal(5, 2, n), rng.normal(0, 1, n), rng.normal(-3, 4, n)])
    logit = -0.5 + 0.6 * X[:, 0] - 1.2 * X[:, 1] + 0.1 * X[:, 2]
    classes = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), 2, 0)
    tr, te = np.arange(0, 450), np.arange(450, n)
    _, p = glm_baseline(X, classes, tr, te)
    A = np.column_stack([np.ones(len(tr)), X[tr]])
    y = (classes[tr] > 0).astype(float)
    beta = np.zeros(A.shape[1])
    for _ in range(50):  # Newton-Raphson
        q = 1 / (1 + np.exp(-A @ beta))
        beta += np.linalg.solve(A.T @ (A * (q * (1 - q))[:, None]), A.T @ (y - q))
    ref = 1 / (1 + np.exp(-np.column_stack([np.ones(len(te)), X[te]]) @ beta))
    np.testing.assert_allclose(p, ref, atol=1e-6)


def test_size_classes_say_when_the_rule_fails_after_merging_or_one_class_remains():
    """With heavy-tailed areas k = 2 can reach the GVF rule and then the small class is merged:
    one landslide class remains and the class head repeats the binary one; the GVF reported
    had been the one before merging. The final GVF is computed (checked by hand here) and
    each case is said."""
    from hazard_susceptibility.core.stats.breaks import classify, gvf
    areas = np.r_[np.zeros(50), np.full(40, 100.0) + np.arange(40), [5e5, 6e5, 7e5]]
    sc = hnn.size_classes(areas, gvf_min=0.85, min_members=6)
    assert sc.merges and sc.n_classes - 1 == 1
    nz = areas[areas > 0]
    assert sc.gvf_final == pytest.approx(gvf(nz, classify(nz, sc.upper[:-1])))
    said = " ".join(sc.warnings())
    assert "Only one landslide size class remains" in said
    # the k cap: a GVF of 0.9999 is out of reach with at most 3 classes
    capped = hnn.size_classes(np.r_[np.zeros(5), np.linspace(1, 1000, 200)], gvf_min=0.9999,
                              k_max=3, merge=False, min_members=2)
    assert capped.capped and "No k up to 3 reached a GVF of 0.9999" in " ".join(
        capped.warnings())
