"""Inputs shared by the report algorithms: hazard points and absences on a grid."""
import numpy as np
from qgis.core import QgsCoordinateReferenceSystem, QgsProcessingException

from ..core.sampling import samplers as smp
from ..core.io.zonal import geometries_from_wkb, point_coordinates
from .base import source_geometries
from . import compat
from . import params as P


def hazard_xy(alg, parameters, name, context, stack, feedback, label_field=None, label=None,
              label_param=P.LABEL_FIELD):
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
        keep = [_label(f[label_field]) == label for f in feats]
        if not any(keep):  # labels coded otherwise (1/2, yes/no): say so, not "extent and CRS"
            values = sorted({str(f[label_field]) for f in feats})
            shown = ", ".join(values[:6]) + (", ..." if len(values) > 6 else "")
            raise QgsProcessingException(
                f"No feature of [{name}] has {label_field} = {label:g} (its values: {shown}): "
                f"labels must be 1 for a hazard and 0 for none; recode the field (Field "
                f"Calculator) or choose another one [{label_param}].")
        wkbs = [w for w, k in zip(wkbs, keep) if k]
    geoms = geometries_from_wkb(wkbs)
    if compat.geometry_type(src.wkbType()) == compat.GEOM_POLYGON:
        flat = smp.polygon_pixels(stack, geoms)
        row, col = np.divmod(flat, stack.grid.xsize)
        x0, dx, _, y0, _, dy = stack.grid.transform
        return x0 + (col + 0.5) * dx, y0 + (row + 0.5) * dy
    xy = point_coordinates(geoms)
    return xy[:, 0], xy[:, 1]


def _label(value):
    """A label as a number (1, 0, 1.0, "1"), or None (NULL, text)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def other_labels(alg, parameters, name, context, label_field):
    """Warnings about the features of layer ``name`` whose ``label_field`` is neither 1 nor 0:
    they are in neither sample, and the user should know."""
    src = alg.parameterAsSource(parameters, name, context) if label_field else None
    if src is None or src.fields().indexOf(label_field) < 0:
        return []
    other = [f[label_field] for f in src.getFeatures() if _label(f[label_field]) not in (0, 1)]
    if not other:
        return []
    shown = ", ".join(sorted({str(v) for v in other})[:5])
    return [f"{len(other)} feature(s) of [{name}] have a '{label_field}' other than 1 or 0 "
            f"({shown}): they are in neither sample."]


def background(stack, presences_xy, n, seed, fb):
    """``n`` random valid pixels, not on a presence pixel (a neutral absence set)."""
    pres = smp.locate_presences(stack, *presences_xy)
    adm = smp.Admissible(stack, pres)
    x, y, _ = smp.draw(adm, n, np.random.default_rng(seed), fb, what="background pixels")
    return x, y


def add_independent_parameters(alg):
    """INDEPENDENT (an inventory the training samples did not use) and its optional label
    field, as every algorithm that scores a model beside its internal score offers them."""
    from qgis.core import QgsProcessingParameterFeatureSource, QgsProcessingParameterField
    from . import params as P
    alg.addParameter(QgsProcessingParameterFeatureSource(
        P.INDEPENDENT, alg.tr("Independent evaluation inventory (presences the training did "
                              "not use: a held-out part, another inventory)"),
        [compat.TYPE_VECTOR_POINT, compat.TYPE_VECTOR_POLYGON], optional=True))
    alg.addParameter(QgsProcessingParameterField(
        P.INDEPENDENT_LABEL_FIELD, alg.tr("Label field of the independent inventory (1 "
                                          "presence, 0 absence; empty: all presences, against "
                                          "random background)"),
        parentLayerParameterName=P.INDEPENDENT, optional=True))


def independent_xy(alg, parameters, context, stack, feedback, seed, avoid_xy, fb, per=10):
    """The independent inventory on ``stack``'s grid: (presences xy, absences xy, how), or None
    when none is given. Absences: its label 0 when a label field is given, else ``per`` random
    valid background pixels per presence, off every presence pixel and off ``avoid_xy``
    (the training samples)."""
    from . import params as P
    if alg.parameterAsSource(parameters, P.INDEPENDENT, context) is None:
        return None
    label_field = alg.parameterAsString(parameters, P.INDEPENDENT_LABEL_FIELD, context) or None
    pres = hazard_xy(alg, parameters, P.INDEPENDENT, context, stack, feedback, label_field, 1,
                     P.INDEPENDENT_LABEL_FIELD)
    if not len(pres[0]):
        raise QgsProcessingException(
            f"The independent inventory holds no presence"
            f"{f' (label 1 of {label_field!r})' if label_field else ''} [{P.INDEPENDENT}].")
    for note in other_labels(alg, parameters, P.INDEPENDENT, context, label_field):
        feedback.pushWarning(note)
    if label_field:
        absn = hazard_xy(alg, parameters, P.INDEPENDENT, context, stack, feedback,
                         label_field, 0, P.INDEPENDENT_LABEL_FIELD)
        return pres, absn, f"label 1 and 0 of '{label_field}'"
    avoid = (np.r_[pres[0], avoid_xy[0]], np.r_[pres[1], avoid_xy[1]])
    absn = background(stack, avoid, per * len(pres[0]), seed, fb)
    return pres, absn, (f"every feature a presence, against {per} random background pixels "
                        f"per presence (seed {seed})")
