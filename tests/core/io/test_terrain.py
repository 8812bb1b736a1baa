"""Terrain derivatives against closed forms on planes (slope, aspect, curvature, D8 flow, TWI)."""
import numpy as np
import pytest

from hazard_susceptibility.core.io import terrain

CELL = 10.0


def _plane(gx, gy, rows=12, cols=15):
    """z = gx * east + gy * north, rows growing southwards."""
    r, c = np.indices((rows, cols), dtype=float)
    return gx * c * CELL + gy * (rows - 1 - r) * CELL


@pytest.mark.parametrize("gx, gy, bearing", [(0.1, 0.2, 180 + np.degrees(np.arctan2(0.1, 0.2))),
                                             (-0.3, 0.0, 90.0), (0.0, -0.25, 0.0),
                                             (0.2, 0.0, 270.0)])
def test_slope_and_aspect_of_a_plane(gx, gy, bearing):
    slope, aspect = terrain.slope_aspect(_plane(gx, gy), CELL)
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(slope[inner], np.degrees(np.arctan(np.hypot(gx, gy))), atol=1e-9)
    # aspect: the compass bearing the slope faces (down the gradient)
    np.testing.assert_allclose(aspect[inner], bearing % 360.0, atol=1e-9)


def test_a_flat_surface_has_zero_slope_aspect_and_curvature():
    z = np.full((6, 7), 123.0)
    slope, aspect = terrain.slope_aspect(z, CELL)
    plan, prof = terrain.curvatures(z, CELL)
    assert not slope.any() and not aspect.any() and not plan.any() and not prof.any()


def test_a_plane_has_no_curvature():
    plan, prof = terrain.curvatures(_plane(0.1, -0.2), CELL)
    inner = (slice(1, -1), slice(1, -1))
    np.testing.assert_allclose(plan[inner], 0.0, atol=1e-12)
    np.testing.assert_allclose(prof[inner], 0.0, atol=1e-12)


def test_d8_flow_and_twi_on_an_eastward_tilted_plane():
    rows, cols = 5, 8
    z = _plane(-0.1, 0.0, rows, cols)           # falls towards the east
    rec = terrain.d8_receivers(z, CELL).reshape(rows, cols)
    r, c = np.indices((rows, cols))
    np.testing.assert_array_equal(rec[:, :-1], (r * cols + c + 1)[:, :-1])  # east neighbour
    assert (rec[:, -1] == -1).all()                                       # the outlet column
    acc, _ = terrain.flow_accumulation(z, rec.ravel())
    np.testing.assert_array_equal(acc, c + 1)    # every cell upstream in its row drains through
    slope, _ = terrain.slope_aspect(z, CELL)
    w = terrain.twi(acc, slope, CELL)
    np.testing.assert_allclose(w[:, 1:-1], np.log((c + 1)[:, 1:-1] * CELL / 0.1), rtol=1e-12)


def test_fill_depressions_leaves_no_pit_and_never_lowers():
    rng = np.random.default_rng(3)
    z = _plane(-0.05, 0.02, 20, 20) + rng.normal(0, 0.5, (20, 20))
    f = terrain.fill_depressions(z)
    assert (f >= z).all()
    rec = terrain.d8_receivers(f, CELL).reshape(f.shape)
    inner = rec[1:-1, 1:-1]
    assert (inner >= 0).all()  # every interior cell drains somewhere
