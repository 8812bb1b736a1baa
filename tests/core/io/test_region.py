"""The synthetic region of any size (core.io.region, used by bench/bench_region.py): written
block by block, it must be the same fields as computed at points, seeded, and its inventories
must follow the processes it declares."""
import json
import os

import numpy as np
import pytest
from osgeo import gdal, ogr

from hazard_susceptibility.core.io import region as R


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    folder = str(tmp_path_factory.mktemp("region"))
    truth = R.generate_region(folder, 300_000, seed=3, n_landslides=600, n_floods=500,
                              block_rows=37)  # blocks that do not divide the lattices
    return folder, truth


def _read(path):
    ds = gdal.Open(path)
    b = ds.GetRasterBand(1)
    return b.ReadAsArray(), b.GetNoDataValue()


def _points(path):
    ds = ogr.Open(path)
    xy = np.array([f.GetGeometryRef().GetPoint_2D() for f in ds.GetLayer(0)])
    ds = None
    return xy


def test_rasters_are_the_fields_at_every_pixel(small):
    folder, truth = small
    rows, cols = truth["rows"], truth["cols"]
    assert rows * cols == pytest.approx(300_000, rel=0.01) and cols == pytest.approx(2 * rows, abs=2)
    reg = R.Region(rows, cols, 3)
    rng = np.random.default_rng(0)
    r, c = rng.integers(0, rows, 2000), rng.integers(0, cols, 2000)
    valid = reg.valid(r, c)
    assert 0.6 < valid.mean() < 0.98  # an irregular outline, most of the grid inside
    for name in ("elevation", "slope", "lithology", "temperature"):
        a, nodata = _read(os.path.join(folder, "factors", name + ".tif"))
        np.testing.assert_array_equal(a[r[valid], c[valid]], reg.factor(name, r, c)[valid])
        assert (a[r[~valid], c[~valid]] == nodata).all()
    z, _ = _read(os.path.join(folder, "zones.tif"))
    assert set(np.unique(z[z > 0])) == {1, 2, 3, 4}


def test_same_seed_same_values_other_seed_other_values(small, tmp_path):
    folder, truth = small
    again = R.generate_region(str(tmp_path / "b"), 300_000, seed=3, n_landslides=600,
                              n_floods=500, block_rows=256)
    assert again["intercepts"] == truth["intercepts"]
    a, _ = _read(os.path.join(folder, "factors", "rainfall.tif"))
    b, _ = _read(str(tmp_path / "b" / "factors" / "rainfall.tif"))
    np.testing.assert_array_equal(a, b)  # whatever the block height
    np.testing.assert_array_equal(_points(os.path.join(folder, "floods.gpkg")),
                                  _points(str(tmp_path / "b" / "floods.gpkg")))
    other = R.Region(truth["rows"], truth["cols"], 4)
    assert not np.allclose(other.factor("rainfall", np.arange(50), np.arange(50)),
                           R.Region(truth["rows"], truth["cols"], 3).factor(
                               "rainfall", np.arange(50), np.arange(50)))
    # a region written already is not written again
    t = os.path.getmtime(str(tmp_path / "b" / "factors" / "rainfall.tif"))
    R.generate_region(str(tmp_path / "b"), 300_000, seed=3, n_landslides=600, n_floods=500)
    assert os.path.getmtime(str(tmp_path / "b" / "factors" / "rainfall.tif")) == t


def test_fields_have_the_declared_structure():
    """Over a region large enough to hold many cells of the coarsest lattice (a small one is
    one smooth patch, where any two fields may look correlated), evaluated at points."""
    reg = R.Region(8000, 16000, 5)
    rng = np.random.default_rng(2)
    r, c = rng.integers(0, 8000, 40000), rng.integers(0, 16000, 40000)
    elev, temp = reg.factor("elevation", r, c), reg.factor("temperature", r, c)
    noise, rain = reg.latent("noise", r, c), reg.latent("rainfall", r, c)
    assert np.corrcoef(elev, temp)[0, 1] < -0.7  # for the Pearson screening to drop
    assert abs(np.corrcoef(elev, noise)[0, 1]) < 0.3
    assert abs(np.corrcoef(rain, noise)[0, 1]) < 0.3
    assert 0.5 < noise.std() < 1.5  # about unit variance, as the processes assume


def test_inventories_follow_the_known_processes(small):
    """Presences sit where their process is strong: the mean logit at the presences is far
    above that of random valid pixels, and each inventory holds about the asked count."""
    folder, truth = small
    reg = R.Region(truth["rows"], truth["cols"], 3)
    rng = np.random.default_rng(1)
    r, c = rng.integers(0, reg.rows, 20000), rng.integers(0, reg.cols, 20000)
    keep = reg.valid(r, c)
    r, c = r[keep], c[keep]
    for hazard, fname, n in (("landslide", "landslides.gpkg", 600), ("flood", "floods.gpkg", 500)):
        xy = _points(os.path.join(folder, fname))
        assert len(xy) == pytest.approx(n, rel=0.15)
        assert truth[f"n_{hazard}_points"] == len(xy)
        pc = ((xy[:, 0] - R.ORIGIN[0]) / R.CELL).astype(int)
        pr = ((R.ORIGIN[1] - xy[:, 1]) / R.CELL).astype(int)
        assert reg.valid(pr, pc).all()
        at = np.asarray(reg.logit(hazard, pr, pc))
        background = np.asarray(reg.logit(hazard, r, c))
        assert at.mean() - background.mean() > 0.5 * background.std()
    with open(os.path.join(folder, "truth.json")) as fh:
        assert json.load(fh)["landslide"] == R.LANDSLIDE_COEF
