"""A run in its own process, for the kill and concurrency tests of test_bad_inputs_outputs.py:
``python run_child.py ALG JSON_PARAMETERS [--wait]`` starts QGIS with this plugin's provider,
prints "ready", (with --wait: reads one line from stdin first), runs the algorithm through
processing.run and prints "done" and its results as JSON (exit 0), or "failed: <message>"
(exit 1).

``HAZARD_KILL_AT=module:Class.method:n`` kills the process (SIGKILL) at the n-th call of that
function, before it runs: a kill at a known moment of the writing."""
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, ".build", "plugins"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _kill_at(module, qualname, n):
    import importlib
    import signal
    owner = importlib.import_module(module)
    *path, attr = qualname.split(".")
    for p in path:
        owner = getattr(owner, p)
    real, calls = getattr(owner, attr), [0]

    def wrapped(*a, **k):
        calls[0] += 1
        if calls[0] >= int(n):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(*a, **k)
    setattr(owner, attr, wrapped)


def main():
    alg, params = sys.argv[1], json.loads(sys.argv[2])
    from qgis.core import (QgsApplication, QgsProcessingContext, QgsProcessingException,
                           QgsProcessingFeedback, QgsProject)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append(os.path.join(QgsApplication.pkgDataPath(), "python", "plugins"))
    from hazard_susceptibility.provider import HazardSusceptibilityPlugin
    plugin = HazardSusceptibilityPlugin(None)
    plugin.initProcessing()
    import processing
    if os.environ.get("HAZARD_KILL_AT"):
        _kill_at(*os.environ["HAZARD_KILL_AT"].rsplit(":", 2))
    print("ready", flush=True)
    if "--wait" in sys.argv:
        sys.stdin.readline()
    ctx = QgsProcessingContext()
    ctx.setProject(QgsProject.instance())
    try:
        res = processing.run(alg, params, context=ctx, feedback=QgsProcessingFeedback())
    except QgsProcessingException as exc:
        print(f"failed: {exc}", flush=True)
        os._exit(1)
    print("done " + json.dumps({k: str(v) for k, v in res.items()}), flush=True)
    os._exit(0)  # no teardown: the next run starts at once


if __name__ == "__main__":
    main()
