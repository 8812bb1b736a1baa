"""What training the HNN will cost, before any network is built: its memory, checked against
what the machine has, and its time (METHODS.md section 3)."""
from __future__ import annotations

import numpy as np

from .network import Architecture, n_weights
from .search import SEARCH_SPACE

#: bytes per weight while training: float32 weights, their gradients, Adam's two moments and
#: the best epoch's copy kept by early stopping (5 x 4 bytes; the largest network the
#: parameters allowed, 16 layers of 4,096 units in each block, was seen at 10.5 GB)
BYTES_PER_WEIGHT = 20
#: TensorFlow's own footprint in the worker (its libraries and thread pools)
TF_BASE_BYTES = 600 * 1024 * 1024
#: the fraction of a float32 matrix product's pace (core.util.memory.flops) that training by
#: batches of 64 reaches, and Keras's own time per batch
TRAIN_EFFICIENCY = 0.3
SECONDS_PER_BATCH = 0.002


def training_estimate(n_units, n_features, classes, arch, epochs, val_share=0.2,
                      test_share=0.2, trials=0, repeats=1, n_networks=1):
    """Memory (bytes) and time (seconds, at most ``epochs`` epochs each) of training the
    network(s), before any is built: a dict with ``bytes``, ``epoch_seconds``,
    ``seconds``, ``weights``, ``n_train`` (the training rows after SMOTE) and ``block`` (the
    parameter whose block holds most weights). ``trials`` x ``repeats`` search networks are
    drawn from SEARCH_SPACE first; ``n_networks`` networks of ``arch`` are trained after."""
    from ..util.memory import flops
    classes = np.asarray(classes).astype(int)
    K = int(classes.max()) + 1 if classes.size else 2
    counts = np.bincount(classes, minlength=K)
    share = (1 - test_share) * (1 - val_share)
    n_train = int(K * counts.max() * share) + 1          # SMOTE: every class to the largest
    n_val = int(n_units * (1 - test_share) * val_share) + 1
    pace = flops() * TRAIN_EFFICIENCY

    def per_epoch(a):
        w = n_weights(n_features, K, a)
        return (6 * w * n_train + 2 * w * n_val) / pace + SECONDS_PER_BATCH * n_train / 64

    w = n_weights(n_features, K, arch)
    widest = max(int(arch.u1), int(arch.u2))
    # activations of a prediction batch of 4,096 rows, a few layers at a time (float32)
    act = 4096 * widest * 4 * 3
    data = n_units * n_features * 8 * 4 + n_train * n_features * 8 * 2
    need = w * BYTES_PER_WEIGHT + act + data + TF_BASE_BYTES
    epoch = per_epoch(arch)
    seconds = epoch * epochs * n_networks
    if trials:
        big = Architecture(max(SEARCH_SPACE["n1"]), max(SEARCH_SPACE["u1"]),
                           max(SEARCH_SPACE["n2"]), max(SEARCH_SPACE["u2"]))
        seconds += per_epoch(big) * epochs * trials * max(1, repeats)
        need = max(need, n_weights(n_features, K, big) * BYTES_PER_WEIGHT + data
                   + TF_BASE_BYTES)
    b1 = int(arch.n1) * int(arch.u1) * max(int(arch.u1), n_features)
    b2 = int(arch.n2) * int(arch.u2) * max(int(arch.u2), int(arch.u1))
    block = ("U1", "N1") if b1 >= b2 else ("U2", "N2")
    return {"bytes": int(need), "epoch_seconds": float(epoch), "seconds": float(seconds),
            "weights": int(w), "n_train": n_train, "block": block}


def check_training(n_units, n_features, classes, arch, epochs, val_share=0.2, test_share=0.2,
                   trials=0, repeats=1, n_networks=1):
    """Refuse (InputError naming the architecture parameter) a training whose network would not
    fit in the available memory; else a sentence estimating its memory and time, for the log,
    said before TensorFlow starts."""
    from ..util.memory import duration_text, require
    est = training_estimate(n_units, n_features, classes, arch, epochs, val_share, test_share,
                            trials, repeats, n_networks)
    u, n = est["block"]
    what = (f"Training a network of {est['weights']:,} weights (block 1: {arch.n1} x "
            f"{arch.u1} units, block 2: {arch.n2} x {arch.u2}) on {est['n_train']:,} rows")
    msg = require(est["bytes"], what, u, f"give fewer units [{u}] or layers [{n}] (the "
                                         f"paper's network has 2 x 16 units per block)")
    return (f"{msg} One epoch takes about {duration_text(est['epoch_seconds'])} here; at most "
            f"{epochs:,} epochs{' per network' if n_networks > 1 else ''}"
            f"{f' after {trials} search trials' if trials else ''}: up to "
            f"{duration_text(est['seconds'])} (early stopping usually ends sooner). Lower the "
            f"maximum epochs [EPOCHS] if that is too long.")
