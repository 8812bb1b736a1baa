"""`make gallery` shows the desktop test's screenshots (docs/gallery/desktop, written by
tests/qgis/test_desktop.py) with how each run ended, and keeps that folder when it pictures
the demo again (scripts/gallery.py)."""
import json
import os
import sys

from tests.conftest import ROOT

sys.path.insert(0, os.path.join(ROOT, "scripts"))
import gallery  # noqa: E402  (scripts/gallery.py)


def test_the_desktop_screenshots_are_listed_with_their_outcome(tmp_path):
    folder = tmp_path / "gallery" / gallery.DESKTOP
    folder.mkdir(parents=True)
    (folder / "a_window.png").write_bytes(b"png")
    (folder / "a_dialog.png").write_bytes(b"png")
    (folder / "m_modeler.png").write_bytes(b"png")
    (folder / "index.json").write_text(json.dumps([
        {"id": "a", "kind": "dialog", "alg": "hazard:applymodel", "seconds": 3.2,
         "completed": True, "not_correctly_generated": True, "window": "a_window.png",
         "dialog": "a_dialog.png", "exit_code": 0},
        {"id": "w", "kind": "dialog", "alg": "hazard:workflowmahalanobis", "exit_code": 139},
        {"id": "m", "kind": "modeler", "alg": "x.model3", "modeler": "m_modeler.png",
         "exit_code": 0}]))
    text = "\n".join(gallery.desktop_section(str(tmp_path / "gallery")))
    assert "![a: QGIS after the run (layers loaded)](gallery/desktop/a_window.png)" in text
    assert "(gallery/desktop/a_dialog.png)" in text and "(gallery/desktop/m_modeler.png)" in text
    assert 'completed, log in red: "not correctly generated", 3.2 s' in text
    assert "QGIS crashed (exit code 139)" in text


def test_without_screenshots_the_gallery_says_how_to_make_them(tmp_path):
    text = "\n".join(gallery.desktop_section(str(tmp_path)))
    assert "make test" in text and "test_desktop.py" in text
