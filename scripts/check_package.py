"""Check a plugin zip the way the QGIS plugin repository (plugins.qgis.org) checks an upload.

    python scripts/check_package.py [ZIP]      the zip of `make package` (default dist/<name>.zip)
    python scripts/check_package.py --worktree the zip `make package` would make of the working
                                               tree as it is (uncommitted changes included)

The repository refuses an upload that fails its validator, and blocks a version whose security
scan has critical findings. What it checks was read from its source (QGIS-Django's
plugins/validator.py, and the security scan of its successor, QGIS-Plugins-Website:
plugins/security_scanner.py); nothing is copied from it. This script checks, on the zip itself:

- the archive: at most 25,000,000 bytes (the repository's PLUGIN_MAX_UPLOAD_SIZE), readable,
  no path that climbs out ("..", absolute, backslashes, drive letters), one top-level folder
  named as the plugin's package (a Python identifier), holding __init__.py, metadata.txt and
  LICENSE;
- metadata.txt, read as the repository reads it (configparser with its '%' interpolation): the
  fields it requires (name, qgisMinimumVersion, description, about, version, author, email,
  repository, tracker; homepage recommended) present and not empty, the links http(s) with a
  host (the repository also opens them; not done here: no network), no '/' in author, the
  true/false fields readable, the icon inside the zip;
- files: no hidden file or folder (.gitignore, .ci, ...; stricter than the repository, which
  lets its tools' own configuration files through), no __pycache__, .pyc, .git or __MACOSX, no
  executable bit on any file (the repository flags it on .py files only), no symbolic link, no
  file that is or looks like a program (.exe, .dll, .so, .sh, ... or ELF, PE, Mach-O content);
- Bandit (blocking on the repository): no finding at any severity or confidence, with every
  default test (the repository runs a selection of them); a finding that is accepted is marked
  on its line as ``# nosec B603  # the reason`` (the test's id, then the reason after a second
  '#', where Bandit does not read it as test names); a bare ``# nosec`` or one without a reason
  is refused;
- detect-secrets (blocking on the repository): no finding, every plugin, every file;
- flake8 (advisory on the repository): no finding with flake8's own rules (E, W, F, C90, its
  default ignores only) at the line length of the project's .flake8 (100 columns; the
  repository runs 120 when the zip has no .flake8 of its own).

Exit 0 when the zip passes, 1 with one line per problem (where, what, what to do), 2 when the
zip cannot be read or a tool is missing (`make setup` installs them from requirements-dev.txt).
"""
from __future__ import annotations

import argparse
import ast
import configparser
import json
import os
import re
import shutil
import subprocess  # nosec B404  # a developer tool: runs git and the checkers, never shipped
import sys
import tempfile
import tokenize
import zipfile
from urllib.parse import urlparse

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "hazard_susceptibility"  # the plugin's package name (Makefile: PLUGIN)
MAX_BYTES = 25_000_000  # plugins.qgis.org's PLUGIN_MAX_UPLOAD_SIZE ("25 MB")
REQUIRED = ("name", "qgisMinimumVersion", "description", "about", "version", "author", "email",
            "repository", "tracker")
RECOMMENDED = ("homepage",)
LINKS = ("repository", "tracker", "homepage")
PLACEHOLDERS = {"http://bugs", "http://repo", "http://homepage"}  # the template's own values
BOOLEANS = ("experimental", "deprecated", "server")
FORBIDDEN_DIRS = ("__pycache__", "__MACOSX", ".git")
PROGRAM_SUFFIXES = (".exe", ".dll", ".so", ".dylib", ".bat", ".cmd", ".sh", ".ps1", ".pyd",
                    ".pyc", ".pyo", ".com", ".msi", ".jar", ".scr", ".vbs")
# the first bytes of executables: ELF, PE (MZ), Mach-O (both byte orders, 32/64 bit, fat)
PROGRAM_MAGIC = (b"\x7fELF", b"MZ", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe",
                 b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")
NOSEC = re.compile(r"#\s*nosec\b(?P<rest>.*)$")
NOSEC_OK = re.compile(r"\s+B\d{3}(\s*,\s*B\d{3})*\s+#\s*(?P<reason>\S.*)$")
TOOLS_HINT = ("install the checkers with `make setup` (requirements-dev.txt, pinned in "
              "constraints/<platform>-dev.txt)")


class Unreadable(Exception):
    """The zip cannot be checked at all."""


# --- the archive and its files ------------------------------------------------------------------

def check_archive(path, name=PACKAGE, max_bytes=MAX_BYTES):
    """Problems of the zip's structure, files and metadata (no tool run), one string each."""
    problems = []
    size = os.path.getsize(path)
    if size > max_bytes:
        problems.append(f"{os.path.basename(path)}: {size:,} bytes, over the plugin repository's "
                        f"limit of {max_bytes:,}: ship less (models, data, images)")
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Unreadable(f"{path}: not a readable zip ({exc})") from None
    with zf:
        bad = zf.testzip()
        if bad:
            problems.append(f"{bad}: damaged in the zip (CRC): rebuild the zip")
        infos = zf.infolist()
        names = [i.filename for i in infos]
        problems += _check_names(names, name)
        for info in infos:
            problems += _check_entry(zf, info)
        problems += _check_metadata(zf, names, name)
    return problems


def _check_names(names, name):
    out = []
    if not names:
        return ["the zip is empty"]
    for n in names:
        if n.startswith("/") or "\\" in n or re.match(r"^[A-Za-z]:", n) or \
                ".." in n.split("/"):
            out.append(f"{n}: a path that climbs out of the plugin folder, or not in the zip "
                       f"format (absolute, '..', backslashes, drive letter): rebuild the zip")
    tops = sorted({n.split("/")[0] for n in names})
    if tops != [name]:
        out.append(f"top-level entries {', '.join(tops)}: the zip must hold one folder, named as "
                   f"the plugin's package ({name}), and everything inside it")
    if not (name.isidentifier() and re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]+", name)):
        out.append(f"{name}: the package name must be a Python identifier (letters, digits, _)")
    for required in ("__init__.py", "metadata.txt", "LICENSE"):
        if f"{name}/{required}" not in names:
            out.append(f"{name}/{required}: missing; the plugin repository refuses a plugin "
                       f"without it")
    return out


def _check_entry(zf, info):
    out = []
    n = info.filename
    parts = [p for p in n.split("/") if p]
    hidden = [p for p in parts if p.startswith(".")]
    if hidden:
        out.append(f"{n}: hidden file or folder ({hidden[0]}): leave it out of the zip "
                   f"(.gitattributes: export-ignore)")
    for d in FORBIDDEN_DIRS:
        if d in parts[:-1] or (info.is_dir() and parts and parts[-1] == d):
            out.append(f"{n}: a {d} folder, which the plugin repository refuses: leave it out")
            break
    if info.is_dir():
        return out
    mode = info.external_attr >> 16
    if (mode & 0o170000) == 0o120000:
        out.append(f"{n}: a symbolic link: ship the file itself, or nothing")
    elif mode & 0o111:
        out.append(f"{n}: executable bits ({oct(mode & 0o777)}): plugin files are read and "
                   f"imported, never run; `git update-index --chmod=-x {'/'.join(parts[1:])}`")
    low = n.lower()
    if low.endswith(PROGRAM_SUFFIXES):
        out.append(f"{n}: a program or compiled file ({os.path.splitext(low)[1]}), which the "
                   f"plugin repository flags as suspicious: leave it out")
    else:
        with zf.open(info) as fh:
            head = fh.read(4)
        if head.startswith(PROGRAM_MAGIC):
            out.append(f"{n}: its content is an executable program (starts with {head!r}): "
                       f"leave it out")
    if low.endswith(".py"):
        try:
            ast.parse(zf.read(info).decode("utf-8"), n)
        except (SyntaxError, UnicodeDecodeError) as exc:
            out.append(f"{n}: not valid Python 3 source ({exc})")
    return out


def _check_metadata(zf, names, name):
    meta = f"{name}/metadata.txt"
    if meta not in names:
        return []
    out = []
    parser = configparser.ConfigParser()  # as the repository reads it: '%' interpolation on
    parser.optionxform = str
    try:
        parser.read_string(zf.read(meta).decode("utf-8"))
        if not parser.has_section("general"):
            return [f"{meta}: no [general] section"]
        md = dict(parser.items("general"))
    except (configparser.Error, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0]
        return [f"{meta}: the plugin repository cannot read it ({first}); a '%' must be "
                f"written '%%'"]
    for key in REQUIRED:
        if not md.get(key, "").strip():
            out.append(f"{meta}: '{key}' is missing or empty: the plugin repository requires it")
    for key in RECOMMENDED:
        if not md.get(key, "").strip():
            out.append(f"{meta}: '{key}' is missing or empty: give the plugin's web page")
    for key in LINKS:
        url = md.get(key, "").strip()
        if not url:
            continue
        u = urlparse(url)
        if u.scheme not in ("http", "https") or not u.netloc or url in PLACEHOLDERS:
            out.append(f"{meta}: '{key}' = '{url}' is not a web address (http(s)://host/...)")
    if "/" in md.get("author", ""):
        out.append(f"{meta}: 'author' may not contain '/'")
    email = md.get("email", "").strip()
    if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
        out.append(f"{meta}: 'email' = '{email}' is not an e-mail address")
    for key in BOOLEANS:
        if key in md and md[key].strip().lower() not in ("true", "false", "yes", "no", "1", "0"):
            out.append(f"{meta}: '{key}' = '{md[key]}' is neither True nor False")
    versions = {}
    for key in ("qgisMinimumVersion", "qgisMaximumVersion"):
        v = md.get(key, "").strip()
        if not v:
            continue
        if not re.fullmatch(r"\d+\.\d+(\.\d+)?", v):
            out.append(f"{meta}: '{key}' = '{v}' is not a QGIS version such as 3.22")
        else:
            versions[key] = tuple(int(x) for x in v.split("."))
    if len(versions) == 2 and versions["qgisMaximumVersion"] < versions["qgisMinimumVersion"]:
        out.append(f"{meta}: qgisMaximumVersion is below qgisMinimumVersion")
    if "supportsQt6" in md:
        out.append(f"{meta}: 'supportsQt6' is no longer read: QGIS 4 goes by qgisMaximumVersion")
    icon = md.get("icon", "").strip()
    if icon and f"{name}/{icon.removeprefix('./')}" not in names:
        out.append(f"{meta}: icon '{icon}' is not in the zip")
    if re.search(r"\s", md.get("version", "").strip()):
        out.append(f"{meta}: 'version' contains spaces")
    return out


def check_nosec(folder):
    """Every ``nosec`` comment in the Python files under ``folder`` names its Bandit tests and
    gives a reason: ``# nosec B603  # why``."""
    out = []
    for path in sorted(_python_files(folder)):
        rel = os.path.relpath(path, folder)
        with open(path, "rb") as fh:
            try:
                tokens = list(tokenize.tokenize(fh.readline))
            except (tokenize.TokenError, SyntaxError):
                continue  # reported by the syntax check
        for tok in tokens:
            if tok.type != tokenize.COMMENT:
                continue
            m = NOSEC.search(tok.string)
            if m and not NOSEC_OK.match(m.group("rest")):
                out.append(f"{rel}:{tok.start[0]}: '{tok.string.strip()}': name the Bandit test "
                           f"and give the reason on the line: '# nosec B603  # why it is safe'")
    return out


def _python_files(folder):
    for base, _dirs, files in os.walk(folder):
        for f in files:
            if f.endswith(".py"):
                yield os.path.join(base, f)


# --- the checkers the plugin repository runs ----------------------------------------------------

def _run(args, cwd=None):
    try:
        return subprocess.run(args, cwd=cwd, capture_output=True, text=True,  # nosec B603  # argv
                              timeout=600)  # of this script's own, no shell
    except FileNotFoundError as exc:
        raise Unreadable(f"{args[0]} not found ({exc}): {TOOLS_HINT}") from None


def _module_version(module):
    from importlib import metadata
    try:
        return metadata.version(module)
    except metadata.PackageNotFoundError:
        raise Unreadable(f"{module} is not installed for {sys.executable}: {TOOLS_HINT}") from None


def run_bandit(folder):
    """(problems, summary) of Bandit, every default test, every severity and confidence."""
    version = _module_version("bandit")
    r = _run([sys.executable, "-m", "bandit", "-r", folder, "-f", "json", "-q"])
    try:
        rep = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise Unreadable(f"bandit gave no report (exit {r.returncode}): "
                         f"{(r.stderr or r.stdout).strip()[-500:]}") from None
    out = [f"{os.path.relpath(e['filename'], folder)}: Bandit could not read it: {e['reason']}"
           for e in rep.get("errors", [])]
    for f in rep.get("results", []):
        out.append(f"{os.path.relpath(f['filename'], folder)}:{f['line_number']}: Bandit "
                   f"{f['test_id']} ({f['issue_severity'].lower()} severity): {f['issue_text']} "
                   f"Fix it, or mark the line '# nosec {f['test_id']}  # why it is safe'")
    skipped = rep.get("metrics", {}).get("_totals", {}).get("skipped_tests", 0)
    return out, (f"bandit {version}: {len(rep.get('results', []))} finding(s), {skipped} marked "
                 f"nosec with a reason")


def run_detect_secrets(folder):
    """(problems, summary) of detect-secrets over every file, every plugin."""
    version = _module_version("detect-secrets")
    r = _run([sys.executable, "-m", "detect_secrets", "scan", "--all-files", "."], cwd=folder)
    try:
        rep = json.loads(r.stdout)
    except json.JSONDecodeError:
        raise Unreadable(f"detect-secrets gave no report (exit {r.returncode}): "
                         f"{(r.stderr or r.stdout).strip()[-500:]}") from None
    out = []
    for path, found in sorted(rep.get("results", {}).items()):
        for s in found:
            out.append(f"{path}:{s.get('line_number', '?')}: detect-secrets: {s.get('type')}: "
                       f"remove the secret from the code (read it from the user's settings)")
    return out, f"detect-secrets {version}: {len(out)} finding(s)"


def run_flake8(folder, config):
    """(problems, summary) of flake8's own rules at the project's line length."""
    version = _module_version("flake8")
    from flake8 import defaults
    args = [sys.executable, "-m", "flake8", "--select", "E,W,F,C90",
            "--ignore", ",".join(defaults.IGNORE)]
    length = "79 (flake8's default)"
    if config:
        args += ["--config", config]
        cp = configparser.ConfigParser(interpolation=None)
        cp.read(config)
        length = cp.get("flake8", "max-line-length", fallback=length)
    r = _run(args + [folder])
    if r.returncode not in (0, 1) or r.stderr.strip() and not r.stdout.strip():
        raise Unreadable(f"flake8 failed (exit {r.returncode}): {r.stderr.strip()[-500:]}")
    out = [f"{os.path.relpath(line.split(':', 1)[0], folder)}:{line.split(':', 1)[1]} (flake8)"
           for line in r.stdout.splitlines() if line.strip()]
    return out, f"flake8 {version} at {length} columns: {len(out)} finding(s)"


# --- the whole check ----------------------------------------------------------------------------

def check(path, name=PACKAGE, flake8_config=os.path.join(ROOT, ".flake8"), tools=True,
          max_bytes=MAX_BYTES):
    """(problems, summary lines) of the zip at ``path``."""
    problems = check_archive(path, name, max_bytes)
    summary = [f"archive: {os.path.getsize(path):,} bytes (limit {max_bytes:,})"]
    if not tools:
        return problems, summary
    scratch = tempfile.mkdtemp(prefix="hazard_check_package_")
    try:
        with zipfile.ZipFile(path) as zf:
            zf.extractall(scratch)  # names checked above; extractall keeps them inside anyway
        top = os.path.join(scratch, name)
        if not os.path.isdir(top):
            return problems, summary
        problems += [f"{name}/{x}" for x in check_nosec(top)]
        for run in (run_bandit, run_detect_secrets):
            p, s = run(top)
            problems += [f"{name}/{x}" for x in p]
            summary.append(s)
        p, s = run_flake8(top, flake8_config if flake8_config and os.path.exists(flake8_config)
                          else None)
        problems += [f"{name}/{x}" for x in p]
        summary.append(s)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return problems, summary


def _git(args, root, data=None):
    r = subprocess.run(["git", *args], cwd=root, input=data,  # nosec B603 B607  # git, by name
                       capture_output=True, timeout=120)  # as a developer runs it, no shell
    if r.returncode != 0:
        raise Unreadable(f"git {' '.join(args)} failed: {r.stderr.decode(errors='replace')}")
    return r.stdout


def worktree_zip(out, root=ROOT, name=PACKAGE):
    """Write to ``out`` the zip that `make package` would make of the working tree as it is:
    tracked and untracked files git does not ignore, less what .gitattributes marks
    export-ignore (on the file or on a folder above it), with their executable bits."""
    files = [f for f in _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                             root).decode().split("\0") if f and os.path.isfile(
                                 os.path.join(root, f))]
    files = sorted(set(files))
    queries = sorted({f for f in files} | {"/".join(f.split("/")[:i]) + "/"
                                           for f in files for i in range(1, f.count("/") + 1)})
    attrs = _git(["check-attr", "-z", "--stdin", "export-ignore"], root,
                 "\0".join(queries).encode() + b"\0").decode().split("\0")
    ignored = {attrs[i] for i in range(0, len(attrs) - 2, 3) if attrs[i + 2] == "set"}
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in files:
            parents = {"/".join(f.split("/")[:i]) + "/" for i in range(1, f.count("/") + 1)}
            if f in ignored or parents & ignored:
                continue
            src = os.path.join(root, f)
            info = zipfile.ZipInfo.from_file(src, f"{name}/{f}")
            info.compress_type = zipfile.ZIP_DEFLATED
            if os.path.islink(src):
                info.external_attr = (0o120777 << 16)
                zf.writestr(info, os.readlink(src))
                continue
            mode = 0o100755 if os.stat(src).st_mode & 0o111 else 0o100644
            info.external_attr = mode << 16
            with open(src, "rb") as fh:
                zf.writestr(info, fh.read())
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("zip", nargs="?", help=f"the plugin zip (default: dist/{PACKAGE}.zip)")
    ap.add_argument("--worktree", action="store_true",
                    help="check the zip of the working tree as it is, not a built one")
    ap.add_argument("--name", default=PACKAGE, help="the plugin's package name")
    args = ap.parse_args(argv)
    tmp = None
    try:
        if args.worktree:
            tmp = tempfile.mkdtemp(prefix="hazard_worktree_zip_")
            path = worktree_zip(os.path.join(tmp, f"{args.name}.zip"), name=args.name)
        else:
            path = args.zip or os.path.join(ROOT, "dist", f"{args.name}.zip")
            if not os.path.isfile(path):
                print(f"check-package: {path} does not exist: run `make package` first",
                      file=sys.stderr)
                return 2
        problems, summary = check(path, args.name)
    except Unreadable as exc:
        print(f"check-package: {exc}", file=sys.stderr)
        return 2
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    what = "the working tree" if args.worktree else os.path.relpath(path)
    for line in summary:
        print(f"check-package: {line}")
    for p in problems:
        print(f"check-package: {p}")
    print(f"check-package: {what}: " + (f"{len(problems)} problem(s)" if problems else
                                        "the plugin repository's checks pass"))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
