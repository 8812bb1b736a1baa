"""Render every output of the demo with its saved style (map, legend, title) to PNG, screenshot
every HTML report, and write docs/gallery.md (run with QGIS's Python; `make gallery` does).

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/gallery.py DEMO_OUTPUT DOCS_FOLDER

Each layer is opened as QGIS opens the file: a GeoTIFF with the .qml saved beside it, a
GeoPackage with the style saved inside it, so the pictures show what an analyst gets.
Reports need a headless Chromium (`make gallery` installs Debian's); without one they are
listed but not pictured.
"""
import os
import shutil
import subprocess
import sys
import tempfile

#: the demo's outputs in the order of its steps: (file under DEMO_OUTPUT, caption)
LAYERS = [
    ("sample_area/dem.tif", "Sample study area: DEM"),
    ("sample_area/zones.gpkg", "Sample study area: contextual zones"),
    ("sample_area/landslides.gpkg", "Sample study area: landslide polygons"),
    ("factors_aligned.tif", "Aligned factor stack (first band)"),
    ("slope_unit_stats.gpkg", "Slope-unit statistics (the mean of the first factor)"),
    ("landslides_training.gpkg", "Landslides for training (70 %)"),
    ("landslides_held_out.gpkg", "Landslides held out for evaluation (30 %, whole 2 km blocks)"),
    ("samples_mahalanobis.gpkg", "Mahalanobis samples (presences red, absences blue)"),
    ("mahalanobis_d2.tif", "Squared Mahalanobis distance D² with the critical value"),
    ("mahalanobis_space.tif", "Mahalanobis sampling space"),
    ("samples_slope.gpkg", "Slope-threshold samples"),
    ("susceptibility.tif", "Susceptibility (random forest): probability"),
    ("susceptibility_classes.tif", "Susceptibility classes (natural breaks)"),
    ("uncertainty.tif", "Prediction uncertainty (spread of the forest's trees)"),
    ("dissimilarity.tif", "Dissimilarity index to the training samples"),
    ("applicability.tif", "Area of applicability (Meyer & Pebesma 2021)"),
    ("comparison_maps/samples_mahalanobis.tif", "Comparison: map from the Mahalanobis samples"),
    ("comparison_maps/samples_slope.tif", "Comparison: map from the slope-threshold samples"),
    ("slope_units_classes.gpkg", "Landslide size classes per slope unit"),
    ("slope_units_hnn.gpkg", "Hierarchical NN: P(landslide) per slope unit"),
    ("slope_units_applicability.gpkg", "Hierarchical NN: area of applicability per slope unit"),
    ("multihazard/samples.gpkg", "Multi-hazard samples"),
    ("multihazard/moe_flood.tif", "Flood susceptibility (Mixture of Experts)"),
    ("multihazard/moe_landslide.tif", "Landslide susceptibility (Mixture of Experts)"),
    ("multihazard/lf_flood.tif", "Flood susceptibility (Late Fusion)"),
    ("multihazard/lf_landslide.tif", "Landslide susceptibility (Late Fusion)"),
    ("multihazard/ef_flood.tif", "Flood susceptibility (Early Fusion)"),
    ("multihazard/ef_landslide.tif", "Landslide susceptibility (Early Fusion)"),
    ("multihazard/uncertainty.tif", "Joint log-uncertainty (Early Fusion)"),
    ("multihazard/correlation.tif", "Inter-hazard correlation (Early Fusion)"),
    ("multihazard/bivariate.tif", "Bivariate flood-landslide classes"),
    ("multihazard/applicability.tif", "Multi-hazard: area of applicability of each zone's models"),
]

#: the key pictures the README shows, copied to docs/images (the gallery itself is made, not
#: kept in the repository: docs/gallery/ and docs/gallery.md are ignored by git)
KEY = ("susceptibility_classes", "bivariate", "report_evaluation")


def picture_name(rel):
    """The picture's name for the demo output ``rel``: its file name, with its folder when
    another output has the same file name (the comparison maps always)."""
    name = os.path.splitext(os.path.basename(rel))[0]
    if rel.startswith("comparison_maps/"):
        return "comparison_" + name
    if os.path.dirname(rel) and sum(os.path.basename(r) == os.path.basename(rel)
                                    for r, _ in LAYERS) > 1:
        return os.path.dirname(rel).replace("/", "_") + "_" + name
    return name


def render(out, path, caption, dpi=80):
    """One layer with its saved style: map, legend and caption, as a PNG."""
    from qgis.core import (QgsLayout, QgsLayoutExporter, QgsLayoutItemLabel,
                           QgsLayoutItemLegend, QgsLayoutItemMap, QgsLayoutPoint,
                           QgsLayoutSize, QgsProject, QgsRasterLayer, QgsUnitTypes,
                           QgsVectorLayer)
    from qgis.PyQt.QtGui import QColor, QFont
    from qgis.core import Qgis
    mm = Qgis.LayoutUnit.Millimeters if hasattr(Qgis, "LayoutUnit") \
        else QgsUnitTypes.LayoutUnit.LayoutMillimeters  # 3.22 .. 3.28
    if path.lower().endswith(".tif"):
        layer = QgsRasterLayer(path, os.path.basename(path))
        qml = os.path.splitext(path)[0] + ".qml"
        if os.path.exists(qml):
            layer.loadNamedStyle(qml)
    else:
        layer = QgsVectorLayer(path, os.path.basename(path), "ogr")
        layer.loadDefaultStyle()
    if not layer.isValid():
        raise SystemExit(f"cannot open {path}")
    project = QgsProject.instance()
    project.clear()
    project.addMapLayer(layer)
    layout = QgsLayout(project)
    layout.initializeDefaults()
    layout.pageCollection().page(0).setPageSize(QgsLayoutSize(260, 165, mm))
    m = QgsLayoutItemMap(layout)
    m.attemptMove(QgsLayoutPoint(5, 14, mm))
    m.attemptResize(QgsLayoutSize(145, 145, mm))
    m.setLayers([layer])
    m.setCrs(layer.crs())
    m.setExtent(layer.extent())
    m.setBackgroundColor(QColor("#bfbfbf"))  # grey, so transparent nodata shows
    m.setFrameEnabled(True)
    layout.addLayoutItem(m)
    title = QgsLayoutItemLabel(layout)
    title.setText(caption)
    font = QFont()
    font.setPointSize(13)
    title.setFont(font)
    title.attemptMove(QgsLayoutPoint(5, 3, mm))
    title.attemptResize(QgsLayoutSize(250, 10, mm))
    layout.addLayoutItem(title)
    legend = QgsLayoutItemLegend(layout)
    legend.setLinkedMap(m)
    legend.setAutoUpdateModel(True)
    legend.attemptMove(QgsLayoutPoint(155, 14, mm))
    layout.addLayoutItem(legend)
    legend.adjustBoxSize()
    renderer = layer.renderer()
    entries = len(renderer.classes()) if hasattr(renderer, "classes") else 0
    if entries > 14:  # a long legend (the 25 bivariate classes) in two columns fits the page
        legend.setColumnCount(2)
        legend.setSplitLayer(True)
        layout.pageCollection().page(0).setPageSize(QgsLayoutSize(330, 165, mm))
        legend.adjustBoxSize()
    settings = QgsLayoutExporter.ImageExportSettings()
    settings.dpi = dpi
    image = QgsLayoutExporter(layout).renderPageToImage(0, settings.imageSize, dpi)
    project.clear()
    return image.save(out, "PNG")


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if shutil.which(name):
            return shutil.which(name)
    return None


def screenshot(browser, html, out, height=2400):
    """The report as a browser shows it (headless, whole page up to ``height`` pixels)."""
    profile = tempfile.mkdtemp(prefix="hazard_gallery_")
    try:
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--no-first-run", f"--user-data-dir={profile}",
                        f"--window-size=1100,{height}", f"--screenshot={os.path.abspath(out)}",
                        "file://" + os.path.abspath(html)], capture_output=True, timeout=180)
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if not os.path.exists(out):
        return False
    trim(out)
    return True


def trim(path, margin=24):
    """Cut the blank page below a report's last line (the screenshot is of a fixed height)."""
    from qgis.PyQt.QtGui import QImage
    image = QImage(path)
    white = image.pixel(image.width() - 1, image.height() - 1)
    last = image.height() - 1
    while last > 0 and all(image.pixel(x, last) == white
                           for x in range(0, image.width(), 4)):
        last -= 1
    if last + margin < image.height():
        image.copy(0, 0, image.width(), last + margin).save(path, "PNG")


#: the folder under docs/gallery where tests/qgis/test_desktop.py saves its screenshots
DESKTOP = "desktop"
DESKTOP_CAPTIONS = {"modeler": "in the Graphical Modeler (whole model)",
                    "modeler_100": "in the Graphical Modeler (its top, at 100 %)",
                    "window": "QGIS after the run (layers loaded)",
                    "dialog": "its dialog after the run (log)"}


def desktop_section(pictures):
    """The screenshots of the desktop test (real QGIS under Xvfb, `make test`), in its run
    order, each with what it shows and how its run ended."""
    import json
    folder = os.path.join(pictures, DESKTOP)
    index = os.path.join(folder, "index.json")
    lines = ["## QGIS desktop", ""]
    if not os.path.exists(index):
        return lines + ["No screenshots: `make test` (tests/qgis/test_desktop.py, which needs "
                        "xvfb-run and /usr/bin/qgis) makes them in docs/gallery/desktop.", ""]
    lines += ["The real QGIS application under Xvfb with the plugin in a fresh profile, as "
              "tests/qgis/test_desktop.py drives it: each dialog run with its outputs left "
              "temporary, each shipped model run as the Modeler's Run button runs it, and each "
              "model opened in the Graphical Modeler.", ""]
    with open(index) as fh:
        jobs = json.load(fh)
    for job in jobs:
        state = ("QGIS crashed (exit code %s)" % job.get("exit_code")
                 if job.get("exit_code") not in (0, None) else
                 "did not finish" if job.get("exit_code") is None else
                 "" if job.get("kind") == "modeler" else
                 "completed" if job.get("completed") else "failed")
        if job.get("not_correctly_generated"):
            state += ', log in red: "not correctly generated"'
        lines += [f"### {job['id']}", "", f"`{job.get('alg')}`" + (
            f" ({state}{', %s s' % job['seconds'] if job.get('seconds') else ''})"
            if state else ""), ""]
        for key, caption in DESKTOP_CAPTIONS.items():
            name = job.get(key)
            if name and os.path.exists(os.path.join(folder, name)):
                lines += [f"![{job['id']}: {caption}](gallery/{DESKTOP}/{name})", ""]
    return lines


def main(demo, docs):
    from qgis.core import QgsApplication
    app = QgsApplication([], False)
    app.initQgis()
    pictures = os.path.join(docs, "gallery")
    if os.path.isdir(pictures):  # pictures of outputs that no longer exist must not stay
        for name in os.listdir(pictures):  # (the desktop test's own folder stays)
            if name != DESKTOP:
                p = os.path.join(pictures, name)
                shutil.rmtree(p) if os.path.isdir(p) else os.remove(p)
    os.makedirs(pictures, exist_ok=True)
    lines = ["# Gallery", "",
             "Every output of `make demo` (seed 42, the bundled sample study area) as QGIS opens "
             "it, with the style the plugin saved beside it, and every report as a browser "
             "shows it. `make gallery` makes these pictures again.", "", "## Maps", ""]
    missing = []
    for rel, caption in LAYERS:
        path = os.path.join(demo, rel)
        if not os.path.exists(path):
            missing.append(rel)
            continue
        name = picture_name(rel)
        png = os.path.join(pictures, f"{name}.png")
        if render(png, path, caption):
            lines += [f"### {caption}", "", f"`{rel}`", "", f"![{caption}](gallery/{name}.png)",
                      ""]
            print("wrote", png)
    lines += ["## Reports", ""]
    browser = chromium()
    reports = sorted(os.path.relpath(os.path.join(d, f), demo) for d, _, fs in os.walk(demo)
                     for f in fs if f.endswith(".html"))
    for rel in reports:
        name = "report_" + os.path.splitext(rel.replace(os.sep, "_"))[0]
        png = os.path.join(pictures, f"{name}.png")
        if browser and screenshot(browser, os.path.join(demo, rel), png):
            lines += [f"### {rel}", "", f"![{rel}](gallery/{name}.png)", ""]
            print("wrote", png)
        else:
            lines += [f"### {rel}", "", "(no browser to picture it: install chromium)", ""]
    lines += desktop_section(pictures)
    if missing:
        lines += ["## Not found", "", "Outputs of the list that this demo run did not write: " +
                  ", ".join(f"`{m}`" for m in missing), ""]
    with open(os.path.join(docs, "gallery.md"), "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines))
    os.makedirs(os.path.join(docs, "images"), exist_ok=True)
    for name in KEY:
        src = os.path.join(pictures, f"{name}.png")
        if os.path.exists(src):
            shutil.copy(src, os.path.join(docs, "images", f"{name}.png"))
    print("wrote", os.path.join(docs, "gallery.md"))
    os._exit(0)  # QGIS 3.22 can crash in exitQgis() while layers are still held


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
