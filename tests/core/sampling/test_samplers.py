import numpy as np
import pytest
from scipy import stats
from scipy.spatial import distance

from hazard_susceptibility.core.sampling import samplers as smp
from hazard_susceptibility.core.util.errors import InputError
from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
from tests.helpers import write_raster

X0, Y0 = 700000.0, 9500000.0


@pytest.fixture()
def stack(tmp_path):
    rng = np.random.default_rng(0)
    a = rng.normal(10, 2, (60, 80))
    b = a * 0.5 + rng.normal(0, 1, (60, 80))
    slope = np.abs(rng.normal(8, 6, (60, 80)))
    a[0:3, 0:4] = -9999  # nodata
    t = (X0, 10, 0, Y0, 0, -10)
    paths = [write_raster(tmp_path / f"{n}.tif", v, t, nodata=-9999)
             for n, v in (("a", a), ("b", b), ("slope", slope))]
    st = AlignedStack([Band(p, 1, n) for p, n in zip(paths, ["a", "b", "slope"])],
                      Grid.from_path(paths[0]))
    yield st
    st.close()


def _presences(stack, n=40, seed=1):
    rng = np.random.default_rng(seed)
    x = X0 + rng.uniform(0, 800, n)
    y = Y0 - rng.uniform(0, 600, n)
    return smp.locate_presences(stack, x, y)


def test_d2_equals_scipy_mahalanobis_squared():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 4)) @ rng.normal(size=(4, 4))
    m = smp.mahalanobis_model(X, list("abcd"))
    Y = rng.normal(size=(50, 4))
    ref = np.array([distance.mahalanobis(y, X.mean(0), np.linalg.inv(np.cov(X.T))) ** 2
                    for y in Y])
    np.testing.assert_allclose(smp.mahalanobis_d2(m, Y), ref, rtol=1e-10)
    block = Y.T.reshape(4, 5, 10)
    np.testing.assert_allclose(smp.mahalanobis_d2(m, block).ravel(), ref, rtol=1e-10)


def test_critical_value_as_published():
    X = np.random.default_rng(0).normal(size=(100, 15))
    m = smp.mahalanobis_model(X, [f"f{i}" for i in range(15)], alpha=0.05, dof="p-1")
    assert m.dof == 14 and m.critical == pytest.approx(23.68, abs=0.005)
    m2 = smp.mahalanobis_model(X, [f"f{i}" for i in range(15)], dof="p")
    assert m2.critical == pytest.approx(stats.chi2.ppf(0.95, 15))


def test_singular_covariance_names_the_collinear_factors():
    rng = np.random.default_rng(0)
    a = rng.normal(size=100)
    X = np.column_stack([a, 2 * a + 1, rng.normal(size=100)])
    with pytest.raises(InputError, match="elev.*twice|twice.*elev"):
        smp.mahalanobis_model(X, ["elev", "twice", "other"])
    m = smp.mahalanobis_model(X, ["elev", "twice", "other"], allow_pinv=True)
    assert m.pseudo_inverse
    with pytest.raises(InputError, match="3 presences for 3 factors"):
        smp.mahalanobis_model(X[:3], ["elev", "twice", "other"])


def test_draw_respects_every_constraint_and_is_seeded(stack):
    pres = _presences(stack)
    model = smp.mahalanobis_model(pres.values[:, :2], ["a", "b"])

    def outside(win, data):
        return smp.mahalanobis_d2(model, data[:2]) > model.critical

    adm = smp.Admissible(stack, pres, min_distance=25.0, constraint=outside)
    x, y, flat = smp.draw(adm, 30, np.random.default_rng(7))
    assert len(np.unique(flat)) == 30  # one per pixel
    vals = smp.sample_at(stack, x, y)
    assert not np.isnan(vals).any()  # never on nodata
    assert (smp.mahalanobis_d2(model, vals[:, :2]) > model.critical).all()
    assert not np.isin(flat, pres.flat).any()  # never on a presence pixel
    d = np.hypot(x[:, None] - pres.x[None], y[:, None] - pres.y[None]).min(axis=1)
    assert (d >= 25.0).all()
    x2, y2, _ = smp.draw(adm, 30, np.random.default_rng(7))
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)


def test_slope_threshold_and_too_many_requested(stack):
    pres = _presences(stack)
    adm = smp.Admissible(stack, pres, 0, lambda w, d: d[2] < 3.0)
    x, y, _ = smp.draw(adm, 50, np.random.default_rng(1))
    assert (smp.sample_at(stack, x, y)[:, 2] < 3.0).all()
    total = sum(int(adm.mask(w).sum()) for w in stack.windows())
    with pytest.raises(InputError, match=f"Only {total} admissible pixels"):
        smp.draw(adm, total + 1, np.random.default_rng(1))


def test_presences_outside_or_on_nodata_are_dropped(stack):
    p = smp.locate_presences(stack, [X0 + 5, X0 + 500, X0 - 50], [Y0 - 5, Y0 - 300, Y0 - 5])
    assert (len(p), p.dropped_outside, p.dropped_nodata) == (1, 1, 1)


def test_counts_ratios_and_split():
    assert smp.absence_count(40, ratio=4.23) == 169
    assert smp.absence_count(40, count=7) == 7
    assert smp.parse_ratios("1:1, 1:5,1:200") == [1.0, 5.0, 200.0]
    with pytest.raises(InputError, match="1:x"):
        smp.parse_ratios("1:x")
    labels = np.array([1] * 40 + [0] * 200)
    split = smp.stratified_split(labels, 0.3, np.random.default_rng(0))
    assert (split[labels == 1] == "test").sum() == 12
    assert (split[labels == 0] == "test").sum() == 60


def test_kde_points_keep_their_spacing(stack):
    pres = _presences(stack, 30)
    x, y = smp.kde_augment(stack, pres, 25, np.random.default_rng(2), spacing=30.0)
    allx = np.concatenate([pres.x, x])
    ally = np.concatenate([pres.y, y])
    d = np.hypot(x[:, None] - allx[None], y[:, None] - ally[None])
    d[np.arange(25), len(pres.x) + np.arange(25)] = np.inf
    assert d.min() >= 30.0 and len(x) == 25


def test_ocsvm_keeps_only_outliers_far_from_presences(stack):
    pytest.importorskip("sklearn")
    rng = np.random.default_rng(4)
    x = X0 + rng.uniform(100, 300, 40)  # a cluster in one corner
    y = Y0 - rng.uniform(100, 250, 40)
    pres = smp.locate_presences(stack, x, y)
    ax, ay, _, svm, (mu, sd) = smp.ocsvm_absences(stack, pres, 60, np.random.default_rng(5),
                                                   min_distance=50.0)
    assert len(ax) == 60
    assert (svm.predict((np.column_stack([ax, ay]) - mu) / sd) == -1).all()
    d = np.hypot(ax[:, None] - pres.x[None], ay[:, None] - pres.y[None]).min(axis=1)
    assert (d >= 50.0).all()


def test_shap_threshold_of_a_step():
    rng = np.random.default_rng(0)
    v = rng.uniform(0, 1, 4000)
    s = np.where(v < 0.45, 0.8, -0.5) + rng.normal(0, 0.05, 4000)
    t, side, centres, means = smp.shap_threshold(v, s, bins=20)
    assert side == "below" and abs(t - 0.45) < 0.05


def test_every_sign_change_is_reported_and_the_largest_jump_taken():
    """Curve +0.2 | -0.1 | +1.0 | -1.0 over four value ranges: three sign changes at known
    places (bin means of constant pieces cross between adjacent bin centres), the step
    (jump 2.0) at the third."""
    v = np.repeat(np.arange(8) + 0.5, 100)  # 8 equal bins, centres 0.5 .. 7.5
    level = np.array([0.2, 0.2, -0.1, -0.1, 1.0, 1.0, -1.0, -1.0])
    s = level[np.repeat(np.arange(8), 100)]
    t, side, centres, means = smp.shap_threshold(v, s, bins=8)
    rows = smp.shap_crossings(centres, means)
    assert [r["prone"] for r in rows] == ["below", "above", "below"]
    expected = [1.5 + 0.2 / 0.3, 3.5 + 0.1 / 1.1, 6.0]  # zero of the line between centres
    np.testing.assert_allclose([r["value"] for r in rows], expected)
    np.testing.assert_allclose([r["jump"] for r in rows], [0.3, 1.1, 2.0])
    assert t == pytest.approx(6.0) and side == "below"


def test_shap_threshold_recovers_the_generators_ndvi_step(sample_area):
    """The generator raises the landslide logit by 1.2 where NDVI < 0.45 at the initiation
    points. With 20 quantile bins of NDVI (about 0.03 wide around 0.45 here), the interpolated
    sign change should fall within about one bin of the step, plus the sampling noise of a few
    hundred presences: tolerance 0.05."""
    pytest.importorskip("xgboost")
    from osgeo import ogr

    from hazard_susceptibility.core.io.raster import bands_of
    folder, truth = sample_area
    names = ["ndvi", "slope", "pga", "rainfall", "plan_curv", "lithology"]
    bands = [b for n in names for b in bands_of(str(folder / "factors" / f"{n}.tif"),
                                                categorical=(n == "lithology"))]
    with AlignedStack(bands, Grid.from_path(str(folder / "dem.tif"))) as st:
        # the initiation points, where the generator's process acted
        ds = ogr.Open(str(folder / "landslide_points.gpkg"))
        pts = np.array([f.GetGeometryRef().GetPoint_2D() for f in ds.GetLayer()])
        pres = smp.locate_presences(st, pts[:, 0], pts[:, 1])
        rng = np.random.default_rng(0)
        ax, ay, _ = smp.draw(smp.Admissible(st, pres), len(pres), rng)
        absv = smp.sample_at(st, ax, ay)
    X = np.vstack([pres.values, absv])
    y = np.r_[np.ones(len(pres)), np.zeros(len(absv))]
    s = smp.shap_dependence(X, y, 0, seed=0)
    t, side, _, _ = smp.shap_threshold(X[:, 0], s, bins=20)
    assert side == "below"
    assert abs(t - truth["landslide"]["ndvi_step"]["threshold"]) < 0.05, t


def test_mahalanobis_rasters_match_scipy_and_a_failed_draw_leaves_nothing(stack, tmp_path):
    from osgeo import gdal
    from hazard_susceptibility.core.sampling.mahalanobis import D2_BINS, mahalanobis_absences
    from hazard_susceptibility.core.sampling.report import mahalanobis_report
    pres = _presences(stack)
    model = smp.mahalanobis_model(pres.values[:, :2], ["a", "b"])
    d2p, mkp = str(tmp_path / "d2.tif"), str(tmp_path / "mask.tif")
    res = mahalanobis_absences(stack, pres, [0, 1], model, 25, np.random.default_rng(3), d2p,
                               mkp, min_distance=20.0)
    ds = gdal.Open(d2p)
    d2 = ds.ReadAsArray()
    nodata = ds.GetRasterBand(1).GetNoDataValue()
    d2[d2 == nodata] = np.nan
    mask = gdal.Open(mkp).ReadAsArray()
    vals = np.stack([stack.read(w) for w in stack.windows()][0])  # one window: whole grid
    X = pres.values[:, :2]
    vi = np.linalg.inv(np.cov(X.T))
    r, c = 30, 50
    assert d2[r, c] == pytest.approx(distance.mahalanobis(vals[:2, r, c], X.mean(0), vi) ** 2,
                                     rel=1e-5)
    assert model.critical == pytest.approx(stats.chi2.ppf(0.95, 1))  # dof p - 1
    assert mask[0, 0] == 255 and np.isnan(d2[0, 0])  # nodata stays nodata
    assert ((mask == 1) == (np.nan_to_num(d2) > model.critical)).all()
    assert res.n_valid == 60 * 80 - 12 and res.n_admissible == int((mask == 1).sum())
    assert res.hist.sum() == res.n_valid and len(res.hist) == len(D2_BINS) - 1
    rows = ((Y0 - res.y) // 10).astype(int)
    cols = ((res.x - X0) // 10).astype(int)
    assert len(res.x) == 25 and (mask[rows, cols] == 1).all()
    html = open(mahalanobis_report(str(tmp_path / "m.html"), model, res, len(pres))).read()
    assert "<img" in html and "Presence statistics" in html and "25" in html
    # asking for more than the admissible pixels: an error, and neither raster written
    d2q, mkq = str(tmp_path / "d2b.tif"), str(tmp_path / "maskb.tif")
    with pytest.raises(InputError, match="admissible pixels"):
        mahalanobis_absences(stack, pres, [0, 1], model, 10 ** 6, np.random.default_rng(3),
                             d2q, mkq)
    assert not (tmp_path / "d2b.tif").exists() and not (tmp_path / "maskb.tif").exists()


def test_threshold_correction_moves_absences_off_the_prone_side(tmp_path):
    """Presences only where factor f > 0.7 (the truth): the SHAP-derived threshold falls
    between the presences' and most absences' values, the prone side is 'above', and after the
    correction no absence is above the threshold while the kept ones stay where they were."""
    from hazard_susceptibility.core.sampling.report import threshold_report
    from hazard_susceptibility.core.sampling.threshold import threshold_correction
    rng = np.random.default_rng(0)
    f = np.tile(np.linspace(0, 1, 100), (80, 1))
    g = rng.random((80, 100))
    t = (X0, 10, 0, Y0, 0, -10)
    paths = [write_raster(tmp_path / "f.tif", f, t), write_raster(tmp_path / "g.tif", g, t)]
    with AlignedStack([Band(paths[0], 1, "f"), Band(paths[1], 1, "g")],
                      Grid.from_path(paths[0])) as st:
        cells = rng.choice(80 * 30, 60, replace=False)
        px = X0 + (70 + cells % 30 + 0.5) * 10
        py = Y0 - (cells // 30 + 0.5) * 10
        pres = smp.locate_presences(st, px, py)
        res = threshold_correction(st, pres, 0, np.random.default_rng(1), seed=1, count=60,
                                   min_distance=15)
        assert res.derived and res.side == "above" and res.factor == "f"
        assert 0.3 < res.threshold < 0.75
        vals = smp.sample_at(st, res.x, res.y)[:, 0]
        assert len(res.x) == 60 and (vals <= res.threshold).all()
        assert 0 < res.replaced < 60
        # a given threshold and side: no model, exactly the absences above it replaced
        start = (res.x, res.y)
        fixed = threshold_correction(st, pres, 0, np.random.default_rng(2), threshold=0.2,
                                     side="above", start_xy=start)
        assert fixed.curve is None and not fixed.derived
        assert fixed.replaced == int((vals > 0.2).sum())
        after = smp.sample_at(st, fixed.x, fixed.y)[:, 0]
        assert (after <= 0.2).all() and len(np.unique(np.round(fixed.x + 1e3 * fixed.y))) == 60
        html = open(threshold_report(str(tmp_path / "t.html"), res)).read()
        assert "SHAP dependence" in html and "<img" in html
        with pytest.raises(InputError):
            threshold_correction(st, pres, 0, rng, side="left", count=5)


def test_the_d2_histogram_axis_spans_the_filled_bins():
    """Its log axis had started at 1e-17 (a bar from 0): it now spans the filled bins and the
    critical value."""
    from hazard_susceptibility.core.sampling.mahalanobis import D2_BINS
    from hazard_susceptibility.core.sampling.report import d2_histogram
    hist = np.zeros(len(D2_BINS) - 1, np.int64)
    hist[[0, 40, 90]] = [5, 100, 7]  # the first bin (from 0), ~1, ~100
    fig = d2_histogram(hist, 7.81)
    lo, hi = fig.axes[0].get_xlim()
    assert D2_BINS[1] / 2 * 0.5 < lo <= D2_BINS[1] / 2 * 1.01 and D2_BINS[91] <= hi < 2e3
    fig = d2_histogram(np.where(np.arange(len(hist)) == 60, 3, 0), 7.81)
    lo, hi = fig.axes[0].get_xlim()
    assert lo >= 1.0 and hi <= 100.0  # the critical value and the filled bin, nothing more


def test_spacing_grid_accepts_what_the_all_pairs_greedy_accepts():
    """The cell hash that keeps KDE points apart decides as the check against every accepted
    point does (brute force), point by point, including spacings off the cell lattice."""
    rng = np.random.default_rng(8)
    pts = rng.uniform(-500, 500, (3000, 2))
    for spacing in (0.0, 7.3, 30.0, 95.0):
        g = smp._SpacingGrid(spacing)
        acc_grid, acc_all = [], np.empty((0, 2))
        for p in pts:
            if not g.near(*p):
                g.add(*p)
                acc_grid.append(p)
            if not (len(acc_all) and np.min(np.hypot(*(acc_all - p).T)) < spacing):
                acc_all = np.vstack([acc_all, p])
        np.testing.assert_array_equal(np.array(acc_grid), acc_all)


def test_ocsvm_disk_exclusion_equals_a_tree_query(stack):
    """The minimum distance to presences, marked disk by disk, clears exactly the pixels whose
    centre a k-d tree (scipy) finds closer than the distance."""
    from scipy.spatial import cKDTree
    pres = _presences(stack, 40)
    adm = smp.Admissible(stack, pres, 47.5)
    plain = smp.Admissible(stack)
    tree = cKDTree(np.column_stack([pres.x, pres.y]))
    for win in stack.windows():
        ok, base = adm.mask(win), plain.mask(win)
        xs, ys = stack.grid.pixel_centers(win)
        d, _ = tree.query(np.column_stack([np.tile(xs, len(ys)), np.repeat(ys, len(xs))]))
        far = (d >= 47.5).reshape(len(ys), len(xs))
        flat = (np.arange(win.row, win.row + win.rows)[:, None] * stack.grid.xsize +
                np.arange(win.col, win.col + win.cols)[None, :])
        np.testing.assert_array_equal(ok, base & far & ~np.isin(flat, pres.flat))


def test_draw_gives_the_same_pixels_whether_its_masks_are_kept_or_read_again(stack,
                                                                             monkeypatch):
    """The masks kept between the counting and the picking pass (one bit per pixel, up to a
    budget) change no pick: all kept, none kept, or only some of the blocks."""
    from hazard_susceptibility.core.io.raster import Window
    monkeypatch.setattr(stack, "windows", lambda *a, **k: iter(
        [Window(r, 0, 15, 80) for r in range(0, 60, 15)]))  # 4 blocks of 150 bytes of bits
    pres = _presences(stack, 20)
    runs = []
    for budget in (smp.DRAW_MASK_BYTES, 0, 600):
        monkeypatch.setattr(smp, "DRAW_MASK_BYTES", budget)
        runs.append(smp.draw(smp.Admissible(stack, pres, 40.0), 300,
                             np.random.default_rng(11)))
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)
    assert len(set(runs[0][2].tolist())) == 300
