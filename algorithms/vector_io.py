"""Reading attribute values and writing feature copies with new columns: the vector glue that
slope-unit statistics, size classes, the HNN and slope-unit models share."""
import numpy as np
from qgis.core import QgsFeature, QgsFields, QgsMessageLog, QgsProcessingException

from ..core.io.zonal import check_zones_disjoint, geometries_from_wkb
from . import compat
from . import params as P
from .guard import CheckedSink


def number(value, strict=False):
    """A field value as float: NULL (None or a null QVariant) is NaN; text that is not a number
    is NaN, or raises ValueError when ``strict``."""
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return np.nan
    try:
        return float(value)
    except (TypeError, ValueError):
        if strict:
            raise ValueError(f"'{value}' is not a number") from None
        return np.nan


def numbers(feats, names):
    """(features, fields) array of floats, NaN where a value is NULL or not a number."""
    return np.array([[number(f[n]) for n in names] for f in feats], float).reshape(
        len(feats), len(names))


def write_with_columns(alg, parameters, context, key, source, feats, columns, ints=(),
                       multi=False, texts=()):
    """Copy ``feats`` of ``source`` into the feature sink ``key`` with ``columns`` {field name:
    one value per feature} set: new fields are added (integer for the names in ``ints``, text
    for those in ``texts``, else double), existing ones overwritten; NaN and None become NULL.
    ``multi``: geometries as multi-part. Returns the sink's destination."""
    fields = QgsFields(source.fields())
    names = list(columns)
    for n in names:
        if fields.indexOf(n) < 0:
            fields.append(compat.int_field(n) if n in ints else compat.string_field(n)
                          if n in texts else compat.double_field(n))
    wkb = compat.multi_type(source.wkbType()) if multi else source.wkbType()
    idx = [fields.indexOf(n) for n in names]
    with CheckedSink(alg, parameters, key, context, fields, wkb, source.sourceCrs()) as sink:
        for k, f in enumerate(feats):  # fast; no cancel here, so the output is never partial
            out = QgsFeature(fields)
            g = f.geometry()
            if multi and not g.isNull():
                g.convertToMultiType()
            out.setGeometry(g)
            attrs = list(f.attributes()) + [None] * (fields.count() - len(f.attributes()))
            for n, i in zip(names, idx):
                v = columns[n][k]
                attrs[i] = None if v is None or v != v else (
                    int(v) if n in ints else str(v) if n in texts else float(v))
            out.setAttributes(attrs)
            sink.add(out)
        return sink.close()


def surface_points(feats, crs=None, context=None, source_crs=None):
    """(x, y) arrays of a point on the surface of each feature's geometry (NaN when it has
    none), transformed from ``source_crs`` to ``crs`` when both are given and differ."""
    from qgis.core import QgsCoordinateTransform, QgsProject
    xf = None
    if source_crs is not None and crs is not None and source_crs != crs:
        xf = QgsCoordinateTransform(source_crs, crs, context.transformContext()
                                    if context else QgsProject.instance().transformContext())
    xs, ys = np.full(len(feats), np.nan), np.full(len(feats), np.nan)
    for k, f in enumerate(feats):
        g = f.geometry()
        if g is None or g.isNull() or g.isEmpty():
            continue
        p = g.pointOnSurface()
        if p is None or p.isNull() or p.isEmpty():
            continue
        if xf is not None:
            p.transform(xf)
        pt = p.asPoint()
        xs[k], ys[k] = pt.x(), pt.y()
    return xs, ys


def zone_polygons(alg, parameters, context, crs, feedback=None):
    """(OGR geometries, zone names) of the zone polygons ZONES with their field ZONE_FIELD
    (default "zone"), refusing overlapping zones of different names. Polygons
    whose zone is NULL or empty are left out with a count (their area is in no zone)."""
    src = alg.parameterAsSource(parameters, P.ZONES, context)
    field = alg.parameterAsString(parameters, P.ZONE_FIELD, context) or "zone"
    if src.fields().indexOf(field) < 0:
        raise QgsProcessingException(f"The zone layer needs the field '{field}' [ZONE_FIELD].")
    from .base import source_geometries
    wkbs, feats = source_geometries(src, P.ZONES, crs, context)
    values = [_zone_name(f[field]) for f in feats]
    missing = sum(v is None for v in values)
    if missing == len(values):
        raise QgsProcessingException(f"No zone polygon has a value in the field '{field}' "
                                     f"(all NULL or empty) [ZONE_FIELD].")
    if missing:
        msg = (f"{missing} of {len(values)} zone polygons have no value in '{field}' (NULL or "
               f"empty) and are left out: their area belongs to no zone.")
        if hasattr(feedback, "pushWarning"):
            feedback.pushWarning(msg)
        elif hasattr(feedback, "info"):  # the core's feedback
            feedback.info(msg)
        else:
            QgsMessageLog.logMessage(msg, "Hazard susceptibility")
    keep = [v is not None for v in values]
    geoms = geometries_from_wkb([w for w, k in zip(wkbs, keep) if k])
    values = [v for v in values if v is not None]
    check_zones_disjoint(geoms, values)
    return geoms, values


def _zone_name(value):
    """A zone value as its name: None for NULL or blank; whole numbers without '.0'."""
    if value is None or (hasattr(value, "isNull") and value.isNull()):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    return text or None
