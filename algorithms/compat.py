"""Every difference between the QGIS versions we support (3.22 .. 3.40+) lives here."""
from qgis.core import Qgis, QgsProcessing, QgsProcessingParameterNumber

QGIS_VERSION_INT = Qgis.QGIS_VERSION_INT

try:  # 3.36+: scoped enums
    NUMBER_INTEGER = Qgis.ProcessingNumberParameterType.Integer
    NUMBER_DOUBLE = Qgis.ProcessingNumberParameterType.Double
except AttributeError:  # 3.22 .. 3.34
    NUMBER_INTEGER = QgsProcessingParameterNumber.Integer
    NUMBER_DOUBLE = QgsProcessingParameterNumber.Double

try:
    TYPE_RASTER = Qgis.ProcessingSourceType.Raster
    TYPE_VECTOR_POINT = Qgis.ProcessingSourceType.VectorPoint
    TYPE_VECTOR_POLYGON = Qgis.ProcessingSourceType.VectorPolygon
    TYPE_VECTOR_LINE = Qgis.ProcessingSourceType.VectorLine
    TYPE_VECTOR_ANY = Qgis.ProcessingSourceType.VectorAnyGeometry
except AttributeError:
    TYPE_RASTER = QgsProcessing.TypeRaster
    TYPE_VECTOR_POINT = QgsProcessing.TypeVectorPoint
    TYPE_VECTOR_POLYGON = QgsProcessing.TypeVectorPolygon
    TYPE_VECTOR_LINE = QgsProcessing.TypeVectorLine
    TYPE_VECTOR_ANY = QgsProcessing.TypeVectorAnyGeometry


def save_default_style(layer):
    """Save ``layer``'s style as its default (GeoPackage: in the database; else a .qml)."""
    try:  # 3.26+: (categories) overload returning (message, ok)
        from qgis.core import QgsMapLayer
        res = layer.saveDefaultStyle(QgsMapLayer.AllStyleCategories)
    except TypeError:
        res = layer.saveDefaultStyle()
    if isinstance(res, tuple):
        return res[-1] if isinstance(res[-1], bool) else bool(res[0])
    return bool(res)


def _field(name, kind):
    """A QgsField of a basic type, across the QVariant (< 3.38) to QMetaType switch."""
    from qgis.core import QgsField
    if QGIS_VERSION_INT >= 33800:
        from qgis.PyQt.QtCore import QMetaType
        return QgsField(name, getattr(QMetaType.Type, {"String": "QString"}.get(kind, kind)))
    from qgis.PyQt.QtCore import QVariant
    return QgsField(name, getattr(QVariant, kind))


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
    FIELD_NUMERIC = _F.Numeric
    FIELD_ANY = _F.Any
