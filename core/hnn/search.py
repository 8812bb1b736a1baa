"""The Monte Carlo search of the HNN's architecture (Aguilera et al. 2022, METHODS.md section
3): random distinct combinations of the search space, the lowest mean validation loss wins."""
from __future__ import annotations

import itertools

import numpy as np

from ..util.progress import as_feedback
from .network import Architecture
from .training import train_hnn

SEARCH_SPACE = {"n1": [6, 12, 18, 24, 48], "n2": [6, 12, 18, 24], "u1": [4, 8, 16, 32, 64],
                "u2": [4, 8, 16, 32, 64], "lr": [1e-2, 1e-3, 1e-4, None],
                "l2": [1e-3, 1e-4, 1e-5], "dropout": [0.2, 0.4, 0.6, 0.8]}


def monte_carlo_search(X, classes, n_classes, trials, repeats, alpha, epochs, patience, seed,
                       test_idx=None, feedback=None, space=None):
    """Random distinct combinations of the search space, each trained ``repeats`` times; the
    lowest mean minimum validation loss wins. Returns (best Architecture, table rows)."""
    fb = as_feedback(feedback)
    space = space or SEARCH_SPACE
    keys = list(space)
    combos = list(itertools.product(*[space[k] for k in keys]))
    rng = np.random.default_rng(seed)
    pick = rng.choice(len(combos), min(trials, len(combos)), replace=False)
    rows = []
    for t, ci in enumerate(pick):
        arch = Architecture(**dict(zip(keys, combos[ci])))
        losses = []
        for r in range(repeats):
            fb.check()
            res = train_hnn(X, classes, n_classes, arch, alpha, epochs, patience,
                            test_idx=test_idx, seed=(seed + 1000 * t + r) % 2 ** 32,
                            feedback=fb.sub((t * repeats + r) / (len(pick) * repeats),
                                            (t * repeats + r + 1) / (len(pick) * repeats)))
            losses.append(min(res.history["val_loss"]))
        rows.append(dict(trial=t + 1, **arch.to_json(), mean_min_val_loss=float(np.mean(losses))))
    best = min(rows, key=lambda r: r["mean_min_val_loss"])
    return Architecture(**{k: best[k] for k in keys}), rows
