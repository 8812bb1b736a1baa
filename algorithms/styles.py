"""Styles for the plugin's outputs.

A style is a function that sets a renderer on a layer. :func:`attach_style` applies it twice:
it saves it with a file output (GeoPackage: in the database; GeoTIFF: a .qml beside it) so that
``qgis_process`` users get it, and attaches a post-processor that styles the layer Processing
loads into the project.
"""
import os

from qgis.core import (QgsClassificationQuantile, QgsColorRampShader, QgsGraduatedSymbolRenderer,
                       QgsProcessingLayerPostProcessorInterface,
                       QgsRasterLayer, QgsRasterShader, QgsSingleBandPseudoColorRenderer,
                       QgsStyle, QgsVectorLayer)

from . import compat
from ..core.multihazard.bivariate import bivariate_colors

# post-processors must outlive the algorithm run that created them
_KEEP = []


def _ramp(name):
    ramp = QgsStyle.defaultStyle().colorRamp(name)
    if ramp is None:
        ramp = QgsStyle.defaultStyle().colorRamp("Spectral")
    return ramp


def graduated(field, classes=5, ramp="Viridis"):
    """Quantile classes of a numeric field, each label naming the field ("slope_mean 12.3 -
    18.9"): a legend of bare numbers does not say what is mapped."""
    def apply(layer):
        if not isinstance(layer, QgsVectorLayer) or layer.fields().indexOf(field) < 0:
            return
        r = QgsGraduatedSymbolRenderer(field)
        method = QgsClassificationQuantile()
        method.setLabelFormat(f"{field} %1 - %2")
        method.setLabelPrecision(2)
        r.setClassificationMethod(method)
        r.setSourceColorRamp(_ramp(ramp))
        r.updateClasses(layer, classes)
        layer.setRenderer(r)
    return apply


def raster_pseudocolor(band=1, ramp="Viridis"):
    """Continuous pseudocolour of one band between its minimum and maximum."""
    def apply(layer):
        if not isinstance(layer, QgsRasterLayer):
            return
        lo, hi = compat.band_min_max(layer, band)
        if not (hi > lo):
            hi = lo + 1.0
        fcn = QgsColorRampShader(lo, hi)
        fcn.setSourceColorRamp(_ramp(ramp))
        fcn.setColorRampType(compat.RAMP_INTERPOLATED)
        fcn.classifyColorRamp(5, band, layer.extent(), None)  # continuous: no data read
        shader = QgsRasterShader(lo, hi)
        shader.setRasterShaderFunction(fcn)
        # no input: the layer's pipe connects its provider when it takes the renderer
        r = QgsSingleBandPseudoColorRenderer(None, band, shader)
        r.setClassificationMin(lo)
        r.setClassificationMax(hi)
        layer.setRenderer(r)
    return apply


class StylePostProcessor(QgsProcessingLayerPostProcessorInterface):
    def __init__(self, style):
        super().__init__()
        self.style = style

    def postProcessLayer(self, layer, context, feedback):  # noqa: N802
        if layer is not None and layer.isValid():
            self.style(layer)
            layer.triggerRepaint()


def _file_layer(dest, kind):
    path = dest.split("|")[0]
    if not os.path.isfile(path):
        return None
    layer = QgsRasterLayer(dest, "styled") if kind == "raster" else QgsVectorLayer(dest, "styled",
                                                                                   "ogr")
    return layer if layer.isValid() else None


def attach_style(context, dest, style, kind, name=None, role=None, order=0):
    """Save ``style`` with the output ``dest`` and style it when it loads into the project.

    ``role`` places the layer when it loads (algorithms/loading.py): "points", "lines",
    "polygons" (by default from the layer's geometry), "map" (rasters by default) or "support"
    (below the maps, unchecked); ``order`` sorts layers of one role (lower: higher)."""
    from . import loading
    layer = _file_layer(dest, kind)
    if layer is not None:
        style(layer)
        compat.save_default_style(layer)
        role = role or loading.role_of(layer)
        del layer
    loading.note(dest, role or ("map" if kind == "raster" else None), order, name)
    if context.willLoadLayerOnCompletion(dest):
        pp = StylePostProcessor(style)
        _KEEP.append(pp)
        details = context.layerToLoadOnCompletionDetails(dest)
        details.setPostProcessor(pp)
        if name:
            details.name = name


def single_symbol(color, kind="fill", size=2.0):
    """One colour for every feature: polygons filled, points as circles."""
    def apply(layer):
        from qgis.core import QgsFillSymbol, QgsMarkerSymbol, QgsSingleSymbolRenderer
        if kind == "marker":
            sym = QgsMarkerSymbol.createSimple({"name": "circle", "color": color,
                                                "size": str(size), "outline_color": "white"})
        else:
            sym = QgsFillSymbol.createSimple({"color": color, "outline_color": "#333333",
                                              "outline_width": "0.1"})
        layer.setRenderer(QgsSingleSymbolRenderer(sym))
    return apply


CLASS_COLORS = ["#1a9641", "#a6d96a", "#ffffbf", "#fdae61", "#d7191c"]


def susceptibility_classes(names):
    """Paletted classes 1..5 labelled very low .. very high, green to red."""
    colors = CLASS_COLORS if len(names) == 5 else [CLASS_COLORS[min(4, i)]
                                                   for i in range(len(names))]
    return paletted([(i + 1, c, n) for i, (c, n) in enumerate(zip(colors, names))])


def ramp_items(stops, interpolated=True, legend_items=False):
    """A raster style from explicit stops [(value, "#rrggbb", label), ...] (ascending; or a
    function of the layer giving them): the colours are ours, not a named ramp's, so no ramp's
    direction can turn them around. ``interpolated`` False: each stop colours the values up to
    it (discrete classes); ``legend_items``: the legend lists the labelled stops instead of a
    continuous bar."""
    def apply(layer):
        from qgis.PyQt.QtGui import QColor
        if not isinstance(layer, QgsRasterLayer):
            return
        stops_ = stops(layer) if callable(stops) else stops
        lo, hi = stops_[0][0], stops_[-1][0]
        fcn = QgsColorRampShader(lo, hi)
        fcn.setColorRampType(compat.RAMP_INTERPOLATED if interpolated else compat.RAMP_DISCRETE)
        fcn.setColorRampItemList([QgsColorRampShader.ColorRampItem(float(v), QColor(c), lab)
                                  for v, c, lab in stops_])
        if legend_items:  # the legend lists the stops with their labels, not a bare bar
            from qgis.core import QgsColorRampLegendNodeSettings
            settings = QgsColorRampLegendNodeSettings()
            settings.setUseContinuousLegend(False)
            fcn.setLegendSettings(settings)
        shader = QgsRasterShader(lo, hi)
        shader.setRasterShaderFunction(fcn)
        r = QgsSingleBandPseudoColorRenderer(None, 1, shader)
        r.setClassificationMin(lo)
        r.setClassificationMax(hi)
        layer.setRenderer(r)
    return apply


def probability():
    """Probabilities 0..1 from green (0, low) through yellow (0.5) to red (1, high)."""
    return ramp_items([(0.0, CLASS_COLORS[0], "0 (low)"), (0.25, CLASS_COLORS[1], "0.25"),
                       (0.5, CLASS_COLORS[2], "0.5"), (0.75, CLASS_COLORS[3], "0.75"),
                       (1.0, CLASS_COLORS[4], "1 (high)")])


def diverging(lo=-1.0, hi=1.0, title="correlation"):
    """A diverging ramp centred at 0: blue (negative) - white - red (positive)."""
    return ramp_items([(lo, "#2166ac", f"{lo:g} (negative {title})"), (lo / 2, "#92c5de", ""),
                       (0.0, "#f7f7f7", "0"), (hi / 2, "#f4a582", ""),
                       (hi, "#b2182b", f"{hi:g} (positive {title})")])


def _min_max(layer):
    lo, hi = compat.band_min_max(layer, 1)
    return (lo, hi) if hi > lo else (lo, lo + 1.0)


def sequential(low="low", high="high", ramp=("#fff7ec", "#fdbb84", "#d7301f", "#7f0000")):
    """A light (low) to dark (high) sequential ramp over the band's range (e.g. uncertainty),
    its ends labelled with the values and ``low``/``high``."""
    def stops(layer):
        lo, hi = _min_max(layer)
        n = len(ramp) - 1
        labels = [f"{lo:.3g} ({low})"] + [""] * (n - 1) + [f"{hi:.3g} ({high})"]
        return [(lo + (hi - lo) * k / n, c, lab) for k, (c, lab) in enumerate(zip(ramp, labels))]
    return ramp_items(stops)


def critical_value(critical, below="within the presences' envelope", above="sampling space"):
    """D²-like rasters: a light ramp up to the critical value, then a dark, distinct colour
    above it, with the critical value in the legend."""
    def stops(layer):
        hi = max(_min_max(layer)[1], critical * 1.01)
        return [(0.0, "#ffffe5", f"0 ({below})"),
                (critical, "#fe9929", f"{critical:.2f} = critical value"),
                (critical * 1.0001, "#4d004b", f"> {critical:.2f} ({above})"),
                (hi, "#1d0020", f"{hi:.3g}")]
    return ramp_items(stops, legend_items=True)


def paletted(classes):
    """A raster of codes: [(code, "#rrggbb", label), ...]."""
    def apply(layer):
        from qgis.core import QgsPalettedRasterRenderer
        from qgis.PyQt.QtGui import QColor
        if not isinstance(layer, QgsRasterLayer):
            return
        items = [QgsPalettedRasterRenderer.Class(int(c), QColor(col), lab)
                 for c, col, lab in classes]
        layer.setRenderer(QgsPalettedRasterRenderer(None, 1, items))
    return apply


def sampling_mask():
    """The sampling-space mask: 1 sampling space, 0 excluded."""
    return paletted([(0, "#bdbdbd", "excluded"), (1, "#238b45", "sampling space")])


def categorized(field, classes):
    """Features by the value of ``field``: [(value, "#rrggbb", label), ...]."""
    def apply(layer):
        from qgis.core import QgsCategorizedSymbolRenderer, QgsRendererCategory, QgsSymbol
        from qgis.PyQt.QtGui import QColor
        if not isinstance(layer, QgsVectorLayer) or layer.fields().indexOf(field) < 0:
            return
        cats = []
        for value, color, label in classes:
            sym = QgsSymbol.defaultSymbol(layer.geometryType())
            sym.setColor(QColor(color))
            cats.append(QgsRendererCategory(value, sym, label))
        layer.setRenderer(QgsCategorizedSymbolRenderer(field, cats))
    return apply


def size_class_legend(rows, unit="m²"):
    """Categories of landslide size classes from their table rows (class, min_excl, max_incl,
    count): class 0 "no landslide" in grey, classes 1..K light to dark red with their area
    ranges."""
    reds = ["#fcbba1", "#fc9272", "#fb6a4a", "#ef3b2c", "#cb181d", "#a50f15", "#67000d"]
    k = max(1, len(rows) - 1)
    out = []
    for r in rows:
        c = int(r["class"])
        if c == 0:
            out.append((0, "#e0e0e0", f"0: no landslide ({r['count']} units)"))
            continue
        color = reds[min(len(reds) - 1, round((c - 1) * (len(reds) - 1) / max(1, k - 1)))]
        out.append((c, color, f"{c}: {r['min_excl']:,.0f} - {r['max_incl']:,.0f} {unit} "
                              f"({r['count']} units)"))
    return out


def probability_field(field):
    """A probability field in five equal classes 0-0.2 .. 0.8-1, green (low) to red (high)."""
    def apply(layer):
        from qgis.core import QgsRendererRange, QgsSymbol
        from qgis.PyQt.QtGui import QColor
        if not isinstance(layer, QgsVectorLayer) or layer.fields().indexOf(field) < 0:
            return
        names = ["very low", "low", "moderate", "high", "very high"]
        ranges = []
        for k, (color, name) in enumerate(zip(CLASS_COLORS, names)):
            sym = QgsSymbol.defaultSymbol(layer.geometryType())
            sym.setColor(QColor(color))
            lo, hi = k / 5, (k + 1) / 5
            ranges.append(QgsRendererRange(lo, hi, sym, f"{lo:.1f} - {hi:.1f} ({name})"))
        layer.setRenderer(QgsGraduatedSymbolRenderer(field, ranges))
    return apply


def bivariate(labels):
    """Paletted classes 0..24 (code = 5 * flood level + landslide level) with their labels."""
    return paletted([(c, col, lab) for (c, lab), col in zip(labels, bivariate_colors())])
