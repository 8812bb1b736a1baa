"""Reliability curve and Brier decomposition against scikit-learn and closed forms."""
import numpy as np
import pytest

from hazard_susceptibility.core.stats import metrics as mt


def test_reliability_curve_equals_scikit_learn():
    from sklearn.calibration import calibration_curve
    rng = np.random.default_rng(0)
    p = rng.beta(0.7, 0.9, 3000)
    y = (rng.random(3000) < p ** 1.5).astype(int)
    true, pred = calibration_curve(y, p, n_bins=10, strategy="uniform")
    rows = mt.reliability(y, p, 10)
    np.testing.assert_allclose([r["observed"] for r in rows], true)
    np.testing.assert_allclose([r["mean_predicted"] for r in rows], pred)
    assert sum(r["n"] for r in rows) == 3000


def test_brier_decomposition_is_exact_for_binned_forecasts():
    """Forecasts taking one value per bin: Brier = REL - RES + UNC (Murphy 1973)."""
    from sklearn.metrics import brier_score_loss
    rng = np.random.default_rng(1)
    p = rng.choice(np.arange(10) / 10 + 0.05, 2000)
    y = (rng.random(2000) < np.clip(p + 0.15, 0, 1)).astype(int)  # under-predicting
    d = mt.brier_decomposition(y, p)
    assert d["within_variance"] == pytest.approx(0, abs=1e-15)
    assert d["brier"] == pytest.approx(brier_score_loss(y, p))
    assert d["reliability"] - d["resolution"] + d["uncertainty"] == pytest.approx(d["brier"])
    # the calibration part by hand: sum over bins of n_k (p_k - o_k)^2 / N
    rel = sum(((y[p == v].mean() - v) ** 2) * (p == v).sum() for v in np.unique(p)) / 2000
    assert d["reliability"] == pytest.approx(rel)
    assert d["uncertainty"] == pytest.approx(y.mean() * (1 - y.mean()))


def test_brier_decomposition_with_continuous_forecasts_and_saturation():
    """With spread within bins the two extra terms close the identity; a calibrated model
    has a small calibration part, a saturated one (p about 0.97 where 30 % occur) a large one."""
    from sklearn.metrics import brier_score_loss
    rng = np.random.default_rng(2)
    p = rng.random(20000)
    y = (rng.random(20000) < p).astype(int)
    d = mt.brier_decomposition(y, p)
    total = d["reliability"] - d["resolution"] + d["uncertainty"] + d["within_variance"] - \
        d["within_covariance"]
    assert total == pytest.approx(brier_score_loss(y, p))
    assert d["reliability"] < 0.001
    sat = np.clip(0.97 + rng.normal(0, 0.01, 20000), 0, 1)
    ys = (rng.random(20000) < 0.3).astype(int)
    ds = mt.brier_decomposition(ys, sat)
    assert ds["reliability"] == pytest.approx((0.97 - 0.3) ** 2, abs=0.01)



def test_calibration_per_group_equals_scikit_learn_and_skips_tiny_groups():
    """The numbers behind the reports' calibration section: per group the reliability curve
    (scikit-learn's calibration_curve), the Brier score (brier_score_loss), the mean
    probability and the observed share; a group of one sample is left out."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import brier_score_loss
    rng = np.random.default_rng(3)
    p = rng.random(2000)
    y = (rng.random(2000) < p ** 2).astype(int)  # over-predicting
    out = mt.calibration({"over": (y, p), "one": ([1], [0.4])}, bins=8)
    assert list(out) == ["over"]
    curve, row = out["over"]
    true, pred = calibration_curve(y, p, n_bins=8, strategy="uniform")
    np.testing.assert_allclose([r["observed"] for r in curve], true)
    np.testing.assert_allclose([r["mean_predicted"] for r in curve], pred)
    assert row["model"] == "over" and row["n"] == 2000
    assert row["Brier"] == pytest.approx(brier_score_loss(y, p))
    assert row["mean predicted"] == pytest.approx(0.5, abs=0.02)  # E[p], p uniform
    assert row["observed share"] == pytest.approx(1 / 3, abs=0.03)  # E[p^2]

def test_reliability_diagram_sizes_markers_by_bin_count_and_hollows_small_bins(tmp_path):
    """A person reading the diagram sees how many samples stand behind each point: marker
    area grows with the bin's count, and a bin of fewer than 10 is an open circle."""
    from hazard_susceptibility.core.stats.report import calibration_section
    from hazard_susceptibility.core.util import report as rp
    seen = []

    class Report(rp.HtmlReport):
        def add_figure(self, fig, alt=""):  # what the picture holds, before it is freed
            seen.append([(c.get_offsets().copy(), c.get_sizes().copy(),
                          c.get_facecolors().copy()) for c in fig.axes[0].collections])
            return super().add_figure(fig, alt)
    rng = np.random.default_rng(0)
    p = np.r_[rng.uniform(0.0, 0.1, 200), rng.uniform(0.5, 0.6, 40), rng.uniform(0.9, 1.0, 3)]
    y = (rng.random(len(p)) < p).astype(float)
    rep = Report("t")
    calibration_section(rep, {"m": (y, p)})
    (full_xy, sizes, _), (hollow_xy, _, hollow_face) = seen[-1]
    assert len(sizes) == 2 and sizes[0] > 3 * sizes[1]  # 200 samples against 40
    assert len(hollow_xy) == 1 and hollow_xy[0][0] > 0.9  # the bin of 3
    assert tuple(hollow_face[0][:3]) == (1.0, 1.0, 1.0)
    rep.write(str(tmp_path / "r.html"))
    assert "hollow marker holds fewer than 10" in (tmp_path / "r.html").read_text()
