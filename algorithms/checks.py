"""Checks of the parameter values every algorithm gets, in one place (called once from
HazardAlgorithm.processAlgorithm, before any work):

* every number is finite: QGIS's range checks let NaN through (every comparison with NaN is
  false) and infinity through when a parameter has no maximum;
* every list of numbers given as text (ratios, class limits, bounds, a numeric bandwidth) holds
  finite numbers only;
* a vector input given as the path of a file holding several layers (a GeoPackage) names the
  layer it means: without a layer name OGR and QGIS take the first one, which may be another
  layer than the analyst thought (zone polygons taken as presences).

Each refusal is a QgsProcessingException naming the parameter ([NAME]) and what to do."""
import math
import os
import re

from qgis.core import (QgsProcessingException, QgsProcessingFeatureSourceDefinition,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterMultipleLayers,
                       QgsProcessingParameterNumber, QgsProcessingParameterString,
                       QgsProcessingParameterVectorLayer, QgsProperty)

from . import compat
from . import params as P

#: text parameters that hold numbers separated by commas (ratios also by ':')
NUMERIC_TEXT = (P.RATIOS, P.CLASS_LIMITS, P.BOUNDS, P.BANDWIDTH)
_TOKENS = re.compile(r"[,;:\s]+")


def check_parameters(alg, parameters, context):
    """Refuse a non-finite number, a non-finite number in a list given as text, and an
    ambiguous multi-layer vector file; return nothing."""
    for d in alg.parameterDefinitions():
        if d.isDestination():
            continue
        name = d.name()
        value = parameters.get(name)
        if isinstance(value, QgsProperty):
            if value.propertyType() != compat.PROPERTY_STATIC:
                continue  # an expression: QGIS evaluates it, parameterAsDouble below checks
            value = value.staticValue()
        if value is None or value == "":
            continue
        if isinstance(d, QgsProcessingParameterNumber):
            _finite_number(alg, d, value, parameters, context)
        elif isinstance(d, QgsProcessingParameterString) and name in NUMERIC_TEXT:
            _finite_list(d, value)
        elif isinstance(d, (QgsProcessingParameterFeatureSource,
                            QgsProcessingParameterVectorLayer)):
            _one_layer(d, value, context)
        elif isinstance(d, QgsProcessingParameterMultipleLayers) and \
                int(d.layerType()) != int(compat.TYPE_RASTER):
            for v in value if isinstance(value, (list, tuple)) else [value]:
                _one_layer(d, v, context)


def _finite_number(alg, d, value, parameters, context):
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = alg.parameterAsDouble(parameters, d.name(), context)
    if not math.isfinite(v):
        raise QgsProcessingException(
            f"{d.description()} is {value!s}, which is not a finite number: give a number"
            f"{_range(d)} [{d.name()}].")


def _range(d):
    lo, hi = d.minimum(), d.maximum()
    big = 1e300
    if lo > -big and hi < big:
        return f" from {lo:g} to {hi:g}"
    if lo > -big:
        return f" of at least {lo:g}"
    if hi < big:
        return f" of at most {hi:g}"
    return ""


def _finite_list(d, value):
    for tok in _TOKENS.split(str(value)):
        if not tok:
            continue
        try:
            v = float(tok)
        except ValueError:
            continue  # words (e.g. 'scott') are the algorithm's own business
        if not math.isfinite(v):
            raise QgsProcessingException(
                f"{d.description()} holds '{tok}', which is not a finite number: give finite "
                f"numbers separated by commas [{d.name()}].")


def _one_layer(d, value, context):
    """Refuse the path of a file with several vector layers when no layer is named."""
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        value = value.source
        if isinstance(value, QgsProperty):
            if value.propertyType() != compat.PROPERTY_STATIC:
                return
            value = value.staticValue()
    if not isinstance(value, str) or not value:
        return
    if context.getMapLayer(value) is not None and not os.path.exists(value):
        return  # a layer of the project or the context, by id or name
    path, _, options = value.partition("|")
    if "layername=" in options.lower() or "layerid=" in options.lower():
        return
    if not os.path.isfile(path) or os.path.splitext(path)[1].lower() in (
            ".tif", ".tiff", ".vrt", ".img", ".asc", ".nc", ".shp", ".csv"):
        return
    from osgeo import gdal, ogr
    with _quiet(gdal):
        ds = ogr.Open(path)
    if ds is None:
        return
    layers = [ds.GetLayer(i) for i in range(ds.GetLayerCount())]
    # tables without geometry (QGIS's layer_styles, attribute tables) are not candidates
    names = [lyr.GetName() for lyr in layers if lyr.GetGeomType() != ogr.wkbNone]
    ds = None
    if len(names) > 1:
        shown = ", ".join(f"'{n}'" for n in names)
        raise QgsProcessingException(
            f"'{os.path.basename(path)}' holds {len(names)} layers ({shown}) and none was "
            f"named, so the first would be taken: choose one, e.g. "
            f"{os.path.basename(path)}|layername={names[0]} (in the dialog: pick the layer when "
            f"adding the file) [{d.name()}].")


class _quiet:
    """GDAL errors silenced while probing a file that may not be a vector source."""

    def __init__(self, gdal):
        self.gdal = gdal

    def __enter__(self):
        self.gdal.PushErrorHandler("CPLQuietErrorHandler")

    def __exit__(self, *exc):
        self.gdal.PopErrorHandler()
        return False
