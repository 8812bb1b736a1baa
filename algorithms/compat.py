"""Every difference between the QGIS versions we support (3.22 .. 3.44, and QGIS 4) lives here.

Every enum is written in its scoped form (Enum.Member), the only one PyQt6 and QGIS 4 have; 3.22
has the scoped forms of its own (class-level) enums too. Where QGIS moved an enum (3.30+/3.36+:
Qgis.X), the new name comes first and the 3.22 one is the fallback."""
from qgis.core import Qgis, QgsProcessing, QgsProcessingParameterNumber

QGIS_VERSION_INT = Qgis.QGIS_VERSION_INT

try:  # 3.36+: scoped enums
    NUMBER_INTEGER = Qgis.ProcessingNumberParameterType.Integer
    NUMBER_DOUBLE = Qgis.ProcessingNumberParameterType.Double
except AttributeError:  # 3.22 .. 3.34
    NUMBER_INTEGER = QgsProcessingParameterNumber.Type.Integer
    NUMBER_DOUBLE = QgsProcessingParameterNumber.Type.Double

try:
    TYPE_RASTER = Qgis.ProcessingSourceType.Raster
    TYPE_VECTOR_POINT = Qgis.ProcessingSourceType.VectorPoint
    TYPE_VECTOR_POLYGON = Qgis.ProcessingSourceType.VectorPolygon
    TYPE_VECTOR_LINE = Qgis.ProcessingSourceType.VectorLine
    TYPE_VECTOR_ANY = Qgis.ProcessingSourceType.VectorAnyGeometry
except AttributeError:
    TYPE_RASTER = QgsProcessing.SourceType.TypeRaster
    TYPE_VECTOR_POINT = QgsProcessing.SourceType.TypeVectorPoint
    TYPE_VECTOR_POLYGON = QgsProcessing.SourceType.TypeVectorPolygon
    TYPE_VECTOR_LINE = QgsProcessing.SourceType.TypeVectorLine
    TYPE_VECTOR_ANY = QgsProcessing.SourceType.TypeVectorAnyGeometry


def save_default_style(layer):
    """Save ``layer``'s style as its default (GeoPackage: in the database; else a .qml)."""
    try:  # 3.26+: (categories) overload returning (message, ok)
        from qgis.core import QgsMapLayer
        res = layer.saveDefaultStyle(QgsMapLayer.StyleCategory.AllStyleCategories)
    except (TypeError, AttributeError):
        res = layer.saveDefaultStyle()
    if isinstance(res, tuple):
        return res[-1] if isinstance(res[-1], bool) else bool(res[0])
    return bool(res)


def _field(name, kind):
    """A QgsField of a basic type, across the QVariant (< 3.38) to QMetaType switch, with no
    QVariant type named (PyQt6 has none): before 3.38 QgsField takes QVariant's type code, which
    for these types is QMetaType's (Double 6, Int 2, QString 10)."""
    from qgis.core import QgsField
    from qgis.PyQt.QtCore import QMetaType
    code = getattr(QMetaType.Type, {"String": "QString"}.get(kind, kind))
    return QgsField(name, code if QGIS_VERSION_INT >= 33800 else int(code))


def double_field(name):
    return _field(name, "Double")


def int_field(name):
    return _field(name, "Int")


def string_field(name):
    return _field(name, "String")


try:  # 3.36+
    FIELD_NUMERIC = Qgis.ProcessingFieldParameterDataType.Numeric
    FIELD_ANY = Qgis.ProcessingFieldParameterDataType.Any
except AttributeError:
    from qgis.core import QgsProcessingParameterField as _F
    FIELD_NUMERIC = _F.DataType.Numeric
    FIELD_ANY = _F.DataType.Any


def _scoped(new, old):
    """The scoped enum value ``new`` ("Qgis.X.Y", 3.30+/3.36+) where it exists, else ``old``
    (the scoped form of 3.22's enum)."""
    from qgis import core
    obj = core
    try:
        for part in new.split("."):
            obj = getattr(obj, part)
        return obj
    except AttributeError:
        obj = core
        for part in old.split("."):
            obj = getattr(obj, part)
        return obj


# geometry and WKB types (3.30+: Qgis.GeometryType, Qgis.WkbType)
GEOM_POINT = _scoped("Qgis.GeometryType.Point", "QgsWkbTypes.GeometryType.PointGeometry")
GEOM_LINE = _scoped("Qgis.GeometryType.Line", "QgsWkbTypes.GeometryType.LineGeometry")
GEOM_POLYGON = _scoped("Qgis.GeometryType.Polygon", "QgsWkbTypes.GeometryType.PolygonGeometry")
WKB_POINT = _scoped("Qgis.WkbType.Point", "QgsWkbTypes.Type.Point")
# colour ramp shader interpolation (3.36+: Qgis.ShaderInterpolationMethod)
RAMP_INTERPOLATED = _scoped("Qgis.ShaderInterpolationMethod.Linear",
                            "QgsColorRampShader.Type.Interpolated")
RAMP_DISCRETE = _scoped("Qgis.ShaderInterpolationMethod.Discrete",
                        "QgsColorRampShader.Type.Discrete")
# parameter flags (3.36+: Qgis.ProcessingParameterFlag)
FLAG_OPTIONAL = _scoped("Qgis.ProcessingParameterFlag.Optional",
                        "QgsProcessingParameterDefinition.Flag.FlagOptional")
FLAG_ADVANCED = _scoped("Qgis.ProcessingParameterFlag.Advanced",
                        "QgsProcessingParameterDefinition.Flag.FlagAdvanced")
# file parameter behaviour (3.36+: Qgis.ProcessingFileParameterBehavior)
FILE_FOLDER = _scoped("Qgis.ProcessingFileParameterBehavior.Folder",
                      "QgsProcessingParameterFile.Behavior.Folder")
# property types (3.36+: Qgis.PropertyType)
PROPERTY_STATIC = _scoped("Qgis.PropertyType.Static", "QgsProperty.Type.StaticProperty")
# feature sink flags (QgsFeatureSink.Flag, scoped, on 3.22 .. 3.44)
FAST_INSERT = _scoped("QgsFeatureSink.Flag.FastInsert", "QgsFeatureSink.Flag.FastInsert")


def band_min_max(layer, band):
    """(minimum, maximum) of a band of a raster layer, read by GDAL from the layer's file
    (core.io.raster.band_min_max).

    A style never asks the layer for its data provider: a layer styled in a Processing task
    thread (the dialog's run) then handed to the project can come back from
    ``layer.dataProvider()`` as a Python wrapper whose C++ object is gone ("wrapped C/C++ object
    of type QgsRasterDataProvider has been deleted"), which failed runs from the dialog at
    random."""
    from ..core.io.raster import band_min_max as file_min_max
    return file_min_max(layer.source().split("|")[0], band)


def geometry_type(wkb_type):
    """The geometry type (point, line, polygon) of a WKB type."""
    from qgis.core import QgsWkbTypes
    return QgsWkbTypes.geometryType(wkb_type)


def multi_type(wkb_type):
    from qgis.core import QgsWkbTypes
    return QgsWkbTypes.multiType(wkb_type)


def parameter_as_fields(alg, parameters, name, context):
    """Field names of a field parameter (3.32+: parameterAsStrings; parameterAsFields is
    deprecated there)."""
    if hasattr(alg, "parameterAsStrings"):
        return alg.parameterAsStrings(parameters, name, context)
    return alg.parameterAsFields(parameters, name, context)
