"""Hold-out splits and independent scores (core.susceptibility.holdout)."""
import numpy as np
import pytest

from hazard_susceptibility.core.io.raster import Grid
from hazard_susceptibility.core.susceptibility import holdout
from hazard_susceptibility.core.util.errors import InputError


def _points(n=400, seed=0, extent=10_000.0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, extent, n), rng.uniform(0, extent, n)


def test_random_holdout_takes_the_exact_share_and_repeats_with_the_seed():
    x, y = _points(401)
    held = holdout.holdout_mask(x, y, 0.3, seed=7)
    assert held.sum() == round(0.3 * 401)
    np.testing.assert_array_equal(held, holdout.holdout_mask(x, y, 0.3, seed=7))
    assert not np.array_equal(held, holdout.holdout_mask(x, y, 0.3, seed=8))


def test_block_holdout_never_splits_a_block_and_comes_closest_to_the_share():
    x, y = _points(500, seed=3)
    size = 2000.0
    held = holdout.holdout_mask(x, y, 0.3, seed=5, block_size=size)
    bx, by = np.floor(x / size), np.floor(y / size)
    blocks = {}
    for k, key in enumerate(zip(bx, by)):
        blocks.setdefault(key, set()).add(bool(held[k]))
    assert all(len(v) == 1 for v in blocks.values())  # every block wholly in one part
    # brute force: over every prefix of the same seeded block order, none is closer to 150
    _, block = np.unique(np.c_[bx, by].astype(np.int64), axis=0, return_inverse=True)
    order = np.random.default_rng(5).permutation(block.max() + 1)
    cum = np.cumsum(np.bincount(block.ravel())[order])
    assert abs(held.sum() - 150) == np.min(np.abs(cum[:-1] - 150))
    # a held-out point has no training point in its block: its nearest training point is
    # farther than a random hold-out's
    from scipy.spatial import cKDTree
    d_block = cKDTree(np.c_[x[~held], y[~held]]).query(np.c_[x[held], y[held]])[0]
    rnd = holdout.holdout_mask(x, y, 0.3, seed=5)
    d_rand = cKDTree(np.c_[x[~rnd], y[~rnd]]).query(np.c_[x[rnd], y[rnd]])[0]
    assert np.median(d_block) > 1.5 * np.median(d_rand)


def test_holdout_refuses_what_cannot_be_split():
    x, y = _points(50)
    with pytest.raises(InputError, match="one block") as e:
        holdout.holdout_mask(x, y, 0.3, 0, block_size=1e6)
    assert e.value.input_name == "BLOCK_SIZE"
    with pytest.raises(InputError, match="at least 2"):
        holdout.holdout_mask([1.0], [1.0], 0.3, 0)
    # two blocks: one of them always stays for training, whatever the share
    held = holdout.holdout_mask([0, 1, 5000, 5001], [0, 0, 0, 0], 0.9, 0, block_size=2000)
    assert 0 < held.sum() < 4


def test_points_in_training_pixels_and_equal_rows_are_found():
    grid = Grid("", (0.0, 30.0, 0.0, 300.0, 0.0, -30.0), 10, 10)
    tx, ty = np.array([15.0, 100.0]), np.array([285.0, 200.0])
    # same pixel as the first training point; a pixel away; outside the grid
    m = holdout.on_pixels(grid, tx, ty, [29.0, 45.0, -5.0], [271.0, 285.0, 10.0])
    np.testing.assert_array_equal(m, [True, False, False])
    X_train = np.array([[1.0, 2.0], [3.0, 4.0]])
    np.testing.assert_array_equal(
        holdout.same_rows(X_train, np.array([[3.0, 4.0], [3.0, 4.5], [1.0, 2.0]])),
        [True, False, True])


def test_score_matches_scikit_learn_and_counts_what_it_leaves_out():
    from sklearn.metrics import cohen_kappa_score, roc_auc_score
    rng = np.random.default_rng(1)
    p1 = np.r_[rng.beta(4, 2, 60), np.nan]
    p0 = np.r_[rng.beta(2, 4, 200), np.nan, np.nan]
    ind = holdout.score(p1, p0, "test", {"in a pixel of a training sample": 3})
    y = np.r_[np.ones(60), np.zeros(200)]
    p = np.r_[p1[:60], p0[:200]]
    assert ind.metrics["AUC"] == pytest.approx(roc_auc_score(y, p), abs=1e-12)
    assert ind.metrics["kappa"] == pytest.approx(cohen_kappa_score(y, p > 0.5), abs=1e-12)
    assert ind.left_out == {"in a pixel of a training sample": 3,
                            "off the rasters or on nodata": 3}
    assert "3 in a pixel of a training sample" in ind.describe()
    with pytest.raises(InputError, match="No independent presence"):
        holdout.score([np.nan], [0.2], "x")
