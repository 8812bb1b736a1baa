"""The multi-hazard model set, its maps and their evaluation, on a synthetic region whose two
processes we know (flood driven by factor a, landslide by factor b; zone 2 has no flood)."""
import pickle

import numpy as np
import pytest
from osgeo import gdal
from scipy import stats

from hazard_susceptibility.core.multihazard import mapping as mh_map
from hazard_susceptibility.core.multihazard import evaluation as mh_eval
from hazard_susceptibility.core.multihazard import training as mh_train
from hazard_susceptibility.core.multihazard import bivariate, experts, forward, samples, uncertainty
from hazard_susceptibility.core.io.raster import Band, Grid
from hazard_susceptibility.core.util.errors import InputError
from tests.helpers import write_raster

T = (500000.0, 30.0, 0.0, 9000000.0, 0.0, -30.0)
SHAPE = (150, 160)


def _tf_or_skip():
    from hazard_susceptibility.core.util.deps import available
    if not available("tensorflow") or not available("xgboost"):
        pytest.skip("tensorflow or xgboost is not installed")


def test_masked_mvg_nll_is_the_marginal_likelihood():
    rng = np.random.default_rng(0)
    n = 30
    mu = rng.normal(size=(n, 2))
    raw = rng.normal(scale=0.4, size=(n, 3))
    y = rng.normal(size=(n, 2))
    y[:10, 1] = np.nan
    y[10:20, 0] = np.nan
    y[20:22] = np.nan
    L = uncertainty.chol_from_raw(raw, 2)
    S = L @ np.transpose(L, (0, 2, 1))
    got = uncertainty.mvg_nll(y, mu, raw)
    for i in range(n):
        o = ~np.isnan(y[i])
        if o.all():
            ref = -stats.multivariate_normal(mu[i], S[i]).logpdf(y[i])
        elif o.any():
            j = int(np.nonzero(o)[0][0])
            ref = -stats.norm(mu[i, j], np.sqrt(S[i, j, j])).logpdf(y[i, j])
        else:
            ref = 0.0
        assert got[i] == pytest.approx(ref, rel=1e-10, abs=1e-12)
    from hazard_susceptibility.core.util.deps import available
    if available("tensorflow"):
        k = np.asarray(uncertainty.keras_mvg_nll(2)(y.astype("float32"),
                                                    np.hstack([mu, raw]).astype("float32")))
        np.testing.assert_allclose(k, got, rtol=1e-4, atol=1e-5)


def test_joint_labels_read_the_other_inventory_at_presences_only():
    x = np.array([0, 50, 1000, 0, 2000, 5000.0])
    y = np.zeros(6)
    hazard = np.array(["flood", "flood", "flood", "landslide", "landslide", "landslide"])
    label = np.array([1, 0, 1, 1, 1, 0])
    Y = mh_train.joint_labels(x, y, hazard, label, radius=100)
    # flood presence at 0 has a landslide presence at 0: (1, 1); flood absence at 50: (0, ?)
    np.testing.assert_array_equal(Y[0], [1, 1])
    assert Y[1, 0] == 0 and np.isnan(Y[1, 1])
    np.testing.assert_array_equal(Y[2], [1, 0])  # no landslide within 100 m
    np.testing.assert_array_equal(Y[3], [1, 1])  # landslide presence with a flood at 0
    np.testing.assert_array_equal(Y[4], [0, 1])
    assert np.isnan(Y[5, 0]) and Y[5, 1] == 0


def test_a_synthetic_presence_is_no_evidence_for_the_other_hazard():
    """A landslide presence next to a synthetic flood presence only: flood label 0."""
    x, y = np.array([0.0, 10.0, 5000.0]), np.zeros(3)
    hazard = np.array(["flood", "landslide", "flood"])
    label = np.array([1, 1, 1])
    Y = mh_train.joint_labels(x, y, hazard, label, radius=100, augmented=[1, 0, 0])
    np.testing.assert_array_equal(Y[1], [0, 1])
    np.testing.assert_array_equal(Y[0], [1, 1])  # its own label stays; the landslide is real
    np.testing.assert_array_equal(mh_train.joint_labels(x, y, hazard, label, 100)[1], [1, 1])


def test_scores_equal_scikit_learn():
    from sklearn import metrics as skm
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 300)
    p = np.clip(0.3 * y + rng.random(300) * 0.7, 0, 1)
    s = mh_train.scores(y, p)
    pred = p >= 0.5
    assert s["auc"] == pytest.approx(skm.roc_auc_score(y, p))
    assert s["precision"] == pytest.approx(skm.precision_score(y, pred))
    assert s["recall"] == pytest.approx(skm.recall_score(y, pred))
    assert s["f1"] == pytest.approx(skm.f1_score(y, pred))
    assert s["brier"] == pytest.approx(skm.brier_score_loss(y, p))
    assert s["accuracy"] == pytest.approx(skm.accuracy_score(y, pred))


# -- a synthetic region -----------------------------------------------------------------------
def _region(tmp_path):
    rng = np.random.default_rng(7)
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    a = np.sin(r / 17.0) + 0.3 * rng.normal(size=SHAPE)
    b = np.cos(c / 13.0) + 0.3 * rng.normal(size=SHAPE)
    n = rng.normal(size=SHAPE)
    zones = np.where(c < SHAPE[1] // 2, 1, 2).astype(float)
    paths = [write_raster(tmp_path / f"{k}.tif", v, T) for k, v in
             (("a", a), ("b", b), ("noise", n))]
    zpath = write_raster(tmp_path / "zones.tif", zones, T, nodata=0, dtype=gdal.GDT_Byte)
    bands = [Band(p) for p in paths]
    # samples: flood presences where a is high, landslide presences where b is high
    rows, cols = rng.integers(0, SHAPE[0], 3000), rng.integers(0, SHAPE[1], 3000)
    X = np.column_stack([a[rows, cols], b[rows, cols], n[rows, cols]])
    hazard = np.where(rng.random(3000) < 0.5, "flood", "landslide")
    p = np.where(hazard == "flood", 1 / (1 + np.exp(-4 * (X[:, 0] - 0.3))),
                 1 / (1 + np.exp(-4 * (X[:, 1] - 0.3))))
    label = (rng.random(3000) < p).astype(int)
    zone = np.where(cols < SHAPE[1] // 2, "1", "2")
    # zone 2 holds no flood presence: its flood models must fall back to all zones
    fz2 = np.nonzero((zone == "2") & (hazard == "flood") & (label == 1))[0]
    drop = np.zeros(3000, bool)
    drop[fz2] = True
    keep = ~drop
    X, hazard, label, zone = X[keep], hazard[keep], label[keep], zone[keep]
    x = T[0] + (cols[keep] + 0.5) * T[1]
    y = T[3] + (rows[keep] + 0.5) * T[5]
    split = samples.split_three(label, np.char.add(zone, hazard), seed=3)
    return dict(bands=bands, grid=Grid.from_path(paths[0]), zpath=zpath, X=X, hazard=hazard,
                label=label, zone=zone, split=split, x=x, y=y, a=a, b=b)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    _tf_or_skip()
    tmp = tmp_path_factory.mktemp("mh")
    d = _region(tmp)
    # 12 test presences of zone 1 marked synthetic: they must not be scored
    aug = np.zeros(len(d["X"]), int)
    marked = np.nonzero((d["split"] == "test") & (d["zone"] == "1") & (d["label"] == 1) &
                        (d["hazard"] == "landslide"))[0][:12]
    aug[marked] = 1
    d["augmented"], d["marked"] = aug, marked
    res = mh_train.train(d["X"], ["a", "b", "noise"], [False] * 3, d["hazard"], d["label"],
                         d["zone"], d["split"], d["x"], d["y"], radius=30, min_samples=10,
                         seed=5, n_iter=3, ef_epochs=25, gate_epochs=30, patience=5, batch=64,
                         augmented=aug)
    path = str(tmp / "m.mhz")
    mh_train.save_bundle(path, res, seed=5)
    return d, res, path, tmp


def test_synthetic_points_in_the_test_split_are_not_scored(trained):
    d, res, path, _ = trained
    assert len(d["marked"]) == 12
    te = (d["zone"] == "1") & (d["split"] == "test") & (d["hazard"] == "landslide")
    row = next(r for r in res.metrics if r["zone"] == "1" and r["hazard"] == "landslide")
    assert row["n"] == int(te.sum()) - 12
    assert any("12 synthetic presence(s)" in n for n in res.notes)
    counts = {(r["hazard"], r["split"]): r for r in res.counts}
    assert counts[("landslide", "test")]["synthetic"] == 0
    assert counts[("landslide", "test")]["presences"] == int(
        (d["label"][(d["split"] == "test") & (d["hazard"] == "landslide")] == 1).sum()) - 12


def test_training_recovers_both_processes_and_falls_back(trained):
    d, res, path, _ = trained
    assert res.sources["2"]["lf_flood"] == "all" and res.sources["1"]["lf_flood"] == "1"
    assert res.sources["2"]["ef"] == "all" and res.sources["1"]["ef"] == "1"
    assert any("Zone 2" in n and "flood" in n for n in res.notes)
    assert any("Zone 2: its flood test samples hold one class only" in n for n in res.notes)
    assert not any(r["zone"] == "2" and r["hazard"] == "flood" for r in res.metrics)
    macro = {(r["hazard"], r["model"]): r for r in res.metrics if r["zone"] == "macro"}
    for h in mh_train.HAZARDS:
        for m in ("LF", "EF", "MOE"):
            assert macro[(h, m)]["auc"] > 0.8, (h, m, macro[(h, m)]["auc"])
    # per-zone rows average to the macro row
    z = [r["auc"] for r in res.metrics if r["hazard"] == "flood" and r["model"] == "LF"
         and r["zone"] != "macro"]
    assert macro[("flood", "LF")]["auc"] == pytest.approx(np.mean(z))


def test_bundle_round_trip_and_moe_between_the_experts(trained):
    d, res, path, _ = trained
    rows = d["X"][d["zone"] == "1"][:200]
    a = mh_train.Predictor.from_result(res).predict_zone("1", rows)
    loaded = mh_train.Predictor.from_file(path)
    import os
    # the file's bytes and its typed manifest, no model objects (they are rebuilt lazily)
    assert len(pickle.dumps(loaded)) < os.path.getsize(path) + 20_000
    b = pickle.loads(pickle.dumps(loaded)).predict_zone("1", rows)
    for k in a:
        np.testing.assert_allclose(a[k], b[k], rtol=1e-6, atol=1e-7)
    lo = np.minimum(a["p_lf"], a["p_ef"]) - 1e-6
    hi = np.maximum(a["p_lf"], a["p_ef"]) + 1e-6
    assert ((a["p_moe"] >= lo) & (a["p_moe"] <= hi)).all()
    assert ((a["w_ef"] >= 0) & (a["w_ef"] <= 1)).all()
    assert (np.abs(a["rho"]) <= 1).all() and np.isfinite(a["logdet"]).all()


def test_a_bundle_with_code_is_not_a_bundle(tmp_path):
    import zipfile
    p = tmp_path / "bad.mhz"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("manifest.json", '{"format": "something else"}')
    from hazard_susceptibility.core.util.errors import InputError
    with pytest.raises(InputError, match="format"):
        mh_train.Predictor.from_file(str(p))


def _read(p):
    return gdal.Open(p).ReadAsArray()


def test_maps_are_seamless_and_independent_of_the_workers(trained):
    d, res, path, tmp = trained
    pred = mh_train.Predictor.from_file(path)
    zone = Band(d["zpath"])
    runs = {"untiled": dict(size=1000, overlap=0, workers=1),
            "tiles1": dict(size=48, overlap=8, workers=1),
            "tiles2": dict(size=48, overlap=8, workers=2),
            "bands": dict(size=48, overlap=8, workers=2, band_px=96)}  # 2 column bands
    pytest.importorskip("distributed")
    from distributed import LocalCluster
    out = {}
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:
        runs["dask"] = dict(size=48, overlap=8, workers=1, scheduler=cluster.scheduler_address)
        for name, kw in runs.items():
            prods = {p: str(tmp / f"{name}_{p}.tif") for p in mh_map.PRODUCTS}
            s = mh_map.map_multihazard(pred, [Band(b.path) for b in d["bands"]], d["grid"],
                                       zone, {1: "1", 2: "2"}, prods,
                                       bivariate=str(tmp / f"{name}_biv.tif"), **kw)
            out[name] = ({p: _read(v) for p, v in prods.items()}, _read(
                str(tmp / f"{name}_biv.tif")), s)
    base, biv, s = out["untiled"]
    assert s["valid_pixels"] == SHAPE[0] * SHAPE[1]
    for name in ("tiles1", "tiles2", "dask", "bands"):
        maps, b2, s2 = out[name]
        for p in mh_map.PRODUCTS:  # the inverse-distance merge leaves no seam
            # float32 network
            np.testing.assert_allclose(maps[p], base[p], rtol=1e-5, atol=5e-6, err_msg=p)
        if name in ("tiles2", "dask"):
            for p in mh_map.PRODUCTS:  # same tiles, same numbers, whoever computes them
                np.testing.assert_array_equal(maps[p], out["tiles1"][0][p], err_msg=p)
            np.testing.assert_array_equal(b2, out["tiles1"][1])
    # the bivariate code is 5 * flood level + landslide level with the reported breaks
    from hazard_susceptibility.core.stats.breaks import classify
    f = classify(base["moe_flood"], s["breaks"]["flood"])
    ls = classify(base["moe_landslide"], s["breaks"]["landslide"])
    np.testing.assert_array_equal(biv, 5 * f + ls)
    assert np.bincount(biv.ravel(), minlength=25).tolist() == s["counts"]
    # the maps follow the known processes: flood with factor a, landslide with factor b
    assert stats.spearmanr(base["moe_flood"].ravel(), d["a"].ravel())[0] > 0.6
    assert stats.spearmanr(base["moe_landslide"].ravel(), d["b"].ravel())[0] > 0.6


class _Writer:
    def __init__(self, shape):
        self.out = np.full(shape, np.nan)

    def write(self, win, a):
        self.out[win.slices] = a


def test_band_merge_holds_one_tile_row_of_a_band_and_equals_the_truth():
    grid = Grid("", (0, 1, 0, 0, 0, -1), 170, 203)
    truth = np.random.default_rng(2).random((203, 170))
    size, overlap = 25, 6
    w = _Writer(truth.shape)
    plan, n = mh_map.tile_plan(grid, size, overlap, band_px=50)
    assert n == 9 * 7 and len({it[0].col for it in plan}) == 4  # bands of 2 tile columns
    m, held = None, 0
    for band, pad, sub, final in plan:
        assert sub.col >= band.col and sub.col + sub.cols <= band.col + band.cols
        if m is None or m.win is not band:
            if m is not None:
                m.flush(grid.ysize)
            m = mh_map._StripMerger(band, {"p": w})
        m.add(pad, sub, {"p": truth[sub.slices]})
        held = max(held, m.den.size)
        if final is not None:
            m.flush(final)
    m.flush(grid.ysize)
    np.testing.assert_allclose(w.out, truth, rtol=1e-6)  # maps are stored as float32
    assert held <= 50 * (size + 3 * overlap)  # one band's tile row, never the raster
    # the weights of the tiles covering a pixel are those of the whole padded tiles
    plan1, _ = mh_map.tile_plan(grid, size, overlap, band_px=10_000)
    assert all(p.cols == s.cols for _, p, s, _ in plan1)


def test_jaccard_density_and_zonal_means_by_hand(tmp_path):
    rng = np.random.default_rng(4)
    a = rng.random((60, 50))
    b = np.clip(a + rng.normal(scale=0.2, size=a.shape), 0, 1)
    pa = write_raster(tmp_path / "a.tif", a, T, nodata=-9999)
    pb = write_raster(tmp_path / "b.tif", b, T, nodata=-9999)
    rows = mh_eval.jaccard_high({"moe": {"flood": pa}, "lf": {"flood": pb}}, seed=1)
    from hazard_susceptibility.core.stats.breaks import classify, natural_breaks
    A = classify(a, natural_breaks(a.ravel(), 5, seed=1)) >= 3
    B = classify(b, natural_breaks(b.ravel(), 5, seed=1)) >= 3
    assert rows[0]["pair"] == "MOE-LF"
    assert rows[0]["jaccard"] == pytest.approx((A & B).sum() / (A | B).sum())
    # MH density: points on known cells
    codes = (np.arange(60 * 50) % 25).reshape(60, 50)
    pc = write_raster(tmp_path / "biv.tif", codes, T, nodata=255, dtype=gdal.GDT_Byte)
    r = np.array([0, 0, 1, 59, 70])  # the last is outside the raster
    c = np.array([0, 0, 3, 49, 0])
    x, y = T[0] + (c + 0.5) * T[1], T[3] + (r + 0.5) * T[5]
    dens, n_on = mh_eval.mh_density(pc, {"pts": (x, y)})
    assert n_on["pts"] == 4
    expect = np.zeros(25)
    for rr, cc in zip(r[:4], c[:4]):
        expect[codes[rr, cc]] += 25.0
    np.testing.assert_allclose(dens["pts"].ravel(), expect)
    # zonal means
    z = np.where(np.arange(50) < 20, 3, 7)[None, :].repeat(60, 0)
    pz = write_raster(tmp_path / "z.tif", z, T, nodata=0, dtype=gdal.GDT_Byte)
    out = mh_eval.zonal_means({"a": pa}, pz, {3: "west", 7: "east"})
    assert out[0]["zone"] == "west" and out[0]["mean_a"] == pytest.approx(
        a[:, :20].astype(np.float32).mean(), rel=1e-6)
    assert out[1]["pixels_a"] == 60 * 30


def test_class_shares_of_a_map_with_five_known_levels(tmp_path):
    """Five values in bands of 10 columns (20 % of the area each): the natural-breaks levels
    are those bands; 8 flood points on the highest band, 2 on the lowest, 1 off the map."""
    a = np.repeat(np.array([0.1, 0.3, 0.5, 0.7, 0.95]), 10)[None, :].repeat(60, 0)
    pa = write_raster(tmp_path / "a.tif", a, T, nodata=-9999)
    c = np.array([45] * 8 + [2, 3, 80])
    r = np.arange(11) % 60
    x, y = T[0] + (c + 0.5) * T[1], T[3] + (r + 0.5) * T[5]
    rows = mh_eval.class_shares({"moe": {"flood": pa, "landslide": pa}},
                                {"flood inventory": (x, y)}, seed=0)
    assert [r["level"] for r in rows] == list(bivariate.LEVELS)
    assert {r["hazard"] for r in rows} == {"flood"}  # no landslide inventory given: none for it
    np.testing.assert_allclose([r["area_pct"] for r in rows], [20] * 5)
    np.testing.assert_allclose([r["inventory_pct"] for r in rows], [20, 0, 0, 0, 80])
    assert rows[0]["points"] == 10


def test_evaluation_runs_the_parts_given_and_aligns_coarser_zones(tmp_path):
    """evaluate(): Jaccard only with two models of a hazard, "both inventories" only with two
    inventories, zones on a coarser grid resampled to the maps' grid, and a clear error when
    nothing can be evaluated; the report shows the parts that ran."""
    from hazard_susceptibility.core.util.errors import InputError
    rng = np.random.default_rng(5)
    a = rng.random((60, 50))
    pa = write_raster(tmp_path / "a.tif", a, T, nodata=-9999)
    pb = write_raster(tmp_path / "b.tif", 1 - a, T, nodata=-9999)
    # zones at twice the pixel size: west (code 3) is the first 10 coarse columns = 20 pixels
    zc = np.where(np.arange(25) < 10, 3, 7)[None, :].repeat(30, 0)
    pz = write_raster(tmp_path / "z.tif", zc, (T[0], 2 * T[1], 0, T[3], 0, 2 * T[5]), nodata=0,
                      dtype=gdal.GDT_Byte)
    ev = mh_eval.evaluate({"moe": {"flood": pa}}, extra={"rho": pb},
                          zones=(Band(pz, 1, "zone", True), {3: "west", 7: "east"}))
    assert ev.jaccard == [] and ev.density == {}
    assert ev.zonal_columns == ["zone", "mean_rho", "mean_moe_flood"]
    west = ev.zonal[0]
    assert west["zone"] == "west" and west["pixels_moe_flood"] == 60 * 20
    assert west["mean_moe_flood"] == pytest.approx(a[:, :20].astype(np.float32).mean(), rel=1e-6)
    ev = mh_eval.evaluate({"moe": {"flood": pa}, "lf": {"flood": pb}}, seed=1)
    assert [r["pair"] for r in ev.jaccard] == ["MOE-LF"]
    assert ev.jaccard[0]["jaccard"] == 0  # high of a is low of 1 - a
    codes = (np.arange(60 * 50) % 25).reshape(60, 50)
    pc = write_raster(tmp_path / "biv.tif", codes, T, nodata=255, dtype=gdal.GDT_Byte)
    x, y = T[0] + 0.5 * T[1] + np.zeros(2), T[3] + 0.5 * T[5] + np.zeros(2)
    one = mh_eval.evaluate({}, pc, {"flood inventory": (x, y)})
    assert list(one.density) == ["flood inventory"] and one.density["flood inventory"][0, 0] == 100
    two = mh_eval.evaluate({}, pc, {"flood inventory": (x, y), "landslide inventory": (x, y)})
    assert list(two.density) == ["flood inventory", "landslide inventory", "both inventories"]
    assert two.n_on["both inventories"] == 4
    assert len(two.density_rows()) == 75
    from hazard_susceptibility.core.multihazard.report import evaluation_report
    html = open(evaluation_report(str(tmp_path / "e.html"), two)).read()
    assert "MH density" in html and "Jaccard" not in html and "<img" in html
    assert "Densest cells (both inventories): flood VL - landslide VL 100.0 %" in html
    with pytest.raises(InputError, match="Nothing to evaluate"):
        mh_eval.evaluate({"moe": {"flood": pa}})


def test_numpy_inference_equals_keras():
    _tf_or_skip()
    rng = np.random.default_rng(9)
    ef = experts.build_early_fusion(7, 2)
    ef.set_weights([rng.normal(scale=0.3, size=w.shape).astype("float32")
                    for w in ef.get_weights()])
    Z = rng.normal(size=(500, 7)).astype("float32")
    np.testing.assert_allclose(forward.early_fusion_forward(ef.get_weights(), Z),
                               np.asarray(ef(Z, training=False)), rtol=1e-4, atol=1e-5)
    gate, weights = experts.build_gate()
    gate.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32")
                      for w in gate.get_weights()])
    z = rng.random((300, 4)).astype("float32")
    p, w = forward.gate_forward(gate.get_weights(), z)
    np.testing.assert_allclose(p, np.asarray(gate(z, training=False)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(w, np.asarray(weights(z, training=False)), rtol=1e-5,
                               atol=1e-6)


def test_area_of_applicability_per_zone_equals_brute_force(trained):
    """Each zone's DI comes from its own model set's real training rows (synthetic presences
    left out), and survives the bundle round trip."""
    d, res, path, _ = trained
    ms = res.sets["1"]
    rows, folds, w = ms.aoa
    tr = (d["zone"] == "1") & (d["split"] == "train") & (d["augmented"] == 0)
    assert len(rows) == int(tr.sum())
    X = d["X"][d["zone"] == "1"][:100]
    got = mh_train.Predictor.from_file(path).predict_zone("1", X, ("di",))
    mean, sd = rows.mean(0), rows.std(0, ddof=1)
    Z = (rows - mean) / sd * w
    n = len(Z)
    D = np.sqrt(((Z[:, None] - Z[None]) ** 2).sum(-1))
    d_bar = D.sum() / (n * (n - 1))
    Q = (ms.columns(X) - mean) / sd * w
    expect = np.sqrt(((Q[:, None] - Z[None]) ** 2).sum(-1)).min(1) / d_bar
    np.testing.assert_allclose(got["di"], expect, rtol=1e-9)
    thr = ms.applicability().threshold
    np.testing.assert_array_equal(got["aoa"], (expect <= thr).astype(float))
    # zone 2 falls back to the all-zone set: its DI is that set's
    app2 = res.sets[res.sources["2"]["ef"]].applicability()
    X2 = d["X"][d["zone"] == "2"][:50]
    got2 = mh_train.Predictor.from_result(res).predict_zone("2", X2, ("di",))
    np.testing.assert_allclose(got2["di"], app2.di(res.sets["all"].columns(X2)))


@pytest.fixture(scope="module")
def trained_shrink(trained):
    d, _, _, tmp = trained
    res = mh_train.train(d["X"], ["a", "b", "noise"], [False] * 3, d["hazard"], d["label"],
                         d["zone"], d["split"], d["x"], d["y"], radius=30, min_samples=10,
                         seed=5, n_iter=2, ef_epochs=8, gate_epochs=8, patience=3, batch=128,
                         augmented=d["augmented"], zone_mode="shrink", shrink_k=50.0)
    path = str(tmp / "shrink.mhz")
    mh_train.save_bundle(path, res, seed=5)
    return d, res, path, tmp


def test_shrinkage_mixes_zone_and_all_zone_logits_by_sample_size(trained_shrink):
    d, res, path, _ = trained_shrink
    assert mh_train.ALL in res.sets and res.sets[mh_train.ALL].gate_w is not None
    real = (d["split"] == "train") & (d["augmented"] == 0) & (d["label"] == 1)
    for z in ("1", "2"):
        for h in mh_train.HAZARDS:
            n = int((real & (d["zone"] == z) & (d["hazard"] == h)).sum())
            assert res.shrink[z][h] == pytest.approx(n / (n + 50.0))
    pred = mh_train.Predictor.from_file(path)
    rows = d["X"][d["zone"] == "1"][:300]
    got = pred.predict_zone("1", rows)
    sets, sources = pred._load()
    own = pred._predict_sources(sets, sources["1"], rows, mh_train.MODELS)
    base = pred._predict_sources(sets, {k: mh_train.ALL for k in sources["1"]}, rows,
                                 mh_train.MODELS)
    w = np.array([res.shrink["1"][h] for h in mh_train.HAZARDS])

    def logit(p):
        p = np.clip(p, 1e-7, 1 - 1e-7)
        return np.log(p) - np.log1p(-p)
    for m in ("lf", "ef", "moe"):
        want = 1 / (1 + np.exp(-(w * logit(own[f"p_{m}"]) + (1 - w) * logit(base[f"p_{m}"]))))
        np.testing.assert_allclose(got[f"p_{m}"], want, rtol=1e-6, atol=1e-9)
    np.testing.assert_array_equal(got["rho"], own["rho"])  # not a probability: its own zone's
    # paper mode writes no weights, and bad settings are named
    with pytest.raises(InputError) as e:
        mh_train.train(d["X"], ["a", "b", "noise"], [False] * 3, d["hazard"], d["label"],
                       d["zone"], d["split"], d["x"], d["y"], zone_mode="pooled")
    assert e.value.input_name == "ZONE_MODE"
    for bad in (float("nan"), -0.1, 1.0):
        with pytest.raises(InputError) as e:
            mh_train.train(d["X"], ["a", "b", "noise"], [False] * 3, d["hazard"], d["label"],
                           d["zone"], d["split"], d["x"], d["y"], ef_holdout=bad)
        assert e.value.input_name == "EF_HOLDOUT" and "validation split" in str(e.value)


def test_blending_across_zone_borders(trained_shrink):
    """Far from the border the blended map is the cut map; at the border it lies between the
    two zones' models; the map jumps less at the border; a band wider than the overlap is
    refused."""
    from hazard_susceptibility.core.stats.fidelity import seam_ratio
    d, res, path, tmp = trained_shrink
    pred = mh_train.Predictor.from_file(path)
    zone = Band(d["zpath"])
    out = {}
    for name, blend in (("cut", 0), ("blend", 4)):
        prods = {p: str(tmp / f"{name}_{p}.tif") for p in ("moe_flood", "moe_landslide", "rho")}
        mh_map.map_multihazard(pred, [Band(b.path) for b in d["bands"]], d["grid"], zone,
                               {1: "1", 2: "2"}, prods, size=1000, overlap=8, blend_px=blend)
        out[name] = {p: _read(v) for p, v in prods.items()}
    half = SHAPE[1] // 2
    far = np.r_[0:half - 4, half + 4:SHAPE[1]]
    for p in ("moe_flood", "moe_landslide", "rho"):
        np.testing.assert_allclose(out["blend"][p][:, far], out["cut"][p][:, far], rtol=1e-6)
    np.testing.assert_array_equal(out["blend"]["rho"], out["cut"]["rho"])
    # the column beside the border: between the two zones' models at those pixels
    cut, bl = out["cut"]["moe_landslide"], out["blend"]["moe_landslide"]
    Xc = np.column_stack([_read(b.path)[:, half - 1] for b in d["bands"]])
    p1 = pred.predict_zone("1", Xc)["p_moe"][:, 1]
    p2 = pred.predict_zone("2", Xc)["p_moe"][:, 1]
    np.testing.assert_allclose(cut[:, half - 1], p1, rtol=1e-5)  # zone 1's own, when cut
    w = 0.5 + 0.5 / 8  # 1 px inside zone 1: 0.5 + (1 - 0.5) / (2 x 4)
    np.testing.assert_allclose(bl[:, half - 1], w * p1 + (1 - w) * p2, rtol=1e-5)
    zones = _read(d["zpath"])
    assert seam_ratio(bl, zones) < seam_ratio(cut, zones)
    with pytest.raises(InputError) as e:
        mh_map.map_multihazard(pred, [Band(b.path) for b in d["bands"]], d["grid"], zone,
                               {1: "1", 2: "2"}, {"moe_flood": str(tmp / "x.tif")}, size=1000,
                               overlap=8, blend_px=9)
    assert e.value.input_name == "BLEND"


def test_auc_interval_brackets_the_auc_and_is_seeded():
    from sklearn.metrics import roc_auc_score
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(40, int), np.zeros(200, int)]
    p = np.r_[rng.normal(1, 1, 40), rng.normal(0, 1, 200)]
    lo, hi = mh_train.auc_interval(y, p, seed=3)
    assert lo < roc_auc_score(y, p) < hi and hi - lo < 0.3
    assert (lo, hi) == mh_train.auc_interval(y, p, seed=3)
    assert np.isnan(mh_train.auc_interval(np.zeros(5), np.arange(5))[0])


def test_zone_aucs_carry_intervals_and_few_presences_warn(trained):
    d, res, _, _ = trained
    rows = [r for r in res.metrics if r["zone"] != "macro"]
    assert all(r["auc_low"] <= r["auc"] <= r["auc_high"] for r in rows)
    for r in rows:
        warned = any(f"Zone {r['zone']}: its {r['hazard']} test split holds "
                     f"{r['presences']} presence" in n for n in res.notes)
        assert warned == (r["presences"] < mh_train.MIN_TEST_PRESENCES)


def test_heldout_scores_against_random_background(tmp_path):
    from hazard_susceptibility.core.multihazard.evaluation import heldout_scores
    vals = np.tile(np.arange(100, dtype=float), (50, 1))  # rises eastwards
    good = write_raster(tmp_path / "good.tif", vals, T)
    bad = write_raster(tmp_path / "bad.tif", -vals, T)
    # held-out presences in the 10 easternmost columns
    rng = np.random.default_rng(1)
    c, r = rng.integers(90, 100, 40), rng.integers(0, 50, 40)
    x, y = T[0] + (c + 0.5) * T[1], T[3] + (r + 0.5) * T[5]
    rows = heldout_scores({"moe": {"flood": good}, "lf": {"flood": bad}}, {"flood": (x, y)},
                          n_background=2000, seed=2)
    by = {r_["model"]: r_ for r_ in rows}
    assert by["moe"]["presences"] == 40 and by["moe"]["background"] == 2000
    # the background is uniform: AUC = mean share of background below a presence's value
    assert by["moe"]["auc"] == pytest.approx(0.95, abs=0.02)
    assert by["lf"]["auc"] == pytest.approx(1 - by["moe"]["auc"], abs=1e-9)
    assert by["moe"]["auc_low"] < by["moe"]["auc"] < by["moe"]["auc_high"]


def _overlapping_tiles(pred, bands, grid, zone, zone_names, products, size, overlap, blend,
                       band_px):
    """The maps as they were made before each pixel was predicted once: every tile predicted
    on its whole padded window (clipped to its column band) and the overlaps merged by
    inverse-distance weights (mapping.tile_plan, predict_tile, _StripMerger.add)."""
    from hazard_susceptibility.core.io.raster import AlignedStack
    zb = Band(zone.path, 1, "__zone__", True)
    writers = {p: _Writer(SHAPE) for p in products}
    plan, _ = mh_map.tile_plan(grid, size, overlap, band_px)
    with AlignedStack(list(bands) + [zb], grid) as st:
        m = None
        for band, pad, sub, final in plan:
            if m is None or m.win is not band:
                if m is not None:
                    m.flush(grid.ysize)
                m = mh_map._StripMerger(band, writers)
            m.add(pad, sub, mh_map.predict_tile(st, sub, pred, zone_names, products, blend))
            if final is not None:
                m.flush(final)
        m.flush(grid.ysize)
    return {p: w.out.astype(np.float32) for p, w in writers.items()}


def _read_nan(p):
    ds = gdal.Open(p)
    a = ds.ReadAsArray().astype(np.float32)
    nd = ds.GetRasterBand(1).GetNoDataValue()
    if nd is not None:
        a[a == nd] = np.nan
    return a


def test_each_pixel_predicted_once_gives_the_overlapping_tiles_maps(trained_shrink):
    """A wavy zone border crossing tiles, their overlaps and column bands: predicting each
    pixel once (and blending as each overlapping tile did in its own window) writes the maps
    of the overlapping tiles; in float64 the same bits, with the float32 loops within 1e-5."""
    d, res, path, tmp = trained_shrink
    r, c = np.mgrid[0:SHAPE[0], 0:SHAPE[1]]
    zones = np.where(c > 80 + 12 * np.sin(r / 9.0), 2, 1).astype(float)
    zones[60:70, 20:30] = 2  # an island of zone 2 and a hole without zone
    zones[100:104, 100:140] = 0
    zpath = write_raster(tmp / "wavy_zones.tif", zones, T, nodata=0, dtype=gdal.GDT_Byte)
    bands = [Band(b.path) for b in d["bands"]]
    names = {1: "1", 2: "2"}
    products = list(mh_map.PRODUCTS)
    kw = dict(size=40, overlap=8, band_px=80)
    for blend in (0, 6):
        ref = mh_train.Predictor.from_file(path)
        ref.fast = False
        old = _overlapping_tiles(ref, bands, d["grid"], Band(zpath), names, products, 40, 8,
                                 blend, 80)
        for fast in (False, True):
            pred = mh_train.Predictor.from_file(path)
            pred.fast = fast
            outs = {p: str(tmp / f"once_{blend}_{fast}_{p}.tif") for p in products}
            mh_map.map_multihazard(pred, bands, d["grid"], Band(zpath), names, outs,
                                   blend_px=blend, **kw)
            for p in products:
                got = _read_nan(outs[p])
                np.testing.assert_array_equal(np.isnan(got), np.isnan(old[p]), err_msg=p)
                if fast:
                    np.testing.assert_allclose(got, old[p], rtol=0, atol=1e-5, err_msg=p)
                else:
                    np.testing.assert_array_equal(got, old[p], err_msg=p)
    # the blend reached across the wavy border (else the test would not test it)
    assert not np.allclose(_read_nan(str(tmp / "once_6_False_moe_flood.tif")),
                           _read_nan(str(tmp / "once_0_False_moe_flood.tif")), equal_nan=True)


def test_compiled_trees_write_the_same_maps_bit_for_bit(trained_shrink, monkeypatch):
    """The maps with the bundle's XGBoost models in core.multihazard.trees' loops equal, bit
    for bit, the maps with XGBoost's own prediction (both with the float32 networks)."""
    pytest.importorskip("numba")
    from hazard_susceptibility.core.multihazard import trees
    d, res, path, tmp = trained_shrink
    bands = [Band(b.path) for b in d["bands"]]
    products = list(mh_map.PRODUCTS)
    maps = {}
    for compiled in (False, True):
        pred = mh_train.Predictor.from_file(path)
        pred.fast = True
        if not compiled:
            monkeypatch.setattr(trees, "compiled", lambda est, seed=0: est)
        else:
            monkeypatch.undo()
        outs = {p: str(tmp / f"trees_{compiled}_{p}.tif") for p in products}
        mh_map.map_multihazard(pred, bands, d["grid"], Band(d["zpath"]), {1: "1", 2: "2"}, outs,
                               size=40, overlap=8, workers=2, blend_px=4)
        maps[compiled] = {p: _read_nan(outs[p]) for p in products}
        kinds = {type(est) for ms in pred._load()[0].values() for est in ms.lf.values()}
        assert (trees.CompiledTrees in kinds) == compiled
    for p in products:
        np.testing.assert_array_equal(maps[True][p], maps[False][p], err_msg=p)
