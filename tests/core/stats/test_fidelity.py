"""Fidelity to the known truth (core.stats.fidelity), checked against independent references:
sklearn's AUC, scipy's Spearman, hand-counted seam ratios and the sample area's own
calibration (its intercept makes the true probabilities sum to the number of landslides)."""
import numpy as np
import pytest

from hazard_susceptibility.core.stats import fidelity as F
from hazard_susceptibility.core.util.errors import InputError


def test_seam_ratio_hand_made_grid():
    # two zones side by side; values jump by 3 across the border, by 1 within a zone (rows)
    v = np.array([[0.0, 1.0, 4.0, 5.0],
                  [0.0, 1.0, 4.0, 5.0]])
    z = np.array([[1, 1, 2, 2],
                  [1, 1, 2, 2]])
    # horizontal pairs: within |1| x 4, across |3| x 2; vertical pairs: within 0 x 4
    within = (4 * 1 + 4 * 0) / 8
    across = 3.0
    assert F.seam_ratio(v, z) == pytest.approx(across / within)
    # NaN pixels and zone 0 drop their pairs
    v2 = v.copy()
    v2[0, 2] = np.nan
    z2 = z.copy()
    z2[1, 3] = 0
    # horizontal: row0 (0,1)w=1 ; row1 (0,1)w=1, (1,4)a=3 ; row0 (1,nan) out; vertical: col0,1 w 0
    assert F.seam_ratio(v2, z2) == pytest.approx(3.0 / (2 / 4))
    assert np.isnan(F.seam_ratio(v, np.ones_like(z)))


def test_truth_scores_itself_perfectly_and_auc_is_sklearns():
    from sklearn.metrics import roc_auc_score
    from scipy.stats import spearmanr
    rng = np.random.default_rng(0)
    logit = rng.normal(-3, 1.5, (120, 150))
    zones = np.where(np.arange(150)[None, :] < 70, 1, 2) * np.ones((120, 1), int)
    truth_map = 1 / (1 + np.exp(-logit))
    r = F.fidelity(truth_map, logit, zones, n_draws=20_000, seed=7)
    assert r["spearman"] == pytest.approx(1.0)
    assert r["auc"] == pytest.approx(r["auc_truth"])
    assert r["seam"] == pytest.approx(r["seam_truth"])
    # the AUC on the same seeded draws, computed by sklearn
    noisy = logit + rng.normal(0, 1.0, logit.shape)
    r2 = F.fidelity(noisy, logit, zones, n_draws=20_000, seed=7)
    pix, y = F.bernoulli_draws(logit, np.isfinite(noisy), 20_000, 7)
    assert r2["auc"] == pytest.approx(roc_auc_score(y, noisy.ravel()[pix]), abs=1e-12)
    assert r2["auc_truth"] == pytest.approx(roc_auc_score(y, logit.ravel()[pix]), abs=1e-12)
    assert r2["n_events"] == int(y.sum())
    assert r2["spearman"] == pytest.approx(spearmanr(noisy.ravel(), logit.ravel())[0])
    assert r2["spearman"] < 0.95 and r2["auc"] < r2["auc_truth"]
    # a reversed map ranks the other way
    assert F.fidelity(-logit, logit, None, 5000)["spearman"] == pytest.approx(-1.0)


def test_bad_shapes_named():
    with pytest.raises(InputError):
        F.fidelity(np.zeros((3, 3)), np.zeros((3, 4)))
    with pytest.raises(InputError):
        F.fidelity(np.full((3, 3), np.nan), np.zeros((3, 3)))


def test_sample_area_truth_matches_its_calibration(sample_area):
    """The rebuilt probabilities sum to about the expected number of events the generator
    calibrated its intercepts on (450 landslide cells, 350 flood cells), and the factors the
    truth names carry the rank: the rebuilt landslide logit rises with slope."""
    folder, truth = sample_area
    t = F.sample_area_truth(str(folder))
    p_ls = 1 / (1 + np.exp(-t["landslide"]))
    p_fl = 1 / (1 + np.exp(-t["flood"]))
    # rainfall comes back from a WGS 84 grid and PGA from 120 m: a few % off at most
    assert np.nansum(p_ls) == pytest.approx(450, rel=0.08)
    assert np.nansum(p_fl) == pytest.approx(350, rel=0.02)
    assert np.isnan(t["landslide"]).mean() < 0.01
    assert set(np.unique(t["zones"])) == {1, 2, 3, 4}
    rows = F.fidelity_table([("truth", "flood", p_fl)], t, n_draws=50_000)
    assert rows[0]["spearman"] == pytest.approx(1.0)


def test_region_truth_scores_itself(tmp_path):
    """The bench region's truth, written as a map, scores Spearman 1 and the truth's own AUC
    and seam ratio; a map of one factor scores less."""
    from osgeo import gdal
    from hazard_susceptibility.core.io import region as R
    truth = R.generate_region(str(tmp_path), pixels=60_000, seed=3, n_landslides=300,
                              n_floods=300)
    reg = R.Region(truth["rows"], truth["cols"], truth["seed"])
    rr, cc = np.arange(reg.rows)[:, None], np.arange(reg.cols)[None, :]
    p = 1 / (1 + np.exp(-(np.asarray(reg.logit("landslide", rr, cc), float)
                          + truth["intercepts"]["landslide"])))
    p = np.where(reg.valid(rr, cc), p, -9999.0)
    slope = np.where(reg.valid(rr, cc), reg.latent("slope", rr, cc), -9999.0)
    paths = {}
    for name, a in (("truth", p), ("slope", slope)):
        paths[name] = str(tmp_path / f"{name}.tif")
        ds = gdal.GetDriverByName("GTiff").Create(paths[name], reg.cols, reg.rows, 1,
                                                  gdal.GDT_Float64)
        ds.SetGeoTransform(R.transform())
        ds.GetRasterBand(1).SetNoDataValue(-9999.0)
        ds.GetRasterBand(1).WriteArray(a)
        ds = None
    rows = {r["map"]: r for r in R.region_fidelity(
        [("truth", "landslide", paths["truth"]), ("slope", "landslide", paths["slope"])],
        str(tmp_path), n_pixels=20_000, n_draws=20_000)}
    t, s = rows["truth"], rows["slope"]
    assert t["spearman"] == pytest.approx(1.0)
    assert t["auc"] == pytest.approx(t["auc_truth"])
    assert t["seam"] == pytest.approx(t["seam_truth"])
    assert 0.3 < s["spearman"] < 0.95 and s["auc"] < t["auc"]
