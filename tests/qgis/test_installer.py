"""The dependency installer, against a temporary target folder and a local wheel (offline)."""
import sys
import zipfile


def _wheel(folder):
    """A minimal pure-Python wheel, made by hand (no build tools, no network)."""
    path = folder / "hazardtoy-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("hazardtoy/__init__.py", "VALUE = 42\n")
        z.writestr("hazardtoy-1.0.dist-info/METADATA",
                   "Metadata-Version: 2.1\nName: hazardtoy\nVersion: 1.0\n")
        z.writestr("hazardtoy-1.0.dist-info/WHEEL",
                   "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
                   "Tag: py3-none-any\n")
        z.writestr("hazardtoy-1.0.dist-info/RECORD",
                   "hazardtoy/__init__.py,,\nhazardtoy-1.0.dist-info/METADATA,,\n"
                   "hazardtoy-1.0.dist-info/WHEEL,,\nhazardtoy-1.0.dist-info/RECORD,,\n")
    return path


def test_dry_run_lists_the_pinned_packages_without_numpy(run, tmp_path):
    res = run("hazard:installdependencies", {"DRY_RUN": True, "TARGET": str(tmp_path / "t")})
    cmd = res["COMMAND"]
    assert "--target" in cmd and "--no-deps" in cmd and str(tmp_path / "t") in cmd
    assert "scikit-learn==" in cmd and "tensorflow-cpu==" in cmd
    assert "numpy==" not in cmd
    assert not (tmp_path / "t").exists()  # nothing installed


def test_install_into_a_temporary_target(run, tmp_path):
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    _wheel(wheels)
    target = tmp_path / "target"
    run("hazard:installdependencies", {"DRY_RUN": False, "TARGET": str(target),
                                       "PACKAGES": "hazardtoy==1.0",
                                       "FIND_LINKS": str(wheels)})
    assert (target / "hazardtoy" / "__init__.py").exists()
    assert sys.path[-1] == str(target)  # appended: QGIS's own packages keep precedence
    import hazardtoy
    assert hazardtoy.VALUE == 42


def test_a_failing_install_says_why(run, tmp_path):
    import pytest
    from qgis.core import QgsProcessingException
    wheels = tmp_path / "empty"
    wheels.mkdir()
    with pytest.raises(QgsProcessingException, match="pip failed"):
        run("hazard:installdependencies", {"DRY_RUN": False, "TARGET": str(tmp_path / "t"),
                                           "PACKAGES": "nosuchpackage==9.9",
                                           "FIND_LINKS": str(wheels)})
