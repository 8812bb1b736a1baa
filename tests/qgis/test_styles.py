"""Styles read as they mean: each output is opened with the style saved beside it, as QGIS
opens the file, and the colour at known values is checked (a probability of 0.05 green, 0.95
red; D² below and above the critical value apart; labelled categories; correlation white at 0;
the bivariate classes visible and distinct)."""
import os

import numpy as np
import pytest
from osgeo import ogr

from tests.helpers import write_raster


def _saved(path):
    """The layer as QGIS opens the file, with the style saved beside it (.qml, or the
    GeoPackage's default style)."""
    from qgis.core import QgsRasterLayer, QgsVectorLayer
    if path.lower().endswith(".tif"):
        lyr = QgsRasterLayer(path, "x")
        qml = os.path.splitext(path)[0] + ".qml"
        assert os.path.exists(qml), f"no style saved beside {path}"
        assert lyr.loadNamedStyle(qml)[1]
    else:
        lyr = QgsVectorLayer(path, "x", "ogr")
        msg, ok = lyr.loadDefaultStyle()
        assert ok, msg
    assert lyr.isValid()
    return lyr


def _rgb(layer, value):
    fn = layer.renderer().shader().rasterShaderFunction()
    ok, r, g, b, _ = fn.shade(float(value))
    assert ok, value
    return np.array([r, g, b])


def _green(c):
    return c[1] > c[0] + 40 and c[1] > c[2]


def _red(c):
    return c[0] > c[1] + 80 and c[0] > c[2] + 80


def _styled_raster(tmp_path, style, values, name="r.tif"):
    from qgis.core import QgsProcessingContext

    from hazard_susceptibility.algorithms.styles import attach_style
    path = write_raster(tmp_path / name, np.asarray(values, float).reshape(1, -1),
                        (700000, 30, 0, 9560000, 0, -30), nodata=-9999)
    attach_style(QgsProcessingContext(), path, style, "raster")
    return _saved(path)


def test_a_probability_map_runs_green_to_red(provider, tmp_path):
    """The ramp had been reversed onto itself: green, yellow, green."""
    from hazard_susceptibility.algorithms.styles import probability
    lyr = _styled_raster(tmp_path, probability(), np.linspace(0, 1, 11))
    lo, mid, hi = _rgb(lyr, 0.05), _rgb(lyr, 0.5), _rgb(lyr, 0.95)
    assert _green(lo), lo
    assert _red(hi), hi
    assert mid[0] > 200 and mid[1] > 200, mid  # yellow in the middle


def test_the_applied_model_map_is_green_low_and_red_high(run, small_model, tmp_path):
    """The probability output of applymodel, opened with its saved style."""
    model, facts = small_model
    res = run("hazard:applymodel", {"MODEL": model, "FACTORS": facts,
                                    "OUTPUT": str(tmp_path / "p.tif"),
                                    "OUTPUT_CLASSES": str(tmp_path / "c.tif")})
    lyr = _saved(res["OUTPUT"])
    assert _green(_rgb(lyr, 0.05)) and _red(_rgb(lyr, 0.95))
    cls = _saved(res["OUTPUT_CLASSES"])
    classes = {c.value: (c.label, c.color.name()) for c in cls.renderer().classes()}
    assert classes[1][0].lower().startswith("very low") and _green(
        np.array([int(classes[1][1][i:i + 2], 16) for i in (1, 3, 5)]))
    assert classes[5][0].lower().startswith("very high") and _red(
        np.array([int(classes[5][1][i:i + 2], 16) for i in (1, 3, 5)]))


@pytest.mark.parametrize("field", ["probability", "p_landslide"])
def test_probability_fields_run_green_to_red_in_fixed_classes(provider, tmp_path, field):
    """The slope-unit probability fields had run red (low) to green (high)."""
    from qgis.core import QgsProcessingContext, QgsVectorLayer

    from hazard_susceptibility.algorithms.compat import double_field
    from hazard_susceptibility.algorithms.styles import attach_style, probability_field
    from tests.helpers import write_polygons
    path = write_polygons(tmp_path / "u.gpkg", [ogr.CreateGeometryFromWkt(
        f"POLYGON (({i} 0, {i + 1} 0, {i + 1} 1, {i} 0))") for i in range(3)])
    lyr = QgsVectorLayer(path, "u", "ogr")
    lyr.dataProvider().addAttributes([double_field(field)])
    lyr.updateFields()
    del lyr
    attach_style(QgsProcessingContext(), path, probability_field(field), "vector")
    lyr = _saved(path)  # the layer owns its renderer: keep it
    r = lyr.renderer()
    assert r.classAttribute() == field
    rng = r.ranges()
    bounds = [v for x in rng for v in (x.lowerValue(), x.upperValue())]
    assert bounds == pytest.approx([v for k in range(5) for v in (k / 5, (k + 1) / 5)])
    c = [np.array(x.symbol().color().getRgb()[:3]) for x in rng]
    assert _green(c[0]) and _red(c[-1])
    assert "very low" in rng[0].label() and "very high" in rng[-1].label()


def test_mahalanobis_d2_and_mask_say_what_they_are(run, sample_area, tmp_path):
    """D² had been a linear stretch to its maximum, almost black, with no mark at the critical
    value; the mask an unlabelled 0/1 gradient."""
    folder, _ = sample_area
    res = run("hazard:mahalanobisabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"),
        "FACTORS": [str(folder / "factors" / f"{n}.tif") for n in ("slope", "ndvi", "pga")],
        "OUTPUT": str(tmp_path / "a.gpkg"), "OUTPUT_D2": str(tmp_path / "d2.tif"),
        "OUTPUT_MASK": str(tmp_path / "mask.tif")})
    d2 = _saved(res["OUTPUT_D2"])
    items = d2.renderer().shader().rasterShaderFunction().colorRampItemList()
    crit = [it.value for it in items if "critical value" in it.label]
    assert len(crit) == 1
    below, above = _rgb(d2, crit[0] * 0.5), _rgb(d2, crit[0] * 1.5)
    assert below.sum() > 450 and above.sum() < 250, (below, above)  # light vs dark
    mask = _saved(res["OUTPUT_MASK"])
    labels = {c.value: c.label for c in mask.renderer().classes()}
    assert labels == {0: "excluded", 1: "sampling space"}


def test_correlation_is_centred_at_zero_and_uncertainty_is_sequential(provider, tmp_path):
    from hazard_susceptibility.algorithms.styles import diverging, sequential
    rho = _styled_raster(tmp_path, diverging(-1.0, 1.0), [-0.9, -0.2, 0.3], "rho.tif")
    zero = _rgb(rho, 0.0)
    assert zero.min() > 230, zero  # white at 0 whatever the data's range
    neg, pos = _rgb(rho, -0.8), _rgb(rho, 0.8)
    assert neg[2] > neg[0] and pos[0] > pos[2]
    unc = _styled_raster(tmp_path, sequential("more certain", "less certain"),
                         [-3.0, 0.0, 5.0], "unc.tif")
    lum = [_rgb(unc, v).sum() for v in np.linspace(-3, 5, 9)]
    assert all(a > b for a, b in zip(lum, lum[1:])), lum  # darker as uncertainty grows


def test_bivariate_classes_are_visible_and_distinct():
    """VL-VL had been pure white (reads as no data) and the four high-high cells nearly
    black."""
    from hazard_susceptibility.core.multihazard.bivariate import bivariate_colors
    cols = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in bivariate_colors()],
                    float)
    assert cols[0].min() < 245, cols[0]  # not white
    assert (cols.sum(axis=1) > 150).all(), cols.sum(axis=1)  # none close to black
    d = np.sqrt(((cols[:, None] - cols[None]) ** 2).sum(-1))
    np.fill_diagonal(d, np.inf)
    assert d.min() > 18, d.min()  # every pair apart
    high = [18, 19, 23, 24]  # flood H/VH x landslide H/VH
    assert min(d[i, j] for i in high for j in high if i != j) > 25


def test_size_classes_and_zones_are_labelled_categories(run, sample_area, tmp_path):
    """Size classes had quantile bins on a mostly-zero field ("0 - 0"); integer zones a
    graduated "1 - 1.75"."""
    folder, _ = sample_area
    su = run("hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"),
        "FACTORS": [str(folder / "factors" / "slope.tif")],
        "LANDSLIDES": str(folder / "landslides.gpkg"), "OUTPUT": str(tmp_path / "su.gpkg")})
    sc = run("hazard:hnnsizeclasses", {"UNITS": su["OUTPUT"],
                                       "OUTPUT": str(tmp_path / "classes.gpkg")})
    lyr = _saved(sc["OUTPUT"])
    r = lyr.renderer()
    assert r.type() == "categorizedSymbol" and r.classAttribute() == "size_class"
    labels = [c.label() for c in r.categories()]
    assert labels[0].startswith("0: no landslide")
    assert all(" m²" in lab and " - " in lab for lab in labels[1:]), labels
    area = run("hazard:createsamplearea", {"OUTPUT_FOLDER": str(tmp_path / "area")})
    zl = _saved(area["ZONES"])
    z = zl.renderer()
    assert z.type() == "categorizedSymbol"
    assert [c.label() for c in z.categories()] == ["zone 1", "zone 2", "zone 3", "zone 4"]


def test_a_graduated_legend_names_its_field(run, sample_area, tmp_path):
    """The slope-unit statistics legend had been bare numbers (1,869 - 2,357 ...): which
    field they were did not show."""
    folder, _ = sample_area
    su = run("hazard:slopeunitstats", {
        "SLOPE_UNITS": str(folder / "slope_units.gpkg"),
        "FACTORS": [str(folder / "factors" / "slope.tif")], "OUTPUT": str(tmp_path / "su.gpkg")})
    lyr = _saved(su["OUTPUT"])
    labels = [r.label() for r in lyr.renderer().ranges()]
    assert len(labels) == 5 and all(lab.startswith("slope_mean ") for lab in labels), labels


def test_the_d2_legend_lists_the_critical_value(provider, tmp_path):
    """A continuous legend bar shows only the minimum and maximum: the D² legend lists its
    stops, the critical value among them."""
    from hazard_susceptibility.algorithms.styles import critical_value
    lyr = _styled_raster(tmp_path, critical_value(7.81), [0.5, 3.0, 20.0, 80.0], "d2.tif")
    fn = lyr.renderer().shader().rasterShaderFunction()
    assert not fn.legendSettings().useContinuousLegend()
    labels = [lab for lab, _ in fn.legendSymbologyItems()]
    assert any("7.81 = critical value" in lab for lab in labels), labels


@pytest.mark.parametrize("kind", ["ramp", "classes", "stops"])
def test_a_loaded_raster_legend_shows_its_classes_not_its_band_name(provider, tmp_path, kind):
    """The Layers panel headed each styled raster with "Band 1: probability (Gray)" (QGIS's
    band name and colour interpretation); placed by a run, the legend keeps only the ramp or
    the classes."""
    from qgis.core import QgsLayerTreeModel, QgsProject
    from qgis.PyQt.QtCore import Qt

    from hazard_susceptibility.algorithms import loading
    from hazard_susceptibility.algorithms.styles import (critical_value, probability,
                                                         susceptibility_classes)
    style, values = {"ramp": (probability(), np.linspace(0, 1, 11)),
                     "classes": (susceptibility_classes(
                         ["very low", "low", "moderate", "high", "very high"]), [1, 2, 3, 4, 5]),
                     "stops": (critical_value(7.81), [0.5, 3.0, 20.0, 80.0])}[kind]
    lyr = _styled_raster(tmp_path, style, values, f"{kind}.tif")
    project = QgsProject.instance()
    project.addMapLayer(lyr)
    try:
        model = QgsLayerTreeModel(project.layerTreeRoot())
        node = project.layerTreeRoot().findLayer(lyr.id())

        def texts():
            return [str(n.data(Qt.ItemDataRole.DisplayRole) or "")
                    for n in model.layerLegendNodes(node)]
        before = texts()
        assert before[0].startswith("Band 1"), before  # what QGIS shows by itself
        loading.place(project.layerTreeRoot(), lyr, "run-token", None, "map")
        node = project.layerTreeRoot().findLayer(lyr.id())
        after = texts()
        assert after == before[1:], (before, after)
        if kind == "classes":
            assert after == ["very low", "low", "moderate", "high", "very high"], after
        if kind == "stops":
            assert any("7.81 = critical value" in t for t in after), after
    finally:
        project.removeMapLayer(lyr.id())
