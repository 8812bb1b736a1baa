import re
import subprocess
import sys

from tests.conftest import PLUGINS


EVERY_ID = """alignfactors applicability applyhnn applymodel bufferabsences comparesampling
createsamplearea
evaluatemap evaluatemultihazard factorscreening factorthresholdabsences frequencyratio geodetector
hnnablation hnnlossweights hnnsizeclasses installdependencies kdeaugmentation mahalanobisabsences
mapmultihazard mergesamples multihazardsamples multiratioabsences ocsvmabsences slopeabsences
slopeunitstats splitinventory susceptibilityratioabsences trainhnn trainmodel trainmultihazard
zonefeatureselection workflowhnn workflowmahalanobis workflowmultihazard""".split()


def test_provider_registers_with_every_algorithm(provider):
    ids = sorted(a.id() for a in provider.algorithms())
    assert ids == sorted(f"hazard:{n}" for n in EVERY_ID)
    assert provider.id() == "hazard" and not provider.icon().isNull()


def test_every_algorithm_has_help_and_a_clean_id(provider):
    for alg in provider.algorithms():
        assert re.fullmatch(r"[a-z0-9]+", alg.name()), alg.name()
        assert re.fullmatch(r"[a-z0-9]+", alg.groupId()), alg.groupId()
        assert len(alg.shortHelpString()) > 200, alg.id()
        assert alg.displayName() and alg.group()
        assert isinstance(alg.createInstance(), type(alg))


HIDDEN = r"""
import sys
HIDE = {"sklearn", "xgboost", "tensorflow", "shap", "jenkspy", "kmeans1d", "imblearn",
        "pandas", "matplotlib", "dask", "betacal", "keras"}
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in HIDE:
            raise ImportError("hidden for this test: " + name)
        return None
sys.meta_path.insert(0, Block())
sys.path.insert(0, %r)
from qgis.core import QgsApplication
app = QgsApplication([], False)
app.initQgis()
from hazard_susceptibility.provider import HazardSusceptibilityPlugin
from hazard_susceptibility.core.util import deps
assert not deps.available("sklearn") and deps.available("numpy")
p = HazardSusceptibilityPlugin(None)
p.initProcessing()
algs = QgsApplication.processingRegistry().providerById("hazard").algorithms()
assert len(algs) >= 3
from hazard_susceptibility.algorithms.base import HazardAlgorithm
class NeedsML(HazardAlgorithm):
    NAME = "needsml"
    REQUIRES = ("sklearn", "xgboost")
ok, msg = NeedsML().canExecute()
assert not ok and "scikit-learn" in msg and "xgboost" in msg and "-m pip install" in msg, msg
print("loaded", len(algs))
"""


def test_parameter_names_are_the_constants_of_one_module(provider):
    """Every parameter and output of the plugin's own algorithms is named by a constant of
    algorithms/params.py, every constant names one, and no algorithm spells a name as a
    string literal (a typo would read an absent parameter)."""
    import glob
    import io
    import os
    import tokenize

    from hazard_susceptibility.algorithms import params as P
    declared = set()
    for alg in provider.algorithms():
        if alg.id().startswith("hazard:workflow"):  # parameters come from the .model3 files
            continue
        declared |= {d.name() for d in alg.parameterDefinitions()}
        declared |= {d.name() for d in alg.outputDefinitions()}
    constants = {k: v for k, v in vars(P).items() if k.isupper()}
    assert all(k == v for k, v in constants.items())
    assert set(constants) == declared, (set(constants) ^ declared)
    root = os.path.join(PLUGINS, "hazard_susceptibility", "algorithms")
    literal = []
    for f in glob.glob(os.path.join(root, "**", "*.py"), recursive=True):
        if f.endswith("params.py"):
            continue
        with open(f, encoding="utf-8") as fh:
            for tok in tokenize.generate_tokens(io.StringIO(fh.read()).readline):
                if tok.type == tokenize.STRING and tok.string.strip("'\"") in declared \
                        and tok.string[0] in "'\"":
                    literal.append(f"{os.path.relpath(f, root)}:{tok.start[0]} {tok.string}")
    assert not literal, literal


def test_provider_loads_without_ml_packages_and_names_the_missing_ones():
    res = subprocess.run([sys.executable, "-c", HIDDEN % PLUGINS], capture_output=True,
                         text=True, env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin"})
    assert res.returncode == 0, res.stderr[-2000:]
    assert "loaded" in res.stdout
