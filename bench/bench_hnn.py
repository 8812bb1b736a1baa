"""One training epoch of the HNN on 10,000 slope units x 19 features with the paper's largest
architecture (48 x 64 and 24 x 64): our training step against a bare Keras ``fit`` of the same
model on the same arrays, in the same run (target within 1.2x: no overhead from our plumbing).

Our step = z-scoring, the stratified validation split, building and compiling the network,
one epoch with the progress/cancel callback and early stopping. SMOTE is timed on its own: it is
part of the method, not plumbing.
"""
import time

import numpy as np
from _common import timed  # noqa: F401 (sets up the import path)


def main():
    from hazard_susceptibility.core.hnn.network import Architecture, build_model
    from hazard_susceptibility.core.hnn.training import smote, train_hnn
    from hazard_susceptibility.core.util.deps import require
    from hazard_susceptibility.core.util.nnfit import set_seed
    tf = require("tensorflow")
    rng = np.random.default_rng(0)
    n, p = 10_000, 19
    X = rng.normal(size=(n, p))
    logit = 1.5 * X[:, 0] - X[:, 1] - 1.5
    occ = rng.random(n) < 1 / (1 + np.exp(-logit))
    classes = np.where(occ, 1 + (X[:, 2] > 0) + (X[:, 2] > 1), 0)
    arch = Architecture(n1=48, u1=64, n2=24, u2=64, lr=1e-3, l2=1e-4, dropout=0.2)
    K = 4

    def ours():
        return train_hnn(X, classes, K, arch, alpha=0.8, epochs=1, patience=15,
                         val_share=0.2, seed=0, use_smote=False)

    def bare():
        # the same model and arrays, straight into Keras
        from sklearn.model_selection import train_test_split
        tr, va = train_test_split(np.arange(n), test_size=0.2, random_state=0, stratify=classes)
        Z = (X - X[tr].mean(0)) / X[tr].std(0)
        set_seed(0)
        m = build_model(p, K, arch, 0.8)
        oh = np.eye(K)
        m.fit(Z[tr], {"binary": (classes[tr] > 0)[:, None].astype(float), "size": oh[classes[tr]]},
              validation_data=(Z[va], {"binary": (classes[va] > 0)[:, None].astype(float),
                                       "size": oh[classes[va]]}),
              epochs=1, batch_size=64, verbose=0)

    ours()  # warm-up: TensorFlow's first graph build
    bare()
    t_ours = min(timed(ours)[0] for _ in range(3))
    t_bare = min(timed(bare)[0] for _ in range(3))
    t0 = time.perf_counter()
    smote(X, classes, 0)
    t_smote = time.perf_counter() - t0
    print(f"HNN 48x64 + 24x64 on {n} units x {p} features, one epoch (best of 3)")
    print(f"our training step: {t_ours:.2f} s; bare Keras fit: {t_bare:.2f} s; ratio "
          f"{t_ours / t_bare:.2f} (target <= 1.2)")
    print(f"SMOTE of the same units (part of the method): {t_smote:.2f} s; TensorFlow "
          f"{tf.__version__}")


if __name__ == "__main__":
    main()
