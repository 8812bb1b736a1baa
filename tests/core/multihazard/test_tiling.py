import numpy as np
import pytest

from hazard_susceptibility.core.io.raster import Grid
from hazard_susceptibility.core.multihazard import tiling
from hazard_susceptibility.core.util.errors import InputError


def _merge_tiles(shape, results):
    """Weighted mean of overlapping tile predictions (padded Window, array) by edge weights."""
    num, den = np.zeros(shape), np.zeros(shape)
    for win, arr in results:
        w = tiling.edge_weights(win.rows, win.cols)
        ok = ~np.isnan(arr)
        num[win.slices] += np.where(ok, arr * w, 0.0)
        den[win.slices] += np.where(ok, w, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)


def test_tiling_is_invisible_for_pointwise_predictions():
    grid = Grid("", (0, 1, 0, 0, 0, -1), 97, 83)
    truth = np.random.default_rng(3).random((83, 97))
    results = [(pad, truth[pad.slices]) for pad, core in tiling.tiles(grid, 20, 5)]
    np.testing.assert_allclose(_merge_tiles(truth.shape, results), truth, rtol=1e-12)
    cover = np.zeros(truth.shape, int)
    for _, core in tiling.tiles(grid, 20, 5):
        cover[core.slices] += 1
    assert (cover == 1).all()
    w = tiling.edge_weights(10, 10)
    assert w.min() == 0.5 and w[0, 0] == 0.5 and w[4, 4] == 4.5
    with pytest.raises(InputError, match="smaller than the tile size"):
        tiling.tiles(grid, 10, 10)
