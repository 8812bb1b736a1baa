"""Absences corrected by a factor threshold (Li & Tian 2025, scenario 3; METHODS.md section 1.6):
absences on the hazard-prone side of a factor's threshold are replaced by as many absences drawn
on the other side; the threshold and the side may come from the factor's SHAP dependence."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..util.errors import InputError
from ..util.progress import as_feedback
from .samplers import (Admissible, declare, draw, locate_presences, sample_at, shap_crossings,
                       shap_dependence, shap_threshold)

SIDES = ("auto", "below", "above")
FACTOR_THRESHOLD = declare("factor_threshold", space="factor",
                           separates="on the side of a factor's threshold where presences are "
                                     "rare (those on the prone side replaced)")


@dataclass
class ThresholdCorrection:
    x: np.ndarray           # the corrected absences
    y: np.ndarray
    factor: str
    threshold: float
    side: str               # "below" or "above": the hazard-prone side
    derived: bool           # threshold from SHAP (not given)
    curve: tuple | None     # (factor values, SHAP values, bin centres, binned mean SHAP)
    replaced: int
    n_absences: int
    crossings: list = None  # every sign change of the binned mean SHAP (samplers.shap_crossings)

    def crossing_rows(self):
        """The sign changes with the one taken marked (the threshold when derived)."""
        return [dict(c, taken=self.derived and c["value"] == self.threshold)
                for c in self.crossings or []]


def threshold_correction(stack, presences, j, rng, seed=0, threshold=None, side="auto",
                         start_xy=None, count=0, min_distance=0.0, feedback=None):
    """Correct absences on factor ``j`` of the stack. The starting absences are ``start_xy``
    (x, y) or ``count`` random admissible pixels; when ``threshold`` is None or ``side`` is
    "auto", XGBoost is fitted on the presences and starting absences and the threshold (and the
    prone side: where SHAP is positive) come from the factor's binned TreeSHAP dependence.
    Replacements are seeded, one per pixel, never on a presence pixel, an existing absence or
    nodata, and at least ``min_distance`` from every presence."""
    if side not in SIDES:
        raise InputError(f"Unknown prone side '{side}': one of {', '.join(SIDES)}.",
                         "PRONE_SIDE")
    fb = as_feedback(feedback)
    if start_xy is not None:
        sa = locate_presences(stack, *start_xy)
        ax, ay, avals = sa.x, sa.y, sa.values
        if len(ax) == 0:
            raise InputError("No starting absence lies on valid pixels.", "START_ABSENCES")
    else:
        ax, ay, _ = draw(Admissible(stack, presences, min_distance), count, rng,
                         fb.sub(0.05, 0.3))
        avals = sample_at(stack, ax, ay)
    curve, t = None, threshold
    if threshold is None or side == "auto":
        X = np.vstack([presences.values, avals])
        y = np.r_[np.ones(len(presences)), np.zeros(len(avals))]
        shap = shap_dependence(X, y, j, seed)
        t_shap, side_shap, centres, means = shap_threshold(X[:, j], shap)
        curve = (X[:, j], shap, centres, means)
        t = t_shap if threshold is None else threshold
        if side == "auto":
            side = side_shap
    v = avals[:, j]
    prone = v < t if side == "below" else v > t
    keep_x, keep_y = ax[~prone], ay[~prone]
    n_rep = int(prone.sum())
    if n_rep:
        row, col = stack.grid.rowcol(ax, ay)

        def other_side(win, data):
            with np.errstate(invalid="ignore"):
                return data[j] >= t if side == "below" else data[j] <= t
        adm = Admissible(stack, presences, min_distance, other_side,
                         exclude=row * stack.grid.xsize + col)  # never on an existing absence
        nx, ny, _ = draw(adm, n_rep, rng, fb.sub(0.3, 0.95))
        keep_x = np.concatenate([keep_x, nx])
        keep_y = np.concatenate([keep_y, ny])
    return ThresholdCorrection(keep_x, keep_y, stack.names[j], float(t), side,
                               threshold is None, curve, n_rep, len(ax),
                               shap_crossings(curve[2], curve[3]) if curve is not None else None)
