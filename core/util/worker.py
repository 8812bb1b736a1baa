"""Run TensorFlow work in a separate Python process.

TensorFlow's wheels bundle their own protobuf and SQLite and load them with RTLD_GLOBAL. Inside
the QGIS application or ``qgis_process`` (which link the system protobuf into the global symbol
scope) importing TensorFlow aborts the whole program ("File already exists in database"). So the
plugin never imports TensorFlow in QGIS's process: the neural-network steps run in a worker
Python that shares the plugin's code and packages, exchanges arrays through a temporary folder,
reports progress on its standard output, and is terminated when the user cancels.

Protocol: ``python -m <package>.core.util.worker FOLDER``; FOLDER holds ``spec.json`` (the job's
name and its typed parameters, see :class:`Job`) and ``arrays.npz``; the worker looks the job up
by name in its family's ``jobs`` module, checks the parameters against the job's fields, and
writes ``result.json`` and ``result.npz``, or ``error.json`` with the message of a core error.

The worker dies with its parent, promptly even in the middle of an epoch: a killed
``qgis_process`` (SIGKILL cannot be caught, so the parent cannot stop it) must not leave a
worker training on with no one to read its result. On Linux the kernel sends the worker SIGKILL
when the thread that started it dies (``prctl(PR_SET_PDEATHSIG)``; that thread is the one
blocked in :func:`run` for the whole job); everywhere, a watchdog thread in the worker ends it
when its standard input (a pipe the parent holds open and never writes) reaches end of file or
its parent process id changes.
"""
from __future__ import annotations

import importlib
import json
import os
import signal
import subprocess  # nosec B404  # starts the plugin's own worker module in QGIS's Python
import sys
import time
import typing
from dataclasses import dataclass

import numpy as np

from . import schema
from .deps import python_executable
from .errors import Cancelled, HazardError, InputError
from .progress import as_feedback
from . import tempfiles

PACKAGE = __package__.split(".core")[0]  # the plugin's package name (also under -m)
#: the families whose jobs run in the worker, and their jobs modules (under core)
FAMILIES = {"hnn": "hnn.jobs", "multihazard": "multihazard.jobs", "util": "util.worker"}
#: the environment variable telling the worker its parent's process id
PARENT_ENV = "HAZARD_WORKER_PARENT"
#: seconds between two checks of the worker's watchdog
WATCH_INTERVAL = 0.25


@dataclass
class Job:
    """A piece of TensorFlow work for the worker process. A subclass is a dataclass whose
    typed fields (core.util.schema) are the job's parameters; it sets ``OP`` ("<family>.<name>",
    the family being a key of FAMILIES), ``ARRAYS`` (the input arrays it needs) and
    ``run(arrays, feedback)`` -> (result dict, result arrays dict)."""

    OP: typing.ClassVar[str] = ""
    ARRAYS: typing.ClassVar[tuple] = ()

    def run(self, arrays, feedback):
        raise NotImplementedError

    def check(self, arrays):
        """Before the worker starts: refuse (InputError) a job that would not fit in memory, or
        return a sentence estimating its memory and time (None: nothing to say)."""
        return None


@dataclass
class Wait(Job):
    """A job that only waits ``seconds``, silent as a long epoch is (it reports its process id
    at the start and its progress at the end only: a worker writing to a dead parent's pipe
    would die of it): a check that the worker starts and ends as it should (used by the tests
    of its lifetime; no TensorFlow needed)."""

    OP = "util.wait"

    seconds: float = 1.0

    def run(self, arrays, feedback):
        feedback.info(f"worker pid {os.getpid()}")
        time.sleep(self.seconds)
        feedback.report(1.0)
        return {"pid": os.getpid()}, {}


def run(job, arrays, feedback=None, timeout=None):
    """Run ``job`` (a Job) in a worker process; returns (result dict, result arrays dict)."""
    missing = [k for k in job.ARRAYS if k not in arrays]
    if missing:
        raise TypeError(f"{job.OP} needs the arrays {missing}")
    fb = as_feedback(feedback)
    note = job.check(arrays)  # refused here, before any process or memory is spent
    if note:
        fb.info(note)
    with tempfiles.workdir("hazard_worker_") as td:
        with open(os.path.join(td, "spec.json"), "w", encoding="utf-8") as fh:
            json.dump({"op": job.OP, "params": schema.to_json(job)}, fh)
        np.savez(os.path.join(td, "arrays.npz"), **arrays)
        plugin_parent = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))))
        env = dict(os.environ)
        paths = [plugin_parent] + [p for p in sys.path if p and os.path.isdir(p)]
        env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(paths))
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        env[PARENT_ENV] = str(os.getpid())
        # stdin: a pipe held open here and never written; its end of file tells the worker
        # that this process is gone (its watchdog, on every system)
        proc = subprocess.Popen(  # nosec B603  # no shell; QGIS's Python runs this plugin's worker
            [python_executable(), "-m", f"{PACKAGE}.core.util.worker", td],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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
        try:
            while proc.poll() is None:
                if fb.cancelled():
                    raise Cancelled()
                if timeout and time.time() - start > timeout:
                    raise HazardError(f"The worker process did not finish within {timeout} s.")
                while seen < len(lines):
                    _handle(lines[seen], fb)
                    seen += 1
                time.sleep(0.05)
        except BaseException:  # cancelled, timed out, or this process told to stop
            _stop(proc)
            proc.stdin.close()
            raise
        reader.join(2)
        err_reader.join(2)
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
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


def _stop(proc):
    """End the worker: politely, then for sure, so no process outlives its run."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


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
def _die():
    """End this worker at once, as SIGKILL would (no clean-up: its parent, who owns its folder,
    is gone)."""
    if hasattr(signal, "SIGKILL"):
        os.kill(os.getpid(), signal.SIGKILL)
    os._exit(70)


def _parent_death_signal():
    """Linux: have the kernel send this process SIGKILL when the thread that started it dies
    (prctl PR_SET_PDEATHSIG); True when set."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(1, int(signal.SIGKILL), 0, 0, 0) == 0  # 1: PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return False


def die_with_parent(stdin=None, pdeathsig=True):
    """Make this worker end when its parent does: the parent-death signal on Linux, and a
    watchdog thread everywhere that ends it when the file descriptor ``stdin`` (the parent's
    pipe, whose writing end only the parent holds; read unbuffered, so no lock is held at the
    interpreter's exit) reaches end of file, or when the parent process id changes from the one
    seen now (an orphan is adopted by another process). The pipe also catches a parent that
    died before the signal was set. The watch on the parent's id is left out when the id the
    parent passed (PARENT_ENV) is not this process's parent: a launcher in between, or a
    parent already gone (which the pipe catches). Returns the mechanisms set, for the
    record."""
    import threading
    set_ = []
    if pdeathsig and _parent_death_signal():
        set_.append("pdeathsig")
    first = os.getppid()
    given = int(os.environ.get(PARENT_ENV, "0") or 0)
    watch_pid = os.name != "nt" and (not given or given == first)

    def by_pipe():
        try:
            while os.read(stdin, 65536):
                pass
        except (OSError, ValueError):
            pass
        _die()

    def by_pid():
        while True:
            time.sleep(WATCH_INTERVAL)
            if os.getppid() != first:
                _die()
    if stdin is not None:
        threading.Thread(target=by_pipe, name="parent-pipe", daemon=True).start()
        set_.append("pipe")
    if watch_pid:  # on Windows a parent's id does not change when it dies
        threading.Thread(target=by_pid, name="parent-pid", daemon=True).start()
        set_.append("ppid")
    return set_


def job_class(op):
    """The Job class named ``op`` ("<family>.<name>"), from its family's jobs module."""
    family = op.partition(".")[0]
    if family not in FAMILIES:
        raise HazardError(f"Unknown worker operation {op!r}.")
    mod = importlib.import_module(f"..{FAMILIES[family]}", __package__)
    base = importlib.import_module(".worker", __package__).Job  # not __main__'s under -m
    for cls in vars(mod).values():
        if isinstance(cls, type) and issubclass(cls, base) and cls.OP == op:
            return cls
    raise HazardError(f"Unknown worker operation {op!r}.")


def _main(folder):
    from .progress import Feedback

    def progress(f):
        print(f"PROGRESS {f:.4f}", flush=True)
    fb = Feedback(progress=progress, log=lambda m: print(f"INFO {m}", flush=True))
    with open(os.path.join(folder, "spec.json"), encoding="utf-8") as fh:
        spec = json.load(fh)
    with np.load(os.path.join(folder, "arrays.npz"), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    try:
        cls = job_class(spec["op"])
        job = schema.from_json(cls, spec["params"], f"the worker job {spec['op']}", HazardError)
        result, out = job.run(arrays, fb)
    except HazardError as exc:
        with open(os.path.join(folder, "error.json"), "w", encoding="utf-8") as fh:
            json.dump({"kind": type(exc).__name__, "message": str(exc),
                       "input_name": exc.input_name}, fh)
        return 1
    np.savez(os.path.join(folder, "result.npz"), **out)
    with open(os.path.join(folder, "result.json"), "w", encoding="utf-8") as fh:
        json.dump(schema.to_json(result), fh)
    return 0


if __name__ == "__main__":
    # no orphan: the worker ends with its parent (HAZARD_WORKER_NO_PDEATHSIG=1 leaves only the
    # watchdog, to test it where the parent-death signal exists)
    die_with_parent(stdin=sys.stdin.fileno(),
                    pdeathsig=not os.environ.get("HAZARD_WORKER_NO_PDEATHSIG"))
    # a terminated worker unwinds (its files are in the caller's folder, removed there)
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    sys.exit(_main(sys.argv[1]))
