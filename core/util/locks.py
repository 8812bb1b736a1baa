"""The pinned package sets ("locks"), one per platform: which set fits a Python and its numpy.

A platform is the pair (Python minor version, numpy major version) of the Python that runs
QGIS, e.g. ``py311-numpy1`` for Debian 12's QGIS 3.22 or ``py313-numpy2`` for Debian 13's QGIS
3.40. ``constraints/<tag>.txt`` pins, exactly, every package the plugin needs on top of what
that Python already has (never numpy or GDAL: QGIS's own); ``constraints/<tag>-dev.txt`` adds
the test tools. The first comment lines of a lock say how it was made and whether it was tested.

This module imports nothing of the plugin (``make setup`` runs it with the system Python before
anything is installed): ``python3 core/util/locks.py tag`` prints the running Python's tag,
``python3 core/util/locks.py path`` the lock that fits it (exit 3 when none does).

A lock may leave out a package of requirements.txt that has no release for its Python (the
set for Python 3.14 has no TensorFlow); a header line ``# without: <name>: <why>`` says so, and
the algorithms that need it refuse on that platform with the reason (:func:`lock_without`).
"""
from __future__ import annotations

import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PLUGIN_DIR = os.path.dirname(os.path.dirname(HERE))
LOCK_DIR = os.path.join(PLUGIN_DIR, "constraints")
NEVER = ("numpy", "gdal")  # QGIS's own: never pinned, never installed over it


def numpy_major(default=None):
    """The major version of the numpy this Python imports (QGIS's own), or ``default``."""
    try:
        import numpy
    except ImportError:
        return default
    return int(numpy.__version__.split(".")[0])


def platform_tag(version_info=None, numpy_version_major=None):
    """``py<major><minor>-numpy<N>`` for a Python version and numpy major version."""
    vi = version_info or sys.version_info
    npm = numpy_major() if numpy_version_major is None else numpy_version_major
    if npm is None:
        raise LookupError("numpy is not importable by this Python: QGIS's Python always has it "
                          "(Debian: apt-get install python3-numpy)")
    return f"py{vi[0]}{vi[1]}-numpy{npm}"


def available_tags(lock_dir=LOCK_DIR):
    """Every platform tag that has a lock, sorted."""
    if not os.path.isdir(lock_dir):
        return []
    return sorted(f[:-4] for f in os.listdir(lock_dir)
                  if re.fullmatch(r"py\d+-numpy\d+\.txt", f))


def lock_path(tag, lock_dir=LOCK_DIR, dev=False):
    """The lock file of ``tag`` (``-dev`` for the test tools); LookupError when there is none."""
    path = os.path.join(lock_dir, f"{tag}{'-dev' if dev else ''}.txt")
    if not os.path.exists(path):
        have = ", ".join(available_tags(lock_dir)) or "none"
        raise LookupError(f"no pinned package set for {tag} (this Python and its numpy); "
                          f"the plugin has sets for: {have}")
    return path


def norm(name):
    """A package name in PyPI's normal form (lower case, '-' for runs of '-', '_', '.')."""
    return re.sub(r"[-_.]+", "-", name).lower()


def read_lock(path):
    """{normal name: version} of every exact pin in a lock file (comments ignored)."""
    out = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*==\s*([^\s#;]+)", line)
            if m:
                out[norm(m.group(1))] = m.group(2)
    return out


def lock_header(path):
    """The leading comment lines of a lock (how it was made, whether CI tests it)."""
    lines = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            lines.append(line[1:].strip())
    return lines


def lock_without(path):
    """{normal name: why} of the packages a lock leaves out on purpose, from its header lines
    ``# without: <name>: <why>`` (TensorFlow in the set for Python 3.14, which it has no
    release for). The algorithms that need such a package refuse on that platform, saying why."""
    out = {}
    for line in lock_header(path):
        m = re.match(r"without:\s*([A-Za-z0-9][A-Za-z0-9_.\-]*)\s*:\s*(\S.*)$", line)
        if m:
            out[norm(m.group(1))] = m.group(2).strip()
    return out


def tags_with(package, lock_dir=LOCK_DIR):
    """The platform tags whose lock pins ``package``, sorted."""
    return [t for t in available_tags(lock_dir)
            if norm(package) in read_lock(os.path.join(lock_dir, f"{t}.txt"))]


def main(argv):
    if len(argv) != 2 or argv[1] not in ("tag", "path", "dev-path"):
        print("usage: python3 core/util/locks.py tag|path|dev-path", file=sys.stderr)
        return 2
    try:
        tag = platform_tag()
        if argv[1] == "tag":
            print(tag)
        else:
            print(lock_path(tag, dev=argv[1] == "dev-path"))
    except LookupError as exc:
        print(f"hazard: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
