"""The dependency installer's choice of pinned set, its refusals and a real offline install
(a hand-made wheel into a temporary target), without QGIS."""
import os
import sys
import zipfile
from importlib import metadata

import pytest

from hazard_susceptibility.core.util import deps
from hazard_susceptibility.core.util import installer
from hazard_susceptibility.core.util import locks
from hazard_susceptibility.core.util.errors import HazardError, InputError


def _wheel(folder, name="hazardtoy", version="1.0"):
    """A minimal pure-Python wheel, made by hand (no build tools, no network)."""
    path = folder / f"{name}-{version}-py3-none-any.whl"
    di = f"{name}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(f"{name}/__init__.py", "VALUE = 42\n")
        z.writestr(f"{di}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        z.writestr(f"{di}/WHEEL", "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                                  "Tag: py3-none-any\n")
        z.writestr(f"{di}/RECORD", f"{name}/__init__.py,,\n{di}/METADATA,,\n{di}/WHEEL,,\n"
                                   f"{di}/RECORD,,\n")
    return path


@pytest.mark.parametrize("version, numpy_major, tag", [
    ((3, 11), 1, "py311-numpy1"),   # Debian 12, QGIS 3.22
    ((3, 12), 1, "py312-numpy1"),   # QGIS 3.34/3.40 with numpy 1 (Ubuntu 24.04)
    ((3, 12), 2, "py312-numpy2"),   # QGIS 3.40 with numpy 2 (OSGeo4W)
    ((3, 13), 2, "py313-numpy2"),   # Debian 13, QGIS 3.40
])
def test_each_qgis_python_gets_its_own_complete_set(version, numpy_major, tag):
    got, lock = installer.chosen_lock(version, numpy_major)
    assert got == tag and os.path.basename(lock) == f"{tag}.txt"
    pins = locks.read_lock(lock)
    assert "numpy" not in pins and "gdal" not in pins
    for needed in ("scikit-learn", "xgboost-cpu", "tensorflow-cpu", "shap",
                   "imbalanced-learn", "betacal", "dask"):
        assert needed in pins, (tag, needed)
    assert all(v[0].isdigit() for v in pins.values())  # exact versions only


def test_a_python_without_a_set_is_told_which_sets_exist():
    with pytest.raises(HazardError, match=r"py310-numpy1.*py311-numpy1.*py313-numpy2"):
        installer.chosen_lock((3, 10), 1)


def test_the_plan_for_this_python_is_what_its_venv_runs():
    """Every package the dry run would install is installed here at exactly that version: the
    plan is the set `make setup` installed and the tests run on, for this Python and numpy."""
    cmd, pk, target, (tag, lock) = installer.plan()
    assert tag == locks.platform_tag() and lock.endswith(f"{tag}.txt")
    assert cmd[0] == deps.python_executable() and cmd[1:4] == ["-m", "pip", "install"]
    assert "--no-deps" in cmd and "--target" in cmd
    assert not any(p.startswith(("numpy", "gdal")) for p in pk)
    for spec in pk:
        name, version = spec.split("==")
        if name in ("setuptools", "wheel"):
            continue
        assert metadata.version(name) == version, spec


@pytest.mark.parametrize("spec", ["--index-url=http://example.invalid/simple",
                                  "--target=/tmp/x", "-r /etc/passwd", "/etc/passwd",
                                  "https://example.invalid/evil.whl", "scikit-learn>=0",
                                  "scikit-learn==0.1", "nosuchpackage", "numpy", "GDAL==3.6.2"])
def test_only_names_of_the_pinned_set_get_to_pip(spec):
    with pytest.raises(InputError) as err:
        installer.plan([spec])
    assert err.value.input_name == "PACKAGES"


def test_a_name_gets_its_pinned_version():
    pins = dict(installer.pinned())
    _, pk, _, _ = installer.plan(["Scikit_Learn", f"shap=={pins['shap']}"])
    assert pk == [f"scikit-learn=={pins['scikit-learn']}", f"shap=={pins['shap']}"]


def test_install_into_a_temporary_target_offline(tmp_path, monkeypatch):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels)
    lock = tmp_path / "lock.txt"
    lock.write_text("# a test set\nhazardtoy==1.0\n")
    target = tmp_path / "target"
    monkeypatch.setattr(sys, "path", list(sys.path))
    rep = installer.install(target=str(target), find_links=str(wheels), lock=str(lock))
    assert rep["packages"] == ["hazardtoy==1.0"] and rep["lock_notes"] == ["a test set"]
    assert (target / "hazardtoy" / "__init__.py").exists()
    # on the path before the first site-packages, as a venv's packages would be
    first_site = next(i for i, p in enumerate(sys.path)
                      if os.path.basename(p) in ("site-packages", "dist-packages"))
    assert sys.path[first_site - 1] == str(target)
    import numpy
    assert not numpy.__file__.startswith(str(target))
    assert not (target / "numpy").exists()


def test_a_failing_install_says_why(tmp_path):
    wheels = tmp_path / "empty"
    wheels.mkdir()
    lock = tmp_path / "lock.txt"
    lock.write_text("nosuchpackage==9.9\n")
    with pytest.raises(HazardError, match="(?s)pip failed.*nosuchpackage"):
        installer.install(target=str(tmp_path / "t"), find_links=str(wheels), lock=str(lock))


def test_the_missing_package_message_names_qgis_python_and_a_working_command():
    msg = deps.missing_message(["xgboost-cpu"])
    py = deps.python_executable()
    assert f"Python {sys.version_info[0]}.{sys.version_info[1]}, {py})" in msg
    assert msg.index("Install Python dependencies") < msg.index(" -m pip install")
    tag, lock = installer.chosen_lock()
    assert (f'"{py}" -m pip install --no-deps --target "{installer.default_target()}" '
            f'-r "{lock}"') in msg
    assert msg.count("xgboost-cpu") == 1
