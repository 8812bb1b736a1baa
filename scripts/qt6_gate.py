#!/usr/bin/env python3
"""Static gate for Qt 6 / QGIS 4 (run by `make test` through tests/qgis/test_qt6_gate.py, and
alone by `make check-qt6`).

    python scripts/qt6_gate.py [FOLDER]        (FOLDER: the plugin's folder; default: this one)

Two checks over every Python file of FOLDER (the plugin that ships, its tests, scripts and
benchmarks; .venv, .build, dist and demo_output are left out):

1. flake8-qgis (PyPI, pinned in requirements-dev and the locks), rules that PyQt6 / QGIS 4 break:
   QGS103/QGS104 (PyQt5 imported directly instead of qgis.PyQt), QGS107 (`exec_`), and every
   QGS4xx rule (QVariant types and QVariant() nulls, enums removed in Qt 6, QFontMetrics.width,
   activated[str], QRegExp, QDesktopWidget, compiled resources, fragile addAction, QDateTime
   constructors). flake8 runs --isolated so no project configuration can turn a rule off.
2. Unscoped enums: PyQt6 and QGIS 4 reach an enum value only through its enum
   (`Qt.AlignmentFlag.AlignLeft`, `QgsProperty.Type.StaticProperty`); `Qt.AlignLeft` is an
   AttributeError there. flake8-qgis does not look for these, so this gate does what QGIS's own
   pyqt5_to_pyqt6 conversion does to find them: it introspects the bindings. Every attribute
   chain that starts from a name imported from qgis.* / PyQt5 / PyQt6 is resolved against the
   QGIS and Qt that run this script, and a step that reaches an enum value from anything other
   than its enum type is reported, with the scoped form to use. Run on QGIS 3.22 and 3.44 (both
   CI parts), it sees the enums of both; a name the running QGIS does not have is not judged.
   Values that compat.py resolves by name (strings) are not attribute chains and are not seen:
   that is where the forms that differ between QGIS versions live.

Prints one line per finding (path:line:col: CODE message) and exits 1 when there is any.
"""
import ast
import enum
import importlib
import os
import subprocess
import sys

FLAKE8_RULES = "QGS103,QGS104,QGS107,QGS4"
BINDINGS = ("qgis", "PyQt5", "PyQt6")
SKIP_DIRS = {".venv", ".build", "dist", "demo_output", "__pycache__", "node_modules"}


def python_files(folder):
    """Every .py file under ``folder``, sorted, without virtualenvs, builds and hidden folders."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith("."))
        out += [os.path.join(root, f) for f in sorted(files) if f.endswith(".py")]
    return out


def run_flake8(files, cwd):
    """flake8-qgis's Qt 6 rules over ``files``: a list of finding lines."""
    if not files:
        return []
    proc = subprocess.run(
        [sys.executable, "-m", "flake8", "--isolated", f"--select={FLAKE8_RULES}", *files],
        cwd=cwd, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"flake8 failed ({proc.returncode}): {proc.stderr.strip()}")
    if "flake8-qgis" not in subprocess.run([sys.executable, "-m", "flake8", "--version"],
                                           capture_output=True, text=True).stdout:
        raise RuntimeError("flake8-qgis is not installed: make setup installs it "
                           "(requirements-dev.txt)")
    return [line for line in proc.stdout.splitlines() if line.strip()]


def _is_enum_type(obj):
    # sip's enums (PyQt5 and QGIS 3) have the metaclass sip.enumtype; PyQt6's and QGIS's
    # scoped enums are Python enums
    return isinstance(obj, type) and (issubclass(obj, enum.Enum)
                                      or type(obj).__name__ == "enumtype")


def _is_enum_value(obj):
    return _is_enum_type(type(obj))


class _Resolver:
    """Objects of dotted names rooted in a file's imports of the bindings, cached."""

    def __init__(self):
        self.cache = {}

    def module_attr(self, module, attr=None):
        key = (module, attr)
        if key not in self.cache:
            try:
                obj = importlib.import_module(module)
                if attr is not None:
                    obj = getattr(obj, attr) if hasattr(obj, attr) else \
                        importlib.import_module(f"{module}.{attr}")
            except Exception:  # not in this QGIS (or needs a running application): not judged
                obj = None
            self.cache[key] = obj
        return self.cache[key]


def _bindings_of(tree, resolver):
    """{local name: object} for every import of qgis.* / PyQt5 / PyQt6 anywhere in ``tree``."""
    names = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] not in BINDINGS:
                    continue
                if a.asname:
                    obj = resolver.module_attr(a.name)
                    local = a.asname
                else:
                    local = a.name.split(".")[0]
                    obj = resolver.module_attr(local)
                if obj is not None:
                    names[local] = obj
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.split(".")[0] not in BINDINGS:
                continue
            for a in node.names:
                if a.name == "*":
                    continue
                obj = resolver.module_attr(node.module, a.name)
                if obj is not None:
                    names[a.asname or a.name] = obj
    return names


def _scoped_name(parent_src, parent, attr, value):
    """How to write ``value`` (reached as parent.attr) with its enum: Parent.Enum.Member where
    Parent holds the enum, else the enum's own qualified name (Qgis.X.Member)."""
    etype = type(value)
    # a Python enum knows its member's name (QGIS 3.44's old names are aliases of new members)
    member = value.name if isinstance(value, enum.Enum) else attr
    for name in dir(parent):
        try:
            if getattr(parent, name) is etype:
                return f"{parent_src}.{name}.{member}"
        except Exception:
            continue
    return f"{etype.__qualname__}.{member}"


def unscoped_enums(path, resolver=None, display=None):
    """Unscoped enum accesses in the file ``path``: a list of finding lines."""
    resolver = resolver or _Resolver()
    with open(path, encoding="utf-8") as f:
        src = f.read()
    tree = ast.parse(src, filename=path)
    names = _bindings_of(tree, resolver)
    if not names:
        return []
    found = []

    def resolve(node):
        if isinstance(node, ast.Name):
            return names.get(node.id)
        if isinstance(node, ast.Attribute):
            parent = resolve(node.value)
            if parent is None:
                return None
            try:
                return getattr(parent, node.attr)
            except Exception:
                return None
        return None

    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        parent = resolve(node.value)
        if parent is None or _is_enum_type(parent):
            continue
        try:
            value = getattr(parent, node.attr)
        except Exception:
            continue
        if _is_enum_value(value):
            parent_src = ast.unparse(node.value)
            found.append(f"{display or path}:{node.lineno}:{node.col_offset + 1}: QT6E "
                         f"unscoped enum {parent_src}.{node.attr}: PyQt6 / QGIS 4 need "
                         f"{_scoped_name(parent_src, parent, node.attr, value)}")
    return found


def check(folder):
    """Every finding of both checks over the Python files of ``folder`` (paths relative to it)."""
    folder = os.path.abspath(folder)
    files = [os.path.relpath(p, folder) for p in python_files(folder)]
    findings = run_flake8(files, folder)
    resolver = _Resolver()
    for rel in files:
        findings += unscoped_enums(os.path.join(folder, rel), resolver, display=rel)
    return findings


def main(argv=None):
    args = sys.argv[1:] if argv is None else argv
    folder = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
    findings = check(folder)
    for line in findings:
        print(line)
    n = len(python_files(folder))
    print(f"qt6 gate: {len(findings)} finding(s) in {n} Python files "
          f"(flake8-qgis {FLAKE8_RULES}; unscoped enums against QGIS "
          f"{_qgis_version()})", file=sys.stderr)
    return 1 if findings else 0


def _qgis_version():
    try:
        from qgis.core import Qgis
        return Qgis.QGIS_VERSION
    except Exception:
        return "(not importable: unscoped QGIS enums not checked)"


if __name__ == "__main__":
    sys.exit(main())
