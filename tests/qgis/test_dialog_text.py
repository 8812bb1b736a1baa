"""What the dialogs say, in the analyst's words (issue 29): methods named by their authors and
year or their study, never by our file numbers ("paper 003"); [optional] only where a value can
really be left out; number widgets with sensible decimals; a missing package said once."""
import glob
import os
import re

import pytest

from tests.conftest import ROOT

FILE_NUMBER = re.compile(r"\bpapers? 00\d", re.I)


def _algorithms(provider):
    return sorted(provider.algorithms(), key=lambda a: a.name())


def test_no_help_names_a_paper_by_our_file_number(provider):
    for a in _algorithms(provider):
        texts = [a.shortHelpString(), a.displayName()]
        texts += [d.description() + " " + (d.help() or "") for d in a.parameterDefinitions()]
        for t in texts:
            assert not FILE_NUMBER.search(t or ""), (a.id(), FILE_NUMBER.search(t).group(0), t)


def test_the_readme_and_the_models_name_no_paper_by_number():
    for path in [os.path.join(ROOT, "README.md")] + glob.glob(os.path.join(ROOT, "models",
                                                                              "*.model3")):
        text = open(path, encoding="utf-8").read()
        hits = FILE_NUMBER.findall(text)
        assert not hits, (os.path.basename(path), hits)


def test_methods_are_named_by_authors_and_year(provider):
    help_of = {a.name(): a.shortHelpString() for a in _algorithms(provider)}
    assert "Aguilera et al. (2022)" in help_of["trainhnn"]
    assert "Li & Tian (2025" in help_of["multiratioabsences"]
    assert "FL-MHSM" in help_of["trainmultihazard"]
    assert "Rangamati" in help_of["mahalanobisabsences"]


# optional fields that keep a default because leaving them out is not an option the dialog
# could offer otherwise: the zone and class fields name the field an earlier step wrote
# (left for a later change; they were not part of issue 29's report)
OPTIONAL_WITH_DEFAULT = {"ZONE_FIELD", "CLASS_FIELD", "AREA_FIELD", "SLOPE_FACTOR", "ASPECT",
                         "RESPONSE_BAND"}


def test_optional_only_where_a_value_can_be_left_out(provider):
    """'Label field' was marked [optional] and had a default: the dialog offered to leave out
    a value that was then taken anyway."""
    from hazard_susceptibility.algorithms import compat
    for a in _algorithms(provider):
        for d in a.parameterDefinitions():
            if d.isDestination() or d.name() in OPTIONAL_WITH_DEFAULT:
                continue
            if d.flags() & compat.FLAG_OPTIONAL:
                assert d.defaultValue() in (None, "", []), (a.id(), d.name(),
                                                            d.defaultValue())


def test_label_fields_left_empty_still_keep_only_label_1(run, sample_area, tmp_path):
    """A labelled sample layer given as presences, its label field left empty: only its label
    1 are presences (as when 'label' was the default)."""
    folder, _ = sample_area
    s = run("hazard:bufferabsences", {
        "PRESENCES": str(folder / "landslide_points.gpkg"),
        "FACTORS": [str(folder / "factors" / "slope.tif")],
        "OUTPUT": str(tmp_path / "samples.gpkg")})
    from qgis.core import QgsVectorLayer
    n1 = sum(1 for f in QgsVectorLayer(s["OUTPUT"]).getFeatures() if f["label"] == 1)
    again = run("hazard:bufferabsences", {
        "PRESENCES": s["OUTPUT"], "FACTORS": [str(folder / "factors" / "slope.tif")],
        "OUTPUT": str(tmp_path / "again.gpkg")})
    n2 = sum(1 for f in QgsVectorLayer(again["OUTPUT"]).getFeatures() if f["label"] == 1)
    assert n2 == n1


def test_number_widgets_show_sensible_decimals(provider):
    from qgis.core import QgsProcessingParameterNumber

    from hazard_susceptibility.algorithms import compat
    seen = {}
    for a in _algorithms(provider):
        for d in a.parameterDefinitions():
            if not isinstance(d, QgsProcessingParameterNumber):
                continue
            dec = (d.metadata().get("widget_wrapper") or {}).get("decimals")
            if d.dataType() == compat.NUMBER_DOUBLE:
                assert dec is not None and 0 <= dec <= 6, (a.id(), d.name())
                default = d.defaultValue()
                if isinstance(default, (int, float)):
                    # the default shows exactly, without a tail of zeros past 2 decimals
                    shown = f"{float(default):.{dec}f}"
                    assert float(shown) == pytest.approx(float(default)), (a.id(), d.name())
                    floor = 3 if d.maximum() <= 1 else 2
                    assert dec <= max(floor, len(f"{float(default):g}".partition(".")[2])), (
                        a.id(), d.name(), dec)
                seen[(a.name(), d.name())] = dec
    assert seen[("workflowmahalanobis", "HOLDOUT")] == 2  # 0.30, not 0.300000
    assert seen[("workflowmahalanobis", "BLOCK_SIZE")] == 1  # 2000.0, not 2000.000000
    assert seen[("trainhnn", "L2")] == 4  # 0.0001


def test_a_workflow_missing_a_package_says_so_once_before_any_step(provider, monkeypatch,
                                                                   sample_area):
    """A step's missing package had stopped the workflow at that step, after the steps
    before it, its message repeated in the model's own error."""
    from qgis.core import QgsProject

    from hazard_susceptibility.algorithms.reports.evaluate_map import EvaluateMap
    from hazard_susceptibility.algorithms.workflows import workflow
    from tests.qgis.dialog_run import clear_project, run_like_dialog
    monkeypatch.setattr(workflow.HazardAlgorithm, "missing_packages",
                        lambda self: ["kmeans1d"] if "kmeans1d" in self.REQUIRES else [])
    assert "kmeans1d" in provider.algorithm("workflowmahalanobis").REQUIRES
    assert "kmeans1d" in EvaluateMap.REQUIRES
    ok, msg = provider.algorithm("workflowmahalanobis").canExecute()
    assert not ok and "kmeans1d" in msg
    folder, _ = sample_area
    clear_project()
    with pytest.raises(AssertionError) as err:
        run_like_dialog("hazard:workflowmahalanobis", {
            "INVENTORY": str(folder / "landslide_points.gpkg"),
            "FACTORS": [str(folder / "factors" / "slope.tif")]}, QgsProject.instance())
    log = str(err.value)
    assert log.count("This algorithm needs the Python package(s) kmeans1d") == 1, log
    assert "Error encountered while running" not in log, log
