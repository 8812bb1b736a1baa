"""How an output was made: a JSON sidecar ``<output>.provenance.json`` beside every file an
algorithm writes (algorithm id, every parameter, seed, plugin and package versions, and the
SHA-256 of every input file), so that a map in a report can be traced and re-made."""
from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import sys

from . import partial

SUFFIX = ".provenance.json"


def sha256(path, chunk=1 << 20):
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(chunk), b""):
            h.update(block)
    return h.hexdigest()


def plugin_version():
    plugin_dir = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    meta = os.path.join(plugin_dir, "metadata.txt")
    try:
        with open(meta, encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("version="):
                    return line.split("=", 1)[1].strip()
    except OSError:
        pass
    return "unknown"


def package_versions():
    out = {"python": platform.python_version()}
    for mod in ("numpy", "scipy", "sklearn", "xgboost", "tensorflow", "osgeo"):
        m = sys.modules.get(mod)
        if m is not None:
            out[mod if mod != "osgeo" else "gdal"] = getattr(m, "__version__", "?")
    return out


def file_of(value):
    """The file behind a data source string ('a.gpkg|layername=x' -> 'a.gpkg'), or None."""
    if not isinstance(value, str) or not value:
        return None
    path = value.split("|")[0]
    return path if os.path.isfile(path) else None


def write(algorithm, parameters, inputs, outputs, extra=None):
    """Write a sidecar for each output file; returns the sidecar paths."""
    checksums = {}
    for p in sorted({f for f in (file_of(v) for v in inputs) if f}):
        checksums[p] = sha256(p)
    record = {"algorithm": algorithm, "created": datetime.datetime.now(
        datetime.timezone.utc).isoformat(timespec="seconds"), "parameters": parameters,
        "seed": parameters.get("SEED"), "plugin_version": plugin_version(),
        "working_directory": os.getcwd(),
        "packages": package_versions(), "inputs_sha256": checksums}
    record.update(extra or {})
    written = []
    for out in outputs:
        f = file_of(out)
        if f is None:
            continue
        side = f + SUFFIX
        # whole or not at all: a run killed while writing it leaves no half record
        partial.remove_leftovers(side)
        tmp = partial.temp_path(side)
        try:
            with open(tmp, "w", encoding="utf-8") as fh:
                json.dump(dict(record, output=f), fh, indent=2, default=str)
            os.replace(tmp, side)
        finally:
            if os.path.exists(tmp):
                os.remove(tmp)
        written.append(side)
    return written
