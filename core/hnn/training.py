"""Training the HNN (METHODS.md section 3): the slope units checked, a held-out share, z-scored
features, SMOTE on the training part only, early stopping on the validation loss."""
from __future__ import annotations

import numpy as np

from ..util import nnfit
from ..util.deps import require
from ..util.errors import InputError
from ..util.progress import as_feedback
from .network import Architecture, HnnResult, build_model


def check_units(X, names, classes=None, class_field="size_class"):
    """Refuse slope units with NULL or non-finite features, and size classes that are NULL,
    negative or leave a landslide class with fewer than 2 members."""
    X = np.asarray(X, float)
    bad = ~np.isfinite(X).all(axis=1)
    if bad.any():
        cols = [names[j] for j in range(len(names)) if not np.isfinite(X[:, j]).all()]
        raise InputError(f"{int(bad.sum())} slope unit(s) have NULL or nodata features "
                         f"({', '.join(cols[:6])}): drop them (e.g. n_pixels = 0) or fill them.",
                         "UNITS")
    if classes is None:
        return
    classes = np.asarray(classes)
    if (classes < 0).any():
        raise InputError(f"Field '{class_field}' has NULL or negative classes.", "CLASS_FIELD")
    counts = np.bincount(classes.astype(int), minlength=int(classes.max()) + 1)
    if (counts[1:] < 2).any():
        raise InputError(f"Size classes {counts.tolist()}: every class needs members; merge the "
                         f"small ones.", "CLASS_FIELD")


def held_out_units(classes, share, seed=0):
    """Sorted indices of a stratified, seeded held-out share of the units."""
    from sklearn.model_selection import train_test_split
    _, test = train_test_split(np.arange(len(classes)), test_size=share, random_state=seed,
                               stratify=classes)
    return np.sort(test)


def smote(X, classes, seed, k_neighbors=5):
    """SMOTE to equal class counts (imbalanced-learn); the rows it adds are synthetic."""
    require("imblearn")
    from imblearn.over_sampling import SMOTE
    counts = np.bincount(classes)
    k = int(min(k_neighbors, counts[counts > 0].min() - 1))
    if k < 1:
        raise InputError("A size class has a single member: SMOTE cannot interpolate; merge it "
                         "into a neighbour class.", "CLASS_FIELD")
    return SMOTE(random_state=seed, k_neighbors=k).fit_resample(X, classes)


def train_hnn(X, classes, n_classes, arch=None, alpha=0.8, epochs=300, patience=15,
              val_share=0.2, test_idx=None, seed=0, use_smote=True, feedback=None):
    """Train on the units not in ``test_idx``: z-score features with the training statistics,
    split off a validation share (stratified), SMOTE the training part only, early stopping on
    validation loss keeping the best epoch's weights."""
    from sklearn.model_selection import train_test_split
    fb = as_feedback(feedback)
    require("tensorflow")
    arch = arch or Architecture()
    X = np.asarray(X, float)
    classes = np.asarray(classes).astype(int)
    if not np.isfinite(X).all():
        raise InputError("Some features are NULL or not finite: fill or drop those units.",
                         "FEATURES")
    idx = np.arange(len(X))
    test_idx = np.asarray(test_idx if test_idx is not None else [], int)
    rest = np.setdiff1d(idx, test_idx)
    tr, va = train_test_split(rest, test_size=val_share, random_state=seed,
                              stratify=classes[rest])
    mean, std = X[tr].mean(axis=0), X[tr].std(axis=0)
    std[std == 0] = 1.0
    Z = (X - mean) / std
    Xtr, ctr = Z[tr], classes[tr]
    counts = {"before": np.bincount(ctr, minlength=n_classes).tolist()}
    if use_smote:
        Xtr, ctr = smote(Xtr, ctr, seed)
    counts["after"] = np.bincount(ctr, minlength=n_classes).tolist()
    nnfit.set_seed(seed)
    model = build_model(X.shape[1], n_classes, arch, alpha)
    onehot = np.eye(n_classes)
    history = nnfit.fit(
        model, Xtr, {"binary": (ctr > 0).astype(float)[:, None], "size": onehot[ctr]},
        Z[va], {"binary": (classes[va] > 0).astype(float)[:, None],
                "size": onehot[classes[va]]},
        epochs=epochs, batch=64, patience=patience, seed=seed, feedback=fb)
    return HnnResult(model, arch, float(alpha), mean, std, n_classes, history,
                     tr, test_idx, counts)
