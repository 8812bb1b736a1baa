"""Multi-hazard samples (FL-MHSM study): per hazard, the presences, KDE-augmented presences and
one-class-SVM absences; every sample's contextual zone; a stratified 80/10/10 split per zone,
hazard and label of the real points, synthetic presences in the training split only."""
from __future__ import annotations

import numpy as np

from ..sampling import samplers as smp
from ..util.errors import InputError
from ..util.progress import as_feedback

HAZARD_INPUTS = (("FLOODS", "flood"), ("LANDSLIDES", "landslide"))

#: absence methods: key -> (value of the 'sampler' field, description). The order is the
#: algorithms' enum order; DEFAULT_ABSENCES recovers the sample area's truth best (README)
ABSENCE_METHODS = {
    "ocsvm_xy": ("ocsvm", "one-class SVM on the presences' coordinates (FL-MHSM study)"),
    "ocsvm_factors": ("ocsvm_factors", "one-class SVM on the presences' factor values"),
    "buffer_random": ("buffer_random", "random, outside a buffer around every presence"),
    "mahalanobis": ("mahalanobis", "Mahalanobis chi-square, far from the presences in factor "
                                   "space (Rangamati Mahalanobis study)"),
}
DEFAULT_ABSENCES = "buffer_random"
#: synthetic (KDE) presences per training presence of the algorithm 'Prepare multi-hazard
#: samples' (the FL-MHSM study uses 1.5): a KDE of the presences' coordinates with Scott's bandwidth
#: spreads its points kilometres around them, i.e. draws the inventory's density, not the
#: hazard's conditions; on the sample area every ratio above 0 lowered the maps' rank
#: correlation with the truth (README, issue 30)
DEFAULT_KDE_RATIO = 0.0
#: absences per presence of the algorithm (the FL-MHSM study: 1): random background needs
#: more points than presences to show the models the landscape the presences are rare in; on
#: the sample area 3 raised the flood map's rank correlation with the truth from 0.77 to
#: 0.83 (README)
DEFAULT_ABSENCE_RATIO = 3.0


def draw_absences(stack, pres, count, rng, method="ocsvm_xy", min_distance=100.0, nu=0.1,
                  feedback=None):
    """``count`` absences of one hazard by ``method`` (:data:`ABSENCE_METHODS`), at least
    ``min_distance`` from every presence: (x, y)."""
    if method not in ABSENCE_METHODS:
        raise InputError(f"Unknown absence method '{method}': choose among "
                         f"{', '.join(ABSENCE_METHODS)}.", "ABSENCES")
    if method == "ocsvm_xy":
        ax, ay, _, _, _ = smp.ocsvm_absences(stack, pres, count, rng, min_distance, nu,
                                             feedback=feedback, param="ABSENCE_RATIO")
        return ax, ay
    if method == "buffer_random":
        ax, ay, _ = smp.draw(smp.Admissible(stack, pres, min_distance), count, rng, feedback)
        return ax, ay
    cont = [j for j, b in enumerate(stack.bands) if not b.categorical]
    if not cont:
        raise InputError("Absences in factor space need at least one continuous factor.",
                         "FACTORS")
    names = [stack.bands[j].name for j in cont]
    V = pres.values[:, cont]
    if method == "mahalanobis":
        from ..sampling.mahalanobis import mahalanobis_absences
        model = smp.mahalanobis_model(V, names, allow_pinv=True)
        res = mahalanobis_absences(stack, pres, cont, model, count, rng, None, None,
                                   min_distance, feedback)
        return res.x, res.y
    ax, ay, _, _, _ = smp.ocsvm_absences(stack, pres, count, rng, min_distance, nu,
                                         feedback=feedback, columns=cont, param="ABSENCE_RATIO")
    return ax, ay


def multihazard_samples(stack, inventories, zones_at, seed=0, kde_ratio=1.5, spacing=100.0,
                        absence_ratio=DEFAULT_ABSENCE_RATIO, min_distance=100.0, nu=0.1,
                        feedback=None, log=None,
                        warn=None, absences=DEFAULT_ABSENCES):
    """``inventories`` {hazard: (x, y)} in the stack's CRS (flood, then landslide);
    ``zones_at(x, y)`` gives each point's zone name or None. Per hazard, the real presences are
    split first (80/10/10 per zone); round(kde_ratio x training presences) synthetic presences
    (augmented = 1) are drawn from a KDE of the training presences only, at least ``spacing``
    from every real presence, and all go to the training split: validation and test hold real
    points only (the FL-MHSM study augments the training data; METHODS 1.8 marks synthetic points so
    that evaluation can leave them out). round(absence_ratio x (presences + synthetic))
    absences by ``absences`` (:data:`ABSENCE_METHODS`; 'sampler' says which), split 80/10/10
    per zone. Samples outside every zone are left out (with a
    warning). Returns (x, y, columns) with columns hazard, label, augmented, sampler, zone,
    split (:func:`split_counts` tells what each split holds)."""
    stack.grid.check_distance(spacing, "SPACING", "spacing of the synthetic presences")
    if absences not in ABSENCE_METHODS:
        raise InputError(f"Unknown absence method '{absences}': choose among "
                         f"{', '.join(ABSENCE_METHODS)}.", "ABSENCES")
    fb = as_feedback(feedback)
    log = log or (lambda msg: None)
    warn = warn or log
    rng = np.random.default_rng(seed)
    parts = []  # (x, y, hazard, label, augmented, sampler, zone, split)
    dropped = 0
    for h, (key, name) in enumerate(HAZARD_INPUTS):
        step = fb.sub(h / 2, (h + 1) / 2)
        pres, pz, psplit = _split_presences(stack, inventories[name], zones_at, key, name,
                                            seed + h)
        train = psplit == "train"
        n_kde = int(round(kde_ratio * int(train.sum())))
        kx, ky = _synthetic_presences(stack, pres, train, n_kde, rng, spacing, key, name, step)
        n_abs = int(round(absence_ratio * (len(pres) + n_kde)))
        ax, ay = draw_absences(stack, pres, n_abs, rng, absences, min_distance, nu,
                               step.sub(0.4, 1.0))
        kz, az = _zones(zones_at, kx, ky), _zones(zones_at, ax, ay)
        asplit = np.full(len(ax), "", object)
        ain = az != ""
        asplit[ain] = split_three(np.zeros(int(ain.sum()), int), az[ain], seed=seed + 10 + h)
        dropped += int((pz == "").sum() + (kz == "").sum() + (~ain).sum())
        for x, y, lab, aug, samp, z, sp in (
                (pres.x, pres.y, 1, 0, "presence", pz, psplit),
                (kx, ky, 1, 1, "kde", kz, np.full(len(kx), "train", object)),
                (ax, ay, 0, 0, ABSENCE_METHODS[absences][0], az, asplit)):
            keep = z != ""
            n = int(keep.sum())
            parts.append((x[keep], y[keep], np.full(n, name, object), np.full(n, lab),
                          np.full(n, aug), np.full(n, samp, object), z[keep], sp[keep]))
        log(f"{name}: {len(pres)} presences, {n_kde} synthetic (from the training presences), "
            f"{n_abs} absences")
    x, y, hazard, label, augmented, sampler, zone, split = (np.concatenate(c) for c in
                                                            zip(*parts))
    if dropped:
        warn(f"{dropped} sample(s) outside every zone were left out.")
    _warn_zones_without_presences(zone, hazard, label, warn)
    cols = dict(hazard=hazard.astype(str), label=label.astype(int),
                augmented=augmented.astype(int), sampler=sampler.astype(str),
                zone=zone.astype(str), split=split.astype(str))
    return x, y, cols


def _warn_zones_without_presences(zone, hazard, label, warn):
    for z in sorted(set(zone)):
        for _, name in HAZARD_INPUTS:
            if not ((zone == z) & (hazard == name) & (label == 1)).any():
                warn(f"Zone {z} holds no {name} presence: its {name} models will fall back to "
                     f"all zones.")


def _zones(zones_at, x, y):
    """Each point's zone name, "" outside every zone."""
    return np.array([z if z is not None else "" for z in zones_at(x, y)], object) \
        if len(x) else np.empty(0, object)


def _split_presences(stack, xy, zones_at, key, name, seed):
    """(presences on valid pixels, their zones, their split 80/10/10 per zone; "" outside
    every zone)."""
    pres = smp.locate_presences(stack, *xy)
    if len(pres) < 3:
        raise InputError(f"Only {len(pres)} {name} presence(s) on valid pixels.", key)
    pz = _zones(zones_at, pres.x, pres.y)
    inside = pz != ""
    psplit = np.full(len(pres), "", object)
    psplit[inside] = split_three(np.ones(int(inside.sum()), int), pz[inside], seed=seed)
    return pres, pz, psplit


def _synthetic_presences(stack, pres, train, n_kde, rng, spacing, key, name, step):
    """``n_kde`` synthetic presences from a KDE of the ``train`` presences, away from the
    others."""
    if not n_kde:
        return np.empty(0), np.empty(0)
    if train.sum() < 3:
        raise InputError(f"Only {int(train.sum())} {name} presence(s) in the training "
                         f"split inside the zones: KDE augmentation needs 3.", key)
    tr = smp.Presences(pres.x[train], pres.y[train], pres.flat, pres.values[train])
    return smp.kde_augment(stack, tr, n_kde, rng, spacing, feedback=step.sub(0, 0.4),
                           keep_away=np.column_stack([pres.x[~train], pres.y[~train]]))


def split_three(labels, groups, shares=(0.8, 0.1, 0.1), seed=0):
    """'train'/'val'/'test' per sample, stratified by (group, label): within each stratum the
    samples are shuffled (seeded) and cut at the cumulative shares."""
    labels = np.asarray(labels)
    groups = np.asarray(groups).astype(str)
    rng = np.random.default_rng(seed)
    out = np.empty(len(labels), dtype=object)
    for g in np.unique(groups):
        for lab in np.unique(labels[groups == g]):
            idx = np.nonzero((groups == g) & (labels == lab))[0]
            idx = idx[rng.permutation(len(idx))]
            n = len(idx)
            n_tr = int(round(shares[0] * n))
            n_va = int(round(shares[1] * n))
            out[idx[:n_tr]] = "train"
            out[idx[n_tr:n_tr + n_va]] = "val"
            out[idx[n_tr + n_va:]] = "test"
    return out


def split_counts(hazard, label, augmented, split):
    """Rows (hazard, split, presences, synthetic, absences): what each split holds."""
    hazard, split = np.asarray(hazard).astype(str), np.asarray(split).astype(str)
    label, augmented = np.asarray(label).astype(int), np.asarray(augmented).astype(int)
    rows = []
    for h in sorted(set(hazard)):
        for sp in ("train", "val", "test"):
            m = (hazard == h) & (split == sp)
            rows.append(dict(hazard=h, split=sp,
                             presences=int((m & (label == 1) & (augmented == 0)).sum()),
                             synthetic=int((m & (label == 1) & (augmented == 1)).sum()),
                             absences=int((m & (label == 0)).sum())))
    return rows


def separating_caution(sampler, label, macro_auc=None):
    """The caution about test scores on absences that a sampler set apart from the presences
    by construction (its declaration says so: core.sampling.samplers.Sampler; None when there
    are none): the models partly learn where the sampler put the absences, and any split of
    these samples rewards it."""
    found = smp.separating(sampler, label)
    if not found:
        return None
    how = "; ".join(f"{n} absences from '{s}', drawn {smp.SAMPLERS[s].separates}"
                    for s, n in found.items())
    auc = f" (macro AUCs {macro_auc})" if macro_auc else ""
    return (f"The test scores{auc} are optimistic. {how}: the models partly learn where the "
            f"sampler put the absences, and any split of these samples rewards it. Score the "
            f"maps on held-out presences against random background ('Multi-hazard evaluation "
            f"report' with the held-out inventories of 'Prepare multi-hazard samples') before "
            f"trusting them.")


def split_held_out(inventories, share, seed=0, block_size=2000.0):
    """Hold out ``share`` of each hazard's inventory {hazard: (x, y)} before any sampling, in
    whole square blocks of ``block_size`` map units (None: at random), as 'Split inventory'
    does (core.susceptibility.holdout.holdout_mask, seeded per hazard). Returns (training
    inventories, held-out inventories), both {hazard: (x, y)}; share 0 holds nothing out."""
    if not share:
        return dict(inventories), {h: (np.empty(0), np.empty(0)) for h in inventories}
    from ..susceptibility.holdout import holdout_mask
    train, held = {}, {}
    for k, (key, name) in enumerate(HAZARD_INPUTS):
        if name not in inventories:
            continue
        x, y = (np.asarray(v, float) for v in inventories[name])
        try:
            m = holdout_mask(x, y, share, seed + 20 + k, block_size)
        except InputError as exc:
            raise InputError(f"{name} inventory: {exc.args[0]}", exc.input_name or key) from None
        train[name] = (x[~m], y[~m])
        held[name] = (x[m], y[m])
    return train, held


def samples_memory(inventories, kde_ratio, absence_ratio):
    """Refuse (InputError naming ABSENCE_RATIO or KDE_RATIO), before any is drawn, samples
    that would not fit in memory: the presences of ``inventories`` ({hazard: (x, y) or None})
    with their synthetic presences by ``kde_ratio`` and absences by ``absence_ratio``; else a
    sentence with their memory."""
    from ..util import memory
    n_pres = sum(len(v[0]) for v in inventories.values() if v is not None)
    n_all = int(n_pres * (1 + kde_ratio) * (1 + absence_ratio))
    param = "ABSENCE_RATIO" if absence_ratio >= kde_ratio else "KDE_RATIO"
    return memory.require(n_all * smp.BYTES_PER_ABSENCE + smp.DRAW_MASK_BYTES,
                          f"Drawing {n_all:,} samples", param,
                          "lower the absences per presence [ABSENCE_RATIO] or the synthetic "
                          "presences per training presence [KDE_RATIO]")
