"""QGIS desktop runs algorithms in pooled Qt threads, where each call into Python gets a Python
thread state that is freed when the call returns. matplotlib 3.10's compiled modules (pybind11
2.x, Debian 13) record the thread state of their first import; first imported in such a
thread, a later run on the same thread drew its first image with the freed state and QGIS
3.44 died (SIGSEGV in ``_image.resample``; 4 crashes in 4 runs of the script below without
the main-thread import). The plugin imports matplotlib (3.8 on) on the main thread at
start (``deps.import_on_main_thread``, from ``initGui``)."""
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from tests.conftest import PLUGINS

SCRIPT = textwrap.dedent("""
    import io, sys, threading
    import numpy as np
    from qgis.PyQt.QtCore import QCoreApplication, QRunnable, QThreadPool
    from hazard_susceptibility.core.util import deps
    app = QCoreApplication([])
    print("main:", deps.import_on_main_thread())
    print("pybind:", deps._version("matplotlib") >= (3, 8))

    def load():  # the first run on the pooled thread imports what the reports draw with
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401

    def draw():  # a later run on the same thread draws an image
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
        fig = Figure()
        FigureCanvasAgg(fig)
        fig.add_subplot(111).imshow(np.arange(25.0).reshape(5, 5))
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        return len(buf.getvalue())

    class Run(QRunnable):
        def __init__(self, fn):
            super().__init__()
            self.fn = fn
        def run(self):
            done.append((threading.get_native_id(), self.fn()))

    done, keep = [], []
    pool = QThreadPool()
    pool.setMaxThreadCount(1)  # one OS thread: every run on it
    for fn in (load, lambda: None, draw):
        r = Run(fn)
        r.setAutoDelete(False)
        keep.append(r)
        pool.start(r)
        while pool.activeThreadCount():
            app.processEvents()
        junk = [threading.Lock() for _ in range(50)]  # reuse the freed memory
    print("threads:", len({t for t, _ in done}), "png:", done[-1][1])
""")


def test_matplotlib_imported_on_the_main_thread_only_when_installed_and_not_loaded():
    from hazard_susceptibility.core.util import deps
    out = []
    t = threading.Thread(target=lambda: out.append(deps.import_on_main_thread(("json",))))
    t.start()
    t.join()
    assert out == [[]]  # another thread: nothing
    assert deps.import_on_main_thread(("no_such_package_here",)) == []
    assert deps.import_on_main_thread(("sys",)) == []  # already imported
    assert deps.MAIN_THREAD_IMPORTS == {"matplotlib": (3, 8)}


def test_images_drawn_in_a_pooled_thread_after_matplotlib_was_loaded_there():
    pytest.importorskip("matplotlib")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [PLUGINS] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]),
        QT_QPA_PLATFORM="offscreen", PYTHONFAULTHANDLER="1")
    p = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr[-3000:])
    lines = dict(line.split(":", 1) for line in p.stdout.splitlines() if ":" in line)
    # imported at start where its modules are pybind11 ones (3.8 on; Debian 12 has 3.6), as
    # the script's own process sees the version (this one's metadata may have been changed
    # by an earlier test)
    pybind = lines["pybind"].strip() == "True"
    assert lines["main"].strip() == ("['matplotlib']" if pybind else "[]")
    threads, png = lines["threads"].split("png:")
    assert threads.strip() == "1" and int(png) > 1000
