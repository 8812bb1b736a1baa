"""The static Qt 6 / QGIS 4 gate (scripts/qt6_gate.py, also `make check-qt6`): the tree passes it,
and a temporary copy with planted Qt 5-only forms fails it, each one named at its line."""
import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import qt6_gate  # noqa: E402


def test_tree_passes_the_gate(qgis_app):
    files = qt6_gate.python_files(ROOT)
    rel = {os.path.relpath(p, ROOT) for p in files}
    # what ships, and the tests, scripts and benchmarks are all read; the venv is not
    assert {"provider.py", "algorithms/compat.py", "tests/qgis/test_compat.py",
            "scripts/gallery.py"} <= rel
    assert not any(r.startswith((".venv", ".build")) for r in rel)
    findings = qt6_gate.check(ROOT)
    assert not findings, "\n".join(findings)


# (file, line planted at its end, what the gate must say about it)
PLANTS = [
    ("algorithms/compat.py", "_PLANTED = QgsProcessing.TypeRaster",
     "QT6E unscoped enum QgsProcessing.TypeRaster"),
    ("algorithms/compat.py", "_PLANTED_2 = QgsProcessingParameterNumber.Integer",
     "QT6E unscoped enum QgsProcessingParameterNumber.Integer"),
    ("provider.py", "from qgis.PyQt.QtCore import Qt as _Qt\n_PLANTED = _Qt.AlignLeft",
     "QT6E unscoped enum _Qt.AlignLeft: PyQt6 / QGIS 4 need _Qt.AlignmentFlag.AlignLeft"),
    ("algorithms/styles.py",
     "from qgis import core as _core\n_PLANTED = _core.QgsProperty.StaticProperty",
     "QT6E unscoped enum _core.QgsProperty.StaticProperty"),
    ("algorithms/base.py", "from qgis.PyQt.QtCore import QVariant\n_PLANTED = QVariant.Double",
     "QGS402"),
    ("algorithms/guard.py", "def _planted(dialog):\n    return dialog.exec_()", "QGS107"),
    ("algorithms/params.py", "from PyQt5.QtCore import QObject as _QObject  # noqa: F401",
     "QGS103"),
]


def test_planted_qt5_forms_fail_the_gate(qgis_app, tmp_path, capsys):
    copy = tmp_path / "plugin"
    shutil.copytree(os.path.join(ROOT, "algorithms"), copy / "algorithms",
                    ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("provider.py", "__init__.py"):
        shutil.copy(os.path.join(ROOT, name), copy / name)
    expected = []
    for rel, code, says in PLANTS:
        path = copy / rel
        text = path.read_text(encoding="utf-8")
        if not text.endswith("\n"):
            text += "\n"
        line = text.count("\n") + code.count("\n") + 1  # the last line of the plant
        path.write_text(text + code + "\n", encoding="utf-8")
        expected.append((rel, line, says))
    # the command itself exits 1, printing one line per finding
    assert qt6_gate.main([str(copy)]) == 1
    findings = capsys.readouterr().out.splitlines()
    for rel, line, says in expected:
        assert any(f.startswith(f"{rel}:{line}:") and says in f for f in findings), \
            (rel, line, says, findings)
    # nothing else: every finding is on a planted line
    planted = {f"{rel}:{line}:" for rel, line, _ in expected}
    assert all(f[:f.index(":", f.index(":") + 1) + 1] in planted for f in findings), findings


def test_scoped_forms_pass(qgis_app, tmp_path):
    """The scoped forms of the planted enums are not reported (no false alarm on Enum.Member)."""
    (tmp_path / "ok.py").write_text(
        "from qgis.core import QgsProcessing, QgsProcessingParameterNumber\n"
        "from qgis.PyQt.QtCore import Qt\n"
        "A = QgsProcessing.SourceType.TypeRaster\n"
        "B = QgsProcessingParameterNumber.Type.Integer\n"
        "C = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop\n"
        "D = QgsProcessing.TEMPORARY_OUTPUT\n", encoding="utf-8")
    assert qt6_gate.check(str(tmp_path)) == []


@pytest.mark.parametrize("missing", ["flake8-qgis"])
def test_gate_refuses_without_flake8_qgis(monkeypatch, tmp_path, missing):
    """Without the checker the gate fails loudly instead of passing on nothing."""
    import subprocess as sp
    real = sp.run

    def fake(cmd, *a, **k):
        res = real(cmd, *a, **k)
        if "--version" in cmd:
            res.stdout = res.stdout.replace(missing, "")
        return res
    monkeypatch.setattr(qt6_gate.subprocess, "run", fake)
    (tmp_path / "x.py").write_text("X = 1\n", encoding="utf-8")
    with pytest.raises(RuntimeError, match="flake8-qgis is not installed"):
        qt6_gate.check(str(tmp_path))
