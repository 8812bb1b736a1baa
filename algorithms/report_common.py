"""Inputs shared by the report algorithms: hazard points and absences on a grid."""
import numpy as np
from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingException

from ..core.sampling import samplers as smp
from ..core.io.zonal import geometries_from_wkb, point_coordinates
from .base import source_geometries
from . import compat


def hazard_xy(alg, parameters, name, context, stack, feedback, label_field=None, label=None):
    """Coordinates (grid CRS) of a point or polygon layer: points as they are, polygons as the
    centres of their pixels; optionally only features whose ``label_field`` equals ``label``."""
    src = alg.parameterAsSource(parameters, name, context)
    if src is None:
        return None
    if src.featureCount() == 0:
        raise QgsProcessingException(f"The layer [{name}] is empty.")
    crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
    wkbs, feats = source_geometries(src, name, crs, context, feedback)
    if label_field and src.fields().indexOf(label_field) >= 0:
        keep = [str(f[label_field]) == str(label) for f in feats]
        wkbs = [w for w, k in zip(wkbs, keep) if k]
    geoms = geometries_from_wkb(wkbs)
    if compat.geometry_type(src.wkbType()) == compat.GEOM_POLYGON:
        flat = smp.polygon_pixels(stack, geoms)
        row, col = np.divmod(flat, stack.grid.xsize)
        x0, dx, _, y0, _, dy = stack.grid.transform
        return x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy
    xy = point_coordinates(geoms)
    return xy[:, 0], xy[:, 1]


def background(stack, presences_xy, n, seed, fb):
    """``n`` random valid pixels, not on a presence pixel (a neutral absence set)."""
    pres = smp.locate_presences(stack, *presences_xy)
    adm = smp.Admissible(stack, pres)
    x, y, _ = smp.draw(adm, n, np.random.default_rng(seed), fb, what="background pixels")
    return x, y
