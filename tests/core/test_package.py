"""The plugin zip against the plugin repository's checks (scripts/check_package.py, which
`make check-package` runs on the `make package` zip): the zip of the working tree passes them,
and a zip with a planted problem (an executable file, a hardcoded secret, a subprocess call
without nosec, a hidden file, ...) fails, naming the file and what to do."""
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import check_package as cp  # noqa: E402  (scripts/check_package.py)

NAME = cp.PACKAGE
# test values made at run time, so that no scanner finds them in this file
AWS_KEY = "AKIA" + "IOSFODNN7EXAMPLE"


def _git_checkout():
    return shutil.which("git") and subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"], cwd=ROOT,
        capture_output=True).returncode == 0


@pytest.fixture(scope="module")
def worktree_zip(tmp_path_factory):
    if not _git_checkout():
        pytest.skip("not a git checkout: the zip is made from git's file list")
    return cp.worktree_zip(str(tmp_path_factory.mktemp("package") / f"{NAME}.zip"))


def _entries(path):
    with zipfile.ZipFile(path) as zf:
        return {i.filename: (zf.read(i), i.external_attr >> 16) for i in zf.infolist()
                if not i.is_dir()}


def _rebuild(src, dst, keep=None, add=(), drop=(), prefix=NAME):
    """A copy of the zip ``src`` with only the entries ``keep`` (relative to the top folder;
    all when None), less ``drop``, plus ``add``: (relative path, bytes, unix mode)."""
    entries = _entries(src)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zf:
        for full, (data, mode) in sorted(entries.items()):
            rel = full.split("/", 1)[1]
            if (keep is None or rel in keep) and rel not in drop:
                info = zipfile.ZipInfo(f"{prefix}/{rel}")
                info.external_attr = (mode or 0o100644) << 16
                zf.writestr(info, data)
        for rel, data, mode in add:
            info = zipfile.ZipInfo(f"{prefix}/{rel}" if prefix else rel)
            info.external_attr = mode << 16
            zf.writestr(info, data)
    return dst


MINIMAL = ("__init__.py", "metadata.txt", "LICENSE", "icons/hazard.svg")


def test_the_zip_of_the_working_tree_passes_every_check(worktree_zip):
    problems, summary = cp.check(worktree_zip)
    assert problems == [], "\n".join(problems)
    text = "\n".join(summary)
    for tool in ("bandit", "detect-secrets", "flake8"):
        assert f"{tool} " in text and "0 finding(s)" in text.split(f"{tool} ")[1].split("\n")[0]
    assert "at 100 columns" in text  # the project's .flake8, not flake8's 79


def test_the_working_tree_zip_is_what_git_archive_ships(worktree_zip):
    """Same files as `make package` (git archive HEAD) for everything committed, nothing that
    .gitattributes keeps out (tests, scripts, CI, dot-files)."""
    names = set(_entries(worktree_zip))
    head = subprocess.run(["git", "archive", "--format=zip", f"--prefix={NAME}/", "HEAD"],
                          cwd=ROOT, capture_output=True, check=True).stdout
    with zipfile.ZipFile(io.BytesIO(head)) as zf:
        shipped = {n for n in zf.namelist() if not n.endswith("/")
                   and os.path.exists(os.path.join(ROOT, n.split("/", 1)[1]))}
    assert shipped <= names
    for kept_out in ("tests/", "scripts/", "bench/", ".ci/", "Makefile", ".flake8", ".gitignore"):
        assert not any(n.startswith(f"{NAME}/{kept_out}") for n in names), kept_out
    assert f"{NAME}/metadata.txt" in names and f"{NAME}/constraints/py311-numpy1.txt" in names


def test_planted_code_problems_are_found_by_the_repositorys_tools(worktree_zip, tmp_path):
    """One zip, four planted problems; each is reported against its file (one run of each
    tool keeps this fast)."""
    bad = _rebuild(worktree_zip, str(tmp_path / f"{NAME}.zip"), keep=MINIMAL, add=[
        ("core/runner.py", b"import subprocess\n\n\ndef run(cmd):\n"
                           b"    return subprocess.run(cmd)\n", 0o100644),
        ("core/keys.py", f'ACCESS_KEY = "{AWS_KEY}"\n'.encode(), 0o100644),
        ("core/blanket.py", b"import pickle  # nosec\n\nLOADS = pickle.loads\n", 0o100644),
        ("core/wide.py", b"VALUE = " + b"1 + " * 30 + b"1\n", 0o100644),
    ])
    problems, _ = cp.check(bad)
    text = "\n".join(problems)

    def about(path):
        return [p for p in problems if p.startswith(f"{NAME}/{path}")]
    assert any("Bandit B404" in p for p in about("core/runner.py:1")), text
    assert any("Bandit B603" in p and "# nosec B603  # " in p for p in about("core/runner.py:5"))
    assert any("detect-secrets: AWS Access Key" in p for p in about("core/keys.py:1")), text
    assert any("name the Bandit test and give the reason" in p
               for p in about("core/blanket.py:1")), text
    assert any("E501" in p for p in about("core/wide.py:1")), text
    assert len(problems) == 5, text


def test_a_justified_nosec_passes_and_the_minimal_copy_is_clean(worktree_zip, tmp_path):
    ok = _rebuild(worktree_zip, str(tmp_path / f"{NAME}.zip"), keep=MINIMAL, add=[
        ("core/runner.py", b"import subprocess  # nosec B404  # runs the plugin's own worker\n"
                           b"\nWORKER = subprocess.Popen\n", 0o100644)])
    problems, summary = cp.check(ok)
    assert problems == [], problems
    assert "1 marked nosec with a reason" in "\n".join(summary)


@pytest.mark.parametrize("plant, expected", [
    (("core/run.py", b"VALUE = 1\n", 0o100755), "core/run.py: executable bits (0o755)"),
    (("icons/hazard.svg.sh", b"echo hi\n", 0o100644), "a program or compiled file (.sh)"),
    (("models/helper.bin", b"\x7fELF\x02\x01\x01" + bytes(64), 0o100644),
     "its content is an executable program"),
    ((".gitignore", b"*.pyc\n", 0o100644), "hidden file or folder (.gitignore)"),
    ((".ci/run", b"make test\n", 0o100644), "hidden file or folder (.ci)"),
    (("core/__pycache__/x.cpython-311.pyc", b"\x00", 0o100644), "a __pycache__ folder"),
    (("core/link.py", b"../__init__.py", 0o120777), "a symbolic link"),
    (("core/broken.py", b"def f(:\n", 0o100644), "not valid Python 3 source"),
])
def test_planted_files_are_refused(worktree_zip, tmp_path, plant, expected):
    bad = _rebuild(worktree_zip, str(tmp_path / f"{NAME}.zip"), keep=MINIMAL, add=[plant])
    problems, _ = cp.check(bad, tools=False)
    assert len(problems) >= 1 and any(expected in p for p in problems), problems


def _metadata(worktree_zip):
    return _entries(worktree_zip)[f"{NAME}/metadata.txt"][0].decode()


@pytest.mark.parametrize("edit, expected", [
    (lambda m: m.replace("\ntracker=", "\nx_tracker="), "'tracker' is missing or empty"),
    (lambda m: m.replace("\nemail=", "\nemail=\nx_email="), "'email' is missing or empty"),
    (lambda m: m.replace("\nhomepage=", "\nx_homepage="), "'homepage' is missing or empty"),
    (lambda m: m.replace("\nrepository=https://", "\nrepository=ftp://"),
     "'repository' = 'ftp://"),
    (lambda m: m.replace("\nabout=", "\nabout=100% "), "a '%' must be written '%%'"),
    (lambda m: m.replace("\nexperimental=True", "\nexperimental=maybe"), "neither True nor False"),
    (lambda m: m.replace("\nicon=icons/hazard.svg", "\nicon=icons/missing.svg"),
     "is not in the zip"),
    (lambda m: re.sub(r"\nqgisMaximumVersion=[^\n]*", "", m).replace(
        "\nqgisMinimumVersion=3.22", "\nqgisMinimumVersion=3.22\nqgisMaximumVersion=3.10"),
     "below qgisMinimumVersion"),
    (lambda m: m.replace("[general]", "[plugin]"), "no [general] section"),
])
def test_metadata_the_repository_refuses_is_refused(worktree_zip, tmp_path, edit, expected):
    meta = edit(_metadata(worktree_zip))
    assert meta != _metadata(worktree_zip)
    bad = _rebuild(worktree_zip, str(tmp_path / f"{NAME}.zip"), keep=MINIMAL,
                   drop=("metadata.txt",), add=[("metadata.txt", meta.encode(), 0o100644)])
    problems, _ = cp.check(bad, tools=False)
    assert any(expected in p for p in problems), problems


def test_the_archive_shape_is_checked(worktree_zip, tmp_path):
    other = _rebuild(worktree_zip, str(tmp_path / "other.zip"), keep=MINIMAL,
                     prefix="hazard-tool")
    problems, _ = cp.check(other, tools=False)
    assert any("one folder, named as the plugin's package (hazard_susceptibility)" in p
               for p in problems), problems
    two = _rebuild(worktree_zip, str(tmp_path / "two.zip"), keep=MINIMAL,
                   add=[("README.md", b"loose\n", 0o100644)], prefix=NAME)
    with zipfile.ZipFile(two, "a") as zf:
        zf.writestr("README.md", b"outside the plugin folder\n")
    problems, _ = cp.check(two, tools=False)
    assert any("top-level entries README.md, hazard_susceptibility" in p for p in problems)
    no_license = _rebuild(worktree_zip, str(tmp_path / "nolicense.zip"), keep=MINIMAL,
                          drop=("LICENSE",))
    problems, _ = cp.check(no_license, tools=False)
    assert any("LICENSE: missing" in p for p in problems), problems
    problems, _ = cp.check(worktree_zip, tools=False, max_bytes=1000)
    assert any("over the plugin repository's limit of 1,000" in p for p in problems), problems


def test_the_command_line_says_what_failed(worktree_zip, tmp_path):
    bad = _rebuild(worktree_zip, str(tmp_path / f"{NAME}.zip"), keep=MINIMAL,
                   add=[("core/run.py", b"VALUE = 1\n", 0o100755)])
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check_package.py"), bad],
                       capture_output=True, text=True)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "executable bits" in r.stdout and "1 problem(s)" in r.stdout
    r = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "check_package.py"),
                        str(tmp_path / "missing.zip")], capture_output=True, text=True)
    assert r.returncode == 2 and "does not exist" in r.stderr
