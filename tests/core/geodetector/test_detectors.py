import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hazard_susceptibility.core.geodetector import detectors as gd
from hazard_susceptibility.core.util.errors import InputError


def test_q_and_p_by_hand():
    y = np.array([1, 2, 3, 4, 5, 6], float)
    s = np.array([0, 0, 0, 1, 1, 1])
    # SST = 17.5, SSW = 2 + 2 = 4
    r = gd.factor_detector(y, s)
    assert r.q == pytest.approx(1 - 4 / 17.5)
    # lambda = [sum mu^2 - (sum sqrt(N_h) mu_h)^2 / N] / s^2 = (29 - 147/6) / 3.5
    lam = (29 - 147 / 6) / 3.5
    F = (6 - 2) / (2 - 1) * r.q / (1 - r.q)
    assert r.F == pytest.approx(F) and F == pytest.approx(13.5)
    assert r.p == pytest.approx(stats.ncf.sf(13.5, 1, 4, lam))
    assert (r.n_strata, r.n) == (2, 6)


def test_q_zero_for_relabelled_copies_and_one_for_constant_strata():
    y = np.array([1, 5, 2, 8, 1, 5, 2, 8], float)
    s = np.array([0, 0, 0, 0, 1, 1, 1, 1])  # both strata hold the same values
    assert gd.q_statistic(y, s) == pytest.approx(0.0, abs=1e-12)
    s_const = np.array([0, 1, 2, 3, 0, 1, 2, 3])  # every stratum constant
    assert gd.q_statistic(y, s_const) == pytest.approx(1.0)


def test_q_equals_one_minus_within_over_total_on_random_data():
    rng = np.random.default_rng(3)
    y = rng.normal(size=500)
    s = rng.integers(0, 6, 500)
    df = pd.DataFrame({"y": y, "s": s})
    g = df.groupby("s")["y"]
    expected = 1 - (g.count() * g.var(ddof=0)).sum() / (len(y) * y.var())
    assert gd.q_statistic(y, s) == pytest.approx(expected, rel=1e-12)


def test_interaction_with_itself_equals_own_q_and_types():
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, 400)
    b = rng.integers(0, 3, 400)
    y = a * 1.0 + b * 2.0 + (a * b) * 1.5 + rng.normal(0, 0.5, 400)
    q1, q1b, q11, _ = gd.interaction_detector(y, a, a)
    assert q11 == pytest.approx(q1) and q1b == pytest.approx(q1)
    q1, q2, q12, kind = gd.interaction_detector(y, a, b)
    assert q12 >= max(q1, q2)
    assert kind in ("bi-enhance", "nonlinear-enhance")
    assert gd.interaction_type(0.2, 0.3, 0.1) == "nonlinear-weaken"
    assert gd.interaction_type(0.2, 0.3, 0.25) == "uni-weaken"
    assert gd.interaction_type(0.2, 0.3, 0.4) == "bi-enhance"
    assert gd.interaction_type(0.2, 0.3, 0.5) == "independent"
    assert gd.interaction_type(0.2, 0.3, 0.6) == "nonlinear-enhance"


def test_risk_detector_matches_pandas_and_scipy():
    rng = np.random.default_rng(5)
    s = rng.integers(0, 4, 300)
    y = s * 0.7 + rng.normal(size=300)
    r = gd.risk_detector(y, s)
    means = pd.Series(y).groupby(s).mean()
    np.testing.assert_allclose(r.means, means.values)
    a, b, t, p, sig = r.pairs[0]
    t_ref, p_ref = stats.ttest_ind(y[s == a], y[s == b], equal_var=False)
    assert (t, p) == pytest.approx((t_ref, p_ref))
    F, pa = stats.f_oneway(*[y[s == k] for k in range(4)])
    assert (r.anova_F, r.anova_p) == pytest.approx((F, pa))


def test_ecological_detector_is_the_ratio_of_within_sums():
    rng = np.random.default_rng(2)
    a = rng.integers(0, 5, 200)
    b = rng.integers(0, 5, 200)
    y = a + rng.normal(size=200)
    def ssw(s):
        return sum(((y[s == k] - y[s == k].mean()) ** 2).sum() for k in np.unique(s))

    # b explains nothing, a explains y: b's within sum is significantly larger
    F, p, sig = gd.ecological_detector(y, b, a)
    assert F == pytest.approx(ssw(b) / ssw(a)) and F > 1
    assert p == pytest.approx(stats.f.sf(F, 199, 199)) and sig
    F2, p2, sig2 = gd.ecological_detector(y, a, b)
    assert F2 == pytest.approx(1 / F) and not sig2


def test_quantile_strata():
    x = np.arange(100, dtype=float)
    assert np.bincount(gd.quantile_strata(x, 5)).tolist() == [20, 20, 20, 20, 20]
    x[3] = np.nan
    s = gd.quantile_strata(x, 5)
    assert s[3] == -1 and s[0] == 0 and s[99] == 4
    assert np.bincount(s[s >= 0]).sum() == 99


def test_bad_input():
    with pytest.raises(InputError, match="single stratum"):
        gd.factor_detector([1.0, 2.0, 3.0], [1, 1, 1])
    with pytest.raises(InputError, match="NaN"):
        gd.factor_detector([1.0, np.nan, 3.0], [1, 2, 1])
    with pytest.raises(InputError, match="constant"):
        gd.factor_detector([1.0, 1.0, 1.0, 1.0], [1, 2, 1, 2])


# ---- tables and rasters, per zone ---------------------------------------------------------
def _synthetic(n=4000, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.random(n)               # drives y strongly, by steps
    b = rng.random(n)               # weak effect
    c = rng.integers(1, 4, n)       # categorical with an effect
    noise = rng.random(n)           # no effect
    y = 3.0 * (a > 0.5) + 0.3 * b + 0.8 * (c == 2) + rng.normal(0, 0.3, n)
    return y, np.column_stack([a, b, c, noise])


def test_run_on_a_table_ranks_the_true_drivers():
    from hazard_susceptibility.core.geodetector.run import run_chunks, table_chunks
    y, X = _synthetic()
    chunks, dropped = table_chunks(y, X)
    res, plan = run_chunks(chunks, ["a", "b", "c", "noise"], [False, False, True, False],
                           classes=4, top_n=3)
    r = res["all"]
    assert dropped == 0 and r.n == 4000
    assert [f["factor"] for f in r.factors][:2] == ["a", "c"]
    assert r.factors[-1]["factor"] == "noise" and r.factors[-1]["p"] > 0.01
    # q equals the array implementation on the same strata
    sa = gd.quantile_strata(X[:, 0], 4)
    assert r.factors[0]["q"] == pytest.approx(gd.q_statistic(y, sa), rel=1e-12)
    # interaction of a and c equals q of their overlay
    inter = {(i["factor_1"], i["factor_2"]): i for i in r.interactions}
    q12 = gd.q_statistic(y, gd.overlay(sa, X[:, 2]))
    assert inter[("a", "c")]["q12"] == pytest.approx(q12, rel=1e-12)
    assert len(r.interactions) == 3 and len(r.ecological) == 3
    # risk detector on the top factor (a): 4 strata, means rise across the 0.5 step
    risk = [x for x in r.risk if x["factor"] == "a"]
    assert len(risk) == 4 and risk[-1]["mean"] - risk[0]["mean"] > 2.5


def test_run_per_zone_equals_runs_on_each_zone():
    from hazard_susceptibility.core.geodetector.run import run_chunks, table_chunks
    y, X = _synthetic(3000, 1)
    zones = np.repeat([1.0, 2.0, 3.0], 1000)
    y[zones == 3] = y[zones == 3] * 0 + np.random.default_rng(9).normal(size=1000)
    chunks, _ = table_chunks(y, X, zones)
    res, _ = run_chunks(chunks, ["a", "b", "c", "noise"], [False, False, True, False], 4)
    assert set(res) == {"1", "2", "3"}
    for zv in (1.0, 3.0):
        sel = zones == zv
        c2, _ = table_chunks(y[sel], X[sel])
        alone, _ = run_chunks(c2, ["a", "b", "c", "noise"], [False, False, True, False], 4)
        got = {f["factor"]: f["q"] for f in res[f"{zv:g}"].factors}
        exp = {f["factor"]: f["q"] for f in alone["all"].factors}
        assert got == pytest.approx(exp, rel=1e-10)
    assert res["1"].factors[0]["q"] > 0.5 and res["3"].factors[0]["q"] < 0.05


def test_raster_run_equals_table_run(tmp_path):
    from hazard_susceptibility.core.geodetector.run import (raster_chunks, run_chunks,
                                                            table_chunks)
    from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
    from tests.helpers import write_raster
    y, X = _synthetic(300 * 300, 2)
    y[5] = np.nan
    t = (700000.0, 10, 0, 9500000.0, 0, -10)
    arrs = [y.reshape(300, 300)] + [X[:, j].reshape(300, 300) for j in range(4)]
    arrs[0] = np.where(np.isnan(arrs[0]), -9999, arrs[0])
    paths = [write_raster(tmp_path / f"{n}.tif", a, t, nodata=-9999)
             for n, a in zip(["y", "a", "b", "c", "noise"], arrs)]
    bands = [Band(p, 1, n, categorical=(n == "c")) for p, n in zip(paths, ["y", "a", "b", "c",
                                                                          "noise"])]
    with AlignedStack(bands, Grid.from_path(paths[0])) as st:
        chunks, total = raster_chunks(st, 0)
        res_r, plan = run_chunks(chunks, ["a", "b", "c", "noise"], [False, False, True, False],
                                 5)
    assert total is None and plan.total == 300 * 300 - 1
    ok = np.isfinite(y)
    c2, _ = table_chunks(y[ok], X[ok].astype(np.float32).astype(float))
    res_t, _ = run_chunks(c2, ["a", "b", "c", "noise"], [False, False, True, False], 5)
    qa = {f["factor"]: f["q"] for f in res_r["all"].factors}
    qb = {f["factor"]: f["q"] for f in res_t["all"].factors}
    assert qa == pytest.approx(qb, rel=1e-6)
    # the one-call forms the algorithm uses give the same q
    from hazard_susceptibility.core.geodetector.run import Options, detect_raster, detect_table
    res_d, n = detect_raster(bands, Grid.from_path(paths[0]), None, Options(classes=5))
    assert n == 300 * 300 - 1
    assert {f["factor"]: f["q"] for f in res_d["all"].factors} == pytest.approx(qa, rel=1e-12)
    X2 = X.astype(np.float32).astype(float)
    X2[7, 1] = np.nan
    res_e, n, dropped = detect_table(y, X2, ["a", "b", "c", "noise"], [False, False, True, False],
                                     opts=Options(classes=5))
    assert (n, dropped) == (300 * 300 - 2, 2)
    assert {f["factor"]: f["q"] for f in res_e["all"].factors} == pytest.approx(qb, rel=1e-3,
                                                                               abs=1e-5)


def test_sampling_is_seeded(tmp_path):
    from hazard_susceptibility.core.geodetector.run import raster_chunks, run_chunks
    from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
    from tests.helpers import write_raster
    y, X = _synthetic(200 * 200, 3)
    t = (700000.0, 10, 0, 9500000.0, 0, -10)
    paths = [write_raster(tmp_path / f"{i}.tif", a.reshape(200, 200), t)
             for i, a in enumerate([y, X[:, 0], X[:, 1]])]
    bands = [Band(p, 1, f"b{i}") for i, p in enumerate(paths)]

    def once(seed):
        with AlignedStack(bands, Grid.from_path(paths[0])) as st:
            chunks, _ = raster_chunks(st, 0, sample_size=5000, seed=seed)
            res, plan = run_chunks(chunks, ["a", "b"], [False, False], 5, seed=seed)
        return res["all"], plan

    r1, p1 = once(4)
    r2, _ = once(4)
    r3, _ = once(5)
    assert r1.n == 5000 and p1.total == 5000
    assert r1.factors == r2.factors and r1.factors != r3.factors


def test_natural_breaks_match_jenkspy():
    jenkspy = pytest.importorskip("jenkspy")
    from hazard_susceptibility.core.stats.breaks import classify, gvf, natural_breaks
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(0, 1, 300), rng.normal(6, 1, 200), rng.normal(12, 2, 100)])
    ours = natural_breaks(v, 4)
    ref = jenkspy.jenks_breaks(v.tolist(), n_classes=4)
    np.testing.assert_allclose(ours, ref[1:-1])
    assert 0.8 < gvf(v, classify(v, ours)) <= 1.0


def test_report_and_tables_show_what_the_run_found(tmp_path):
    """The HTML report and the CSV tables of a run per zone: one section per zone, the factor
    ranking as the run has it, zone names put back from the zone codes, every table written."""
    import csv
    from hazard_susceptibility.core.geodetector.report import write_outputs
    from hazard_susceptibility.core.geodetector.run import (categories, rename_zones,
                                                            run_chunks, table_chunks)
    y, X = _synthetic()
    names, codes = categories(["west" if i % 2 else "east" for i in range(len(y))])
    assert names == ["east", "west"] and set(codes) == {0.0, 1.0}
    res, _ = run_chunks(table_chunks(y, X, codes + 1)[0], ["a", "b", "c", "noise"],
                        [False, False, True, False], classes=4, top_n=3)
    res = rename_zones(res, names)
    assert set(res) == {"east", "west"}
    html, *tables = write_outputs(res, str(tmp_path / "g.html"), str(tmp_path / "tables"),
                                  "lsi", "quantile", 4, "", "zone")
    text = open(html).read()
    assert "GeoDetector: lsi" in text and "Zone east (zone)" in text and "Zone west" in text
    assert text.count("Risk detector: a") == 2 and text.count("<img") >= 6
    assert sorted(p.split("/")[-1] for p in tables) == sorted(
        f"{k}.csv" for k in ("factor_detector", "interaction_detector", "risk_detector",
                             "risk_tests", "anova", "ecological_detector"))
    rows = list(csv.DictReader(open(tmp_path / "tables" / "factor_detector.csv")))
    east = [r for r in rows if r["zone"] == "east"]
    assert [r["factor"] for r in east] == [f["factor"] for f in res["east"].factors]
    assert float(east[0]["q"]) == pytest.approx(res["east"].factors[0]["q"])
    assert categories([None, "x", "x"])[1][0] != categories([None])[1][0]  # NULL is NaN


def _screen(y, factors, **kw):
    """screen() over arrays: {name: integer strata}."""
    names = list(factors)
    codes = {n: gd._codes(np.asarray(s))[0] for n, s in factors.items()}
    L = {n: int(codes[n].max()) + 1 for n in names}
    shift = float(np.mean(y))
    single = {n: gd.Strata.from_arrays(y, codes[n], L[n], shift) for n in names}

    def pair(a, b):
        o = gd.overlay(codes[a], codes[b])
        return gd.Strata.from_arrays(y, o, int(o.max()) + 1, shift)
    return gd.screen(single, pair, names, **kw)


@pytest.mark.parametrize("order", [("strong", "weak"), ("weak", "strong")])
def test_the_ecological_detector_can_find_a_significant_pair_in_either_order(order):
    """screen() had passed the stronger factor (by q) as factor 1, which makes F <= 1 and the
    upper-tail p >= 0.5: it could never report significance. A factor that explains the
    response and one that does not differ significantly, whatever the order they come in;
    the F and p are those of the weaker factor's SSW over the stronger's (scipy's F law)."""
    rng = np.random.default_rng(5)
    n = 300
    strong = rng.integers(0, 4, n)
    weak = rng.integers(0, 4, n)
    y = 2.0 * strong + rng.normal(size=n)
    res = _screen(y, {k: {"strong": strong, "weak": weak}[k] for k in order}, top_n=2)
    (e,) = res.ecological
    assert e["weaker"] == "weak" and e["significant"]

    def ssw(s):
        return sum(((y[s == k] - y[s == k].mean()) ** 2).sum() for k in np.unique(s))
    assert e["F"] == pytest.approx(ssw(weak) / ssw(strong))
    assert e["p"] == pytest.approx(stats.f.sf(e["F"], n - 1, n - 1))


def test_two_equally_good_factors_are_not_significantly_different():
    rng = np.random.default_rng(6)
    n = 300
    a, b = rng.integers(0, 4, n), rng.integers(0, 4, n)
    y = a + b + rng.normal(size=n)
    (e,) = _screen(y, {"a": a, "b": b}, top_n=2).ecological
    assert not e["significant"] and e["F"] >= 1.0


def test_risk_strata_keep_the_users_codes_in_tables_and_charts():
    """A categorical factor coded 1, 2, 3, 5, 7 had been reported as strata 0..4."""
    rng = np.random.default_rng(8)
    codes = rng.choice([1, 2, 3, 5, 7], 400)
    y = codes + rng.normal(size=400)
    labels = {"lith": [f"{v:g}" for v in (1, 2, 3, 5, 7)]}
    res = _screen(y, {"lith": codes}, labels=labels, top_n=1)
    assert [r["stratum"] for r in res.risk] == ["1", "2", "3", "5", "7"]
    assert {(t["stratum_a"], t["stratum_b"]) for t in res.risk_tests} >= {("5", "7"), ("1", "7")}
    from hazard_susceptibility.core.geodetector.report import _risk_bars
    fig = _risk_bars(res.risk, "lith")
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()] == ["1", "2", "3", "5", "7"]
