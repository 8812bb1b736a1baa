"""The import graph of the plugin's code (core/, algorithms/, provider.py) as its source says it:
every ``import`` and ``from ... import`` statement, a function's own included (a lazy import is
an arrow all the same; an import made by ``importlib`` by name is not read).

* No two modules import each other, directly or in a circle.
* core/'s packages stand in layers, and every import goes down (or stays in its package).
* core/ imports nothing of algorithms/ or provider.py.
"""
import ast
import os

from tests.conftest import ROOT

#: core/'s layers, bottom first. A module may import its own package and the packages of lower
#: layers; packages in one layer do not import each other.
LAYERS = (
    # plumbing every method shares (errors, progress, optional packages, atomic outputs, the
    # generic HTML report): it knows no raster, no statistic and no method
    ("util",),
    # numbers on arrays: metrics and calibration, class breaks, compiled kernels, and the
    # calibration section every model report holds
    ("stats",),
    # rasters, vectors and model files in and out: zonal statistics sum with stats' kernels,
    # and the bench region scores its maps with stats' fidelity measures
    ("io",),
    # absence samplers and augmentation: draws on io's factor stacks
    ("sampling",),
    # models trained on samples: training reads what the samplers drew, the comparison of
    # sampling scenarios draws a common background, and the susceptibility-based ratio maps a
    # model before it draws
    ("susceptibility",),
    # methods on the models' ground: the HNN keeps its training rows as the models do (area of
    # applicability, folds); GeoDetector needs only io and stats. Neither imports the other
    ("geodetector", "hnn"),
    # the FL-MHSM chain: samples (sampling), Late Fusion and its area of applicability
    # (susceptibility), the size classes' network pieces (hnn)
    ("multihazard",),
)
RANK = {pkg: rank for rank, layer in enumerate(LAYERS) for pkg in layer}



def modules():
    """{module name: path} of core/, algorithms/, provider.py and the plugin's __init__.py
    (named from the plugin's folder: 'core.util.report', 'provider', '' for the plugin)."""
    out = {"": os.path.join(ROOT, "__init__.py"), "provider": os.path.join(ROOT, "provider.py")}
    for top in ("core", "algorithms"):
        for folder, _, files in os.walk(os.path.join(ROOT, top)):
            for f in files:
                if f.endswith(".py"):
                    path = os.path.join(folder, f)
                    parts = os.path.relpath(path, ROOT)[:-3].split(os.sep)
                    out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _resolve(module, path, node):
    """The module an ImportFrom starts from, as a name of :func:`modules`."""
    if not node.level:
        name = node.module or ""
        for prefix in ("hazard_susceptibility.", "hazard_susceptibility"):
            if name.startswith(prefix):
                return name[len(prefix):]
        return None  # another distribution's module
    package = module if path.endswith("__init__.py") else module.rpartition(".")[0]
    parts = package.split(".") if package else []
    parts = parts[:len(parts) - (node.level - 1)]
    if node.module:
        parts += node.module.split(".")
    return ".".join(parts)


def imports(mods):
    """{module: {imported module: first line}} of every import statement of every module (one
    nested in a function included). ``from P import x`` is an arrow to P.x when that is a module
    of ours, else to P."""
    out = {}
    for name, path in mods.items():
        arrows = out.setdefault(name, {})
        tree = ast.parse(open(path, encoding="utf-8").read(), path)
        for node in ast.walk(tree):
            targets = []
            if isinstance(node, ast.ImportFrom):
                base = _resolve(name, path, node)
                if base is None:
                    continue
                for a in node.names:
                    sub = f"{base}.{a.name}" if base else a.name
                    targets.append(sub if sub in mods else base)
            elif isinstance(node, ast.Import):
                for a in node.names:
                    if a.name.startswith("hazard_susceptibility"):
                        targets.append(a.name.partition(".")[2])
            for t in targets:
                if t in mods and t != name:
                    arrows.setdefault(t, node.lineno)
    return out


def circles(graph):
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index, low, stack, on, found = {}, {}, [], set(), []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = len(index)
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(sorted(graph[w]))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[v])
            if low[v] == index[v]:
                comp = set()
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.add(w)
                    if w == v:
                        break
                if len(comp) > 1:
                    found.append(frozenset(comp))
    return found


def _describe(comp, graph):
    return "; ".join(f"{a} -> {b} (line {graph[a][b]})" for a in sorted(comp)
                     for b in sorted(graph[a]) if b in comp)


def _package(module):
    parts = module.split(".")
    return parts[1] if parts[0] == "core" and len(parts) > 1 else None


def test_the_reader_sees_every_kind_of_import():
    """The graph holds top-level, relative, package and function-level imports."""
    mods = modules()
    graph = imports(mods)
    assert len([m for m in mods if m.startswith("core.")]) > 60
    assert "core.util.errors" in graph["core.stats.metrics"]              # from ..util.errors
    assert "core.stats.metrics" in graph["core.susceptibility.training"]  # from ..stats import m
    assert "core.sampling.samplers" in graph["core.sampling"]             # from . import samplers
    assert "core.io.raster" in graph["core.susceptibility.holdout"]       # inside a function
    assert "algorithms.base" in graph["algorithms.sampling.common"]
    # the finder of circles, on a graph whose circles are known
    toy = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1, "d": 1}, "d": {}, "e": {"e2": 1},
           "e2": {"e": 1}}
    assert sorted(map(sorted, circles(toy))) == [["a", "b", "c"], ["e", "e2"]]


def test_no_circle_in_core():
    graph = imports(modules())
    found = [c for c in circles(graph) if any(m.startswith("core.") for m in c)]
    assert not found, "\n".join(_describe(c, graph) for c in found)


def test_core_imports_go_down_its_layers():
    mods = modules()
    packages = {_package(m) for m in mods if _package(m)}
    assert packages == set(RANK), f"place every package of core/ in LAYERS: {packages ^ set(RANK)}"
    wrong = []
    for a, arrows in imports(mods).items():
        if not a.startswith("core"):
            continue
        for b, line in arrows.items():
            pa, pb = _package(a), _package(b)
            if not b.startswith("core"):
                wrong.append(f"{a}:{line} imports {b}: core/ imports no glue")
            elif pa and pb and pa != pb and RANK[pa] <= RANK[pb]:
                wrong.append(f"{a}:{line} imports {b}: {pa} stands "
                             f"{'beside' if RANK[pa] == RANK[pb] else 'below'} {pb}")
    assert not wrong, "\n".join(sorted(wrong))


def test_no_circle_in_algorithms():
    graph = imports(modules())
    found = [c for c in circles(graph) if not any(m.startswith("core.") for m in c)]
    assert not found, "\n".join(_describe(c, graph) for c in found)
