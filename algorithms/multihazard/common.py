"""What the multi-hazard algorithms share: contextual zones given as polygons (with a zone
field) or as a categorical raster, and reading the multi-hazard sample layer."""
import os

import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterRasterLayer)

from ...core.io.raster import Band, sample_at
from ...core.io.zonal import (geometries_from_wkb, points_in_zones,
                              point_coordinates, raster_zone_values, zones_raster)
from .. import compat
from ..base import raster_path, source_geometries
from ..vector_io import zone_polygons
from .. import params as P


def add_zone_parameters(alg, optional=False):
    alg.addParameter(QgsProcessingParameterFeatureSource(
        P.ZONES, alg.tr("Contextual zones (polygons with a zone field)"),
        [compat.TYPE_VECTOR_POLYGON], optional=True))
    alg.addParameter(QgsProcessingParameterField(
        P.ZONE_FIELD, alg.tr("Zone field"), "zone", P.ZONES, optional=True))
    alg.addParameter(QgsProcessingParameterRasterLayer(
        P.ZONE_RASTER, alg.tr("Contextual zones as a categorical raster (instead of polygons; "
                              "0 or nodata: outside every zone)"), optional=True))
    alg._zones_optional = optional


def _which(alg, parameters, context):
    has_poly = alg.parameterAsSource(parameters, P.ZONES, context) is not None
    ras = alg.parameterAsRasterLayer(parameters, P.ZONE_RASTER, context)
    if has_poly and ras is not None:
        raise QgsProcessingException("Give the zones either as polygons [ZONES] or as a raster "
                                     "[ZONE_RASTER], not both.")
    if not has_poly and ras is None and not getattr(alg, "_zones_optional", False):
        raise QgsProcessingException("Give the contextual zones: polygons with a zone field "
                                     "[ZONES] or a categorical raster [ZONE_RASTER].")
    return has_poly, ras


def _code_name(v):
    return str(int(v)) if float(v).is_integer() else str(v)


def zone_lookup(alg, parameters, context, stack, feedback=None):
    """A function giving the zone name of each point (x, y arrays; None outside every zone).
    The zones are read and checked (overlaps refused) once, here."""
    has_poly, ras = _which(alg, parameters, context)
    if has_poly:
        crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
        geoms, values = zone_polygons(alg, parameters, context, crs, feedback)
        return lambda x, y: points_in_zones(x, y, geoms, values)
    from ...core.io.raster import AlignedStack
    band = Band(raster_path(ras, P.ZONE_RASTER), 1, "zone", True, ras.name())

    def lookup(x, y):
        with AlignedStack([band], stack.grid) as zs:
            v = sample_at(zs, x, y)[:, 0]
        return [None if not np.isfinite(a) or a == 0 else _code_name(a) for a in v]
    return lookup


def zone_band(alg, parameters, context, grid, folder, names=None, feedback=None):
    """(Band of zone codes on or alignable to ``grid``, {code: zone name}), or (None, {}) when
    zones are optional and not given. Polygons are rasterised into ``folder``; ``names``
    (e.g. the zones a model bundle knows) restrict the raster codes that are read."""
    has_poly, ras = _which(alg, parameters, context)
    if has_poly:
        crs = QgsCoordinateReferenceSystem.fromWkt(grid.crs_wkt)
        geoms, values = zone_polygons(alg, parameters, context, crs, feedback)
        path = os.path.join(folder, "zones.tif")
        uniq = zones_raster(geoms, values, grid, path)
        return Band(path, 1, "zone", True, "zones"), {k + 1: str(v) for k, v in
                                                      enumerate(uniq)}
    if ras is None:
        return None, {}
    path = raster_path(ras, P.ZONE_RASTER)
    codes = {}
    for n in names or []:
        try:
            codes[int(float(n))] = str(n)
        except ValueError:
            raise QgsProcessingException(f"Zone '{n}' of the model is not a number: give the "
                                         f"zones as polygons [ZONES].")
    if names is None:  # every code of the raster
        codes = {int(v): _code_name(v) for v in raster_zone_values(path)}
    return Band(path, 1, "zone", True, ras.name()), codes


def read_samples(alg, parameters, context, stack, fb, splits=None):
    """Coordinates, factor values and attributes of the multi-hazard sample layer [SAMPLES]
    (fields hazard, label, zone and split; augmented when present, else 0), optionally only
    the ``splits`` given."""
    src = alg.parameterAsSource(parameters, P.SAMPLES, context)
    need = ["hazard", "label", "zone"] + (["split"] if splits is not None else [])
    missing = [n for n in need if src is None or src.fields().indexOf(n) < 0]
    if missing:
        raise QgsProcessingException(f"The sample layer lacks the field(s) "
                                     f"{', '.join(missing)}: use the output of 'Prepare "
                                     f"multi-hazard samples' [SAMPLES].")
    has_split = src.fields().indexOf("split") >= 0
    crs = QgsCoordinateReferenceSystem.fromWkt(stack.grid.crs_wkt)
    wkbs, feats = source_geometries(src, P.SAMPLES, crs, context)
    keep = [splits is None or (has_split and str(f["split"]) in splits) for f in feats]
    sel = [f for f, k in zip(feats, keep) if k]
    xy = point_coordinates(geometries_from_wkb(wkbs, "point"))[np.array(keep, bool)]
    if len(xy) == 0:
        raise QgsProcessingException("The sample layer holds no usable sample [SAMPLES].")
    X = sample_at(stack, xy[:, 0], xy[:, 1], fb)
    try:
        label = np.array([int(f["label"]) for f in sel])
    except (TypeError, ValueError):
        raise QgsProcessingException("Field 'label' must hold 0 or 1 for every sample "
                                     "[SAMPLES].")
    has_aug = src.fields().indexOf("augmented") >= 0
    try:
        augmented = np.array([int(f["augmented"]) if has_aug and f["augmented"] is not None
                              and str(f["augmented"]) != "NULL" else 0 for f in sel])
    except (TypeError, ValueError):
        raise QgsProcessingException("Field 'augmented' must hold 0 (a real sample) or 1 (a "
                                     "synthetic presence) [SAMPLES].")
    has_sampler = src.fields().indexOf("sampler") >= 0
    sampler = np.array([str(f["sampler"]) if has_sampler else "" for f in sel])
    return {"x": xy[:, 0], "y": xy[:, 1], "X": X, "augmented": augmented, "sampler": sampler,
            "hazard": np.array([str(f["hazard"]) for f in sel]), "label": label,
            "zone": np.array([str(f["zone"]) for f in sel]),
            "split": np.array([str(f["split"]) if has_split else "" for f in sel])}
