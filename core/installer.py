"""Installing the plugin's pinned Python packages for the Python that QGIS uses.

Packages go into a plugin-owned folder (never over QGIS's own numpy or GDAL): pip installs the
pinned list from requirements.txt and constraints.txt with ``--target`` and ``--no-deps``, numpy
left out, and the folder is appended to ``sys.path`` (after QGIS's own packages, so QGIS's
numpy keeps precedence)."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from .deps import available
from .errors import Cancelled, HazardError, InputError
from .progress import as_feedback
from .worker import python_executable

PLUGIN_DIR = os.path.dirname(os.path.dirname(__file__))
NEVER = {"numpy", "gdal"}  # QGIS's own: never installed over it
# import name of the packages worth checking before installing
IMPORT_NAMES = {"scikit-learn": "sklearn", "xgboost-cpu": "xgboost", "tensorflow-cpu": "tensorflow",
                "imbalanced-learn": "imblearn", "protobuf": "google.protobuf",
                "google-pasta": "pasta", "absl-py": "absl", "typing-extensions": "typing_extensions"}


def pinned(plugin_dir=PLUGIN_DIR):
    """(name, version) of every pinned package, from requirements.txt and constraints.txt."""
    out = {}
    for fname in ("requirements.txt", "constraints.txt"):
        path = os.path.join(plugin_dir, fname)
        if not os.path.exists(path):
            continue
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                m = re.match(r"^\s*([A-Za-z0-9_.\-]+)\s*==\s*([^\s#;]+)", line)
                if m:
                    out[m.group(1).lower().replace("_", "-")] = m.group(2)
    return [(n, v) for n, v in sorted(out.items()) if n not in NEVER]


def default_target():
    """A folder of the user's own, beside QGIS's profile folders (no admin rights needed)."""
    base = os.environ.get("APPDATA") if os.name == "nt" else os.path.join(
        os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "hazard_susceptibility", f"python{sys.version_info[0]}"
                                                        f"{sys.version_info[1]}")


def add_to_path(target=None):
    """Append the plugin's package folder to sys.path (if it exists)."""
    target = target or default_target()
    if os.path.isdir(target) and target not in sys.path:
        sys.path.append(target)
    return target


def plan(packages=None, target=None, find_links=None):
    """The pip command and the packages it would install."""
    pins = dict(pinned())
    if packages:  # a pinned package given by name gets its pinned version
        pk = []
        for spec in packages:
            name = re.split(r"[=<>!~ ]", spec.strip(), 1)[0].lower().replace("_", "-")
            if name in NEVER:
                raise InputError(f"'{name}' is QGIS's own: the plugin never installs over it.",
                                 "PACKAGES")
            pk.append(f"{name}=={pins[name]}" if spec.strip().lower() == name and name in pins
                      else spec.strip())
    else:
        pk = [f"{n}=={v}" for n, v in pins.items()]
    target = target or default_target()
    cmd = [python_executable(), "-m", "pip", "install", "--no-deps", "--upgrade", "--target",
           target, "--disable-pip-version-check"]
    if find_links:
        cmd += ["--no-index", "--find-links", find_links]
    return cmd + pk, pk, target


def missing_now(packages):
    out = []
    for spec in packages:
        name = spec.split("==")[0].lower()
        mod = IMPORT_NAMES.get(name, name.replace("-", "_"))
        if not available(mod.split(".")[0]):
            out.append(spec)
    return out


def install(packages=None, target=None, find_links=None, dry_run=False, feedback=None):
    """Run pip (or only describe what it would do). Returns a report dict."""
    fb = as_feedback(feedback)
    cmd, pk, target = plan(packages, target, find_links)
    report = {"target": target, "packages": pk, "command": " ".join(cmd),
              "missing_before": missing_now(pk)}
    if dry_run:
        return report
    os.makedirs(target, exist_ok=True)
    env = dict(os.environ, PIP_NO_INPUT="1")
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env)
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
