"""The Hierarchical Neural Network of Aguilera et al. (2022): landslide occurrence and
size class per slope unit, in one TensorFlow/Keras network (METHODS.md section 3)."""
from __future__ import annotations

import itertools
import typing
from dataclasses import dataclass, field

import numpy as np

from ..io.modelfile import Free, Manifest, MiB, ModelFileError
from ..stats.breaks import classify, gvf, natural_breaks
from ..util import nnfit
from ..util.deps import require
from ..util.errors import InputError
from ..util.progress import as_feedback

SEARCH_SPACE = {"n1": [6, 12, 18, 24, 48], "n2": [6, 12, 18, 24], "u1": [4, 8, 16, 32, 64],
                "u2": [4, 8, 16, 32, 64], "lr": [1e-2, 1e-3, 1e-4, None],
                "l2": [1e-3, 1e-4, 1e-5], "dropout": [0.2, 0.4, 0.6, 0.8]}


# -- size classes -----------------------------------------------------------------------------
@dataclass
class SizeClasses:
    upper: list          # upper bound (inclusive) of classes 1..K-1; class 0 is area 0
    lowest: float        # smallest non-zero area - 1e-6 (the paper's convention)
    k_initial: int
    gvf: float           # of the Fisher-Jenks classes chosen, before any merge
    merges: list = field(default_factory=list)
    gvf_min: float = 0.85
    k_max: int = 10
    capped: bool = False  # k reached k_max without the GVF reaching gvf_min
    gvf_final: float = float("nan")  # of the classes after the merges

    def warnings(self):
        """What an analyst must know about these classes, in words (empty if nothing)."""
        out = []
        if self.capped:
            out.append(f"No k up to {self.k_max} reached a GVF of {self.gvf_min:g} (k = "
                       f"{self.k_max}: GVF {self.gvf:.3f}); raise the k cap or lower the GVF.")
        if self.merges and self.gvf_final < self.gvf_min:
            out.append(f"After merging small classes the GVF is {self.gvf_final:.3f}, below the "
                       f"rule's {self.gvf_min:g} (it was {self.gvf:.3f} before merging).")
        if self.n_classes - 1 < 2:
            out.append("Only one landslide size class remains: the class head then repeats "
                       "the binary one (occurrence); give more landslides, fewer merges or "
                       "explicit bounds.")
        return out

    @property
    def n_classes(self):
        return len(self.upper) + 1

    def classify(self, areas):
        a = np.asarray(areas, float)
        out = np.zeros(a.shape, np.int64)
        nz = a > 0
        out[nz] = 1 + classify(a[nz], self.upper[:-1])
        return out

    def table(self, areas):
        c = self.classify(areas)
        rows = [{"class": 0, "name": "no landslide", "min_excl": 0.0, "max_incl": 0.0,
                 "count": int((c == 0).sum())}]
        lo = self.lowest
        for k, hi in enumerate(self.upper, 1):
            rows.append({"class": k, "name": f"class {k}", "min_excl": float(lo),
                         "max_incl": float(hi), "count": int((c == k).sum())})
            lo = hi
        return rows


def size_classes(areas, gvf_min=0.85, min_members=6, k_max=10, bounds=None, merge=True,
                 seed=0):
    """Class 0 for units without landslide; Fisher-Jenks on the non-zero areas with the
    smallest k >= 2 whose GVF >= ``gvf_min`` (or explicit upper ``bounds``); classes with fewer
    than ``min_members`` (SMOTE's k_neighbors + 1) merged into the next lower class (class 1
    into class 2)."""
    a = np.asarray(areas, float)
    if np.isnan(a).any():
        raise InputError("The landslide-area field has NULL values: fill them (0 for units "
                         "without landslide).", "AREA_FIELD")
    if (a < 0).any():
        raise InputError(f"{int((a < 0).sum())} unit(s) have a negative landslide area.",
                         "AREA_FIELD")
    nz = a[a > 0]
    if len(nz) < 2:
        raise InputError(f"Only {len(nz)} unit(s) with landslides: size classes need more.",
                         "AREA_FIELD")
    if bounds:
        upper = sorted(float(b) for b in bounds)
        if upper[-1] < nz.max():
            upper.append(float(nz.max()))
        k0, g = len(upper), gvf(nz, classify(nz, upper[:-1]))
    else:
        k0, upper, g = None, None, 0.0
        for k in range(2, k_max + 1):
            lim = natural_breaks(nz, k, sample=0, seed=seed)
            g = gvf(nz, classify(nz, lim))
            upper = list(lim) + [float(nz.max())]
            k0 = k
            if g >= gvf_min or len(np.unique(nz)) <= k:
                break
    sc = SizeClasses(upper, float(nz.min() - 1e-6), k0, float(g), gvf_min=gvf_min, k_max=k_max,
                     capped=not bounds and g < gvf_min and k0 == k_max and
                     len(np.unique(nz)) > k_max)
    if merge:
        while len(sc.upper) > 1:
            counts = np.bincount(sc.classify(nz), minlength=sc.n_classes)[1:]
            small = [i for i, c in enumerate(counts) if c < min_members]
            if not small:
                break
            i = small[-1]  # the largest small class first
            if i == 0:     # class 1 has no lower landslide class: merge into class 2
                sc.merges.append((1, 2))
                del sc.upper[0]
            else:          # class i+1 merges into class i: drop class i's upper bound
                sc.merges.append((i + 1, i))
                del sc.upper[i - 1]
    sc.gvf_final = float(gvf(nz, classify(nz, sc.upper[:-1])))
    counts = np.bincount(sc.classify(nz), minlength=sc.n_classes)[1:]
    if (counts < min_members).any():
        raise InputError(f"A size class has fewer than {min_members} members (counts "
                         f"{counts.tolist()}) and merging is disabled: enable merging or give "
                         f"coarser bounds.", "MERGE")
    return sc


# -- the network ------------------------------------------------------------------------------
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


def n_weights(n_features, n_classes, arch):
    """Weights and biases of the network :func:`build_model` builds."""
    n1, u1, n2, u2 = int(arch.n1), int(arch.u1), int(arch.n2), int(arch.u2)
    b1 = n_features * u1 + u1 + (n1 - 1) * (u1 * u1 + u1)
    head = u1 + 1
    b2 = (u1 + 1) * u2 + u2 + (n2 - 1) * (u2 * u2 + u2)
    return b1 + head + b2 + u2 * n_classes + n_classes


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


def set_seed(seed):
    tf = _tf()
    tf.keras.utils.set_random_seed(int(seed))
    try:
        tf.config.experimental.enable_op_determinism()
    except (AttributeError, RuntimeError):
        pass


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
    _tf()
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
    set_seed(seed)
    model = build_model(X.shape[1], n_classes, arch, alpha)
    onehot = np.eye(n_classes)
    history = nnfit.fit(
        model, Xtr, {"binary": (ctr > 0).astype(float)[:, None], "size": onehot[ctr]},
        Z[va], {"binary": (classes[va] > 0).astype(float)[:, None],
                "size": onehot[classes[va]]},
        epochs=epochs, batch=64, patience=patience, seed=seed, feedback=fb)
    return HnnResult(model, arch, float(alpha), mean, std, n_classes, history,
                     tr, test_idx, counts)


def predict(res_or_model, X, mean=None, std=None):
    """(P(landslide) (n,), P(class) (n, K)) of raw features X."""
    if isinstance(res_or_model, HnnResult):
        model, mean, std = res_or_model.model, res_or_model.mean, res_or_model.std
    else:
        model = res_or_model
    Z = (np.asarray(X, float) - mean) / std
    pb, pc = model.predict(Z, verbose=0, batch_size=4096)
    return pb[:, 0], pc


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


def morans_i(values, neighbours):
    """Moran's I with binary (queen) weights, its expectation -1/(n-1) and the two-sided p-value
    under the normality assumption."""
    from scipy import stats
    x = np.asarray(values, float)
    n = len(x)
    z = x - x.mean()
    pairs = [(i, j) for i, nb in enumerate(neighbours) for j in nb]
    if not pairs:
        raise InputError("No two slope units touch: Moran's I is undefined.", "UNITS")
    i_idx = np.array([p[0] for p in pairs])
    j_idx = np.array([p[1] for p in pairs])
    S0 = float(len(pairs))
    num = float((z[i_idx] * z[j_idx]).sum())
    den = float((z * z).sum())
    I = n / S0 * num / den  # noqa: E741  (Moran's I, the statistic's own name)
    E = -1.0 / (n - 1)
    S1 = 2.0 * S0  # symmetric binary weights: 1/2 sum (w_ij + w_ji)^2 over ordered pairs
    deg = np.bincount(i_idx, minlength=n) + np.bincount(j_idx, minlength=n)
    S2 = float((deg ** 2).sum())
    var = (n * n * S1 - n * S2 + 3 * S0 * S0) / ((n * n - 1) * S0 * S0) - E * E
    zscore = (I - E) / np.sqrt(var)
    return {"I": float(I), "E": float(E), "z": float(zscore),
            "p": float(2 * stats.norm.sf(abs(zscore)))}


def queen_neighbours(geoms):
    """Units sharing at least a boundary point (queen contiguity), from OGR polygons."""
    from ..io.zonal import bounding_boxes
    env = bounding_boxes(geoms)
    n = len(geoms)
    nb = [[] for _ in range(n)]
    ok = ~np.isnan(env[:, 0])
    for a in range(n):
        if not ok[a]:
            continue
        cand = np.nonzero(ok & (env[:, 0] <= env[a, 2]) & (env[:, 2] >= env[a, 0]) &
                          (env[:, 1] <= env[a, 3]) & (env[:, 3] >= env[a, 1]))[0]
        for b in cand:
            if b != a and geoms[a].Intersects(geoms[b]):
                nb[a].append(int(b))
    return nb


# -- search -----------------------------------------------------------------------------------
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


# -- model file -------------------------------------------------------------------------------
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
    """(keras model, manifest): the network is rebuilt by this module from the manifest's
    architecture and given the file's weights, after checking each weight's shape; no Keras
    configuration or code is read from the file."""
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


def dropout_spread(model, X, mean, std, passes=30, seed=0):
    """The spread of P(landslide) under Monte Carlo dropout (Gal & Ghahramani 2016): the
    standard deviation over ``passes`` forward passes with the network's dropout left on,
    seeded. 0 for a network without dropout."""
    tf = _tf()
    Z = tf.constant((np.asarray(X, float) - mean) / std, tf.float32)
    set_seed(seed)
    runs = np.stack([np.asarray(model(Z, training=True)[0])[:, 0] for _ in range(passes)])
    return runs.std(axis=0)


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
