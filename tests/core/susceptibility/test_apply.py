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
