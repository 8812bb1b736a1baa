"""Sampling scenarios compared, on a synthetic region whose truth is known: landslides only
where factor ``f`` is high. Absences drawn where f is low (an informed sampler) must score far
above absences that sit among the presences (labels of no use), on the same held-out presences."""
import numpy as np
import pytest

from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
from hazard_susceptibility.core.susceptibility.comparison import Scenario, compare_scenarios
from hazard_susceptibility.core.susceptibility.report import comparison_report
from hazard_susceptibility.core.util.errors import InputError
from tests.helpers import write_raster

X0, Y0, N = 700000.0, 9500000.0, 120


def _xy(rows, cols):
    return np.column_stack([X0 + (cols + 0.5) * 10, Y0 - (rows + 0.5) * 10])


def _region(tmp_path):
    rng = np.random.default_rng(0)
    f = np.tile(np.linspace(0, 1, N), (N, 1))  # rises west to east
    g = rng.random((N, N))                     # noise
    t = (X0, 10, 0, Y0, 0, -10)
    bands = [Band(write_raster(tmp_path / "f.tif", f, t), 1, "f"),
             Band(write_raster(tmp_path / "slope.tif", g, t), 1, "slope")]
    east = rng.choice(N * (N - int(0.8 * N)), 150, replace=False)  # distinct cells, f > 0.8
    pres = _xy(east // (N - int(0.8 * N)), int(0.8 * N) + east % (N - int(0.8 * N)))
    informed = _xy(rng.integers(0, N, 150), rng.integers(0, int(0.3 * N), 150))
    useless = _xy(rng.integers(0, N, 150), rng.integers(int(0.8 * N), N, 150))
    lab = np.r_[np.ones(150), np.zeros(150)].astype(int)
    return bands, [Scenario("informed", np.vstack([pres, informed]), lab),
                   Scenario("useless", np.vstack([pres, useless]), lab, slope_threshold=True)]


def test_informed_absences_beat_absences_among_the_presences(tmp_path):
    bands, scenarios = _region(tmp_path)
    with AlignedStack(bands, Grid.from_path(bands[0].path)) as stack:
        comp = compare_scenarios(stack, scenarios, "rf", {"n_estimators": 50}, holdout=0.3,
                                 slope_name="slope", seed=1, maps=str(tmp_path / "maps"))
    a, b = comp.rows
    assert (a["scenario"], b["scenario"]) == ("informed", "useless")
    assert comp.n_held == pytest.approx(0.3 * 150, abs=15)
    assert a["presences"] + comp.n_held == 150
    assert a["test presences (own)"] == comp.n_held  # both sets hold every presence
    assert a["absences"] + a["test absences (own)"] == 150
    assert abs(a["test absences (own)"] - 45) < 15  # the same share of its absences
    assert (a["factors"], b["factors"]) == (2, 1)  # slope left out of the slope-threshold set
    # the informed model ranks the held-out presences (all at f > 0.8) above random pixels
    # (the true ranking, p = f, would score 0.9 against uniform f; trees trained on f > 0.8
    # against f < 0.3 tie everything above their split near 0.55)
    assert a["AUC"] > 0.75
    # the useless one learnt nothing that separates east from west: chance or worse
    assert b["AUC"] < 0.5
    # the papers' protocol judges the informed set by its own absences (all at f < 0.3):
    # separable by construction, so it scores near 1, far above the common yardstick
    assert a["AUC (own split)"] > 0.98 and a["AUC (own split)"] > a["AUC"] + 0.05
    # SCAI falls from very low to very high for the informed scenario; shares add up to 100 %
    scai = [a[f"SCAI {n}"] for n in ("very low", "low", "moderate", "high", "very high")]
    assert scai[-1] < 1 < scai[0]
    assert sum(a[k] for k in a if k.startswith("area %")) == pytest.approx(100, abs=0.01)
    assert sorted(p.name for p in (tmp_path / "maps").iterdir()) == ["informed.tif",
                                                                       "useless.tif"]
    html = comparison_report(str(tmp_path / "c.html"), comp)
    text = open(html).read()
    assert "informed" in text and "SCAI" in text and text.count("<img") == 2
    assert "Own test split" in text and "common yardstick" in text


def test_independent_inventory_scored_as_the_maps_say(tmp_path):
    from osgeo import gdal
    from sklearn.metrics import roc_auc_score
    bands, scenarios = _region(tmp_path)
    rng = np.random.default_rng(9)
    # new presences east (f > 0.8), random absences anywhere; two repeat a sample's pixel
    ip = _xy(rng.integers(0, N, 40), rng.integers(int(0.8 * N), N, 40))
    ip[:2] = scenarios[0].xy[:2]
    ia = _xy(rng.integers(0, N, 200), rng.integers(0, N, 200))
    with AlignedStack(bands, Grid.from_path(bands[0].path)) as stack:
        comp = compare_scenarios(stack, scenarios, "rf", {"n_estimators": 30}, seed=2,
                                 maps=str(tmp_path / "maps"),
                                 independent=((ip[:, 0], ip[:, 1]), (ia[:, 0], ia[:, 1]), "t"))
    every = np.vstack([s.xy for s in scenarios])
    pix = lambda xy: set(map(tuple, np.floor((xy - [X0, Y0]) / [10, -10]).astype(int)))  # noqa
    taken = pix(every)
    pts = np.vstack([ip, ia])
    keep = np.array([next(iter(pix(p[None]))) not in taken for p in pts])
    assert not keep[:2].any() and comp.independent["left_out"][
        "in a pixel of a scenario's sample"] == (~keep).sum()
    y = np.r_[np.ones(len(ip)), np.zeros(len(ia))][keep]
    for row in comp.rows:  # each model's independent AUC is its own map's at those points
        a = gdal.Open(str(tmp_path / "maps" / f"{row['scenario']}.tif")).ReadAsArray()
        rc = np.floor((pts[keep] - [X0, Y0]) / [10, -10]).astype(int)
        p = a[rc[:, 1], rc[:, 0]]
        assert row["AUC (independent)"] == pytest.approx(roc_auc_score(y, p), abs=1e-4)
    assert comp.rows[0]["AUC (independent)"] > 0.7 > comp.rows[1]["AUC (independent)"]


def test_same_seed_same_rows_and_too_few_held_out(tmp_path, monkeypatch):
    import tempfile
    bands, scenarios = _region(tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    with AlignedStack(bands, Grid.from_path(bands[0].path)) as stack:
        r1 = compare_scenarios(stack, scenarios, "glm", holdout=0.3, seed=3).rows
        r2 = compare_scenarios(stack, scenarios, "glm", holdout=0.3, seed=3).rows
        assert r1 == r2
        assert list(scratch.iterdir()) == []  # the maps not asked for are not left behind
        with pytest.raises(InputError) as e:
            compare_scenarios(stack, scenarios, "glm", holdout=0.01, seed=3)
        assert e.value.input_name == "HOLDOUT"
        with pytest.raises(InputError):
            compare_scenarios(stack, scenarios[:1], "glm")
