"""Reading attribute values and writing feature copies with new columns: the vector glue that
slope-unit statistics, size classes, the HNN and slope-unit models share."""
import numpy as np
from qgis.core import QgsFeature, QgsFields

from . import compat
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
                       multi=False):
    """Copy ``feats`` of ``source`` into the feature sink ``key`` with ``columns`` {field name:
    one value per feature} set: new fields are added (integer for the names in ``ints``, else
    double), existing ones overwritten; NaN and None become NULL. ``multi``: geometries as
    multi-part. Returns the sink's destination."""
    fields = QgsFields(source.fields())
    names = list(columns)
    for n in names:
        if fields.indexOf(n) < 0:
            fields.append(compat.int_field(n) if n in ints else compat.double_field(n))
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
                attrs[i] = None if v is None or v != v else (int(v) if n in ints else float(v))
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
        if g is None or g.isNull():
            continue
        p = g.pointOnSurface()
        if xf is not None:
            p.transform(xf)
        pt = p.asPoint()
        xs[k], ys[k] = pt.x(), pt.y()
    return xs, ys
