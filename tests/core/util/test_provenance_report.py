"""Provenance sidecars and the HTML/CSV report writers, checked against hashlib, csv and
metadata.txt."""
import csv
import hashlib
import json
import os

from hazard_susceptibility.core.util import provenance
from hazard_susceptibility.core.util.report import HtmlReport, figure, write_csv
from tests.conftest import ROOT


def test_sidecar_records_checksums_version_and_seed(tmp_path):
    src = tmp_path / "in.gpkg"
    src.write_bytes(b"some bytes" * 1000)
    out = tmp_path / "out.tif"
    out.write_bytes(b"x")
    sides = provenance.write("hazard:test", {"SEED": 7, "INPUT": f"{src}|layername=a"},
                             [f"{src}|layername=a", "not a file"], [str(out), None])
    assert sides == [str(out) + provenance.SUFFIX]
    rec = json.loads(open(sides[0], encoding="utf-8").read())
    assert rec["inputs_sha256"] == {str(src): hashlib.sha256(src.read_bytes()).hexdigest()}
    assert rec["seed"] == 7 and rec["algorithm"] == "hazard:test" and rec["output"] == str(out)
    with open(os.path.join(ROOT, "metadata.txt"), encoding="utf-8") as fh:
        version = [ln.split("=", 1)[1].strip() for ln in fh if ln.startswith("version=")][0]
    assert rec["plugin_version"] == version != "unknown"


def test_html_report_escapes_and_embeds_figures(tmp_path):
    rep = HtmlReport("Model <A&B>")
    rep.heading("Scores")
    rep.table([{"name": "AUC<1>", "value": 0.912345}, {"name": "n", "value": 42}])
    fig, ax = figure()
    ax.plot([0, 1], [0, 1])
    rep.add_figure(fig, alt="roc")
    path = rep.write(str(tmp_path / "r.html"))
    text = open(path, encoding="utf-8").read()
    assert "<title>Model &lt;A&amp;B&gt;</title>" in text and "AUC&lt;1&gt;" in text
    assert "0.912" in text and ">42<" in text
    assert 'alt="roc" src="data:image/png;base64,iVBOR' in text  # a PNG
    assert not [p for p in os.listdir(tmp_path) if p != "r.html"]  # nothing half-written left


def test_csv_round_trip(tmp_path):
    rows = [{"zone": 1, "q": 0.25, "extra": "dropped"}, {"zone": 2, "q": None}]
    write_csv(str(tmp_path / "t.csv"), rows, ["zone", "q"])
    with open(tmp_path / "t.csv", newline="", encoding="utf-8") as fh:
        back = list(csv.DictReader(fh))
    assert back == [{"zone": "1", "q": "0.25"}, {"zone": "2", "q": ""}]
