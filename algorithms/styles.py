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
from ..core.multihazard.blocks import bivariate_colors

# post-processors must outlive the algorithm run that created them
_KEEP = []


def _ramp(name):
    ramp = QgsStyle.defaultStyle().colorRamp(name)
    if ramp is None:
        ramp = QgsStyle.defaultStyle().colorRamp("Spectral")
    return ramp


def graduated(field, classes=5, ramp="Viridis"):
    """Quantile classes of a numeric field."""
    def apply(layer):
        if not isinstance(layer, QgsVectorLayer) or layer.fields().indexOf(field) < 0:
            return
        r = QgsGraduatedSymbolRenderer(field)
        r.setClassificationMethod(QgsClassificationQuantile())
        r.setSourceColorRamp(_ramp(ramp))
        r.updateClasses(layer, classes)
        layer.setRenderer(r)
    return apply


def raster_pseudocolor(band=1, ramp="Viridis"):
    """Continuous pseudocolour of one band between its minimum and maximum."""
    def apply(layer):
        if not isinstance(layer, QgsRasterLayer):
            return
        prov = layer.dataProvider()
        lo, hi = compat.band_min_max(prov, band)
        if not (hi > lo):
            hi = lo + 1.0
        fcn = QgsColorRampShader(lo, hi)
        fcn.setSourceColorRamp(_ramp(ramp))
        fcn.setColorRampType(compat.RAMP_INTERPOLATED)
        fcn.classifyColorRamp(5, band, layer.extent(), prov)
        shader = QgsRasterShader(lo, hi)
        shader.setRasterShaderFunction(fcn)
        r = QgsSingleBandPseudoColorRenderer(prov, band, shader)
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


def attach_style(context, dest, style, kind, name=None):
    """Save ``style`` with the output ``dest`` and style it when it loads into the project."""
    layer = _file_layer(dest, kind)
    if layer is not None:
        style(layer)
        compat.save_default_style(layer)
        del layer
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
    def apply(layer):
        from qgis.core import QgsPalettedRasterRenderer
        from qgis.PyQt.QtGui import QColor
        if not isinstance(layer, QgsRasterLayer):
            return
        colors = CLASS_COLORS if len(names) == 5 else [CLASS_COLORS[min(4, i)]
                                                         for i in range(len(names))]
        classes = [QgsPalettedRasterRenderer.Class(i + 1, QColor(c), n)
                   for i, (c, n) in enumerate(zip(colors, names))]
        layer.setRenderer(QgsPalettedRasterRenderer(layer.dataProvider(), 1, classes))
    return apply


def probability():
    """Probabilities 0..1 on a green-to-red ramp."""
    def apply(layer):
        if not isinstance(layer, QgsRasterLayer):
            return
        prov = layer.dataProvider()
        fcn = QgsColorRampShader(0.0, 1.0)
        fcn.setSourceColorRamp(_ramp("RdYlGn"))
        fcn.setColorRampType(compat.RAMP_INTERPOLATED)
        fcn.classifyColorRamp(5, 1, layer.extent(), prov)
        # green (low) to red (high): the RdYlGn ramp runs red to green, invert its items
        items = fcn.colorRampItemList()
        colors = [it.color for it in items][::-1]
        for it, c in zip(items, colors):
            it.color = c
        fcn.setColorRampItemList(items)
        shader = QgsRasterShader(0.0, 1.0)
        shader.setRasterShaderFunction(fcn)
        r = QgsSingleBandPseudoColorRenderer(prov, 1, shader)
        r.setClassificationMin(0.0)
        r.setClassificationMax(1.0)
        layer.setRenderer(r)
    return apply


def bivariate(labels):
    """Paletted classes 0..24 (code = 5 * flood level + landslide level) with their labels."""
    def apply(layer):
        from qgis.core import QgsPalettedRasterRenderer
        from qgis.PyQt.QtGui import QColor
        if not isinstance(layer, QgsRasterLayer):
            return
        classes = [QgsPalettedRasterRenderer.Class(c, QColor(col), lab)
                   for (c, lab), col in zip(labels, bivariate_colors())]
        layer.setRenderer(QgsPalettedRasterRenderer(layer.dataProvider(), 1, classes))
    return apply
