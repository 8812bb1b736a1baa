import numpy as np
import pytest
from osgeo import gdal, ogr

from hazard_susceptibility.core.util.errors import InputError
from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
from hazard_susceptibility.core.io.zonal import (overlap_area, rasterize_ids,
                                              slope_unit_statistics, zonal_statistics)
from tests.helpers import polygon, write_raster

X0, Y0, C = 700000.0, 9500000.0, 10.0


def _naive(values, geoms, transform):
    """Pixel-centre-in-polygon membership by brute force, then numpy mean/std."""
    rows, cols = values.shape[1:]
    out_mean, out_std, out_n = [], [], []
    for g in geoms:
        members = []
        for r in range(rows):
            for c in range(cols):
                x = transform[0] + (c + 0.5) * transform[1]
                y = transform[3] + (r + 0.5) * transform[5]
                p = ogr.Geometry(ogr.wkbPoint)
                p.AddPoint_2D(x, y)
                if g.Contains(p) and not np.isnan(values[:, r, c]).any():
                    members.append(values[:, r, c])
        m = np.array(members)
        out_n.append(len(m))
        out_mean.append(m.mean(axis=0) if len(m) else np.full(values.shape[0], np.nan))
        out_std.append(m.std(axis=0) if len(m) else np.full(values.shape[0], np.nan))
    return np.array(out_mean), np.array(out_std), np.array(out_n)


def test_zonal_equals_naive_loop(tmp_path):
    rng = np.random.default_rng(1)
    a = rng.normal(100, 15, (40, 50)).astype(np.float32)
    b = rng.gamma(2, 3, (40, 50)).astype(np.float32) + 1e4  # large offset: tests conditioning
    a[5:8, 5:9] = -1  # nodata inside the first zone
    t = (X0, C, 0, Y0, 0, -C)
    pa = write_raster(tmp_path / "a.tif", a, t, nodata=-1)
    pb = write_raster(tmp_path / "b.tif", b, t)
    geoms = [polygon([(X0 + 12, Y0 - 3), (X0 + 230, Y0 - 7), (X0 + 200, Y0 - 180),
                      (X0 + 30, Y0 - 150)]),
             polygon([(X0 + 260, Y0 - 20), (X0 + 480, Y0 - 60), (X0 + 300, Y0 - 390)]),
             polygon([(X0 + 3, Y0 - 200), (X0 + 240, Y0 - 200), (X0 + 240, Y0 - 393),
                      (X0 + 3, Y0 - 393)]),
             polygon([(X0 + 600, Y0 - 10), (X0 + 700, Y0 - 10), (X0 + 700, Y0 - 90)])]  # outside
    grid = Grid.from_path(pa)
    with AlignedStack([Band(pa, 1, "a"), Band(pb, 1, "b")], grid) as st:
        res = zonal_statistics(st, geoms)
    vals = np.stack([np.where(a == -1, np.nan, a), b]).astype(np.float64)
    m, s, n = _naive(vals, geoms, t)
    np.testing.assert_array_equal(res.count, n)
    assert n[3] == 0 and n[0] > 100
    np.testing.assert_allclose(res.mean[:3], m[:3], rtol=1e-10)
    np.testing.assert_allclose(res.std[:3], s[:3], rtol=1e-7)
    assert np.isnan(res.mean[3]).all()


@pytest.mark.parametrize("workers", [1, 3])
def test_zonal_over_many_blocks_and_strips_equals_numpy(tmp_path, workers):
    """Zones cut by block and strip edges, strips with different shifts (values drift from
    1e6 to 1e6 + 700 down the rows), nodata scattered: every strip's sums moved to one shift
    must give numpy's mean and population std over the pixels of each rasterised zone."""
    rng = np.random.default_rng(7)
    rows, cols = 700, 600
    v = (1e6 + np.arange(rows)[:, None] + rng.normal(0, 2, (rows, cols))).astype(np.float64)
    w = rng.gamma(2, 3, (rows, cols))
    w[rng.random((rows, cols)) < 0.02] = -1  # nodata in the second band only
    t = (X0, C, 0, Y0, 0, -C)
    pv = write_raster(tmp_path / "v.tif", v, t, dtype=gdal.GDT_Float64)
    pw = write_raster(tmp_path / "w.tif", w, t, nodata=-1, dtype=gdal.GDT_Float64)
    # a 6 x 7 grid of slanted quadrilaterals, each crossing block and strip boundaries
    geoms = []
    for i in range(7):
        for j in range(6):
            x, y = X0 + j * 1000 + 5, Y0 - i * 1000 - 5
            geoms.append(polygon([(x, y), (x + 990, y - 40), (x + 950, y - 990), (x + 30, y - 960)]))
    grid = Grid.from_path(pv)
    with AlignedStack([Band(pv, 1, "v"), Band(pw, 1, "w")], grid) as st:
        res = zonal_statistics(st, geoms, workers=workers)
        for _ in range(3):  # the same bits every time, whichever thread is faster
            again = zonal_statistics(st, geoms, workers=workers)
            np.testing.assert_array_equal(again.mean, res.mean)
            np.testing.assert_array_equal(again.std, res.std)
    ids_ds = rasterize_ids(geoms, grid, tmp_path / "ids.tif")
    ids = ids_ds.GetRasterBand(1).ReadAsArray()
    ids_ds = None
    ok = w != -1
    for k in range(len(geoms)):
        sel = (ids == k + 1) & ok
        assert res.count[k] == sel.sum() > 0
        for j, a in enumerate((v, w)):
            np.testing.assert_allclose(res.mean[k, j], a[sel].mean(), rtol=1e-13)
            np.testing.assert_allclose(res.std[k, j], a[sel].std(), rtol=1e-8)


def test_overlap_area_splits_landslides_exactly():
    units = [polygon([(0, 0), (100, 0), (100, 100), (0, 100)]),
             polygon([(100, 0), (200, 0), (200, 100), (100, 100)])]
    ls = [polygon([(80, 10), (130, 10), (130, 30), (80, 30)]),  # 20x20 in unit 1, 30x20 in 2
          polygon([(150, 50), (160, 50), (160, 60)])]  # triangle of 50 m2 in unit 2
    got = overlap_area(units, ls)
    np.testing.assert_allclose(got, [400.0, 600.0 + 50.0])


def test_slope_unit_statistics_columns_and_majority(tmp_path):
    t = (X0, C, 0, Y0, 0, -C)
    a = np.arange(100, dtype=np.float32).reshape(10, 10)
    cls = np.ones((10, 10), np.float32)
    cls[:, 6:] = 3
    pa = write_raster(tmp_path / "a.tif", a, t)
    pc = write_raster(tmp_path / "cls.tif", cls, t)
    units = [polygon([(X0, Y0), (X0 + 50, Y0), (X0 + 50, Y0 - 100), (X0, Y0 - 100)]),
             polygon([(X0 + 50, Y0), (X0 + 100, Y0), (X0 + 100, Y0 - 100), (X0 + 50, Y0 - 100)])]
    with AlignedStack([Band(pa, 1, "a"), Band(pc, 1, "cls", categorical=True)],
                      Grid.from_path(pa)) as st:
        cols = slope_unit_statistics(st, units, [polygon([(X0 + 40, Y0 - 10), (X0 + 60, Y0 - 10),
                                                           (X0 + 60, Y0 - 20), (X0 + 40, Y0 - 20)])])
    assert set(cols) == {"a_mean", "a_std", "cls_major", "su_area", "n_pixels", "ls_area"}
    left = a[:, :5]
    assert cols["a_mean"][0] == pytest.approx(left.mean())
    assert cols["a_std"][0] == pytest.approx(left.std())
    np.testing.assert_array_equal(cols["cls_major"], [1, 3])
    np.testing.assert_allclose(cols["su_area"], [5000, 5000])
    np.testing.assert_array_equal(cols["n_pixels"], [50, 50])
    np.testing.assert_allclose(cols["ls_area"], [100, 100])


def test_units_outside_the_rasters_are_an_error(tmp_path):
    pa = write_raster(tmp_path / "a.tif", np.ones((10, 10)), (X0, C, 0, Y0, 0, -C))
    far = [polygon([(0, 0), (10, 0), (10, 10)])]
    with AlignedStack([Band(pa, 1, "a")], Grid.from_path(pa)) as st:
        with pytest.raises(InputError, match="No slope unit overlaps"):
            slope_unit_statistics(st, far)


def test_overlapping_zones_are_refused_neighbours_are_not():
    from hazard_susceptibility.core.io.zonal import check_zones_disjoint

    def sq(x0, y0, w):
        return polygon([(x0, y0), (x0 + w, y0), (x0 + w, y0 + w), (x0, y0 + w)])
    # a 3 x 3 grid of touching squares (zones 1..9) and a square of zone 1 inside zone 1
    geoms = [sq(100 * (k % 3), 100 * (k // 3), 100) for k in range(9)] + [sq(10, 10, 50)]
    values = [str(k + 1) for k in range(9)] + ["1"]
    check_zones_disjoint(geoms, values)  # shared edges and corners, same-zone overlap: fine
    with pytest.raises(InputError, match="Zones 5 and 9 overlap") as e:
        check_zones_disjoint(geoms + [sq(150, 150, 100)], values + ["9"])
    assert e.value.input_name == "ZONES"
    # a sliver below 1e-6 of the smaller polygon's area is a digitising tolerance, not an overlap
    check_zones_disjoint([sq(0, 0, 100), sq(100 - 1e-5, 0, 100)], ["a", "b"])


def test_raster_zone_values_skip_zero_and_nodata(tmp_path):
    from hazard_susceptibility.core.io.zonal import raster_zone_values
    z = np.zeros((300, 200))
    z[:100] = 7
    z[100:150, :50] = 3
    z[-1, -1] = 255
    p = write_raster(tmp_path / "z.tif", z, (X0, C, 0, Y0, 0, -C), nodata=255,
                     dtype=gdal.GDT_Byte)
    assert raster_zone_values(p) == [3.0, 7.0]


def test_point_coordinates_of_points_polygons_and_missing_geometries():
    from hazard_susceptibility.core.io.zonal import point_coordinates
    pt = ogr.Geometry(ogr.wkbPoint)
    pt.AddPoint_2D(3.0, 4.0)
    square = polygon([(0, 0), (10, 0), (10, 10), (0, 10)])
    xy = point_coordinates([pt, None, square], centroids=True)
    assert xy.shape == (3, 2) and xy[0].tolist() == [3.0, 4.0] and xy[2].tolist() == [5.0, 5.0]
    assert np.isnan(xy[1]).all()
    assert point_coordinates([]).shape == (0, 2)
