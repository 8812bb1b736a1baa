"""CONTRIBUTING.md stays true, as test_readme_map.py keeps the README's map true: every file it
names exists, every name it gives in code quotes is defined in the code, and the registries it
tells a contributor to edit are the ones the code reads (read statically: no QGIS needed).

In the guide, `a/b.py` and `a/b/` are paths (`<name>` a placeholder: its folder must exist),
`hazard:id` an algorithm id, `P.X` a parameter name of algorithms/params.py, and any other
code-quoted identifier (`name`, `name()`, `Class.attr`) something the code defines. Values are
written in plain quotes ("label"), commands and text with spaces are not checked."""
import ast
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GUIDE = os.path.join(ROOT, "CONTRIBUTING.md")
#: the model-kind registry and the samplers' declarations come with issue 32's model work
MODELS = os.path.join(ROOT, "core", "susceptibility", "models", "__init__.py")
PENDING = pytest.mark.xfail(not os.path.exists(MODELS), strict=True,
                            reason="core/susceptibility/models/ (issue 32.1-2) is not merged")


def _sections():
    text = open(GUIDE, encoding="utf-8").read()
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    out = {"intro": parts[0]}
    out.update(zip(parts[1::2], parts[2::2]))
    return out


def _quoted(text):
    return re.findall(r"`([^`\n]+)`", text)


def _python_files(*tops):
    for top in tops:
        for folder, dirs, files in os.walk(os.path.join(ROOT, top)):
            dirs[:] = [d for d in dirs if not d.startswith((".", "__pycache__"))]
            for f in files:
                if f.endswith(".py"):
                    yield os.path.join(folder, f)


def _definitions():
    """Every name the code defines: functions, classes, module and class attributes, methods
    (also as Class.attr), dataclass fields."""
    names = set()
    for path in list(_python_files("algorithms", "core", "scripts", "tests")) + [
            os.path.join(ROOT, "provider.py")]:
        tree = ast.parse(open(path, encoding="utf-8").read())
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    for n in _assigned(item):
                        names.update({n, f"{node.name}.{n}"})
            elif isinstance(node, ast.Module):
                for item in node.body:
                    names.update(_assigned(item))
    return names


def _assigned(item):
    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return [item.name]
    targets = item.targets if isinstance(item, ast.Assign) else \
        [item.target] if isinstance(item, ast.AnnAssign) else []
    return [t.id for t in targets if isinstance(t, ast.Name)]


def _params():
    return set(re.findall(r"^([A-Z_0-9]+) = ", open(os.path.join(
        ROOT, "algorithms", "params.py"), encoding="utf-8").read(), re.M))


def _ids():
    ids = set()
    for path in _python_files("algorithms"):
        ids |= set(re.findall(r'^    NAME = "(\w+)"', open(path, encoding="utf-8").read(),
                              re.M))
    workflow = open(os.path.join(ROOT, "algorithms", "workflows", "workflow.py"),
                    encoding="utf-8").read()
    return ids | set(re.findall(r'^    "(workflow\w+)": \(', workflow, re.M))


def _wrong(text):
    """What the text names that does not exist."""
    defined, params, ids = _definitions(), _params(), _ids()
    wrong = []
    for q in _quoted(text):
        if "/" in q or re.fullmatch(r"[\w.-]+\.(py|md|txt|model3)", q):
            path = q.split("<")[0] if "<" in q else q
            path = os.path.dirname(path.rstrip("/")) if "<" in q else path
            if not os.path.exists(os.path.join(ROOT, path)):
                wrong.append(f"path {q}")
        elif q.startswith("hazard:"):
            if q[len("hazard:"):] and q[len("hazard:"):] not in ids:
                wrong.append(f"algorithm id {q}")
        elif q.startswith("P."):
            if q[2:] not in params:
                wrong.append(f"parameter {q}")
        elif re.fullmatch(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)?(\(\))?", q):
            name = q[:-2] if q.endswith("()") else q
            if name not in defined:
                wrong.append(f"name {q}")
    return wrong


def test_the_guide_has_the_three_sections():
    assert {"Adding an algorithm", "Adding a sampler", "Adding a model kind"} <= set(_sections())


@pytest.mark.parametrize("section", ["intro", "Adding an algorithm"])
def test_every_file_and_name_exists(section):
    assert not _wrong(_sections()[section])


@PENDING
@pytest.mark.parametrize("section", ["Adding a sampler", "Adding a model kind"])
def test_every_file_and_name_of_the_new_registries_exists(section):
    assert not _wrong(_sections()[section])


def _registry():
    """(group folder, module, class) of every import of algorithm_classes(), and the names it
    returns."""
    tree = ast.parse(open(os.path.join(ROOT, "algorithms", "registry.py"),
                          encoding="utf-8").read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and
              n.name == "algorithm_classes")
    imports = [(n.module.split(".")[0], n.module.split(".")[1], a.name)
               for n in ast.walk(fn) if isinstance(n, ast.ImportFrom) for a in n.names]
    ret = next(n for n in ast.walk(fn) if isinstance(n, ast.Return))
    return imports, [e.id for e in ret.value.elts]


def _classes():
    """{class name: (file, NAME or None, GROUP or None, base names)} of algorithms/."""
    out = {}
    for path in _python_files("algorithms"):
        for node in ast.parse(open(path, encoding="utf-8").read()).body:
            if isinstance(node, ast.ClassDef):
                attrs = {t.id: v.value for item in node.body if isinstance(item, ast.Assign)
                         for t in item.targets if isinstance(t, ast.Name)
                         for v in [item.value] if isinstance(v, ast.Constant)}
                out[node.name] = (os.path.relpath(path, ROOT), attrs.get("NAME"),
                                  attrs.get("GROUP"),
                                  [b.id for b in node.bases if isinstance(b, ast.Name)])
    return out


def _group(classes, name):
    _, _, group, bases = classes[name]
    if group is not None:
        return group
    for b in bases:
        if b in classes:
            return _group(classes, b)
    return None


def test_the_registry_is_every_algorithm_once_each_in_its_groups_folder():
    imports, listed = _registry()
    classes = _classes()
    groups = set(re.findall(r'^    "(\w+)": "\d\. ', open(os.path.join(
        ROOT, "algorithms", "base.py"), encoding="utf-8").read(), re.M))
    assert sorted(listed) == sorted(c for _, _, c in imports), "imported and listed differ"
    assert len(set(listed)) == len(listed)
    for folder, module, cls in imports:
        path, name, _, _ = classes[cls]
        assert path == f"algorithms/{folder}/{module}.py", (cls, path)
        assert name, f"{cls} sets no NAME"
        assert folder in groups and _group(classes, cls) == folder, (cls, folder)
    # every algorithm class of algorithms/ is registered (the workflows are the models')
    named = {c for c, (path, name, _, _) in classes.items() if name and
             "workflows" not in path}
    assert named == set(listed), named ^ set(listed)


def test_every_registered_id_is_in_the_provider_test():
    every = re.search(r'EVERY_ID = """(.*?)"""', open(os.path.join(
        ROOT, "tests", "qgis", "test_provider.py"), encoding="utf-8").read(), re.S).group(1)
    assert _ids() == set(every.split())


@PENDING
def test_every_sampler_algorithm_writes_a_declared_sampler():
    """SAMPLER of each SamplingAlgorithm names a sampler declared in core/sampling/."""
    declared = set()
    # core/susceptibility: the susceptibility-ratio sampler, which maps a model first
    homes = list(_python_files(os.path.join("core", "sampling"),
                               os.path.join("core", "susceptibility")))
    for path in homes:
        for node in ast.walk(ast.parse(open(path, encoding="utf-8").read())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "declare" and \
                    node.args and isinstance(node.args[0], ast.Constant):
                declared.add(node.args[0].value)
    constants = {}  # smp.X -> the name declared for it
    for path in homes:
        for node in ast.parse(open(path, encoding="utf-8").read()).body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call) and \
                    getattr(node.value.func, "id", "") == "declare":
                constants[node.targets[0].id] = node.value.args[0].value
    for path in _python_files("algorithms"):
        for node in ast.parse(open(path, encoding="utf-8").read()).body:
            if not isinstance(node, ast.ClassDef) or "SamplingAlgorithm" not in \
                    [getattr(b, "id", "") for b in node.bases]:
                continue
            value = next((item.value for item in node.body if isinstance(item, ast.Assign)
                          and getattr(item.targets[0], "id", "") == "SAMPLER"), None)
            if value is None:
                continue  # no sampler field of its own (the multi-hazard samples)
            if isinstance(value, ast.Constant):
                name = value.value
            else:  # X.name or smp.X.name, X a declared sampler
                of = value.value
                name = constants.get(of.id if isinstance(of, ast.Name) else of.attr)
            assert name in declared, (node.name, ast.dump(value))


@PENDING
def test_the_model_kinds_are_one_module_each_listed_once():
    text = open(MODELS, encoding="utf-8").read()
    modules = ast.literal_eval(re.search(r"^MODULES = (\(.*?\))$", text, re.M | re.S).group(1))
    assert len(set(modules)) == len(modules)
    folder = os.path.dirname(MODELS)
    for m in modules:
        src = open(os.path.join(folder, f"{m}.py"), encoding="utf-8").read()
        assert re.search(r"^KIND = ", src, re.M), f"{m}.py defines no KIND"
    # the guide's example is a registered kind
    assert "extra_trees" in modules
