import filecmp
import json
import os

import numpy as np
from osgeo import gdal, ogr

from hazard_susceptibility.core.io.synthetic import FACTORS, generate_study_area


def _files(folder):
    out = []
    for root, _, names in os.walk(folder):
        out += [os.path.relpath(os.path.join(root, n), folder) for n in names]
    return sorted(out)


def test_same_seed_gives_byte_identical_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate_study_area(str(a), seed=7, size=200)
    generate_study_area(str(b), seed=7, size=200)
    generate_study_area(str(c), seed=8, size=200)
    files = _files(a)
    assert files == _files(b) and len(files) >= 18
    for f in files:
        assert filecmp.cmp(a / f, b / f, shallow=False), f
    assert not filecmp.cmp(a / "dem.tif", c / "dem.tif", shallow=False)


def test_sample_area_is_realistic_and_records_its_truth(sample_area):
    folder, truth = sample_area
    on_disk = json.loads((folder / "truth.json").read_text())
    assert on_disk["landslide"]["coef_standardised"] == truth["landslide"]["coef_standardised"]
    assert set(truth["noise_factors"]).isdisjoint(truth["true_factors"]["landslide"])
    ds = gdal.Open(str(folder / "dem.tif"))
    assert (ds.RasterXSize, ds.RasterYSize) == (600, 600)
    assert ds.GetGeoTransform()[1] == 30.0
    for name in FACTORS:
        assert (folder / "factors" / f"{name}.tif").exists(), name
    # rainfall comes on a geographic grid, PGA on a coarser one
    assert "4326" in gdal.Info(str(folder / "factors" / "rainfall.tif"), format="json")[
        "coordinateSystem"]["wkt"]
    assert gdal.Open(str(folder / "factors" / "pga.tif")).GetGeoTransform()[1] == 120.0
    slope = gdal.Open(str(folder / "factors" / "slope.tif")).ReadAsArray()
    assert 10 < np.median(slope) < 35 and (slope < 3).mean() > 0.02
    su_ds = ogr.Open(str(folder / "slope_units.gpkg"))  # keep the dataset alive
    su = su_ds.GetLayer()
    assert 1500 <= su.GetFeatureCount() <= 6000
    assert truth["n_slope_units"] == su.GetFeatureCount()
    # the units tile the area exactly
    total = sum(f.GetGeometryRef().GetArea() for f in su)
    assert abs(total - 600 * 600 * 900) < 1.0
    ls_ds = ogr.Open(str(folder / "landslides.gpkg"))
    ls = ls_ds.GetLayer()
    areas = np.array([f.GetField("area_m2") for f in ls])
    assert 250 <= len(areas) <= 700
    # heavy tail: the largest landslides are far larger than the median one
    assert np.percentile(areas, 99) > 10 * np.median(areas)
    fl_ds = ogr.Open(str(folder / "floods.gpkg"))
    fl = fl_ds.GetLayer()
    assert 200 <= fl.GetFeatureCount() <= 500
    zones = gdal.Open(str(folder / "zones.tif")).ReadAsArray()
    assert set(np.unique(zones)) == {1, 2, 3, 4}


def test_floods_lie_in_low_flat_land_and_landslides_on_steep_slopes(sample_area):
    folder, _ = sample_area
    slope = gdal.Open(str(folder / "factors" / "slope.tif")).ReadAsArray()
    gt = gdal.Open(str(folder / "dem.tif")).GetGeoTransform()

    def at(layer, use_centroid=False):
        vals = []
        ds = ogr.Open(str(folder / layer))
        for f in ds.GetLayer():
            g = f.GetGeometryRef()
            x, y = (g.Centroid() if use_centroid else g).GetPoint_2D()
            vals.append(slope[int((y - gt[3]) / gt[5]), int((x - gt[0]) / gt[1])])
        return np.array(vals)

    assert np.median(at("floods.gpkg")) < np.median(slope) / 2
    assert np.median(at("landslides.gpkg", True)) > np.median(slope)
