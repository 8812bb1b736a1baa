"""The check of a model's factors against its training rows (core.susceptibility.factor_fit),
on synthetic data whose answer is known."""
import numpy as np
import pytest
from scipy import stats

from hazard_susceptibility.core.susceptibility import factor_fit as ff
from hazard_susceptibility.core.util.errors import InputError


def test_ks_statistic_is_scipys():
    rng = np.random.default_rng(0)
    for n, m, shift in ((50, 80, 0.0), (300, 1000, 0.4), (1000, 37, 2.0)):
        a, b = rng.normal(size=n), rng.normal(shift, 1.3, size=m)
        assert ff.ks_statistic(a, b) == pytest.approx(stats.ks_2samp(a, b).statistic, abs=1e-12)


def test_outside_share_is_counted_against_the_widened_range():
    train = np.linspace(0, 100, 101)  # range 0 .. 100, widened by 5 to -5 .. 105
    given = np.r_[np.full(60, 50.0), np.full(30, 104.0), np.full(10, 106.0)]
    f = ff.compare("x", train, given)
    assert f.outside == pytest.approx(0.10)
    assert f.train_q[1] == pytest.approx(50.0)


def test_same_distribution_passes_and_biased_training_rows_pass():
    rng = np.random.default_rng(1)
    train = np.r_[rng.gamma(4, 5, 300), rng.gamma(6, 5, 300)]  # presences steeper
    given = rng.gamma(4.5, 5, 20000)
    assert ff.compare("slope", train, given).verdict == "ok"


@pytest.mark.parametrize("convert", [lambda a: a / 0.3048,  # metres -> feet
                                     lambda a: 100 * np.tan(np.radians(a))])  # deg -> %
def test_other_units_are_refused(convert):
    rng = np.random.default_rng(2)
    slope = np.clip(rng.normal(22, 9, 20000), 0, 70)
    train = np.clip(rng.normal(24, 9, 600), 0, 70)
    f = ff.compare("slope", train, convert(slope))
    assert f.verdict == "refuse", f.describe()


def test_swapped_factors_are_refused_by_name():
    rng = np.random.default_rng(3)
    slope = np.clip(rng.normal(22, 9, 20000), 0, 70)
    twi = rng.gamma(6, 1.2, 20000)
    train = {"slope": slope[:500] + 2, "twi": twi[:500], "ndvi": rng.uniform(0, 1, 500)}
    given = {"slope": twi, "twi": slope, "ndvi": rng.uniform(0, 1, 20000)}
    with pytest.raises(InputError) as exc:
        ff.check(train, given)
    msg = str(exc.value)
    assert "'slope'" in msg and "'twi'" in msg and "'ndvi'" not in msg
    assert exc.value.input_name == "FACTORS"


def test_a_doubtful_factor_is_warned_not_refused():
    rng = np.random.default_rng(4)
    train = rng.uniform(0, 1, 1000)
    given = rng.uniform(0, 1.2, 20000)  # 12.5 % beyond the widened range 1.05, KS about 0.17
    warned = []
    fits = ff.check({"x": train}, {"x": given}, warn=warned.append)
    assert fits[0].verdict == "warn" and warned and "'x'" in warned[0]


def test_too_few_values_say_nothing():
    assert ff.compare("x", np.arange(10.0), np.arange(1000.0)) is None
    assert ff.check({"x": np.arange(10.0)}, {"x": np.arange(1000.0)}) == []


def test_sample_rows_is_seeded_and_bounded():
    X = np.arange(100000.0).reshape(-1, 2)
    a = ff.sample_rows(X, ["a", "b"], n=1000, seed=5)
    b = ff.sample_rows(X, ["a", "b"], n=1000, seed=5)
    assert len(a["a"]) == 1000 and np.array_equal(a["a"], b["a"])
    assert np.array_equal(a["b"], a["a"] + 1)  # rows kept whole
