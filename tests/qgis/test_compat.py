"""algorithms/compat.py: every QGIS version difference, exercised on the QGIS that runs the tests
(3.22 and 3.44 on every CI run), and no version-specific name anywhere else."""
import os
import re

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# names that differ between QGIS 3.22 and 3.44 (or are gone in QGIS 4): only compat.py uses them
VERSIONED = re.compile(
    r"QgsWkbTypes\.[A-Z]\w*Geometry|QgsWkbTypes\.Point\b|QgsProcessing\.Type\w+|"
    r"QgsProcessingParameterNumber\.(Integer|Double)\b|QVariant\.\w+|Flag(Optional|Advanced|Hidden)"
    r"|QgsColorRampShader\.(Interpolated|Discrete|Exact)|QgsRasterBandStats\.(Min|Max|All)\b|"
    r"parameterAsFields|QgsFeatureSink\.FastInsert|QgsProcessingParameterFile\.(Folder|File)\b")


def _sources():
    for folder in ("algorithms", "scripts"):
        for dirpath, _, names in sorted(os.walk(os.path.join(ROOT, folder))):
            for name in sorted(names):
                if name.endswith(".py") and name != "compat.py":
                    yield os.path.relpath(os.path.join(dirpath, name), ROOT)
    yield "provider.py"


def test_no_version_specific_name_outside_compat():
    assert any("sampling" in p for p in _sources())  # the group folders are read too
    hits = []
    for rel in _sources():
        with open(os.path.join(ROOT, rel), encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if VERSIONED.search(line):
                    hits.append(f"{rel}:{n}: {line.strip()}")
    assert not hits, "\n".join(hits)


def test_scoped_enums_where_this_qgis_has_them(qgis_app):
    from qgis.core import Qgis

    from hazard_susceptibility.algorithms import compat
    if compat.QGIS_VERSION_INT >= 33600:
        assert isinstance(compat.GEOM_POINT, Qgis.GeometryType)
        assert isinstance(compat.RAMP_INTERPOLATED, Qgis.ShaderInterpolationMethod)
        assert isinstance(compat.FLAG_OPTIONAL, Qgis.ProcessingParameterFlag)
        assert isinstance(compat.NUMBER_INTEGER, Qgis.ProcessingNumberParameterType)
        assert isinstance(compat.TYPE_RASTER, Qgis.ProcessingSourceType)


def test_geometry_types_of_real_layers(qgis_app):
    from qgis.core import QgsVectorLayer

    from hazard_susceptibility.algorithms import compat
    for uri, want in (("Point?crs=EPSG:32617", compat.GEOM_POINT),
                      ("MultiLineString?crs=EPSG:32617", compat.GEOM_LINE),
                      ("Polygon?crs=EPSG:32617", compat.GEOM_POLYGON)):
        layer = QgsVectorLayer(uri, "t", "memory")
        assert compat.geometry_type(layer.wkbType()) == want
    assert compat.geometry_type(compat.WKB_POINT) == compat.GEOM_POINT
    assert compat.geometry_type(compat.multi_type(compat.WKB_POINT)) == compat.GEOM_POINT


def test_band_statistics_and_ramp_shader(qgis_app, tmp_path):
    from osgeo import gdal
    from qgis.core import QgsColorRampShader, QgsRasterLayer

    from hazard_susceptibility.algorithms import compat
    path = str(tmp_path / "r.tif")
    ds = gdal.GetDriverByName("GTiff").Create(path, 4, 3, 1, gdal.GDT_Float32)
    ds.SetGeoTransform((0, 1, 0, 3, 0, -1))
    ds.GetRasterBand(1).WriteArray(np.arange(12, dtype=np.float32).reshape(3, 4) - 2.5)
    ds = None
    layer = QgsRasterLayer(path, "r")
    # read by GDAL from the file, never through the layer's provider, and no .aux.xml left
    assert compat.band_min_max(layer, 1) == (-2.5, 8.5)
    assert not os.path.exists(path + ".aux.xml")
    fcn = QgsColorRampShader(0.0, 1.0)
    fcn.setColorRampType(compat.RAMP_INTERPOLATED)
    assert fcn.colorRampType() == compat.RAMP_INTERPOLATED
    fcn.setColorRampType(compat.RAMP_DISCRETE)
    assert fcn.colorRampType() == compat.RAMP_DISCRETE


def test_parameter_flags_files_and_fields(qgis_app):
    from qgis.core import (QgsProcessingAlgorithm, QgsProcessingContext,
                           QgsProcessingParameterField, QgsProcessingParameterFile,
                           QgsProcessingParameterNumber)

    from hazard_susceptibility.algorithms import compat
    p = QgsProcessingParameterNumber("N", "n", compat.NUMBER_INTEGER, 3)
    p.setFlags(p.flags() | compat.FLAG_OPTIONAL | compat.FLAG_ADVANCED)
    assert p.flags() & compat.FLAG_OPTIONAL and p.flags() & compat.FLAG_ADVANCED
    assert p.dataType() == compat.NUMBER_INTEGER
    f = QgsProcessingParameterFile("F", "f", behavior=compat.FILE_FOLDER)
    assert f.behavior() == compat.FILE_FOLDER

    class Alg(QgsProcessingAlgorithm):
        def name(self):
            return "t"

        def createInstance(self):
            return Alg()

        def initAlgorithm(self, config=None):
            self.addParameter(QgsProcessingParameterField("FIELDS", "fields",
                                                          allowMultiple=True, optional=True))

        def processAlgorithm(self, parameters, context, feedback):
            return {}
    alg = Alg()
    alg.initAlgorithm()
    got = compat.parameter_as_fields(alg, {"FIELDS": ["slope", "twi"]}, "FIELDS",
                                     QgsProcessingContext())
    assert list(got) == ["slope", "twi"]


@pytest.mark.parametrize("make, kind", [("double_field", "double"), ("int_field", "int"),
                                        ("string_field", "string")])
def test_field_types(qgis_app, make, kind):
    from qgis.core import QgsVectorLayer

    from hazard_susceptibility.algorithms import compat
    f = getattr(compat, make)("x")
    assert f.name() == "x"
    # the truth: the type QGIS itself gives a field of that kind (a memory layer's URI), with
    # no QVariant or QMetaType name written here (QVariant's types are gone in PyQt6)
    want = QgsVectorLayer(f"Point?field=x:{kind}", "t", "memory").fields().field("x").type()
    assert int(f.type()) == int(want)


def test_scoped_fallbacks_are_scoped(qgis_app):
    """compat's names by string (not seen by the Qt 6 gate): each one this QGIS has is an enum
    member reached through its enum (Class.Enum.Member or Qgis.Enum.Member), never Class.Member."""
    import ast
    import enum

    from qgis import core
    with open(os.path.join(ROOT, "algorithms", "compat.py"), encoding="utf-8") as fh:
        tree = ast.parse(fh.read())
    pairs = [[a.value for a in node.args] for node in ast.walk(tree)
             if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "_scoped"]
    assert len(pairs) >= 10
    for pair in pairs:
        resolved = 0
        for name in pair:
            parent, obj = None, core
            try:
                for part in name.split("."):
                    parent, obj = obj, getattr(obj, part)
            except AttributeError:
                continue  # not in this QGIS (the other name of the pair is)
            resolved += 1
            assert isinstance(parent, type) and (issubclass(parent, enum.Enum)
                                                 or type(parent).__name__ == "enumtype"), name
        assert resolved, pair


def test_feature_sink_fast_insert(qgis_app):
    from qgis.core import QgsFeature, QgsVectorLayer

    from hazard_susceptibility.algorithms import compat
    layer = QgsVectorLayer("Point?crs=EPSG:32617&field=v:double", "t", "memory")
    assert layer.dataProvider().addFeature(QgsFeature(layer.fields()), compat.FAST_INSERT)
    assert layer.featureCount() == 1


def test_static_property_type(qgis_app):
    """The provenance of a parameter given as a QgsProperty: its value when static, else its
    expression (guard.plain, through compat.PROPERTY_STATIC)."""
    from qgis.core import QgsProcessingContext, QgsProperty

    from hazard_susceptibility.algorithms import compat
    from hazard_susceptibility.algorithms.guard import plain as _plain
    assert QgsProperty.fromValue(5).propertyType() == compat.PROPERTY_STATIC
    assert QgsProperty.fromExpression("1 + 1").propertyType() != compat.PROPERTY_STATIC
    assert _plain(QgsProperty.fromValue(5), QgsProcessingContext()) == 5
    assert _plain(QgsProperty.fromExpression("1 + 1"), QgsProcessingContext()) == "1 + 1"
