"""README's map "algorithm id -> file -> core modules" stays true: every algorithm of the
provider has a row, the file defines that id, and the core modules listed are those the file
imports (its method lives there)."""
import ast
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _core_modules(path):
    out = set()
    for n in ast.walk(ast.parse(open(path).read())):
        if isinstance(n, ast.ImportFrom) and n.module and n.level >= 2 and \
                n.module.startswith("core."):
            parts = n.module.split(".")
            if parts[1] == "util":
                continue
            out |= {f"core.{parts[1]}.{a.name}" for a in n.names} if len(parts) == 2 else \
                {".".join(parts[:3])}
    return sorted(out)


def _names(path):
    return set(re.findall(r'^    NAME = "(\w+)"', open(path).read(), re.M))


def test_every_row_names_the_file_and_the_core_modules_it_uses():
    readme = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()
    rows = re.findall(r"^\| `hazard:(\w+)` \| `([^`]+)` \| (.*) \|$", readme, re.M)
    assert rows
    wrong = []
    for alg, path, cell in rows:
        full = os.path.join(ROOT, path)
        assert os.path.exists(full), path
        if "workflow" not in path:
            assert alg in _names(full), f"{alg} is not defined in {path}"
        listed = re.findall(r"`(core\.\w+\.\w+)`", cell)
        if listed != _core_modules(full) and "only" not in cell:
            wrong.append(f"{alg}: README {listed}, imports {_core_modules(full)}")
    assert not wrong, "\n".join(wrong)
    defined = set()
    for folder, _, files in os.walk(os.path.join(ROOT, "algorithms")):
        for f in files:
            if f.endswith(".py"):
                defined |= _names(os.path.join(folder, f))
    assert defined - {"workflow"} <= {a for a, _, _ in rows}, defined - {a for a, _, _ in rows}
