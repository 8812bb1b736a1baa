"""The HNN model file (``.hnn``, METHODS.md section 3): a typed manifest (features, scaling,
architecture) and the network's weights as plain arrays; the network is rebuilt by this
plugin's code, never read from the file."""
from __future__ import annotations

import typing
from dataclasses import dataclass, field

import numpy as np

from ..io.modelfile import Free, Manifest, MiB, ModelFileError
from .network import Architecture, build_model


@dataclass
class HnnManifest(Manifest):
    """The manifest of an HNN model file (``.hnn``): weights only; the network is rebuilt."""

    FORMAT: typing.ClassVar[str] = "hazard-susceptibility-hnn/2"
    LABEL: typing.ClassVar[str] = "HNN model file (.hnn)"
    ADVICE: typing.ClassVar[str] = "Train the network again with 'Train HNN'."
    MAX_BYTES: typing.ClassVar[int] = 512 * MiB

    features: list[str]
    n_classes: int
    arch: Architecture
    alpha: float
    mean: list[float]
    std: list[float]
    n_weights: int
    seed: int = 0
    crs_authid: str = ""
    glm_auc: typing.Optional[float] = None
    metrics: dict[str, Free] = field(default_factory=dict)
    versions: dict[str, str] = field(default_factory=dict)
    # the training units' features for the area of applicability (arrays aoa/train,
    # aoa/folds, aoa/weights) and where their folds come from ("" when the file has none)
    aoa_rows: int = 0
    aoa_folds: str = ""

    def check_members(self, mf, where):
        """The applicability arrays agree with the manifest."""
        if self.aoa_rows:
            from ..susceptibility.applicability import read_rows
            read_rows(mf, "aoa/", self.aoa_rows, len(self.features), where, self.ADVICE)

    def validate(self, where):
        n = len(self.features)
        if not n or len(self.mean) != n or len(self.std) != n or not 2 <= self.n_classes <= 64 \
                or not 0 <= self.alpha <= 1 or self.n_weights < 1:
            raise ModelFileError(f"{where}: features, scaling, classes or weights are "
                                 f"inconsistent: the file is damaged or altered.")
        if not all(np.isfinite(s) and s > 0 for s in self.std) or \
                not all(np.isfinite(m) for m in self.mean):
            raise ModelFileError(f"{where}: the feature scaling is not finite and positive.")


def save_hnn(path, res, features, seed, train_X=None, k=5, **fields):
    """Write the ``.hnn`` file: the typed manifest (features, scaling, architecture) and the
    network's weights as plain arrays; with ``train_X`` (the real training units' features,
    before SMOTE), those units with seeded random ``k`` folds and equal weights for the area of
    applicability (a network has no importance of its own). ``fields``: the other HnnManifest
    fields."""
    from ..io import modelfile
    from ..susceptibility.estimators import versions
    weights = res.model.get_weights()
    arrays = {f"w{i}": w for i, w in enumerate(weights)}
    if train_X is not None and len(train_X) >= k:
        from ..susceptibility.applicability import assign_folds
        folds, how = assign_folds(None, None, len(train_X), k, seed)
        arrays.update({"aoa/train": np.asarray(train_X, float), "aoa/folds": folds,
                       "aoa/weights": np.ones(len(features))})
        fields.update(aoa_rows=int(len(train_X)),
                      aoa_folds=f"{how} over the training units; every feature weighs the "
                                f"same (the network has no importance of its own)")
    man = HnnManifest(
        features=list(features), n_classes=int(res.n_classes), arch=res.arch,
        alpha=float(res.alpha),
        mean=[float(v) for v in res.mean], std=[float(v) for v in res.std],
        n_weights=len(weights), seed=int(seed), versions=versions(), **fields)
    return modelfile.write(path, man, arrays)


def applicability_rows(path):
    """(rows, folds, weights, how) an ``.hnn`` file keeps for the area of applicability, or
    None for a file without them; read without TensorFlow."""
    from ..io import modelfile
    mf = modelfile.read(path, HnnManifest, f"'{path}'")
    man = mf.manifest
    if not man.aoa_rows:
        return man, None
    from ..susceptibility.applicability import read_rows
    return man, read_rows(mf, "aoa/", man.aoa_rows, len(man.features), f"'{path}'",
                          man.ADVICE) + (man.aoa_folds,)


def read_manifest(path):
    """The typed manifest of an HNN model file (no TensorFlow needed)."""
    from ..io import modelfile
    return modelfile.read_manifest(path, HnnManifest, f"'{path}'")


def load_hnn(path):
    """(keras model, manifest): the network is rebuilt by :func:`.network.build_model` from the
    manifest's architecture and given the file's weights, after checking each weight's shape;
    no Keras configuration or code is read from the file."""
    from ..io import modelfile
    mf = modelfile.read(path, HnnManifest, f"'{path}'")
    man = mf.manifest
    model = build_model(len(man.features), man.n_classes, man.arch, man.alpha)
    expected = [w.shape for w in model.get_weights()]
    weights = [mf.array(f"w{i}", "f") for i in range(man.n_weights)]
    if [w.shape for w in weights] != expected:
        raise ModelFileError(f"The weights in '{path}' do not fit the network its manifest "
                             f"describes: the file is damaged or altered; refused.")
    if not all(np.isfinite(w).all() for w in weights):
        raise ModelFileError(f"The weights in '{path}' are not finite: refused.")
    model.set_weights([w.astype(np.float32) for w in weights])
    return model, man
