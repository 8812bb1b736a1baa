"""The gallery renderer draws what an analyst sees: the layer with its saved style, its legend
and its caption (scripts/gallery.py, which `make gallery` runs on the demo's outputs)."""
import os
import sys

import numpy as np

from tests.conftest import ROOT
from tests.helpers import write_raster

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import gallery  # noqa: E402  (scripts/gallery.py)


def test_a_probability_map_is_pictured_green_to_red_with_its_legend(provider, tmp_path):
    from qgis.core import QgsProcessingContext
    from qgis.PyQt.QtGui import QImage

    from hazard_susceptibility.algorithms.styles import attach_style, probability
    ramp = np.tile(np.linspace(0, 1, 200), (200, 1))  # 0 (west) to 1 (east)
    path = write_raster(tmp_path / "p.tif", ramp, (700000, 30, 0, 9560000, 0, -30),
                        nodata=-9999)
    attach_style(QgsProcessingContext(), path, probability(), "raster")
    out = str(tmp_path / "p.png")
    assert gallery.render(out, path, "Susceptibility")
    img = QImage(out)
    assert img.width() > 600 and img.height() > 400
    w, h = img.width(), img.height()

    def rgb(fx, fy):
        c = img.pixelColor(int(fx * w), int(fy * h))
        return c.red(), c.green(), c.blue()
    west, east = rgb(0.05, 0.5), rgb(0.53, 0.5)  # inside the map frame
    assert west[1] > west[0] + 40, west   # green at low probability
    assert east[0] > east[1] + 80, east   # red at high probability
    # the legend, right of the map: its ramp has the red (1) above the green (0)
    legend = [(y, rgb(x / 200, y / 200)) for x in range(112, 140) for y in range(20, 80)]
    reds = [y for y, c in legend if c[0] > c[1] + 80]
    greens = [y for y, c in legend if c[1] > c[0] + 40 and c[1] > 100]
    assert reds and greens and min(reds) < max(greens), (len(reds), len(greens))


def test_every_gallery_entry_is_a_demo_output():
    """The list follows the demo script: each file it names is one the demo writes."""
    demo = open(os.path.join(ROOT, "scripts", "demo.sh"), encoding="utf-8").read()
    for rel, caption in gallery.LAYERS:
        stem = os.path.basename(rel)
        assert caption and (stem in demo or rel.startswith(("sample_area/", "comparison_maps/"))
                            or os.path.splitext(stem)[0] in demo), rel


def test_gallery_pictures_have_distinct_names():
    """Two outputs of one name (the single-hazard and the multi-hazard area of applicability)
    had been drawn into the same picture, the second over the first."""
    names = [gallery.picture_name(rel) for rel, _ in gallery.LAYERS]
    assert len(set(names)) == len(names), sorted(names)
    assert gallery.picture_name("multihazard/applicability.tif") == \
        "multihazard_applicability" and gallery.picture_name("applicability.tif") == \
        "applicability" and gallery.picture_name("multihazard/bivariate.tif") == "bivariate"
