"""The susceptibility-based absence ratio (Li & Tian 2025, scenario 2) on a region whose truth
is known: presences only in the east."""
import numpy as np
import pytest

from hazard_susceptibility.core.io.raster import AlignedStack, Band, Grid
from hazard_susceptibility.core.sampling import samplers as smp
from hazard_susceptibility.core.susceptibility.report import susceptibility_ratio_report
from hazard_susceptibility.core.susceptibility.susceptibility_ratio import (
    susceptibility_ratio_absences)
from tests.helpers import write_raster

X0, Y0 = 700000.0, 9500000.0


def test_susceptibility_ratio_counts_the_initial_map_and_draws_r_times(tmp_path):
    """Presences only in the east (f > 0.8): the initial map is high there, its very-low and
    very-high areas counted on the written map itself give r, and round(r x presences)
    absences are drawn; the same seed gives the same absences."""
    from osgeo import gdal
    rng = np.random.default_rng(0)
    f = np.tile(np.linspace(0, 1, 100), (80, 1))
    t = (X0, 10, 0, Y0, 0, -10)
    paths = [write_raster(tmp_path / "f.tif", f, t),
             write_raster(tmp_path / "g.tif", rng.random((80, 100)), t)]
    with AlignedStack([Band(paths[0], 1, "f"), Band(paths[1], 1, "g")],
                      Grid.from_path(paths[0])) as st:
        cells = rng.choice(80 * 20, 40, replace=False)
        pres = smp.locate_presences(st, X0 + (80 + cells % 20 + 0.5) * 10,
                                    Y0 - (cells // 20 + 0.5) * 10)
        out = [susceptibility_ratio_absences(st, pres, np.random.default_rng(5),
                                             str(tmp_path / f"m{k}.tif"), trees=50, seed=5)
               for k in (0, 1)]
    res = out[0]
    m = gdal.Open(str(tmp_path / "m0.tif")).ReadAsArray()
    m = m[np.isfinite(m) & (m >= 0)]
    counts = np.bincount(np.searchsorted(res.limits, m, side="left"), minlength=5)
    assert counts.tolist() == res.counts.tolist()
    assert res.ratio == pytest.approx(counts[0] / counts[-1])
    assert len(res.x) == int(round(res.ratio * 40))
    np.testing.assert_array_equal(res.x, out[1].x)
    east = gdal.Open(str(tmp_path / "m0.tif")).ReadAsArray()
    assert east[:, 90:].mean() > 0.8 > 0.2 > east[:, :50].mean()
    html = open(susceptibility_ratio_report(str(tmp_path / "r.html"), res, 40)).read()
    assert f"{res.ratio:.3f}" in html and "<img" in html
