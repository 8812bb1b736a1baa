"""Factor screening: VIF against its definition by regression (scikit-learn), pairs by r."""
import numpy as np
import pytest

from hazard_susceptibility.core.susceptibility.report import screening_report
from hazard_susceptibility.core.susceptibility.screening import screen_factors
from hazard_susceptibility.core.util.errors import InputError


def test_vif_is_one_over_one_minus_r2_of_each_factor_on_the_others(tmp_path):
    from sklearn.linear_model import LinearRegression
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=500), rng.normal(size=500)
    c = 0.9 * a + 0.3 * rng.normal(size=500)   # collinear with a
    X = np.column_stack([a, b, c])
    X[3, 1] = np.nan                           # one incomplete sample, left out
    sc = screen_factors(X, ["a", "b", "c"], vif_max=5, r_max=0.7)
    full = X[np.isfinite(X).all(axis=1)]
    for j, row in enumerate(sc.rows):
        others = np.delete(full, j, axis=1)
        r2 = LinearRegression().fit(others, full[:, j]).score(others, full[:, j])
        assert row["VIF"] == pytest.approx(1 / (1 - r2), rel=1e-8)
    assert sc.flagged == ["a", "c"] and sc.n == 499
    assert [(p["factor_1"], p["factor_2"]) for p in sc.pairs] == [("a", "c")]
    assert sc.pairs[0]["r"] == pytest.approx(np.corrcoef(full[:, 0], full[:, 2])[0, 1])
    html = open(screening_report(str(tmp_path / "s.html"), sc)).read()
    assert "499 samples" in html and "Correlated pairs" in html and "<img" in html


def test_a_factor_without_values_is_named():
    X = np.column_stack([np.arange(10.0), np.full(10, np.nan)])
    with pytest.raises(InputError) as e:
        screen_factors(X, ["slope", "ndvi"])
    assert e.value.input_name == "ndvi" and "ndvi" in str(e.value)
    with pytest.raises(InputError, match="at least 4"):
        screen_factors(np.random.default_rng(1).normal(size=(3, 2)), ["a", "b"])
