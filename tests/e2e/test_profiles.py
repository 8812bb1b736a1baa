"""QGIS 3 and QGIS 4 profiles: `make deploy` links the plugin into each QGIS's default profile that
exists (QGIS/QGIS3, QGIS/QGIS4), and scripts/qgis_process enables it in the settings file of the
QGIS that runs (QGIS3.ini or QGIS4.ini)."""
import os
import shutil
import subprocess

import pytest

from tests.conftest import ROOT

PLUGIN = "hazard_susceptibility"


def _deploy(home, **env):
    e = {k: v for k, v in os.environ.items() if k not in ("XDG_DATA_HOME", "QGIS_PROFILE_DIR")}
    e.update(HOME=str(home), **env)
    res = subprocess.run(["make", "-s", "-C", ROOT, "deploy"], capture_output=True, text=True,
                         env=e, timeout=60)
    assert res.returncode == 0, res.stderr
    return res.stdout


def _linked(profile):
    link = os.path.join(profile, "python", "plugins", PLUGIN)
    return os.path.islink(link) and os.path.realpath(link) == os.path.realpath(ROOT)


@pytest.mark.parametrize("existing, linked, not_made", [
    ((), ("QGIS3",), ("QGIS4",)),            # no QGIS run yet: QGIS 3's profile only
    (("QGIS4",), ("QGIS4",), ("QGIS3",)),    # QGIS 4 only
    (("QGIS3", "QGIS4"), ("QGIS3", "QGIS4"), ()),
])
def test_deploy_links_into_each_qgis_profile(tmp_path, existing, linked, not_made):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    base = tmp_path / ".local" / "share" / "QGIS"
    for v in existing:
        (base / v).mkdir(parents=True)
    out = _deploy(tmp_path)
    for v in linked:
        assert _linked(base / v / "profiles" / "default"), (v, out)
    for v in not_made:
        # a QGIS4 folder made here would stop QGIS 4 from migrating the QGIS 3 profiles
        assert not (base / v).exists(), (v, out)


def test_deploy_into_a_named_profile(tmp_path):
    if not shutil.which("make"):
        pytest.skip("make is not installed")
    _deploy(tmp_path, QGIS_PROFILE_DIR=str(tmp_path / "p"))
    assert _linked(tmp_path / "p")
    assert not (tmp_path / ".local").exists()


def test_qgis_process_enables_the_plugin_in_this_qgis_settings_file(qgis_app, tmp_path):
    if not (os.path.exists("/usr/bin/qgis_process.bin") or shutil.which("qgis_process")):
        pytest.skip("qgis_process is not installed")
    from qgis.core import Qgis
    major = Qgis.QGIS_VERSION_INT // 10000
    env = dict(os.environ, HAZARD_QGIS_PROFILE=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    res = subprocess.run([os.path.join(ROOT, "scripts", "qgis_process"), "list"],
                         capture_output=True, text=True, env=env, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "hazard:alignfactors" in res.stdout
    ini = tmp_path / "profiles" / "default" / "QGIS" / f"QGIS{major}.ini"
    assert f"{PLUGIN}=true" in ini.read_text(encoding="utf-8", errors="replace")
