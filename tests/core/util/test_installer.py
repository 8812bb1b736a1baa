"""The dependency installer's choice of pinned set, its refusals and a real offline install
(a hand-made wheel into a temporary target), without QGIS."""
import json
import os
import subprocess
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


# --- Python 3.14: a set without TensorFlow, which has no release for it --------------------------

LOCK_314 = os.path.join(locks.LOCK_DIR, "py314-numpy2.txt")


def _requirements():
    with open(os.path.join(locks.PLUGIN_DIR, "requirements.txt"), encoding="utf-8") as fh:
        return [locks.norm(ln.split("#")[0].strip()) for ln in fh if ln.split("#")[0].strip()]


@pytest.fixture()
def python314(monkeypatch):
    """This process seen as QGIS 3.44's Python 3.14 with numpy 2 (Debian forky/sid)."""
    monkeypatch.setattr(sys, "version_info", (3, 14, 0, "final", 0))
    monkeypatch.setattr(locks, "numpy_major", lambda default=None: 2)


def test_python_314_gets_a_complete_set_that_says_it_has_no_tensorflow():
    tag, lock = installer.chosen_lock((3, 14), 2)
    assert tag == "py314-numpy2" and lock == LOCK_314
    pins, without = locks.read_lock(lock), locks.lock_without(lock)
    assert list(without) == ["tensorflow-cpu"]
    assert "no release for Python 3.14" in without["tensorflow-cpu"]
    assert not any(n.startswith(("tensorflow", "keras", "tensorboard")) for n in pins)
    assert "numpy" not in pins and "gdal" not in pins
    for name in _requirements():  # everything else the plugin uses is pinned
        assert name in pins or name in without, name
    assert all(v[0].isdigit() for v in pins.values())
    # the other sets leave nothing out
    for other in locks.available_tags():
        if other != "py314-numpy2":
            assert locks.lock_without(locks.lock_path(other)) == {}, other


def test_the_installer_on_python_314_plans_that_set_and_says_so(python314, tmp_path):
    rep = installer.install(target=str(tmp_path / "t"), dry_run=True)
    assert rep["tag"] == "py314-numpy2" and rep["lock"] == LOCK_314
    assert not any(p.startswith("tensorflow") for p in rep["packages"])
    assert any(p.startswith("scikit-learn==") for p in rep["packages"])
    assert list(rep["without"]) == ["tensorflow-cpu"]
    note = rep["without_note"]
    assert "py314-numpy2 has no tensorflow-cpu" in note and "neural networks" in note
    assert "every other algorithm works" in note
    assert not (tmp_path / "t").exists()
    with pytest.raises(InputError, match=r"'tensorflow-cpu' cannot be installed for the Python "
                                         r"that QGIS runs: TensorFlow has no release for Python "
                                         r"3\.14") as err:
        installer.plan(["tensorflow-cpu"])
    assert err.value.input_name == "PACKAGES"


def test_tensorflow_on_python_314_is_refused_naming_the_python_and_what_to_do(
        python314, monkeypatch):
    msg = deps.missing_message(["tensorflow-cpu", "imbalanced-learn"])
    assert f"Python 3.14, {deps.python_executable()})" in msg
    assert "no release for Python 3.14" in msg
    assert "use a QGIS that runs Python 3.13 or older" in msg
    assert "wait for a release of tensorflow-cpu for Python 3.14" in msg
    assert "Every other algorithm of the plugin works" in msg
    assert "It also needs imbalanced-learn" in msg
    assert " -m pip install" not in msg  # no command that cannot work
    # the core's own check says the same
    real = deps.available
    monkeypatch.setattr(deps, "available", lambda m: False if m == "tensorflow" else real(m))
    with pytest.raises(deps.DependencyError, match="use a QGIS that runs Python 3.13 or older"):
        deps.require("tensorflow")
    # a package the 3.14 set has is still the installer's job
    msg = deps.missing_message(["scikit-learn"])
    assert "Install Python dependencies" in msg and "cannot be installed" not in msg


def test_the_python_314_set_resolves_for_python_314_with_pip(tmp_path):
    """pip resolves requirements.txt (less what the set leaves out) for CPython 3.14 on this
    platform, wheels only, held to the lock and to a numpy 2 QGIS could have: every pin has a
    3.14 wheel, the pins agree with each other and nothing outside the set is needed."""
    pip = [sys.executable, "-m", "pip"]
    probe = subprocess.run(pip + ["index", "versions", "pip", "--retries", "0", "--timeout", "15"],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"the package index is unreachable: {probe.stderr.strip()[-200:]}")
    pins, without = locks.read_lock(LOCK_314), locks.lock_without(LOCK_314)
    (tmp_path / "req.txt").write_text("\n".join(n for n in _requirements() if n not in without))
    (tmp_path / "numpy.txt").write_text("numpy>=2.3.3,<2.6\n")  # the lock's header
    r = subprocess.run(pip + ["install", "--dry-run", "--ignore-installed", "--python-version",
                              "3.14", "--only-binary=:all:", "--target", str(tmp_path / "t"),
                              "--report", str(tmp_path / "report.json"), "--timeout", "60",
                              "-r", str(tmp_path / "req.txt"), "-c", LOCK_314,
                              "-c", str(tmp_path / "numpy.txt")],
                       capture_output=True, text=True)
    assert r.returncode == 0, (r.stdout + r.stderr)[-3000:]
    with open(tmp_path / "report.json", encoding="utf-8") as fh:
        got = {locks.norm(i["metadata"]["name"]): i["metadata"]["version"]
               for i in json.load(fh)["install"]}
    assert got.pop("numpy").startswith("2.")
    # every package pip needs is held at its pin; pips differ in a few conditional dependencies
    # (Debian 12's asks for importlib-metadata, lazy-importer and zipp, Debian 13's does not),
    # so the lock may pin a few more than one pip asks for, never other versions
    assert {k: pins.get(k) for k in got} == got
    assert len(pins) - len(got) <= 3, sorted(set(pins) - set(got))
    assert not (tmp_path / "t").exists()
