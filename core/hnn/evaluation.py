"""The scores of a trained HNN on held-out slope units (METHODS.md section 3): the binary AUC,
the size classes' AUCs (one-vs-rest, one-vs-one) and confusion matrix, and the GLM baseline of
Aguilera et al. (2022)."""
from __future__ import annotations

import numpy as np

from .network import predict


def class_metrics(classes, pc, n_classes):
    """Per-class one-vs-rest AUC, macro and weighted OvR, weighted OvO."""
    from sklearn.metrics import roc_auc_score
    y = np.asarray(classes).astype(int)
    present = [c for c in range(n_classes) if (y == c).any() and (y != c).any()]
    out = {"per_class": {c: float(roc_auc_score(y == c, pc[:, c])) for c in present}}
    P = pc / pc.sum(axis=1, keepdims=True)
    labels = list(range(n_classes))
    try:
        out["macro_ovr"] = float(roc_auc_score(y, P, multi_class="ovr", average="macro",
                                               labels=labels))
        out["weighted_ovr"] = float(roc_auc_score(y, P, multi_class="ovr", average="weighted",
                                                  labels=labels))
        out["weighted_ovo"] = float(roc_auc_score(y, P, multi_class="ovo", average="weighted",
                                                  labels=labels))
    except ValueError:  # a class absent from the test units
        vals = list(out["per_class"].values())
        out["macro_ovr"] = float(np.mean(vals)) if vals else float("nan")
        out["weighted_ovr"] = out["weighted_ovo"] = float("nan")
    return out


def glm_baseline(X, classes, train_idx, test_idx, seed=0):
    """Binary AUC of Aguilera et al.'s (2022) baseline, a plain (unpenalised) binomial GLM, on
    the same
    features and split: the same converged GLM as 'Train susceptibility model' (scikit-learn's
    default C = 1 had penalised it)."""
    from sklearn.metrics import roc_auc_score

    from ..susceptibility.estimators import make_estimator
    y = (np.asarray(classes) > 0).astype(int)
    m = make_estimator("glm", seed=seed)
    m.fit(X[train_idx], y[train_idx])
    p = m.predict_proba(X[test_idx])[:, 1]
    return float(roc_auc_score(y[test_idx], p)), p


def evaluate(res, X, classes, test_idx):
    """Binary AUC and class metrics of a trained network on the units ``test_idx``."""
    from sklearn.metrics import confusion_matrix, roc_auc_score
    pb, pc = predict(res, X[test_idx])
    y = np.asarray(classes)[test_idx]
    out = {"binary_auc": float(roc_auc_score(y > 0, pb)) if len(np.unique(y > 0)) == 2
           else float("nan")}
    out.update(class_metrics(y, pc, res.n_classes))
    out["confusion"] = confusion_matrix(y, pc.argmax(axis=1),
                                        labels=list(range(res.n_classes))).tolist()
    return out, pb, pc
