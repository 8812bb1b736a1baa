"""Run TensorFlow work in a separate Python process.

TensorFlow's wheels bundle their own protobuf and SQLite and load them with RTLD_GLOBAL. Inside
the QGIS application or ``qgis_process`` (which link the system protobuf into the global symbol
scope) importing TensorFlow aborts the whole program ("File already exists in database"). So the
plugin never imports TensorFlow in QGIS's process: the neural-network steps run in a worker
Python that shares the plugin's code and packages, exchanges arrays through a temporary folder,
reports progress on its standard output, and is terminated when the user cancels.

Protocol: ``python -m <package>.core.util.worker FOLDER``; FOLDER holds ``spec.json`` (the operation
and its parameters) and ``arrays.npz``; the worker writes ``result.json`` and ``result.npz``,
or ``error.json`` with the message of a core error.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from .deps import python_executable
from .errors import Cancelled, HazardError, InputError
from .progress import as_feedback

PACKAGE = __package__.split(".core")[0]  # the plugin's package name (also under -m)


def run(op, params, arrays, feedback=None, timeout=None):
    """Run ``op`` in a worker process; returns (result dict, result arrays dict)."""
    fb = as_feedback(feedback)
    with tempfile.TemporaryDirectory(prefix="hazard_worker_") as td:
        with open(os.path.join(td, "spec.json"), "w", encoding="utf-8") as fh:
            json.dump({"op": op, "params": params}, fh)
        np.savez(os.path.join(td, "arrays.npz"), **arrays)
        plugin_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))))
        env = dict(os.environ)
        paths = [plugin_parent] + [p for p in sys.path if p and os.path.isdir(p)]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        proc = subprocess.Popen([python_executable(), "-m", f"{PACKAGE}.core.util.worker", td],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, bufsize=1)
        import threading
        lines = []

        def pump():
            for line in proc.stdout:
                lines.append(line)
        reader = threading.Thread(target=pump, daemon=True)
        reader.start()
        err_lines = []
        err_reader = threading.Thread(target=lambda: err_lines.extend(proc.stderr), daemon=True)
        err_reader.start()
        start = time.time()
        seen = 0
        while proc.poll() is None:
            if fb.cancelled():
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                raise Cancelled()
            if timeout and time.time() - start > timeout:
                proc.kill()
                raise HazardError(f"The worker process did not finish within {timeout} s.")
            while seen < len(lines):
                _handle(lines[seen], fb)
                seen += 1
            time.sleep(0.05)
        reader.join(2)
        err_reader.join(2)
        for pipe in (proc.stdout, proc.stderr):
            pipe.close()
        for line in lines[seen:]:
            _handle(line, fb)
        if os.path.exists(os.path.join(td, "error.json")):
            with open(os.path.join(td, "error.json"), encoding="utf-8") as fh:
                e = json.load(fh)
            cls = InputError if e.get("kind") == "InputError" else HazardError
            raise cls(e["message"], e.get("input_name"))
        if proc.returncode != 0 or not os.path.exists(os.path.join(td, "result.json")):
            tail = "".join(err_lines[-15:])
            raise HazardError(f"The worker process failed (exit code {proc.returncode}):\n{tail}")
        with open(os.path.join(td, "result.json"), encoding="utf-8") as fh:
            result = json.load(fh)
        with np.load(os.path.join(td, "result.npz"), allow_pickle=False) as z:
            out_arrays = {k: z[k] for k in z.files}
    return result, out_arrays


def _handle(line, fb):
    line = line.rstrip("\n")
    if line.startswith("PROGRESS "):
        try:
            fb.report(float(line.split()[1]))
        except ValueError:
            pass
    elif line.startswith("INFO "):
        fb.info(line[5:])


# -- the worker side --------------------------------------------------------------------------
def _main(folder):
    from ..hnn import network as hnn
    from .progress import Feedback

    def progress(f):
        print(f"PROGRESS {f:.4f}", flush=True)
    fb = Feedback(progress=progress, log=lambda m: print(f"INFO {m}", flush=True))
    with open(os.path.join(folder, "spec.json"), encoding="utf-8") as fh:
        spec = json.load(fh)
    with np.load(os.path.join(folder, "arrays.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    try:
        result, out = OPS[spec["op"]](hnn, spec["params"], arrays, fb)
    except HazardError as exc:
        with open(os.path.join(folder, "error.json"), "w", encoding="utf-8") as fh:
            json.dump({"kind": type(exc).__name__, "message": str(exc),
                       "input_name": exc.input_name}, fh)
        return 1
    np.savez(os.path.join(folder, "result.npz"), **out)
    with open(os.path.join(folder, "result.json"), "w", encoding="utf-8") as fh:
        json.dump(result, fh)
    return 0


def _op_train(hnn, p, a, fb):
    """Train (optionally after a search), evaluate on the test units, save, predict all."""
    X, classes, test = a["X"], a["classes"].astype(int), a["test"].astype(int)
    K = int(p["n_classes"])
    arch = hnn.Architecture(**p["arch"])
    search = []
    if p.get("trials"):
        arch, search = hnn.monte_carlo_search(X, classes, K, p["trials"], p["repeats"],
                                              p["alpha"], p["epochs"], p["patience"], p["seed"],
                                              test, fb.sub(0, 0.5))
    res = hnn.train_hnn(X, classes, K, arch, p["alpha"], p["epochs"], p["patience"],
                        p["val_share"], test, p["seed"],
                        feedback=fb.sub(0.5 if search else 0, 0.95))
    ev, pb_t, pc_t = hnn.evaluate(res, X, classes, test)
    glm_auc, glm_p = hnn.glm_baseline(X, classes, res.train_idx, test, p["seed"])
    hnn.save_hnn(p["model_path"], res, dict(p.get("manifest", {}), glm_auc=glm_auc,
                                            metrics={k: v for k, v in ev.items()
                                                     if k != "confusion"}))
    pb, pc = hnn.predict(res, X)
    fb.report(1.0)
    return ({"metrics": ev, "history": res.history, "arch": res.arch.to_json(),
             "smote": res.smote_counts, "search": search, "glm_auc": glm_auc},
            {"pb": pb, "pc": pc, "pb_test": pb_t, "pc_test": pc_t, "glm_p": glm_p,
             "train_idx": res.train_idx})


def _op_evaluate_many(hnn, p, a, fb):
    """Train and evaluate one network per configuration (alpha, columns)."""
    X, classes, test = a["X"], a["classes"].astype(int), a["test"].astype(int)
    K = int(p["n_classes"])
    out = []
    for k, cfg in enumerate(p["configs"]):
        cols = cfg.get("cols")
        Xc = X if cols is None else X[:, cols]
        res = hnn.train_hnn(Xc, classes, K, hnn.Architecture(**p["arch"]), cfg["alpha"],
                            p["epochs"], p["patience"], p["val_share"], test, p["seed"],
                            feedback=fb.sub(k / len(p["configs"]), (k + 1) / len(p["configs"])))
        ev, _, _ = hnn.evaluate(res, Xc, classes, test)
        ev.pop("confusion", None)
        out.append(ev)
    return {"results": out}, {}


def _op_predict(hnn, p, a, fb):
    model, man = hnn.load_hnn(p["model_path"])
    pb, pc = hnn.predict(model, a["X"], np.array(man["mean"]), np.array(man["std"]))
    return {"manifest": {k: v for k, v in man.items() if k in ("features", "n_classes")}}, \
        {"pb": pb, "pc": pc}


def _op_mh_train(hnn, p, a, fb):
    """Train the multi-hazard model set and write the bundle."""
    from ..multihazard import training as mh_train
    keys = ("radius", "min_samples", "min_val", "seed", "n_iter", "ef_epochs", "gate_epochs",
            "patience", "batch")
    res = mh_train.train(a["X"], p["names"], p["categorical"], a["hazard"], a["label"],
                         a["zone"], a["split"], a["x"], a["y"], p.get("features_by_zone"),
                         feedback=fb.sub(0, 0.98), **{k: p[k] for k in keys if k in p})
    mh_train.save_bundle(p["bundle_path"], res, p.get("manifest"))
    return ({"metrics": res.metrics, "notes": res.notes, "sources": res.sources,
             "history": {k: s.history for k, s in res.sets.items()},
             "lf_params": {k: s.lf_params for k, s in res.sets.items()},
             "features": {k: [res.names[i] for i in s.features] for k, s in res.sets.items()}},
            {})


OPS = {"train": _op_train, "evaluate_many": _op_evaluate_many, "predict": _op_predict,
       "mh_train": _op_mh_train}


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1]))
