"""Cancellation and determinism across algorithms."""
import os
import time

import pytest


def _f(folder, names):
    return [str(folder / "factors" / f"{n}.tif") for n in names]


MH_FACTS = ["slope", "dist_river", "ndvi", "pga"]
_MH = {}


def _once(key, make):
    """The path ``make()`` returns, made on the first call for ``key`` only."""
    if key not in _MH:
        _MH[key] = make()
    return _MH[key]


def _mh_samples(folder):
    """Multi-hazard samples of the sample area (made once)."""
    def make():
        import processing
        out = str(folder.parent / "reliability_mh_samples.gpkg")
        processing.run("hazard:multihazardsamples", {
            "FLOODS": str(folder / "floods.gpkg"),
            "LANDSLIDES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, MH_FACTS),
            "ZONES": str(folder / "zones.gpkg"), "OUTPUT": out})
        return out
    return _once("samples", make)


def _rf_model(folder):
    """A small random forest on buffer-absence samples (made once)."""
    def make():
        import processing
        s = str(folder.parent / "reliability_rf_samples.gpkg")
        processing.run("hazard:bufferabsences", {
            "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, MH_FACTS),
            "OUTPUT": s})
        out = str(folder.parent / "reliability_rf.hsm")
        processing.run("hazard:trainmodel", {
            "SAMPLES": s, "FACTORS": _f(folder, MH_FACTS), "MODEL": 0, "TREES": 50,
            "OUTPUT_MODEL": out, "OUTPUT_HTML": str(folder.parent / "reliability_rf.html")})
        return out
    return _once("rf", make)


def _mh_bundle(folder):
    """A small multi-hazard bundle (few epochs; made once)."""
    def make():
        import processing
        out = str(folder.parent / "reliability_mh.mhz")
        processing.run("hazard:trainmultihazard", {
            "SAMPLES": _mh_samples(folder), "FACTORS": _f(folder, MH_FACTS), "N_ITER": 1,
            "EF_EPOCHS": 3, "GATE_EPOCHS": 3, "OUTPUT_MODEL": out,
            "OUTPUT_HTML": str(folder.parent / "reliability_mh.html")})
        return out
    return _once("bundle", make)


class CancelAt:
    """A feedback that cancels once progress passes ``at`` percent."""

    def __new__(cls, at):
        from qgis.core import QgsProcessingFeedback

        class F(QgsProcessingFeedback):
            def setProgress(self, p):  # noqa: N802
                super().setProgress(p)
                if p >= at and not self.isCanceled():
                    self.cancel()
        return F()


@pytest.mark.parametrize("alg,params,outputs", [
    ("hazard:mahalanobisabsences",
     lambda f, t: {"PRESENCES": str(f / "landslide_points.gpkg"),
                   "FACTORS": _f(f, ["slope", "ndvi", "twi"]), "RATIO": 1,
                   "OUTPUT": str(t / "m.gpkg"), "OUTPUT_D2": str(t / "d2.tif"),
                   "OUTPUT_MASK": str(t / "mask.tif")}, ["m.gpkg", "d2.tif", "mask.tif"]),
    ("hazard:alignfactors",
     lambda f, t: {"FACTORS": _f(f, ["slope", "ndvi", "rainfall"]),
                   "OUTPUT": str(t / "stack.tif")}, ["stack.tif"]),
    ("hazard:slopeunitstats",
     lambda f, t: {"SLOPE_UNITS": str(f / "slope_units.gpkg"),
                   "FACTORS": _f(f, ["slope", "ndvi"]), "OUTPUT": str(t / "su.gpkg")},
     ["su.gpkg"]),
    ("hazard:applymodel",
     lambda f, t: {"MODEL": str(_rf_model(f)), "FACTORS": _f(f, MH_FACTS), "WORKERS": 1,
                   "OUTPUT": str(t / "p.tif"), "OUTPUT_CLASSES": str(t / "c.tif")},
     ["p.tif", "c.tif"]),
    ("hazard:geodetector",
     lambda f, t: {"RESPONSE": str(f / "factors" / "slope.tif"),
                   "FACTORS": _f(f, ["ndvi", "twi", "pga", "dist_river"]), "TOP_N": 4,
                   "OUTPUT_HTML": str(t / "gd.html"), "OUTPUT_TABLES": str(t / "gd")},
     ["gd.html", "gd"]),
    ("hazard:trainmultihazard",  # TensorFlow in its worker process: the worker is stopped
     lambda f, t: {"SAMPLES": str(_mh_samples(f)), "FACTORS": _f(f, MH_FACTS),
                   "OUTPUT_MODEL": str(t / "m.mhz"), "OUTPUT_HTML": str(t / "m.html")},
     ["m.mhz", "m.html"]),
    ("hazard:mapmultihazard",
     lambda f, t: {"MODEL": str(_mh_bundle(f)), "FACTORS": _f(f, MH_FACTS),
                   "ZONES": str(f / "zones.gpkg"), "TILE_SIZE": 64, "OVERLAP": 8,
                   "OUTPUT_MOE_FLOOD": str(t / "moe.tif"),
                   "OUTPUT_BIVARIATE": str(t / "biv.tif")}, ["moe.tif", "biv.tif"]),
])
def test_cancelled_runs_stop_and_leave_no_output(provider, sample_area, tmp_path, alg, params,
                                                 outputs):
    import processing
    from qgis.core import QgsProcessingContext, QgsProcessingException, QgsProject
    folder, _ = sample_area
    if "multihazard" in alg:
        from hazard_susceptibility.core.util.deps import available
        if not (available("tensorflow") and available("xgboost")):
            pytest.skip("tensorflow or xgboost is not installed")
    p = params(folder, tmp_path)
    ctx = QgsProcessingContext()
    ctx.setProject(QgsProject.instance())
    t0 = time.time()
    with pytest.raises(QgsProcessingException, match="Cancelled"):
        processing.run(alg, p, context=ctx, feedback=CancelAt(20))
    ctx.temporaryLayerStore().removeAllMapLayers()
    assert time.time() - t0 < 30
    for o in outputs:
        assert not (tmp_path / o).exists(), o
    assert not [p for p in os.listdir(tmp_path) if ".partial" in p]


def test_same_seed_same_rasters_and_tables(run, sample_area, tmp_path):
    folder, _ = sample_area
    facts = _f(folder, ["slope", "ndvi", "pga", "twi"])
    outs = []
    for k in (1, 2):
        d = tmp_path / f"run{k}"
        d.mkdir()
        run("hazard:mahalanobisabsences", {
            "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": facts, "RATIO": 1,
            "SEED": 7, "OUTPUT": str(d / "s.gpkg"), "OUTPUT_D2": str(d / "d2.tif"),
            "OUTPUT_MASK": str(d / "mask.tif")})
        run("hazard:trainmodel", {"SAMPLES": str(d / "s.gpkg"), "FACTORS": facts, "MODEL": 0,
                                  "TREES": 50, "SEED": 7, "OUTPUT_MODEL": str(d / "m.hsm"),
                                  "OUTPUT_HTML": str(d / "m.html"),
                                  "OUTPUT_CSV": str(d / "m.csv")})
        run("hazard:applymodel", {"MODEL": str(d / "m.hsm"), "FACTORS": facts, "WORKERS": 2,
                                  "OUTPUT": str(d / "p.tif"),
                                  "OUTPUT_CLASSES": str(d / "c.tif")})
        outs.append(d)
    a, b = outs
    for name in ("d2.tif", "mask.tif", "p.tif", "c.tif"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
    assert (a / "m.csv").read_text() == (b / "m.csv").read_text()


def test_seeds_cover_numpys_range_and_beyond_it_are_refused(run, sample_area, tmp_path):
    """Seeds 0 .. 2^32 - 1 are used as given (QGIS's integers stop at 2^31 - 1: read as ints,
    2^31 and 2^32 - 1 became one seed); 2^32 and fractions are refused naming SEED."""
    from osgeo import ogr
    from qgis.core import QgsProcessingException
    folder, _ = sample_area

    def draw(seed):
        out = tmp_path / f"s{seed}.gpkg"
        run("hazard:bufferabsences", {
            "PRESENCES": str(folder / "landslide_points.gpkg"), "FACTORS": _f(folder, ["slope"]),
            "RATIO": 1.0, "SEED": seed, "OUTPUT": str(out)})
        ds = ogr.Open(str(out))  # held while its layer is read (OGR frees the layer with it)
        pts = sorted((f.GetGeometryRef().GetX(), f.GetGeometryRef().GetY())
                     for f in ds.GetLayer(0) if f["label"] == 0)
        ds = None
        return pts
    a, b, c = draw(2 ** 31 - 1), draw(2 ** 31), draw(2 ** 32 - 1)
    assert a != b and b != c and a != c
    assert draw(2 ** 31) == b  # and each is reproducible
    for seed in (2 ** 32, 1e20, 2.5):
        with pytest.raises(QgsProcessingException, match="SEED"):
            draw(seed)
