"""Mini-batch training of a compiled Keras model with early stopping on the validation loss.

What ``model.fit(x, y, validation_data=..., shuffle=True, callbacks=[EarlyStopping(
restore_best_weights=True)])`` does, for a fraction of its cost on small data sets. ``fit``
builds new ``tf.data`` iterators for the training and the validation data in every epoch and
traces its step function again for the last, shorter batch; on these machines that was most of
the multi-hazard training time (a dozen networks on a few thousand rows, the gates on a few
hundred). Here the model's own ``train_step`` / ``test_step`` run in one ``tf.function`` each,
traced once for any batch size, on numpy slices.

The order of the rows in each epoch comes from a numpy generator seeded with ``seed``: the same
inputs and seed give the same weights (with ``set_seed`` called before the model was built).
"""
import numpy as np

from .deps import require
from .errors import InputError
from .progress import as_feedback


def set_seed(seed):
    """Seed TensorFlow, Keras, numpy and Python for a network about to be built, and ask
    TensorFlow for deterministic kernels (where this version of it can)."""
    tf = require("tensorflow")
    tf.keras.utils.set_random_seed(int(seed))
    try:
        tf.config.experimental.enable_op_determinism()
    except (AttributeError, RuntimeError):
        pass


def _f32(data):
    if isinstance(data, dict):
        return {k: np.asarray(v, np.float32) for k, v in data.items()}
    return np.asarray(data, np.float32)


def _take(data, rows):
    if isinstance(data, dict):
        return {k: v[rows] for k, v in data.items()}
    return data[rows]


def _spec(tf, data):
    if isinstance(data, dict):
        return {k: _spec(tf, v) for k, v in data.items()}
    return tf.TensorSpec([None, *data.shape[1:]], tf.float32)


def fit(model, x, y, x_val, y_val, *, epochs, batch, patience, seed=0, feedback=None,
        val_batch=8192):
    """Train ``model`` (compiled) on ``x``/``y`` (arrays, or a dict of arrays per output) for at
    most ``epochs`` epochs of shuffled batches of ``batch`` rows; stop when the validation loss has
    not improved for ``patience`` epochs and keep the weights of the epoch with the lowest
    validation loss. Reports progress per epoch; stops at the next batch when cancelled.

    Returns the history: ``{"loss": [...], "val_loss": [...], ...}`` with one value per epoch
    run, each the mean over that epoch's rows (as Keras reports them)."""
    tf = require("tensorflow")
    fb = as_feedback(feedback)
    x, y, x_val, y_val = _f32(x), _f32(y), _f32(x_val), _f32(y_val)
    n, n_val = len(x), len(x_val)
    if n == 0 or n_val == 0:
        raise InputError("A network needs at least one training and one validation row.")
    model.optimizer.build(model.trainable_variables)
    spec = (_spec(tf, x), _spec(tf, y))
    train_step = tf.function(lambda a, b: model.train_step((a, b)), input_signature=spec,
                             autograph=False)
    test_step = tf.function(lambda a, b: model.test_step((a, b)), input_signature=spec,
                            autograph=False)
    rng = np.random.default_rng(seed)
    history, best, best_w, waited = {}, np.inf, None, 0
    for epoch in range(int(epochs)):
        order = rng.permutation(n)
        model.reset_metrics()  # the step functions return means since the last reset
        for start in range(0, n, batch):
            rows = order[start:start + batch]
            logs = train_step(x[rows], _take(y, rows))
            if fb.cancelled():
                break
        if fb.cancelled():
            break
        logs = {k: float(v) for k, v in logs.items()}
        model.reset_metrics()
        for start in range(0, n_val, val_batch):
            rows = slice(start, start + val_batch)
            vlogs = test_step(x_val[rows], _take(y_val, rows))
        logs.update({f"val_{k}": float(v) for k, v in vlogs.items()})
        for k, v in logs.items():
            history.setdefault(k, []).append(v)
        fb.report((epoch + 1) / epochs)
        if logs["val_loss"] < best:
            best, best_w, waited = logs["val_loss"], model.get_weights(), 0
        else:
            waited += 1
            if waited >= patience:
                break
    model.reset_metrics()
    fb.check()
    if best_w is not None:
        model.set_weights(best_w)
    return history
