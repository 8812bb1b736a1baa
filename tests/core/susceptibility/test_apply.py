import numpy as np
import pytest
from osgeo import gdal

from hazard_susceptibility.core.susceptibility.apply import apply_to_raster, match_factors
from hazard_susceptibility.core.util.errors import InputError
from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
from tests.helpers import write_raster


def _stack(tmp_path):
    rng = np.random.default_rng(0)
    t = (700000.0, 10, 0, 9500000.0, 0, -10)
    a = rng.normal(size=(700, 600))
    b = rng.normal(size=(700, 600))
    a[:10, :10] = -9999
    pa = write_raster(tmp_path / "a.tif", a, t, nodata=-9999)
    pb = write_raster(tmp_path / "b.tif", b, t)
    return [Band(pa, 1, "a"), Band(pb, 1, "b")], Grid.from_path(pa)


def predict(X):
    return 1 / (1 + np.exp(-(X[:, 0] - 0.5 * X[:, 1])))


def test_tiles_give_the_same_map_with_1_2_workers_and_dask(tmp_path):
    bands, grid = _stack(tmp_path)
    outs = {}
    with AlignedStack(bands, grid) as st:
        for w in (1, 2):
            apply_to_raster(st, predict, str(tmp_path / f"w{w}.tif"), workers=w)
            outs[w] = gdal.Open(str(tmp_path / f"w{w}.tif")).ReadAsArray()
        pytest.importorskip("distributed")
        from distributed import LocalCluster
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            apply_to_raster(st, predict, str(tmp_path / "dask.tif"), scheduler=cluster.scheduler_address)
        outs["dask"] = gdal.Open(str(tmp_path / "dask.tif")).ReadAsArray()
    np.testing.assert_array_equal(outs[1], outs[2])
    np.testing.assert_array_equal(outs[1], outs["dask"])
    assert (outs[1][:10, :10] == -9999).all() and (outs[1][20:] != -9999).all()


def test_match_factors_lists_what_is_missing():
    bands = [Band("x.tif", 1, "slope"), Band("y.tif", 1, "ndvi")]
    ordered, unused = match_factors(bands, ["ndvi", "slope"])
    assert [b.name for b in ordered] == ["ndvi", "slope"] and unused == []
    with pytest.raises(InputError, match="twi, pga"):
        match_factors(bands, ["slope", "twi", "pga"])


def test_map_model_matches_the_estimator_pixel_by_pixel_and_classes_the_map(tmp_path):
    """A model's map: the bands are matched by name whatever their order, every valid pixel is
    the estimator's probability of that pixel's values, nodata stays nodata, and the 5 classes
    count the map's pixels by the reported limits."""
    from sklearn.linear_model import LogisticRegression
    from hazard_susceptibility.core.susceptibility.apply import map_model
    from hazard_susceptibility.core.susceptibility.estimators import Encoding
    bands, grid = _stack(tmp_path)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] - 0.5 * X[:, 1] + rng.normal(0, 0.5, 300) > 0).astype(int)
    enc = Encoding.fit(X, ["a", "b"], [False, False])
    est = LogisticRegression().fit(enc.transform(X), y)
    out, cls = str(tmp_path / "p.tif"), str(tmp_path / "c.tif")
    log = []
    from hazard_susceptibility.core.susceptibility.estimators import (EstimatorSpec,
                                                                      ModelManifest)
    man = ModelManifest(kind="glm", encoding=enc, estimator=EstimatorSpec(2, [0, 1]), seed=0,
                        mode="fields")
    res = map_model(est, man, bands[::-1] + [Band(bands[0].path, 1, "extra")], out, cls,
                    break_sample=50_000, seed=2, log=log.append)
    assert log == ["Not used by the model: extra"]
    ds = gdal.Open(out)
    p = ds.ReadAsArray()
    nodata = ds.GetRasterBand(1).GetNoDataValue()
    a = gdal.Open(bands[0].path).ReadAsArray()
    b = gdal.Open(bands[1].path).ReadAsArray()
    assert p[0, 0] == nodata and res.valid_pixels == 700 * 600 - 100
    r, c = 400, 300
    want = est.predict_proba(enc.transform(np.array([[a[r, c], b[r, c]]])))[0, 1]
    assert p[r, c] == pytest.approx(want, rel=1e-5)
    classes = gdal.Open(cls).ReadAsArray()
    valid = p != nodata
    expect = np.bincount(np.searchsorted(res.limits, p[valid], side="left"), minlength=5)
    assert res.counts.tolist() == expect.tolist() == np.bincount(
        classes[valid] - 1, minlength=5).tolist()
    assert res.class_names[0] == "very low" and 0.8 < res.gvf <= 1
    assert 49_000 < res.sample_size <= 50_000  # each pixel kept with probability 50000 / n


def test_a_loaded_xgboost_model_predicts_on_one_thread_per_worker(tmp_path):
    """Loaded from a model file, XGBoost would predict on every core in every worker (two
    workers then ran four threads on two cores): the map holds it, and the fold models of the
    spread, to one thread each; the map is still the model's own probabilities."""
    pytest.importorskip("xgboost")
    from hazard_susceptibility.core.susceptibility.apply import map_model, spread_function
    from hazard_susceptibility.core.susceptibility.estimators import (
        Encoding, EstimatorSpec, ModelManifest, make_estimator, xgboost_from_json)
    bands, grid = _stack(tmp_path)
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 2))
    y = (X[:, 0] - 0.5 * X[:, 1] + rng.normal(0, 0.5, 300) > 0).astype(int)
    enc = Encoding.fit(X, ["a", "b"], [False, False])

    def loaded(seed):
        est = make_estimator("xgboost", {"n_estimators": 20, "max_depth": 3}, seed)
        raw = est.fit(enc.transform(X), y).get_booster().save_raw("json")
        return xgboost_from_json(raw, 2, "test")
    est, folds = loaded(0), [loaded(1), loaded(2)]
    assert est.n_jobs is None and folds[0].n_jobs is None  # every core, XGBoost's default
    spread = spread_function(est, "xgboost", folds)
    man = ModelManifest(kind="xgboost", encoding=enc, estimator=EstimatorSpec(2, [0, 1]), seed=0,
                        mode="fields")
    out, out_sd = str(tmp_path / "p.tif"), str(tmp_path / "sd.tif")
    map_model(est, man, bands, out, workers=2, spread=spread, spread_path=out_sd)
    assert est.n_jobs == 1 and all(m.n_jobs == 1 for m in folds)
    a, b = (gdal.Open(bd.path).ReadAsArray() for bd in bands)
    ok = a != -9999
    Xt = enc.transform(np.c_[a[ok], b[ok]])
    np.testing.assert_array_equal(gdal.Open(out).ReadAsArray()[ok],
                                  est.predict_proba(Xt)[:, 1].astype(np.float32))
    np.testing.assert_array_equal(gdal.Open(out_sd).ReadAsArray()[ok],
                                  spread(Xt).astype(np.float32))


def test_two_workers_write_the_same_maps_bit_for_bit_as_one(tmp_path):
    """'Apply susceptibility model' on 2 workers (blocks read by the calling thread, predicted
    on the workers, written in order by one writing thread) against 1 worker, on 18 blocks
    (more than the 4 in flight): the probability and spread rasters are equal bit for bit,
    and so are the valid-pixel count, the break sample, the class limits and counts."""
    pytest.importorskip("xgboost")
    from hazard_susceptibility.core.susceptibility.apply import map_model, spread_function
    from hazard_susceptibility.core.susceptibility.estimators import (
        Encoding, EstimatorSpec, ModelManifest, make_estimator)
    rng = np.random.default_rng(3)
    t = (700000.0, 10, 0, 9500000.0, 0, -10)
    a, b = rng.normal(size=(2, 700, 2600))
    a[rng.random(a.shape) < 0.05] = -9999
    bands = [Band(write_raster(tmp_path / "a.tif", a, t, nodata=-9999), 1, "a"),
             Band(write_raster(tmp_path / "b.tif", b, t), 1, "b")]
    with AlignedStack(bands, Grid.from_path(bands[0].path)) as st:
        assert len(list(st.windows())) == 18
    X = rng.normal(size=(400, 2))
    y = (X[:, 0] - 0.5 * X[:, 1] + rng.normal(0, 0.5, 400) > 0).astype(int)
    enc = Encoding.fit(X, ["a", "b"], [False, False])
    fit = [make_estimator("xgboost", {"n_estimators": 30, "max_depth": 4}, s).fit(X, y)
           for s in range(3)]
    spread = spread_function(fit[0], "xgboost", fit[1:])
    man = ModelManifest(kind="xgboost", encoding=enc, estimator=EstimatorSpec(2, [0, 1]),
                        seed=0, mode="fields")
    maps, res = {}, {}
    for w in (1, 2):
        out, sd, cls = (str(tmp_path / f"{n}{w}.tif") for n in ("p", "sd", "c"))
        res[w] = map_model(fit[0], man, bands, out, cls, workers=w, break_sample=100_000,
                           seed=5, spread=spread, spread_path=sd)
        maps[w] = [gdal.Open(p).ReadAsArray() for p in (out, sd, cls)]
    for one, two in zip(maps[1], maps[2]):
        assert one.tobytes() == two.tobytes()
    ok = a != -9999
    assert res[1].valid_pixels == res[2].valid_pixels == ok.sum()
    assert res[1].limits.tobytes() == res[2].limits.tobytes()
    assert res[1].counts.tolist() == res[2].counts.tolist()
    # and the map is the model's own prediction of each pixel
    want = fit[0].predict_proba(enc.transform(np.c_[a[ok], b[ok]]))[:, 1].astype(np.float32)
    np.testing.assert_array_equal(maps[1][0][ok], want)
