"""Temporary output files, their lock and the removal of what killed runs left
(core/util/partial.py)."""
import os
import subprocess
import sys
import time

from hazard_susceptibility.core.util import partial


def _dead_pid():
    p = subprocess.Popen([sys.executable, "-c", "pass"])
    p.wait()
    return p.pid


def test_a_temporary_name_fits_whatever_the_output_name(tmp_path):
    for n in (5, 100, 239):
        out = tmp_path / ("a" * (n - 4) + ".tif")
        tmp = partial.temp_path(out)
        base = os.path.basename(tmp)
        assert base.startswith(".") and base.endswith(".partial.tif")
        assert len((base + ".aux.xml").encode()) <= 255
        open(tmp, "w").close()  # the file system takes it
        os.remove(tmp)
    assert partial.name_too_long(tmp_path / ("é" * 120 + ".tif"))  # 244 bytes
    assert partial.name_too_long(tmp_path / ("a" * 235 + ".tif")) is None


def test_only_the_files_of_dead_writers_are_removed(tmp_path):
    out = tmp_path / "map.tif"
    mine = partial.temp_path(out)
    dead = os.path.join(tmp_path, f".map.{_dead_pid()}-0123abcd.partial.tif")
    legacy_old = os.path.join(tmp_path, ".map.89abcdef.partial.tif")
    legacy_new = os.path.join(tmp_path, ".map.89abcde0.partial.tif")
    other = os.path.join(tmp_path, f".map2.{_dead_pid()}-0123abcd.partial.tif")
    for p in (mine, dead, dead + ".aux.xml", legacy_old, legacy_new, other):
        open(p, "w").close()
    os.utime(legacy_old, (time.time() - 7200,) * 2)
    gone = partial.remove_leftovers(out)
    assert sorted(gone) == sorted([dead, dead + ".aux.xml", legacy_old])
    assert all(os.path.exists(p) for p in (mine, legacy_new, other))


def test_the_lock_makes_a_second_run_wait_and_goes_on_release(tmp_path):
    out = tmp_path / "k.gpkg"
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; sys.path.insert(0, sys.argv[1]);"
         "from hazard_susceptibility.core.util import partial;"
         "cm = partial.locked(sys.argv[2]); cm.__enter__(); print('held', flush=True);"
         "time.sleep(1.5); cm.__exit__(None, None, None)",
         os.path.join(os.path.dirname(partial.__file__), "..", "..", ".."), str(out)],
        stdout=subprocess.PIPE, text=True,
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert holder.stdout.readline().strip() == "held"
    waited = []
    t0 = time.time()
    with partial.locked(out, waiting=lambda: waited.append(1)):
        took = time.time() - t0
    holder.wait()
    assert waited and took > 0.5
    assert not os.path.exists(partial.lock_path(out))


def test_a_swap_removes_the_previous_files_statistics_and_record(tmp_path):
    out = tmp_path / "m.tif"
    for s in ("", ".aux.xml", ".ovr", ".provenance.json"):
        (tmp_path / ("m.tif" + s)).write_text("old")
    tmp = partial.temp_path(out)
    open(tmp, "w").write("new")
    partial.replace(tmp, str(out), stale=(".aux.xml", ".ovr", ".provenance.json"))
    assert sorted(os.listdir(tmp_path)) == ["m.tif"] and out.read_text() == "new"
