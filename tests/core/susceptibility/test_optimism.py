"""The optimism caution: absences that a sampler separates from presences by construction."""
import numpy as np
import pytest

from hazard_susceptibility.core.susceptibility import training as tr


def _region(seed=0):
    """Presences in a weakly informative landscape; 'Mahalanobis-like' absences drawn only
    where factor a is far from the presences' values (separated by construction) and random
    absences anywhere: the same model scores far higher on the first."""
    rng = np.random.default_rng(seed)
    n = 400
    xy = rng.uniform(0, 10000, (3 * n, 2))
    a = rng.normal(size=3 * n)
    p = 1 / (1 + np.exp(-(0.6 * a - 1)))
    pres = np.nonzero(rng.random(3 * n) < p)[0][:150]
    far = np.nonzero(a < -1.2)[0]
    far = far[~np.isin(far, pres)][:150]
    rand = np.setdiff1d(np.arange(3 * n), pres)[:150]
    return a, xy, pres, far, rand


def test_separating_sampler_is_named_and_scored_spatially():
    a, xy, pres, far, rand = _region()
    X_sep = np.r_[a[pres], a[far]][:, None]
    y = np.r_[np.ones(len(pres)), np.zeros(len(far))]
    coords = tuple(np.r_[xy[pres], xy[far]].T)
    internal = tr.train(X_sep, y, ["a"], [False], "glm", seed=1, coords=coords)
    opt = tr.separating_check(["mahalanobis"] * len(far), X_sep, y, ["a"], [False], "glm", {},
                              coords, 1, 2000.0, 5)
    assert opt["samplers"] == {"mahalanobis": len(far)}
    # the spatial fold is a score on the same separated samples: it stays high as well
    assert opt["spatial"]["AUC"] > 0.85 and internal.test_metrics["AUC"] > 0.85
    # on random absences the same factor separates far less: the internal score flattered
    X_r = np.r_[a[pres], a[rand]][:, None]
    honest = tr.train(X_r, np.r_[np.ones(len(pres)), np.zeros(len(rand))], ["a"], [False],
                      "glm", seed=1)
    assert honest.test_metrics["AUC"] < internal.test_metrics["AUC"] - 0.15
    text = tr.describe_optimism(opt, internal.test_metrics["AUC"])
    assert f"{internal.test_metrics['AUC']:.3f}) is optimistic" in text
    assert f"AUC {opt['spatial']['AUC']:.3f}" in text and "independent inventory" in text
    internal.optimism = opt
    rows = tr.metric_rows(internal)
    assert rows[-1]["set"] == "spatial 5-fold (check)"


def test_no_caution_for_random_absences_and_too_few_blocks_said():
    a, xy, pres, far, rand = _region(1)
    X = np.r_[a[pres], a[rand]][:, None]
    y = np.r_[np.ones(len(pres)), np.zeros(len(rand))]
    coords = tuple(np.r_[xy[pres], xy[rand]].T)
    assert tr.separating_check(["random"] * len(rand), X, y, ["a"], [False], "glm", {}, coords,
                               0, 2000.0) is None
    opt = tr.separating_check(["buffer_random"] * 3 + ["random"] * (len(rand) - 3), X, y, ["a"],
                              [False], "glm", {}, coords, 0, 1e6, 5)
    assert opt["samplers"] == {"buffer_random": 3} and opt["spatial"] is None
    assert "could not be run" in tr.describe_optimism(opt, 0.7)
