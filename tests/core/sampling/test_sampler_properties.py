"""Samplers declare their own properties beside their code (core.sampling.samplers.declare):
every 'sampler' value the algorithms write is declared, and both trainings (susceptibility and
multi-hazard) caution exactly about the absences of the samplers declared separating."""
import os
import re

import numpy as np

from hazard_susceptibility.core.sampling import samplers as smp
from tests.conftest import ROOT


def test_every_sampler_the_plugin_writes_is_declared_once():
    from hazard_susceptibility.core.multihazard.samples import ABSENCE_METHODS
    folder = os.path.join(ROOT, "algorithms", "sampling")
    refs = set()
    for name in os.listdir(folder):
        if name.endswith(".py"):
            text = open(os.path.join(folder, name)).read()
            refs |= set(re.findall(r"^    SAMPLER = (?:smp\.)?(\w+)\.name$", text, re.M))
            assert not re.search(r'^    SAMPLER = "\w', text, re.M), \
                f"{name}: name the sampler by its declaration, not by a string"
    declared = {k: v for k, v in vars(smp).items() if isinstance(v, smp.Sampler)}
    from hazard_susceptibility.core.sampling import mahalanobis, threshold
    from hazard_susceptibility.core.susceptibility import susceptibility_ratio
    for mod in (mahalanobis, susceptibility_ratio, threshold):
        declared.update({k: v for k, v in vars(mod).items() if isinstance(v, smp.Sampler)})
    assert refs and refs <= set(declared), refs - set(declared)
    assert {v.name for v in declared.values()} == set(smp.SAMPLERS)
    assert {m for m, _ in ABSENCE_METHODS.values()} <= set(smp.SAMPLERS)
    for s in smp.SAMPLERS.values():
        assert s.space in ("geographic", "factor") and s.label in (0, 1)
        assert not (s.separates and s.label == 1), f"{s.name}: a presence sampler separating"


def test_the_declared_properties():
    sep = {n for n, s in smp.SAMPLERS.items() if s.separates}
    assert sep == {"buffer_random", "slope_threshold", "ocsvm", "ocsvm_factors", "mahalanobis",
                   "factor_threshold"}
    factor = {n for n, s in smp.SAMPLERS.items() if s.space == "factor"}
    assert factor == {"slope_threshold", "ocsvm_factors", "mahalanobis", "factor_threshold"}
    assert not smp.SAMPLERS["random"].needs_presences
    assert smp.SAMPLERS["mahalanobis"].needs_presences and smp.SAMPLERS["kde"].label == 1


def test_both_trainings_caution_about_exactly_the_separating_samplers():
    from hazard_susceptibility.core.multihazard.samples import separating_caution
    from hazard_susceptibility.core.susceptibility import training as tr
    rng = np.random.default_rng(0)
    n = 120
    X = rng.normal(size=(2 * n, 1))
    y = np.r_[np.ones(n), np.zeros(n)]
    coords = tuple(rng.uniform(0, 10000, (2, 2 * n)))
    for name, s in smp.SAMPLERS.items():
        if s.label == 1:
            continue
        names = [name] * 10 + ["random"] * (n - 10)
        opt = tr.separating_check(names, X, y, ["a"], [False], "glm", {}, coords, 0, 1e6, 5)
        mh = separating_caution(["presence"] * n + names, y)
        if s.separates:
            assert opt["samplers"] == {name: 10}, name
            assert s.separates in tr.describe_optimism(opt, 0.9)
            assert f"10 absences from '{name}', drawn {s.separates}" in mh
        else:
            assert opt is None and mh is None, name
    # presences from a separating sampler's name are not absences: no caution
    assert separating_caution(["mahalanobis"] * 5, [1] * 5) is None
