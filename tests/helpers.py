"""Small raster and vector builders for tests."""
import numpy as np
from osgeo import gdal, ogr, osr

gdal.UseExceptions()


def srs_wkt(epsg):
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    return s.ExportToWkt()


def write_raster(path, arrays, transform, epsg=32717, nodata=None, dtype=gdal.GDT_Float32,
                 names=None):
    arrays = np.asarray(arrays)
    if arrays.ndim == 2:
        arrays = arrays[None]
    ds = gdal.GetDriverByName("GTiff").Create(str(path), arrays.shape[2], arrays.shape[1],
                                              arrays.shape[0], dtype)
    ds.SetGeoTransform(transform)
    ds.SetProjection(srs_wkt(epsg))
    for i, a in enumerate(arrays):
        b = ds.GetRasterBand(i + 1)
        if nodata is not None:
            b.SetNoDataValue(nodata)
        if names:
            b.SetDescription(names[i])
        b.WriteArray(a)
    ds = None
    return str(path)


def polygon(coords):
    ring = ogr.Geometry(ogr.wkbLinearRing)
    for x, y in list(coords) + [coords[0]]:
        ring.AddPoint_2D(float(x), float(y))
    g = ogr.Geometry(ogr.wkbPolygon)
    g.AddGeometry(ring)
    return g


def write_polygons(path, geoms, epsg=32717, layer="polys", fields=None):
    drv = ogr.GetDriverByName("GPKG")
    ds = drv.CreateDataSource(str(path))
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    lyr = ds.CreateLayer(layer, s, ogr.wkbPolygon)
    lyr.CreateField(ogr.FieldDefn("uid", ogr.OFTInteger))
    for i, g in enumerate(geoms):
        f = ogr.Feature(lyr.GetLayerDefn())
        f.SetField("uid", i + 1)
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds = None
    return str(path)


def write_points(path, xy, epsg=32717, ints=None):
    """A GeoPackage of points at ``xy`` with integer fields ``ints`` {name: one value per
    point}."""
    ds = ogr.GetDriverByName("GPKG").CreateDataSource(str(path))
    s = osr.SpatialReference()
    s.ImportFromEPSG(epsg)
    lyr = ds.CreateLayer("pts", s, ogr.wkbPoint)
    for name in ints or {}:
        lyr.CreateField(ogr.FieldDefn(name, ogr.OFTInteger))
    for k, (x, y) in enumerate(xy):
        f = ogr.Feature(lyr.GetLayerDefn())
        for name, values in (ints or {}).items():
            f[name] = int(values[k])
        g = ogr.Geometry(ogr.wkbPoint)
        g.AddPoint_2D(float(x), float(y))
        f.SetGeometry(g)
        lyr.CreateFeature(f)
    ds = None
    return str(path)


def listening_feedback():
    """A Processing feedback that keeps every info and warning line: (feedback, lines)."""
    from qgis.core import QgsProcessingFeedback
    lines = []

    class Listening(QgsProcessingFeedback):
        def pushInfo(self, text):  # noqa: N802
            lines.append(text)

        def pushWarning(self, text):  # noqa: N802
            lines.append(text)

    return Listening(), lines
