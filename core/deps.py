"""Optional dependencies: detected without importing them, imported only when used."""
import importlib
import importlib.util

from .errors import DependencyError

# import name -> (pip requirement, what it is used for)
OPTIONAL = {
    "sklearn": ("scikit-learn", "for the machine-learning models and samplers"),
    "xgboost": ("xgboost", "for XGBoost models"),
    "tensorflow": ("tensorflow-cpu", "for the neural networks"),
    "shap": ("shap", "for SHAP explanations"),
    "jenkspy": ("jenkspy", "for natural breaks cross-checks"),
    "kmeans1d": ("kmeans1d", "for exact natural breaks"),
    "imblearn": ("imbalanced-learn", "for SMOTE"),
    "skops": ("skops", "to read and write model files safely"),
    "pandas": ("pandas", "for tables"),
    "matplotlib": ("matplotlib", "for report figures"),
    "scipy": ("scipy", "for statistics"),
    "dask": ("dask[distributed]", "for Dask clusters"),
    "numba": ("numba", "to compile GeoDetector's inner loops (optional: numpy otherwise)"),
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
        raise DependencyError(module, pip_name, purpose)
    if module in ("tensorflow", "keras", "shap") and "tensorflow" not in sys.modules:
        pin_system_sqlite()
    return importlib.import_module(module)


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


def pip_command(packages):
    """The pip command that installs ``packages`` into the running Python (QGIS's Python)."""
    import os
    import sys
    exe = sys.executable or "python3"
    if not os.path.basename(exe).lower().startswith("python"):
        exe = "python3"  # inside the QGIS binary: its Python is the system one
    return f'"{exe}" -m pip install ' + " ".join(f'"{p}"' for p in packages)
