import os

import numpy as np
import pytest
from osgeo import gdal

from hazard_susceptibility.core.util.errors import InputError
from hazard_susceptibility.core.io.raster import (AlignedStack, Band, Grid, iter_windows,
                                               write_stack)
from tests.helpers import srs_wkt, write_raster

X0, Y0 = 700000.0, 9500000.0


def linear(x, y):
    return 2.0 * (x - X0) + 3.0 * (Y0 - y) + 5.0


def test_bilinear_alignment_matches_hand_computed(tmp_path):
    # source: 10 m pixels holding a linear function of the pixel centre
    cols = rows = 8
    xs = X0 + (np.arange(cols) + 0.5) * 10
    ys = Y0 - (np.arange(rows) + 0.5) * 10
    src = linear(xs[None, :], ys[:, None])
    p = write_raster(tmp_path / "lin.tif", src, (X0, 10, 0, Y0, 0, -10))
    # reference: 5 m pixels shifted by 2.5 m; bilinear interpolation of a linear function is
    # exact between source centres, so every interior target equals the function itself
    grid = Grid(srs_wkt(32717), (X0 + 2.5, 5.0, 0, Y0 - 2.5, 0, -5.0), 12, 12)
    with AlignedStack([Band(p, 1, "lin")], grid) as st:
        out = st.read(grid.full_window())[0]
    tx = grid.transform[0] + (np.arange(12) + 0.5) * 5
    ty = grid.transform[3] - (np.arange(12) + 0.5) * 5
    expected = linear(tx[None, :], ty[:, None])
    inner = (slice(1, 11), slice(1, 11))  # centres at least half a source pixel from the edge
    np.testing.assert_allclose(out[inner], expected[inner], rtol=0, atol=1e-6)
    # hand check of one value: target centre (X0+10, Y0-10) -> 2*10 + 3*10 + 5
    assert out[1, 1] == pytest.approx(55.0)


def test_categorical_uses_nearest_neighbour(tmp_path):
    cls = np.array([[1, 2], [3, 4]], np.float32)
    p = write_raster(tmp_path / "cls.tif", cls, (X0, 10, 0, Y0, 0, -10))
    grid = Grid(srs_wkt(32717), (X0, 2.5, 0, Y0, 0, -2.5), 8, 8)
    with AlignedStack([Band(p, 1, "cls", categorical=True)], grid) as st:
        out = st.read(grid.full_window())[0]
    expected = np.kron(cls, np.ones((4, 4)))
    np.testing.assert_array_equal(out, expected)


def test_other_crs_is_reprojected_and_nodata_combined(tmp_path):
    # a constant raster in geographic WGS 84 covering the UTM reference grid
    geo = write_raster(tmp_path / "geo.tif", np.full((50, 50), 7.0),
                       (-79.3, 0.002, 0, -4.4, 0, -0.002), epsg=4326)
    grid = Grid(srs_wkt(32717), (690000.0, 30, 0, 9505000.0, 0, -30), 20, 20)
    a = np.arange(400, dtype=np.float32).reshape(20, 20)
    a[3, 4] = -1
    utm = write_raster(tmp_path / "utm.tif", a, grid.transform, nodata=-1)
    with AlignedStack([Band(utm, 1, "a"), Band(geo, 1, "g")], grid) as st:
        out = st.read(grid.full_window())
    assert np.isnan(out[:, 3, 4]).all()  # nodata in one band is nodata in both
    ok = ~np.isnan(out[1])
    assert ok.sum() == 399
    np.testing.assert_allclose(out[1][ok], 7.0, rtol=1e-6)


def test_windows_cover_every_pixel_once():
    grid = Grid("", (0, 1, 0, 0, 0, -1), 1000, 777)
    cover = np.zeros((777, 1000), np.int32)
    wins = list(iter_windows(grid, nbands=3, block_bytes=1000 * 8 * 3 * 10))
    assert len(wins) > 10
    for w in wins:
        cover[w.slices] += 1
    assert (cover == 1).all()


def test_write_stack_round_trip(tmp_path):
    a = np.arange(100, dtype=np.float32).reshape(10, 10)
    b = a * 2
    b[0, 0] = -5
    t = (X0, 10, 0, Y0, 0, -10)
    pa = write_raster(tmp_path / "a.tif", a, t)
    pb = write_raster(tmp_path / "b.tif", b, t, nodata=-5)
    grid = Grid.from_path(pa)
    out = tmp_path / "stack.tif"
    with AlignedStack([Band(pa, 1, "a"), Band(pb, 1, "b")], grid) as st:
        own, combined = write_stack(st, out)
    assert list(own) == [100, 99] and combined == 99
    ds = gdal.Open(str(out))
    assert [ds.GetRasterBand(i).GetDescription() for i in (1, 2)] == ["a", "b"]
    got = ds.GetRasterBand(1).ReadAsArray()
    assert got[0, 0] == ds.GetRasterBand(1).GetNoDataValue()
    np.testing.assert_array_equal(got.ravel()[1:], a.ravel()[1:])


def test_no_overlap_is_an_error_naming_the_raster(tmp_path):
    p = write_raster(tmp_path / "far.tif", np.ones((5, 5)), (100000.0, 10, 0, 200000.0, 0, -10))
    grid = Grid(srs_wkt(32717), (X0, 10, 0, Y0, 0, -10), 5, 5)
    with pytest.raises(InputError, match="far.*does not overlap"):
        AlignedStack([Band(p, 1, "far", layer_name="far")], grid)


def test_all_nodata_factor_is_an_error_and_nothing_written(tmp_path):
    t = (X0, 10, 0, Y0, 0, -10)
    pa = write_raster(tmp_path / "a.tif", np.ones((5, 5)), t)
    pb = write_raster(tmp_path / "empty.tif", np.full((5, 5), -9), t, nodata=-9)
    out = tmp_path / "stack.tif"
    with AlignedStack([Band(pa, 1, "a"), Band(pb, 1, "empty", layer_name="empty")],
                      Grid.from_path(pa)) as st:
        with pytest.raises(InputError, match="'empty'.*no valid"):
            write_stack(st, out)
    assert list(tmp_path.iterdir()) == [tmp_path / "a.tif", tmp_path / "empty.tif"] or \
        sorted(p.name for p in tmp_path.iterdir()) == ["a.tif", "empty.tif"]


def test_complex_raster_is_rejected(tmp_path):
    from hazard_susceptibility.core.io.raster import bands_of
    p = write_raster(tmp_path / "c.tif", np.ones((4, 4)), (X0, 10, 0, Y0, 0, -10),
                     dtype=gdal.GDT_CFloat32)
    with pytest.raises(InputError, match="complex"):
        bands_of(p, "c")


def test_band_min_max_skips_nodata_and_writes_no_sidecar(tmp_path):
    from hazard_susceptibility.core.io.raster import band_min_max
    path = str(tmp_path / "r.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 4, 3, 2, gdal.GDT_Float32)
    ds.SetGeoTransform((0, 1, 0, 3, 0, -1))
    a = np.arange(12, dtype=np.float32).reshape(3, 4) - 2.5
    a[0, 0] = -9999  # nodata, below every value
    for b in (1, 2):
        ds.GetRasterBand(b).SetNoDataValue(-9999)
    ds.GetRasterBand(1).WriteArray(a)
    ds.GetRasterBand(2).WriteArray(np.full((3, 4), -9999, np.float32))
    ds = None
    assert band_min_max(path, 1) == (float(a[a > -9999].min()), 8.5)
    assert band_min_max(path, 2) == (0.0, 1.0)  # no valid pixel
    assert band_min_max(path, 3) == (0.0, 1.0)  # no such band
    assert not os.path.exists(path + ".aux.xml")
