"""The seeded break sample (core.stats.breaks.BreakSample): about ``size`` of ``total`` values,
each with the same chance, the same sample for the same seed and windows, all values of a small
grid."""
import numpy as np
from scipy import stats

from hazard_susceptibility.core.stats.breaks import BreakSample, keep_share


def _sample(size, shape, windows, seed):
    """The kept positions of a grid of ``shape`` read in ``windows`` row bands."""
    s = BreakSample(size, shape[0] * shape[1], seed)
    rows = np.array_split(np.arange(shape[0]), windows)
    return np.concatenate([s.pick((len(r), shape[1])).ravel() for r in rows])


def test_keeps_about_size_values_binomially():
    total, size = 400 * 500, 5_000
    kept = _sample(size, (400, 500), 7, seed=3)
    # the count is Binomial(total, size / total): within 4 standard deviations of size
    sd = np.sqrt(total * (size / total) * (1 - size / total))
    assert abs(kept.sum() - size) < 4 * sd


def test_every_value_has_the_same_chance():
    # 2000 seeds on a 10 x 10 grid, 20 kept on average: each cell kept about 20 % of the time;
    # the counts per cell are one multinomial-like draw, tested against uniformity
    hits = sum(_sample(20, (10, 10), 3, seed).astype(int) for seed in range(2000))
    assert abs(hits.mean() / 2000 - 0.2) < 0.01
    assert stats.chisquare(hits).pvalue > 0.001


def test_small_grid_keeps_everything():
    assert keep_share(1_000_000, 600 * 600) == 1.0
    assert keep_share(10, 0) == 1.0
    assert _sample(1_000, (20, 30), 4, seed=1).all()


def test_same_windows_same_sample_and_the_seed_matters():
    a = _sample(500, (100, 100), 5, seed=42)
    assert np.array_equal(a, _sample(500, (100, 100), 5, seed=42))
    assert not np.array_equal(a, _sample(500, (100, 100), 5, seed=43))
    # values of consecutive windows kept as if they were one array: the cut does not matter
    v = np.arange(1000.0)
    one = BreakSample(100, 1000, 9).take(v)
    s = BreakSample(100, 1000, 9)
    assert np.array_equal(np.concatenate([s.take(v[:123]), s.take(v[123:])]), one)


def test_at_most_cuts_to_size_without_repeats():
    s = BreakSample(50, 10_000, 0)
    v = np.arange(200.0)
    out = s.at_most(v)
    assert len(out) == 50 and len(np.unique(out)) == 50 and np.isin(out, v).all()
    assert s.at_most(v[:30]) is not None and len(s.at_most(v[:30])) == 30
