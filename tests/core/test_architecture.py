"""The two layers keep their shape (issue 32, the first redesign's rules), read statically: no
QGIS needed.

* every ``compute`` of an algorithm is at most 60 lines: a step that does not fit becomes a
  named method;
* the glue stays thin: ``algorithms/`` is at most 0.45 times ``core/`` in lines;
* no ``qgis`` import anywhere in ``core/``, functions included (test_core_imports.py imports
  every core module with qgis blocked, which sees the imports run at import time; an import
  inside a function only runs when it is called).

Import cycles are tests/core/test_import_graph.py's."""
import ast
import os
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MAX_COMPUTE = 60
MAX_RATIO = 0.45


def _files(top):
    """The tracked .py files under ``top`` (every .py file there outside git)."""
    try:
        out = subprocess.run(["git", "ls-files", f"{top}/*.py"], cwd=ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
        if out:
            return [os.path.join(ROOT, f) for f in out]
    except (OSError, subprocess.CalledProcessError):
        pass
    return [os.path.join(d, f) for d, dirs, files in os.walk(os.path.join(ROOT, top))
            if "__pycache__" not in d for f in files if f.endswith(".py")]


def _lines(top):
    return sum(len(open(p, encoding="utf-8").read().splitlines()) for p in _files(top)
               if os.path.exists(p))


def test_every_compute_is_at_most_60_lines():
    long = []
    for path in _files("algorithms"):
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, ast.FunctionDef) and node.name == "compute":
                n = node.end_lineno - node.lineno + 1
                if n > MAX_COMPUTE:
                    long.append(f"{os.path.relpath(path, ROOT)}:{node.lineno} compute is "
                                f"{n} lines")
    assert not long, "\n".join(long)


def test_the_glue_is_at_most_045_times_the_core():
    glue, core = _lines("algorithms"), _lines("core")
    assert core > 5000
    assert glue <= MAX_RATIO * core, (
        f"algorithms/ has {glue} lines, core/ {core}: {glue / core:.3f} of it, over "
        f"{MAX_RATIO}; move logic that is not QGIS glue into core/ (with tests) or merge "
        f"repeated glue into algorithms/base.py")


def test_no_qgis_import_in_core_even_inside_functions():
    found = []
    for path in _files("core"):
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level \
                else []
            found += [f"{os.path.relpath(path, ROOT)}:{node.lineno} imports {n}" for n in names
                      if n == "qgis" or n.startswith("qgis.")]
    assert not found, "\n".join(found)
