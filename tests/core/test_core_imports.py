"""The core is pure Python: it imports with qgis unavailable."""
import glob
import os
import subprocess
import sys

from tests.conftest import PLUGINS, ROOT

BLOCKER = r"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name == "qgis" or name.startswith("qgis."):
            raise ImportError("qgis is blocked for this test")
        return None
sys.meta_path.insert(0, Block())
sys.path.insert(0, {plugins!r})
import importlib
for m in {modules!r}:
    importlib.import_module(m)
assert not any(k == "qgis" or k.startswith("qgis.") for k in sys.modules), "qgis was imported"
print("ok", len({modules!r}))
"""


def test_core_imports_without_qgis():
    core = os.path.join(ROOT, "core")
    modules = ["hazard_susceptibility"] + [
        "hazard_susceptibility." + os.path.splitext(os.path.relpath(p, ROOT))[0]
        .replace(os.sep, ".").replace(".__init__", "")
        for p in sorted(glob.glob(os.path.join(core, "**", "*.py"), recursive=True))]
    assert "hazard_susceptibility.core.sampling" in modules
    assert len(modules) > 30
    code = BLOCKER.format(plugins=PLUGINS, modules=modules)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("ok")


def test_blocker_really_blocks_qgis():
    code = BLOCKER.format(plugins=PLUGINS, modules=["hazard_susceptibility.provider"])
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert res.returncode != 0 and "qgis is blocked" in res.stderr
