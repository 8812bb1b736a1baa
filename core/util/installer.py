"""Installing the plugin's pinned Python packages for the Python that QGIS runs.

The set comes from the lock of QGIS's own platform (Python minor version x numpy major version,
``constraints/<tag>.txt``, see :mod:`.locks`): Debian 12's QGIS 3.22 gets ``py311-numpy1``,
Debian 13's QGIS 3.40 ``py313-numpy2``, a QGIS 3.40 on Python 3.12 ``py312-numpy1`` or
``py312-numpy2``, a QGIS 3.44 on Python 3.14 (Debian forky/sid) ``py314-numpy2``, which has no
TensorFlow (no release for Python 3.14): the report says so (``without``). numpy and GDAL are
QGIS's own and never installed. pip installs the exact pins with ``--no-deps --target`` into a
folder of the user's own (no administrator rights, and pip's externally-managed guard does not
apply to a target folder); the folder goes on ``sys.path`` just before the first site-packages
folder, as a venv's packages would, and since it never holds numpy or GDAL, QGIS's numpy and
GDAL keep precedence.

Only requirement names from the lock can be asked for: no pip option, URL or path gets through.
"""
from __future__ import annotations

import os
import re
import subprocess  # nosec B404  # runs pip, with the arguments plan() builds from the lock
import sys

from . import locks
from .deps import available, chosen_lock, default_target, python_executable
from .errors import Cancelled, HazardError, InputError
from .progress import as_feedback

PLUGIN_DIR = locks.PLUGIN_DIR
NEVER = set(locks.NEVER)  # QGIS's own: never installed over it
# import name of the packages worth checking before installing
IMPORT_NAMES = {"scikit-learn": "sklearn", "xgboost-cpu": "xgboost",
                "tensorflow-cpu": "tensorflow", "imbalanced-learn": "imblearn",
                "protobuf": "google.protobuf", "google-pasta": "pasta", "absl-py": "absl",
                "typing-extensions": "typing_extensions",
                "grpcio": "grpc", "libclang": "clang", "markdown-it-py": "markdown_it",
                "pyyaml": "yaml", "python-dateutil": "dateutil"}
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def pinned(lock=None):
    """(name, version) of every package pinned by ``lock`` (default: the running platform's)."""
    if lock is None:
        lock = chosen_lock()[1]
    return [(n, v) for n, v in sorted(locks.read_lock(lock).items()) if n not in NEVER]


def add_to_path(target=None):
    """Put the plugin's package folder on sys.path (if it exists), just before the first
    site-packages folder: its packages then win over older copies that QGIS's Python carries
    (as in a venv), while numpy and GDAL, which it never holds, stay QGIS's own."""
    target = target or default_target()
    if not os.path.isdir(target) or target in sys.path:
        return target
    if any(os.path.isdir(os.path.join(target, n)) for n in ("numpy", "osgeo")):
        sys.path.append(target)  # someone installed numpy/GDAL there by hand: QGIS's first
        return target
    at = next((i for i, p in enumerate(sys.path)
               if os.path.basename(p.rstrip("/\\")) in ("site-packages", "dist-packages")),
              len(sys.path))
    sys.path.insert(at, target)
    return target


def _requested(packages, pins, without=None):
    """The pins asked for by name (``name`` or ``name==its pinned version``), refusing
    anything that is not a requirement name of the lock (options, URLs, paths, other versions);
    a package the lock leaves out (``without``: {name: why}) is refused with the reason."""
    out = []
    for spec in packages:
        s = spec.strip()
        name, _, version = s.partition("==")
        if not _NAME.fullmatch(name) or (version and not re.fullmatch(r"[A-Za-z0-9.+!-]+",
                                                                      version)):
            raise InputError(f"'{s}' is not a package name: give names from the plugin's pinned "
                             f"set, without pip options, URLs or paths.", "PACKAGES")
        n = locks.norm(name)
        if n in NEVER:
            raise InputError(f"'{n}' is QGIS's own: the plugin never installs over it.",
                             "PACKAGES")
        if n not in pins and n in (without or {}):
            raise InputError(f"'{n}' cannot be installed for the Python that QGIS runs: "
                             f"{without[n]}.", "PACKAGES")
        if n not in pins:
            raise InputError(f"'{n}' is not in the plugin's pinned set for this QGIS; "
                             f"the set holds: {', '.join(sorted(pins))}.", "PACKAGES")
        if version and version != pins[n]:
            raise InputError(f"'{s}': the plugin's pinned version of {n} is {pins[n]}.",
                             "PACKAGES")
        out.append(f"{n}=={pins[n]}")
    return out


def plan(packages=None, target=None, find_links=None, lock=None):
    """The pip command, the packages it would install, the target and the (tag, lock) used."""
    tag, lock = (locks.platform_tag(), lock) if lock else chosen_lock()
    pins = dict(pinned(lock))
    pk = (_requested(packages, pins, locks.lock_without(lock)) if packages
          else [f"{n}=={v}" for n, v in pins.items()])
    target = target or default_target()
    cmd = [python_executable(), "-m", "pip", "install", "--no-deps", "--upgrade", "--target",
           target, "--disable-pip-version-check"]
    if find_links:
        cmd += ["--no-index", "--find-links", find_links]
    return cmd + pk, pk, target, (tag, lock)


def without_note(tag, without):
    """What a pinned set leaves out ({pip name: why}, locks.lock_without) and what follows."""
    if not without:
        return ""
    from .deps import OPTIONAL
    uses = {pip: use for pip, use in OPTIONAL.values()}
    return (f"The pinned set {tag} has no " +
            "; no ".join(f"{n}: {why}" for n, why in without.items()) +
            ". The algorithms that need it (" + "; ".join(uses.get(n, n) for n in without) +
            ") refuse on this Python and say what to do; every other algorithm works.")


def missing_now(packages):
    out = []
    for spec in packages:
        name = spec.split("==")[0].lower()
        mod = IMPORT_NAMES.get(name, name.replace("-", "_"))
        if not available(mod.split(".")[0]):
            out.append(spec)
    return out


def install(packages=None, target=None, find_links=None, dry_run=False, feedback=None,
            lock=None):
    """Run pip (or only describe what it would do). Returns a report dict."""
    fb = as_feedback(feedback)
    cmd, pk, target, (tag, lock) = plan(packages, target, find_links, lock)
    without = locks.lock_without(lock)
    report = {"target": target, "packages": pk, "command": " ".join(cmd), "tag": tag,
              "lock": lock, "lock_notes": locks.lock_header(lock),
              "missing_before": missing_now(pk), "without": without,
              "without_note": without_note(tag, without)}
    if dry_run:
        return report
    os.makedirs(target, exist_ok=True)
    env = dict(os.environ, PIP_NO_INPUT="1")
    proc = subprocess.Popen(  # nosec B603  # no shell; pip of QGIS's Python, pins of the lock only
        cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines, done = [], 0
    for line in proc.stdout:
        lines.append(line.rstrip())
        fb.info(line.rstrip())
        if line.startswith(("Collecting", "Processing", "Downloading")):
            done += 1
            fb.report(min(0.95, done / max(1, len(pk))))
        if fb.cancelled():
            proc.terminate()
            raise Cancelled()
    proc.wait()
    report["log"] = lines[-40:]
    report["returncode"] = proc.returncode
    if proc.returncode != 0:
        failed = [ln for ln in lines if "ERROR" in ln] or lines[-5:]
        raise HazardError("pip failed to install the packages:\n" + "\n".join(failed[-10:]) +
                          f"\nThe command was: {report['command']}")
    add_to_path(target)
    fb.report(1.0)
    return report
