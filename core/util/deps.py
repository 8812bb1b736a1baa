"""Optional dependencies: detected without importing them, imported only when used (and
matplotlib on QGIS desktop's main thread at start: :func:`import_on_main_thread`)."""
import importlib
import importlib.util

from . import locks
from .errors import DependencyError, HazardError

# import name -> (pip requirement, what it is used for)
OPTIONAL = {
    "sklearn": ("scikit-learn", "for the machine-learning models and samplers"),
    "xgboost": ("xgboost", "for XGBoost models"),
    "tensorflow": ("tensorflow-cpu", "for the neural networks"),
    "shap": ("shap", "for SHAP explanations"),
    "jenkspy": ("jenkspy", "for natural breaks cross-checks"),
    "kmeans1d": ("kmeans1d", "for exact natural breaks"),
    "imblearn": ("imbalanced-learn", "for SMOTE"),
    "pandas": ("pandas", "for tables"),
    "matplotlib": ("matplotlib", "for report figures"),
    "scipy": ("scipy", "for statistics"),
    "dask": ("dask[distributed]", "for Dask clusters"),
    "numba": ("numba", "to compile GeoDetector's inner loops and the multi-hazard maps' "
                       "networks (optional: slower numpy otherwise)"),
}


def available(module):
    """True when ``module`` can be imported (checked without importing it)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(modules):
    """The pip names of the modules in ``modules`` that are not installed."""
    return [OPTIONAL.get(m, (m, ""))[0] for m in modules if not available(m)]


def require(module):
    """Import and return ``module``, or raise :class:`DependencyError` naming its pip package."""
    import sys
    pip_name, purpose = OPTIONAL.get(module, (module, ""))
    if not available(module):
        raise DependencyError(module, pip_name, purpose, missing_message([pip_name], purpose))
    if module in ("tensorflow", "keras", "shap") and "tensorflow" not in sys.modules:
        pin_system_sqlite()
    return importlib.import_module(module)


#: packages whose first import must happen on QGIS's main thread (see import_on_main_thread),
#: from the version on whose compiled modules are built with pybind11
MAIN_THREAD_IMPORTS = {"matplotlib": (3, 8)}


def import_on_main_thread(modules=MAIN_THREAD_IMPORTS):
    """Imports now the installed, not yet imported ``modules`` when called on Python's main
    thread (QGIS's GUI thread); returns the names imported. QGIS desktop calls it once at start.

    matplotlib 3.10's compiled modules (Debian 13's) are built with pybind11 2.x: the first of
    them imported creates pybind11's shared state and records the Python thread state of that
    moment as its thread's own. QGIS desktop runs an algorithm in a pooled Qt thread whose
    Python thread state lives only while the call lasts: if matplotlib was first imported
    there, a later run on the same thread handed the freed state to pybind11's
    gil_scoped_acquire and QGIS 3.44 died (SIGSEGV, or "non-NULL old thread state") in the
    first image drawn, matplotlib's ``_image.resample``. Imported on the main thread, whose state
    lasts as long as Python, no pooled thread has a recorded state, and pybind11 asks Python
    for the current one (pybind11 issue 2888, fixed upstream by its pull request 5870).
    Older matplotlib (Debian 12's 3.6) has no pybind11 module and loads when used: imported
    at start in QGIS 3.22 desktop, the multi-hazard workflow then failed in 2 full desktop
    test runs out of 3 ("Fallback transform failed" reading its samples), cause not found."""
    import sys
    import threading
    if threading.current_thread() is not threading.main_thread():
        return []
    done = []
    for module in modules:
        if module in sys.modules or not available(module) or \
                _version(module) < MAIN_THREAD_IMPORTS.get(module, (0,)):
            continue
        try:
            importlib.import_module(module)
            done.append(module)
        except Exception:  # noqa: BLE001  reported when an algorithm needs it, not at start
            pass  # nosec B110  # a broken package must not stop QGIS from starting
    return done


def _version(module):
    """The installed version of ``module``'s distribution as numbers, read without
    importing it ((0,) when unknown)."""
    import re
    from importlib import metadata
    try:
        text = metadata.version(module)
    except Exception:  # noqa: BLE001
        return (0,)
    return tuple(int(x) for x in re.findall(r"\d+", text)[:3]) or (0,)


def pin_system_sqlite():
    """TensorFlow loads its libraries with RTLD_GLOBAL and they carry their own copy of SQLite;
    Qt's SQLite driver (used by QGIS) would then bind its sqlite3_* calls to TensorFlow's copy
    and crash when QGIS closes its databases at exit. Loading the system SQLite globally before
    TensorFlow keeps those calls on the system library."""
    import ctypes
    import ctypes.util
    name = ctypes.util.find_library("sqlite3")
    if name:
        try:
            ctypes.CDLL(name, mode=ctypes.RTLD_GLOBAL)
        except OSError:
            pass


def python_executable():
    """The interpreter of the running Python (QGIS's own, not the first ``python3`` on PATH):
    inside QGIS or qgis_process ``sys.executable`` is the QGIS binary, so it is found from
    ``sys.base_prefix`` and the version."""
    import os
    import sys
    if os.name == "nt":
        cand = os.path.join(sys.base_prefix, "python.exe")
    else:
        cand = os.path.join(sys.base_prefix, "bin", f"python{sys.version_info[0]}."
                                                    f"{sys.version_info[1]}")
        if not os.path.exists(cand):
            cand = os.path.join(sys.base_prefix, "bin", "python3")
    if os.path.exists(cand):
        return cand
    return sys.executable


def default_target():
    """The folder of the user's own that 'Install Python dependencies' installs into, beside
    QGIS's profile folders (no admin rights needed), one per Python version."""
    import os
    import sys
    base = os.environ.get("APPDATA") if os.name == "nt" else os.path.join(
        os.path.expanduser("~"), ".local", "share")
    return os.path.join(base, "hazard_susceptibility", f"python{sys.version_info[0]}"
                                                       f"{sys.version_info[1]}")


def chosen_lock(version_info=None, numpy_major=None, lock_dir=None):
    """(tag, lock path) of the pinned set for a Python and numpy (default: the running ones)."""
    try:
        tag = locks.platform_tag(version_info, numpy_major)
        return tag, locks.lock_path(tag, lock_dir or locks.LOCK_DIR)
    except LookupError as exc:
        raise HazardError(f"{exc}. Install the packages named in requirements.txt by hand, "
                          f"or ask the plugin's maintainers for a set for this QGIS.") from None


def shell_command():
    """A shell command that installs the whole pinned set of the running Python the way
    'Install Python dependencies' does (quoted for a POSIX shell or cmd.exe)."""
    tag, lock = chosen_lock()
    return (f'"{python_executable()}" -m pip install --no-deps --target "{default_target()}" '
            f'-r "{lock}"')


def left_out(pip_names, lock=None):
    """{pip name: why} of those of ``pip_names`` that the pinned set of the running Python
    leaves out on purpose, having no release for it (TensorFlow on Python 3.14): the header
    lines ``# without: <name>: <why>`` of its lock."""
    try:
        lock = lock or chosen_lock()[1]
    except HazardError:
        return {}
    without = locks.lock_without(lock)
    return {n: without[locks.norm(n)] for n in pip_names if locks.norm(n) in without}


def left_out_message(gone, others=(), purpose=""):
    """Why an algorithm cannot run on this Python at all (``gone``: {pip name: why}, from
    :func:`left_out`), and what to do: a QGIS on a Python the packages support, or waiting."""
    import sys
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    uses = {pip: use for pip, use in OPTIONAL.values()}
    names = ", ".join(gone)
    purpose = purpose or "; ".join(uses[n] for n in gone if uses.get(n))
    newest = max((t.split("-")[0] for n in gone for t in locks.tags_with(n)),
                 key=lambda t: (int(t[2]), int(t[3:])), default=None)
    text = (f"This algorithm needs {names}{(' (' + purpose + ')') if purpose else ''}, which "
            f"cannot be installed for the Python that QGIS runs (Python {version}, "
            f"{python_executable()}): {'; '.join(gone.values())}. Every other algorithm of the "
            f"plugin works on this QGIS. To run this one, use a QGIS that runs ")
    if newest:
        text += (f"Python {newest[2]}.{newest[3:]} or older (for example Debian 13's QGIS, on "
                 f"Python 3.13), where 'Install Python dependencies' installs {names}, ")
    else:
        text += "an older Python, "
    text += (f"or wait for a release of {names} for Python {version} and a version of the "
             f"plugin that pins it.")
    if others:
        text += (f" It also needs {', '.join(others)}, which 'Install Python dependencies' "
                 f"installs.")
    return text


def missing_message(missing, purpose=""):
    """What to do about missing packages, for the Python that QGIS runs: the plugin's installer
    first, then a shell command that works on an externally managed (Debian) Python too; or,
    for a package that has no release for this Python, why the algorithm cannot run here."""
    import sys
    gone = left_out(missing)
    if gone:
        return left_out_message(gone, [m for m in missing if m not in gone], purpose)
    exe = python_executable()
    version = f"{sys.version_info[0]}.{sys.version_info[1]}"
    try:
        cmd = shell_command()
    except HazardError as exc:
        cmd = None
        why = str(exc)
    text = (f"This algorithm needs the Python package(s) {', '.join(missing)}"
            f"{(' (' + purpose + ')') if purpose else ''}, which the Python "
            f"that QGIS runs (Python {version}, {exe}) cannot import. First run 'Install Python "
            f"dependencies' (Processing Toolbox > Hazard Susceptibility > Set-up): it installs the "
            f"plugin's pinned set for this Python into a folder of your own, never over QGIS's "
            f"numpy or GDAL. Then restart QGIS.")
    if cmd:
        text += (f" Or from a shell (no administrator rights needed, also on Debian's externally "
                 f"managed Python): {cmd}")
    else:
        text += f" ({why})"
    return text
