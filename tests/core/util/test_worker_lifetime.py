"""The TensorFlow worker dies with its parent (issue 34, part 2): a parent killed with SIGKILL
(qgis_process killed by a batch scheduler) leaves no worker running on, even in the middle of a
long job. The job here only waits (worker.Wait), so no TensorFlow is needed."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from tests.conftest import PLUGINS

pytestmark = pytest.mark.skipif(os.name == "nt", reason="SIGKILL of the parent: POSIX")

PARENT = textwrap.dedent("""
    import sys, threading
    sys.path.insert(0, {plugins!r})
    from hazard_susceptibility.core.util import worker
    from hazard_susceptibility.core.util.progress import Feedback

    def job():
        worker.run(worker.Wait(seconds=120), {{}}, Feedback(log=lambda m: print(m, flush=True)))
    if {in_thread!r}:  # started from a thread that lives as long as the run, as in QGIS
        threading.Thread(target=job).start()
    else:
        job()
""")


def _alive(pid):
    """True while ``pid`` runs (a zombie waiting for its reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False
    except OSError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _start(tmp_path, in_thread=False, pdeathsig=True):
    env = dict(os.environ, TMPDIR=str(tmp_path))
    if not pdeathsig:
        env["HAZARD_WORKER_NO_PDEATHSIG"] = "1"
    parent = subprocess.Popen([sys.executable, "-c", PARENT.format(plugins=PLUGINS,
                                                                   in_thread=in_thread)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    t0 = time.time()
    line = ""
    while time.time() - t0 < 60:
        line = parent.stdout.readline()
        if line.startswith("worker pid ") or not line:
            break
    if not line.startswith("worker pid "):
        parent.kill()
        pytest.fail(f"the worker did not start: {line!r} {parent.stderr.read()[-2000:]}")
    return parent, int(line.split()[-1])


@pytest.mark.parametrize("in_thread,pdeathsig", [
    (False, True),   # qgis_process: the main thread runs the algorithm
    (True, True),    # QGIS desktop: a task thread runs it
    (False, False),  # the watchdog alone (as on systems without the parent-death signal)
])
def test_a_killed_parent_leaves_no_worker(tmp_path, in_thread, pdeathsig):
    parent, pid = _start(tmp_path, in_thread, pdeathsig)
    try:
        assert _alive(pid)
        time.sleep(0.5)  # mid-job
        assert _alive(pid), "the worker ended before its parent was killed"
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        t0 = time.time()
        while _alive(pid) and time.time() - t0 < 5:
            time.sleep(0.05)
        gone_after = time.time() - t0
        assert not _alive(pid), "the worker outlived its killed parent by 5 s"
        assert gone_after < 3
    finally:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
        parent.stdout.close()
        parent.stderr.close()


def test_the_wait_job_runs_to_its_end_and_the_worker_exits(tmp_path):
    from hazard_susceptibility.core.util import worker
    result, arrays = worker.run(worker.Wait(seconds=0.2), {})
    assert arrays == {} and result["pid"] != os.getpid()
    assert not _alive(result["pid"])
