"""A run stopped by SIGTERM or SIGINT unwinds like an error and ends as the signal would have
ended it (core/util/signals.py)."""
import signal
import subprocess
import sys

import pytest

from tests.conftest import PLUGINS

CHILD = r"""
import os, signal, sys
sys.path.insert(0, {plugins!r})
from hazard_susceptibility.core.util.signals import terminations
marker = sys.argv[1]
with terminations():
    try:  # as a run's outputs are rolled back inside it
        os.kill(os.getpid(), {signum})
        raise SystemExit("the signal did not interrupt the block")
    finally:
        open(marker, "w").write("cleaned up")
print("not reached")
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_the_block_unwinds_then_the_process_ends_by_the_signal(tmp_path, signum):
    marker = tmp_path / "marker"
    code = CHILD.format(plugins=PLUGINS, signum=int(signum))
    res = subprocess.run([sys.executable, "-c", code, str(marker)], capture_output=True,
                         text=True, timeout=60)
    assert marker.read_text() == "cleaned up", res.stderr
    assert res.returncode == -signum, (res.returncode, res.stderr)
    assert "not reached" not in res.stdout


def test_the_handlers_are_restored_after_a_normal_exit():
    from hazard_susceptibility.core.util.signals import terminations
    before = signal.getsignal(signal.SIGTERM)
    with terminations():
        assert signal.getsignal(signal.SIGTERM) is not before
    assert signal.getsignal(signal.SIGTERM) is before
