"""What an analyst sees in the dialogs and the toolbox: groups in workflow order with one icon
each, search words, expert parameters under Advanced, real defaults instead of "0: default"
placeholders, no "(optional)" written twice."""
import os

from hazard_susceptibility.algorithms import compat
from hazard_susceptibility.algorithms.base import COMMON_ADVANCED, GROUPS


def _algorithms(provider):
    return sorted(provider.algorithms(), key=lambda a: a.id())


def test_groups_come_in_workflow_order_each_with_its_own_icon(provider):
    names = list(GROUPS.values())
    assert names == sorted(names)  # QGIS sorts groups by name: the numbers keep our order
    icons = {}
    for a in _algorithms(provider):
        assert a.group() in names, a.id()
        path = a.svgIconPath()
        assert os.path.isfile(path) and path.endswith(f"{a.groupId()}.svg"), (a.id(), path)
        icons.setdefault(a.groupId(), path)
    assert len(set(icons.values())) == len(icons) == len(GROUPS)
    assert provider.algorithm("installdependencies").group() == GROUPS["setup"]


def test_every_algorithm_has_search_words(provider):
    for a in _algorithms(provider):
        tags = a.tags()
        assert "susceptibility" in tags and len(tags) >= 6, (a.id(), tags)
    assert "random forest" in provider.algorithm("trainmodel").tags()
    assert "flood" in provider.algorithm("mapmultihazard").tags()


def test_expert_parameters_are_under_advanced_and_defaults_are_real(provider):
    for a in _algorithms(provider):
        basic = []
        for d in a.parameterDefinitions():
            desc = d.description()
            assert "(optional)" not in desc.lower(), (a.id(), desc)  # QGIS adds [optional]
            assert "0: default" not in desc and "0: the model" not in desc, (a.id(), desc)
            if d.name() in COMMON_ADVANCED and not d.isDestination() and \
                    d.name() not in getattr(a, "BASIC", ()):  # its own main parameters
                assert d.flags() & compat.FLAG_ADVANCED, (a.id(), d.name())
            if not d.isDestination() and not d.flags() & compat.FLAG_ADVANCED:
                basic.append(d.name())
        assert len(basic) <= 15, (a.id(), basic)
    train = provider.algorithm("trainmodel")
    trees = train.parameterDefinition("TREES")
    assert trees.defaultValue() is None and "500" in trees.description() and \
        "300" in trees.description()
    assert "0.1" in train.parameterDefinition("LEARNING_RATE").description()


WIDGET_CHECK = """
import os, sys
sys.path.insert(0, {plugins!r}); sys.path.append("/usr/share/qgis/python/plugins")
from qgis.core import QgsApplication, QgsProcessingContext
app = QgsApplication([], True); app.initQgis()
from processing.core.Processing import Processing; Processing.initialize()
from hazard_susceptibility.provider import HazardSusceptibilityPlugin
plugin = HazardSusceptibilityPlugin(None); plugin.initProcessing()
from processing.gui.AlgorithmDialog import AlgorithmDialog
for name in ("trainmodel", "mahalanobisabsences", "trainhnn"):
    alg = QgsApplication.processingRegistry().createAlgorithmById("hazard:" + name)
    dialog = AlgorithmDialog(alg)
    print(name, dialog.mainWidget().wrappers["SEED"].parameterValue())
os._exit(0)
"""


def test_the_seed_widget_shows_its_default(provider):
    """The seed's dialog widget had shown -2,147,483,648 (an integer spin box cannot hold the
    maximum 2^32 - 1) and a Run would have sent that. The dialog is built in its own QGIS
    (with a GUI), as the desktop builds it, and asked for the values a Run would send."""
    import subprocess
    import sys

    from tests.conftest import ROOT
    code = WIDGET_CHECK.format(plugins=os.path.join(ROOT, ".build", "plugins"))
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, env=dict(os.environ, QT_QPA_PLATFORM="offscreen"))
    lines = [x for x in res.stdout.splitlines() if x.split()[:1] and
             x.split()[0] in ("trainmodel", "mahalanobisabsences", "trainhnn")]
    assert len(lines) == 3, res.stdout[-2000:] + res.stderr[-2000:]
    assert all(float(x.split()[1]) == 42 for x in lines), lines
    for a in provider.algorithms():  # no integer widget asked to go past what it can hold
        for d in a.parameterDefinitions():
            if d.type() == "number" and d.dataType() == compat.NUMBER_INTEGER:
                assert not 2 ** 31 - 1 < d.maximum() < 1e300, (a.id(), d.name())  # unset: max
