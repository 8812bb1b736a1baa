"""The Hierarchical Neural Network of Aguilera et al. (2022): landslide occurrence and
size class per slope unit, in one TensorFlow/Keras network (METHODS.md section 3): its
architecture, its size, the Keras model, and its predictions (with the Monte Carlo dropout
spread)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..io.modelfile import ModelFileError
from ..util.deps import require
from ..util.nnfit import set_seed


@dataclass
class Architecture:
    n1: int = 2
    u1: int = 16
    n2: int = 2
    u2: int = 16
    lr: float = 1e-3
    l2: float = 1e-4
    dropout: float = 0.2

    def to_json(self):
        return dict(self.__dict__)

    def validate(self, where):
        if not (1 <= self.n1 <= 16 and 1 <= self.n2 <= 16 and 1 <= self.u1 <= 4096
                and 1 <= self.u2 <= 4096 and 0 <= self.dropout < 1):
            raise ModelFileError(f"{where}: the network architecture is out of range.")


def n_weights(n_features, n_classes, arch):
    """Weights and biases of the network :func:`build_model` builds."""
    n1, u1, n2, u2 = int(arch.n1), int(arch.u1), int(arch.n2), int(arch.u2)
    b1 = n_features * u1 + u1 + (n1 - 1) * (u1 * u1 + u1)
    head = u1 + 1
    b2 = (u1 + 1) * u2 + u2 + (n2 - 1) * (u2 * u2 + u2)
    return b1 + head + b2 + u2 * n_classes + n_classes


def _tf():
    return require("tensorflow")


def build_model(n_features, n_classes, arch, alpha):
    """input -> block 1 (n1 x Dense u1, ReLU, L2, dropout) -> binary head (sigmoid, L2);
    concat(block 1, binary) -> block 2 (n2 x Dense u2, LeakyReLU, L2, dropout) -> class head
    (softmax, L2). Loss = alpha BCE + (1 - alpha) CCE + l2 x the sum of squared kernel
    weights of every Dense layer, the output layers included (Aguilera et al. 2022, appendix A)."""
    tf = _tf()
    keras = tf.keras
    reg = keras.regularizers.l2(arch.l2)
    x_in = keras.Input((n_features,), name="features")
    h = x_in
    for i in range(arch.n1):
        h = keras.layers.Dense(arch.u1, activation="relu", kernel_regularizer=reg,
                               name=f"block1_dense{i}")(h)
        h = keras.layers.Dropout(arch.dropout, name=f"block1_dropout{i}")(h)
    binary = keras.layers.Dense(1, activation="sigmoid", kernel_regularizer=reg,
                                name="binary")(h)
    g = keras.layers.Concatenate(name="concat")([h, binary])
    for i in range(arch.n2):
        g = keras.layers.Dense(arch.u2, kernel_regularizer=reg, name=f"block2_dense{i}")(g)
        g = keras.layers.LeakyReLU(name=f"block2_leaky{i}")(g)
        g = keras.layers.Dropout(arch.dropout, name=f"block2_dropout{i}")(g)
    size = keras.layers.Dense(n_classes, activation="softmax", kernel_regularizer=reg,
                              name="size")(g)
    model = keras.Model(x_in, [binary, size], name="hnn")
    opt = keras.optimizers.Adam(learning_rate=arch.lr) if arch.lr else keras.optimizers.Adam()
    model.compile(optimizer=opt,
                  loss={"binary": keras.losses.BinaryCrossentropy(),
                        "size": keras.losses.CategoricalCrossentropy()},
                  loss_weights={"binary": float(alpha), "size": float(1 - alpha)})
    return model


@dataclass
class HnnResult:
    model: object
    arch: Architecture
    alpha: float
    mean: np.ndarray
    std: np.ndarray
    n_classes: int
    history: dict
    train_idx: np.ndarray
    test_idx: np.ndarray
    smote_counts: dict


def predict(res_or_model, X, mean=None, std=None):
    """(P(landslide) (n,), P(class) (n, K)) of raw features X."""
    if isinstance(res_or_model, HnnResult):
        model, mean, std = res_or_model.model, res_or_model.mean, res_or_model.std
    else:
        model = res_or_model
    Z = (np.asarray(X, float) - mean) / std
    pb, pc = model.predict(Z, verbose=0, batch_size=4096)
    return pb[:, 0], pc


def dropout_spread(model, X, mean, std, passes=30, seed=0):
    """The spread of P(landslide) under Monte Carlo dropout (Gal & Ghahramani 2016): the
    standard deviation over ``passes`` forward passes with the network's dropout left on,
    seeded. 0 for a network without dropout."""
    tf = _tf()
    Z = tf.constant((np.asarray(X, float) - mean) / std, tf.float32)
    set_seed(seed)
    runs = np.stack([np.asarray(model(Z, training=True)[0])[:, 0] for _ in range(passes)])
    return runs.std(axis=0)
