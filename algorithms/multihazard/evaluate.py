"""hazard:evaluatemultihazard: Jaccard agreement, MH density and zonal uncertainty (FL-MHSM
study)."""

import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterRasterLayer)

from ...core.io.raster import AlignedStack, Band, Grid
from ...core.multihazard import evaluation as mh_eval
from ...core.multihazard.report import evaluation_report
from .. import compat
from ...core.io.zonal import geometries_from_wkb, point_coordinates
from ..base import HazardAlgorithm, raster_path, source_geometries
from .common import add_zone_parameters, zone_band
from ..report_common import hazard_xy
from .. import params as P
from ...core.util import tempfiles

MAPS = [(getattr(P, f"MAP_{m.upper()}_{h.upper()}"), m, h) for m in ("moe", "lf", "ef")
        for h in ("flood", "landslide")]
NAMES = {"moe": "Mixture of Experts", "lf": "Late Fusion", "ef": "Early Fusion"}


class EvaluateMultiHazard(HazardAlgorithm):
    NAME = "evaluatemultihazard"
    DISPLAY = "Multi-hazard evaluation report"
    GROUP = "multihazard"
    REQUIRES = ("kmeans1d", "matplotlib")
    # the held-out scores' background and its seed: defaults that serve
    ADVANCED = (P.BACKGROUND, P.SEED)
    HELP = (
        "Compares the maps of 'Map multi-hazard susceptibility' as the FL-MHSM study does:<br>"
        "<b>Spatial agreement</b>: for each hazard and each pair of models given, the Jaccard "
        "index |A &cap; B| / |A &cup; B| of their high + very high masks (levels 4 and 5 of "
        "5 natural-breaks classes of each map; breaks from a seeded sample).<br>"
        "<b>MH density</b>: the % of each inventory's points (polygons: their pixels) in each "
        "of the 25 bivariate cells, as heatmaps (flood level down, landslide level across).<br>"
        "<b>Share of area and of inventory per level</b>: for each map with its hazard's "
        "inventory, the % of the area and the % of the inventory's points in each of the 5 "
        "natural-breaks levels (a saturated map shows as much area in its high levels).<br>"
        "<b>Zonal uncertainty</b>: mean joint log-uncertainty and mean inter-hazard correlation "
        "per contextual zone (the FL-MHSM study, table 6), and the zonal mean of every map "
        "given.<br>"
        "<b>Held-out scores</b>: with the held-out presences of 'Prepare multi-hazard "
        "samples', each map's AUC on them against random background pixels of the map "
        "(seeded, the same for every map), with a 95 % bootstrap interval: unlike the "
        "training report's test AUCs, no sampler's absences enter it.<br>"
        "Each part runs when its inputs are given. Outputs: an HTML report and CSV tables.")

    def initAlgorithm(self, config=None):
        for key, m, h in MAPS:
            self.addParameter(QgsProcessingParameterRasterLayer(
                key, self.tr(f"{h.capitalize()} susceptibility ({NAMES[m]})"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.BIVARIATE, self.tr("Bivariate classes"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.FLOODS, self.tr("Flood inventory"), [compat.TYPE_VECTOR_POINT,
                                                   compat.TYPE_VECTOR_POLYGON], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.LANDSLIDES, self.tr("Landslide inventory"), [compat.TYPE_VECTOR_POINT,
                                                           compat.TYPE_VECTOR_POLYGON],
            optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.UNCERTAINTY, self.tr("Joint log-uncertainty"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.CORRELATION, self.tr("Inter-hazard correlation"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.HELD_OUT, self.tr("Held-out presences (field hazard: flood or landslide)"),
            [compat.TYPE_VECTOR_POINT], optional=True))
        self.add_number(P.BACKGROUND, "Random background pixels (held-out scores)", 10_000,
                        minValue=100, integer=True)
        add_zone_parameters(self, optional=True)
        self.add_break_sample_parameter()
        self.add_seed_parameter()
        self.add_report_outputs("Multi-hazard evaluation report")
        for key, text in ((P.OUTPUT_JACCARD_CSV, "Jaccard table (CSV)"),
                          (P.OUTPUT_DENSITY_CSV, "MH density table (CSV)"),
                          (P.OUTPUT_ZONAL_CSV, "Zonal means table (CSV)")):
            self.add_csv_output(text, key)

    def _path(self, parameters, key, context):
        lyr = self.parameterAsRasterLayer(parameters, key, context)
        return raster_path(lyr, key) if lyr is not None else None

    def _held_out(self, parameters, context, on):
        """{hazard: (x, y)} of the held-out presences on the grid of the raster ``on``, or
        None when none are given."""
        src = self.parameterAsSource(parameters, P.HELD_OUT, context)
        if src is None:
            return None
        if src.fields().indexOf("hazard") < 0:
            raise QgsProcessingException("The held-out layer lacks the field 'hazard': use "
                                         "the held-out output of 'Prepare multi-hazard "
                                         "samples' [HELD_OUT].")
        crs = QgsCoordinateReferenceSystem.fromWkt(Grid.from_path(on).crs_wkt)
        wkbs, feats = source_geometries(src, P.HELD_OUT, crs, context)
        xy = point_coordinates(geometries_from_wkb(wkbs, "point"))
        hz = np.array([str(f["hazard"]) for f in feats])
        held = {h: (xy[hz == h, 0], xy[hz == h, 1]) for h in ("flood", "landslide")
                if (hz == h).any()}
        if not held:
            raise QgsProcessingException("The held-out layer holds no flood or landslide "
                                         "presence [HELD_OUT].")
        return held

    def compute(self, parameters, context, feedback, fb):
        maps = {}
        for key, m, h in MAPS:
            p = self._path(parameters, key, context)
            if p:
                maps.setdefault(m, {})[h] = p
        biv = self._path(parameters, P.BIVARIATE, context)
        extra = {k: self._path(parameters, key, context) for k, key in (
            ("logdet", P.UNCERTAINTY), ("rho", P.CORRELATION))}
        extra = {k: v for k, v in extra.items() if v}
        inv = {}
        on = biv or next((p for d in maps.values() for p in d.values()), None)
        if on:  # the inventories serve the MH density and the share per level of each map
            with AlignedStack([Band(on, 1, "grid", True)], Grid.from_path(on)) as st:
                for key, name in ((P.FLOODS, "flood"), (P.LANDSLIDES, "landslide")):
                    xy = hazard_xy(self, parameters, key, context, st, feedback)
                    if xy is not None:
                        inv[f"{name} inventory"] = xy
        held = self._held_out(parameters, context, on) if on else None
        if not biv and inv:
            feedback.pushWarning("MH density needs the bivariate classes [BIVARIATE].")
        with tempfiles.workdir("hazard_mheval_") as tmp:
            first = next(iter([*extra.values()] + [p for d in maps.values()
                                                   for p in d.values()]), None)
            zones = (None, None)
            if first:
                zones = zone_band(self, parameters, context, Grid.from_path(first), tmp,
                                  feedback=feedback)
            ev = mh_eval.evaluate(
                maps, biv, inv, extra,
                zones if zones[0] is not None else None,
                self.parameterAsInt(parameters, P.BREAK_SAMPLE, context),
                self.seed(parameters, context), fb, held_out=held,
                n_background=self.parameterAsInt(parameters, P.BACKGROUND, context))
        for r in ev.held_out:
            feedback.pushInfo(f"held-out {r['hazard']} {r['model']}: AUC {r['auc']:.3f} "
                              f"({r['presences']} presences against {r['background']} "
                              f"background pixels)")
        for r in ev.jaccard:
            feedback.pushInfo(f"Jaccard {r['hazard']} {r['pair']}: {r['jaccard']:.3f}")
        out = {P.OUTPUT_HTML: evaluation_report(
            self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context), ev)}
        for key, rows in ((P.OUTPUT_JACCARD_CSV, ev.jaccard),
                          (P.OUTPUT_DENSITY_CSV, ev.density_rows()),
                          (P.OUTPUT_ZONAL_CSV, ev.zonal)):
            if rows:
                out.update(self.optional_csv(parameters, context, rows, key=key))
        return out
