"""Susceptibility model kinds: one module each behind one interface (base.ModelKind), and the
registry that lists them.

Training, applying, the prediction spread, SHAP, the area of applicability, the model file,
the reports and the algorithms' 'Model' enums ask a kind from here (:func:`get`); no code
elsewhere branches on a kind's name. To add a kind: a module of this package defining a
ModelKind subclass and ``KIND``, and its name at the end of :data:`MODULES` (CONTRIBUTING.md).

Modules: base, and one per kind (listed in MODULES).
"""
from __future__ import annotations

import importlib

from . import base
from .base import BYTES_PER_NODE, ModelKind, unknown  # noqa: F401

#: the kinds' modules, in the order of the algorithms' 'Model' enum (a new kind goes last, so
#: that saved models and scripts keep their choice)
MODULES = ("random_forest", "xgb", "glm", "extra_trees")

KINDS = tuple(importlib.import_module(f"{__name__}.{m}").KIND for m in MODULES)
NAMES = tuple(k.name for k in KINDS)
_BY_NAME = {k.name: k for k in KINDS}
#: every kind's default hyperparameters, by name
DEFAULTS = {k.name: k.defaults for k in KINDS}


def get(name):
    """The kind called ``name`` ("rf", ...): an InputError naming the choices otherwise."""
    if isinstance(name, ModelKind):
        return name
    try:
        return _BY_NAME[name]
    except (KeyError, TypeError):
        raise unknown(name, NAMES) from None


def known(name):
    return name in _BY_NAME


def display_name(name):
    """How reports name the kind ``name`` (the name itself when it is unknown)."""
    return _BY_NAME[name].display if name in _BY_NAME else str(name)


def forest_bytes(kind, n_trees, n_rows, max_depth=0, min_samples_leaf=1):
    """:func:`.base.forest_bytes` for a kind or its name."""
    return base.forest_bytes(get(kind), n_trees, n_rows, max_depth, min_samples_leaf)


def check_forest(kind, n_trees, n_rows, max_depth=0, min_samples_leaf=1, param="TREES"):
    """:func:`.base.check_forest` for a kind or its name."""
    return base.check_forest(get(kind), n_trees, n_rows, max_depth, min_samples_leaf, param)


def titles():
    """The choices of an algorithm's 'Model' enum, in :data:`MODULES` order."""
    return [k.title for k in KINDS]


__all__ = ["BYTES_PER_NODE", "DEFAULTS", "KINDS", "MODULES", "ModelKind", "NAMES",
           "check_forest", "display_name", "forest_bytes", "get", "known", "titles"]
