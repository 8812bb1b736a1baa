"""Do the factors given to a model look like the factors it was trained on?

A model applied to rasters (or slope units) matches its factors by name only. A raster given
under the wrong name (slope as twi), or in other units (percent against degrees of slope, feet
against metres of elevation), maps without an error and gives a wrong map. The model files
keep their training rows (for the area of applicability), so every continuous factor's values
at a seeded sample of the map can be set against that factor's training values:

* ``outside``: the share of the map's sampled values outside the training range, widened by
  :data:`RANGE_MARGIN` of the range on each side (a map always reaches a little past the
  extremes of a few hundred training points);
* ``spread``: the width of the map's 5-95 % quantile range over the training values' (a
  factor given in other units is wider or narrower by the conversion factor: 3.28 for feet
  against metres, about 1.9 for percent against degrees of slope);
* ``ks``: the two-sample Kolmogorov-Smirnov statistic (the largest gap between the two
  empirical distribution functions, 0 .. 1) of the map's sample against the training values.

The training rows are not a random sample of the map: presences sit where the hazard is, and
many samplers draw absences from a part of the factor space on purpose, so a factor's training
values legitimately differ from the map's. A factor is refused when most of the map lies
outside the training range (``outside >= 0.5``), or its spread differs by a factor of 1.75 or
more together with a different distribution (``ks >= 0.25`` or ``outside >= 0.1``), or the
distributions are far apart (``ks >= 0.75``); it is warned about from ``outside >= 0.1``,
``ks >= 0.5``, or a spread factor of 1.6 with ``ks >= 0.25``.

Calibration on the sample area (seed 42): on the .hsm models (random forest on the demo's
Mahalanobis samples, on slope-threshold and on buffer samples, GLM on buffer samples) the
correct factors reach at most outside 0.003, KS 0.38 and a spread factor of 1.58 (no warning);
on the demo's HNN (23 slope-unit fields) at most KS 0.02; on the catalogue's small multi-hazard
bundle (tests/qgis/test_bad_inputs_params.py) no warning either. On the .hsm models, slope and
twi swapped give (outside, spread, KS) = (0.65-0.70, 5-8.5, 0.65-0.71) for
the slope raster named twi and (0, 0.13, 0.50-0.82) for the twi raster named slope; slope in
percent (0.22, 1.85-1.89, 0.30-0.41); elevation in feet (1.0, 2.6-2.8, 1.0): all refused. The
margins are modest for percent slope (a spread of 1.85 against the 1.75 limit, backed by 22 %
outside the range); tests/core/susceptibility/test_factor_fit.py checks the rules on synthetic
data with known answers.

Categorical factors are not compared here (a value the model never saw is handled where the
categories are encoded)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..util.errors import InputError

#: the training range is widened by this share of its width on each side
RANGE_MARGIN = 0.05
#: refused: most of the map outside the training range (another factor, feet for metres)
REFUSE_OUTSIDE = 0.5
#: refused: a spread (5-95 % width) this many times wider or narrower than in training, with a
#: different distribution (KS >= SPREAD_KS or OUTSIDE_WITH_SPREAD outside): a factor swapped for
#: a narrower or wider one, percent for degrees
REFUSE_SPREAD, SPREAD_KS, OUTSIDE_WITH_SPREAD = 1.75, 0.25, 0.10
#: refused whatever the rest: distributions this far apart (KS)
REFUSE_KS = 0.75
#: warned: OUTSIDE or KS from these, or a spread factor from WARN_SPREAD with KS >= SPREAD_KS
#: (a map narrower than biased training rows, with a similar distribution, is no warning)
WARN_OUTSIDE, WARN_SPREAD, WARN_KS = 0.10, 1.6, 0.5
#: map values sampled per factor (a seeded sample)
SAMPLE = 20_000
#: at least this many values on each side before anything is said
MIN_VALUES = 30


@dataclass
class FactorFit:
    name: str
    n_train: int
    n_map: int
    outside: float
    ks: float
    spread: float = 1.0  # 5-95 % width of the map's values / of the training values
    train_q: tuple = field(default=())  # 5 %, 50 %, 95 % quantiles of the training values
    map_q: tuple = field(default=())

    @property
    def spread_factor(self):
        """How many times wider or narrower the map's spread is (>= 1)."""
        s = self.spread
        return np.inf if not s > 0 else max(s, 1.0 / s)

    @property
    def verdict(self):
        if self.outside >= REFUSE_OUTSIDE or self.ks >= REFUSE_KS or (
                self.spread_factor >= REFUSE_SPREAD and (self.ks >= SPREAD_KS or
                                                         self.outside >= OUTSIDE_WITH_SPREAD)):
            return "refuse"
        if self.outside >= WARN_OUTSIDE or self.ks >= WARN_KS or (
                self.spread_factor >= WARN_SPREAD and self.ks >= SPREAD_KS):
            return "warn"
        return "ok"

    def describe(self):
        tq = ", ".join(f"{v:.4g}" for v in self.train_q)
        mq = ", ".join(f"{v:.4g}" for v in self.map_q)
        return (f"'{self.name}': {100 * self.outside:.0f} % of the sampled values lie outside "
                f"the training range, spread x{self.spread:.2f}, KS {self.ks:.2f} (5/50/95 % "
                f"quantiles: training {tq}; given {mq})")


def ks_statistic(a, b):
    """The two-sample Kolmogorov-Smirnov statistic of samples a and b (as scipy's ks_2samp)."""
    a = np.sort(np.asarray(a, float))
    b = np.sort(np.asarray(b, float))
    x = np.concatenate([a, b])
    fa = np.searchsorted(a, x, side="right") / len(a)
    fb = np.searchsorted(b, x, side="right") / len(b)
    return float(np.abs(fa - fb).max())


def compare(name, train, values):
    """The :class:`FactorFit` of one factor: training values against sampled map values
    (non-finite values are left out). None when either side has fewer than MIN_VALUES."""
    t = np.asarray(train, float)
    t = t[np.isfinite(t)]
    m = np.asarray(values, float)
    m = m[np.isfinite(m)]
    if len(t) < MIN_VALUES or len(m) < MIN_VALUES:
        return None
    lo, hi = float(t.min()), float(t.max())
    pad = RANGE_MARGIN * (hi - lo)
    outside = float(((m < lo - pad) | (m > hi + pad)).mean())
    q = (0.05, 0.5, 0.95)
    qt, qm = np.quantile(t, q), np.quantile(m, q)
    wt, wm = qt[2] - qt[0], qm[2] - qm[0]
    spread = float(wm / wt) if wt > 0 else (1.0 if wm == 0 else np.inf)
    return FactorFit(name, len(t), len(m), outside, ks_statistic(t, m), spread,
                     tuple(float(v) for v in qt), tuple(float(v) for v in qm))


def check(train, sampled, input_name="FACTORS", log=None, warn=None, what="raster"):
    """Compare every factor of ``train`` ({name: training values}) found in ``sampled``
    ({name: sampled values of the input}); warn about doubtful ones (``warn``), log the others
    (``log``), and raise an InputError naming the factors beyond the refusal levels. Returns
    the list of :class:`FactorFit`."""
    log = log or (lambda msg: None)
    warn = warn or log
    fits = []
    for name, t in train.items():
        if name not in sampled:
            continue
        f = compare(name, t, sampled[name])
        if f is not None:
            fits.append(f)
    bad = [f for f in fits if f.verdict == "refuse"]
    for f in fits:
        if f.verdict == "warn":
            warn(f"Factor {f.describe()}: its values differ from those the model was trained "
                 f"on; check that this {what} is the model's '{f.name}', in the same units.")
    if fits:
        worst = max(fits, key=lambda f: (f.ks, f.outside))
        log(f"Factors checked against the model's training rows ({len(fits)}): largest "
            f"difference {worst.describe()}.")
    if bad:
        names = ", ".join(f"'{f.name}'" for f in bad)
        detail = "; ".join(f.describe() for f in bad)
        raise InputError(
            f"The {what} values given as {names} do not match what the model was trained on: "
            f"{detail}. A factor given under another factor's name, or in other units "
            f"(percent against degrees, feet against metres), gives a wrong map without an "
            f"error. Give each factor under its own name and in the units of training "
            f"(refused when {100 * REFUSE_OUTSIDE:.0f} % of the values lie outside the training "
            f"range, or the spread differs {REFUSE_SPREAD:g}-fold with a different distribution, "
            f"or the KS statistic reaches {REFUSE_KS:g}).", input_name)
    return fits


def training_columns(rows, columns, names):
    """{name: training values} of the continuous factors ``names`` from training rows in the
    model's ``columns`` (categorical factors are one-hot columns 'name=value' and left out)."""
    rows = np.asarray(rows, float)
    return {n: rows[:, columns.index(n)] for n in names if n in columns}


def sample_stack(stack, names=None, n=SAMPLE, seed=0, window=64):
    """{band name: values} at a seeded sample of about ``n`` pixels of an AlignedStack, read as
    random square windows (bounded: a few windows, whatever the raster's size); each band keeps
    its own valid values."""
    from ..io.raster import Window
    g = stack.grid
    rng = np.random.default_rng(seed)
    w_r, w_c = min(window, g.ysize), min(window, g.xsize)
    k = max(1, min(64, int(np.ceil(n / (w_r * w_c))) * 2))
    want = [j for j, b in enumerate(stack.names) if names is None or b in names]
    out = {stack.names[j]: [] for j in want}
    for _ in range(k):
        r = int(rng.integers(0, g.ysize - w_r + 1))
        c = int(rng.integers(0, g.xsize - w_c + 1))
        d = stack.read(Window(r, c, w_r, w_c), masked=False)
        for j in want:
            v = d[j].ravel()
            out[stack.names[j]].append(v[np.isfinite(v)])
    res = {}
    for name, parts in out.items():
        v = np.concatenate(parts) if parts else np.empty(0)
        if len(v) > n:
            v = rng.choice(v, n, replace=False)
        res[name] = v
    return res


def sample_rows(X, names, n=SAMPLE, seed=0):
    """{name: values} of a seeded sample of at most ``n`` rows of X (slope units)."""
    X = np.asarray(X, float)
    if len(X) > n:
        X = X[np.random.default_rng(seed).choice(len(X), n, replace=False)]
    return {name: X[:, j] for j, name in enumerate(names)}


# -- the model files: a raster model, slope-unit fields (a multi-hazard bundle: -------------------
# -- core.multihazard.mapping.check_bundle) -------------------------------------------------------
def check_raster_model(manifest, aoa, bands, seed=0, log=None, warn=None):
    """A raster model file (.hsm): its kept training rows (``ModelExtras.aoa``, or None: nothing
    to compare, said in ``log``) against a seeded sample of ``bands`` (matched by name on its
    grid, as the map will be)."""
    from ..io.raster import AlignedStack
    from .apply import model_bands
    log = log or (lambda msg: None)
    if aoa is None:
        log("The model file keeps no training rows: the factors' values cannot be checked "
            "against them.")
        return []
    enc = manifest.encoding
    names = [n for n, c in zip(enc.names, enc.categorical) if not c]
    train = training_columns(aoa[0], enc.columns, names)
    ordered, grid = model_bands(manifest, bands)
    with AlignedStack(ordered, grid, manifest.resampling) as stack:
        sampled = sample_stack(stack, names, seed=seed)
    return check(train, sampled, "FACTORS", log, warn)


def check_unit_fields(rows, columns, X, names, seed=0, log=None, warn=None):
    """Slope-unit feature fields X (n, len(names)) against training rows in ``columns``."""
    if rows is None:
        (log or (lambda msg: None))("The model file keeps no training rows: the fields' values "
                                    "cannot be checked against them.")
        return []
    train = training_columns(rows, list(columns), names)
    return check(train, sample_rows(X, names, seed=seed), "UNITS", log, warn,
                 what="slope-unit field")
