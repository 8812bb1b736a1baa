"""hazard:evaluatemultihazard: Jaccard agreement, MH density and zonal uncertainty (paper 002)."""
import shutil
import tempfile

import numpy as np
from qgis.core import (QgsProcessingException, QgsProcessingParameterFeatureSource,
                       QgsProcessingParameterFileDestination, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterLayer)

from ...core.multihazard import mapping as mh_map
from ...core.multihazard.blocks import LEVELS
from ...core.io.raster import AlignedStack, Band, Grid
from ...core.util.report import HtmlReport, figure, write_csv
from .. import compat
from ..base import HazardAlgorithm, raster_path
from .common import add_zone_parameters, zone_band
from ..report_common import hazard_xy
from ..styles import bivariate_colors

MAPS = [(f"MAP_{m.upper()}_{h.upper()}", m, h) for m in ("moe", "lf", "ef")
        for h in ("flood", "landslide")]
NAMES = {"moe": "Mixture of Experts", "lf": "Late Fusion", "ef": "Early Fusion"}


class EvaluateMultiHazard(HazardAlgorithm):
    NAME = "evaluatemultihazard"
    DISPLAY = "Multi-hazard evaluation report"
    GROUP = "multihazard"
    REQUIRES = ("kmeans1d", "matplotlib")
    HELP = (
        "Compares the maps of 'Map multi-hazard susceptibility' as paper 002 does:<br>"
        "<b>Spatial agreement</b>: for each hazard and each pair of models given, the Jaccard "
        "index |A &cap; B| / |A &cup; B| of their high + very high masks (levels 4 and 5 of "
        "5 natural-breaks classes of each map; breaks from a seeded sample).<br>"
        "<b>MH density</b>: the % of each inventory's points (polygons: their pixels) in each "
        "of the 25 bivariate cells, as heatmaps (flood level down, landslide level across).<br>"
        "<b>Zonal uncertainty</b>: mean joint log-uncertainty and mean inter-hazard correlation "
        "per contextual zone (paper 002, table 6), and the zonal mean of every map given.<br>"
        "Each part runs when its inputs are given. Outputs: an HTML report and CSV tables.")

    def initAlgorithm(self, config=None):
        for key, m, h in MAPS:
            self.addParameter(QgsProcessingParameterRasterLayer(
                key, self.tr(f"{h.capitalize()} susceptibility ({NAMES[m]})"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "BIVARIATE", self.tr("Bivariate classes"), optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "FLOODS", self.tr("Flood inventory"), [compat.TYPE_VECTOR_POINT,
                                                   compat.TYPE_VECTOR_POLYGON], optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            "LANDSLIDES", self.tr("Landslide inventory"), [compat.TYPE_VECTOR_POINT,
                                                           compat.TYPE_VECTOR_POLYGON],
            optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "UNCERTAINTY", self.tr("Joint log-uncertainty"), optional=True))
        self.addParameter(QgsProcessingParameterRasterLayer(
            "CORRELATION", self.tr("Inter-hazard correlation"), optional=True))
        add_zone_parameters(self, optional=True)
        self.addParameter(QgsProcessingParameterNumber(
            "BREAK_SAMPLE", self.tr("Values sampled for the natural breaks"),
            compat.NUMBER_INTEGER, 1_000_000, minValue=1000))
        self.addParameter(QgsProcessingParameterNumber(
            "SEED", self.tr("Random seed"), compat.NUMBER_INTEGER, 42, minValue=0))
        self.addParameter(QgsProcessingParameterFileDestination(
            "OUTPUT_HTML", self.tr("Multi-hazard evaluation report"),
            self.tr("HTML files (*.html)")))
        for key, text in (("OUTPUT_JACCARD_CSV", "Jaccard table (CSV)"),
                          ("OUTPUT_DENSITY_CSV", "MH density table (CSV)"),
                          ("OUTPUT_ZONAL_CSV", "Zonal means table (CSV)")):
            self.addParameter(QgsProcessingParameterFileDestination(
                key, self.tr(text), self.tr("CSV files (*.csv)"), optional=True))

    def _path(self, parameters, key, context):
        lyr = self.parameterAsRasterLayer(parameters, key, context)
        return raster_path(lyr, key) if lyr is not None else None

    def compute(self, parameters, context, feedback, fb):
        maps = {}
        for key, m, h in MAPS:
            p = self._path(parameters, key, context)
            if p:
                maps.setdefault(m, {})[h] = p
        biv = self._path(parameters, "BIVARIATE", context)
        extra = {k: self._path(parameters, key, context) for k, key in (
            ("logdet", "UNCERTAINTY"), ("rho", "CORRELATION"))}
        extra = {k: v for k, v in extra.items() if v}
        sample = self.parameterAsInt(parameters, "BREAK_SAMPLE", context)
        seed = self.parameterAsInt(parameters, "SEED", context)
        rep = HtmlReport("Multi-hazard evaluation")
        out, done = {}, False
        # spatial agreement
        if sum(1 for d in maps.values() if d) >= 2:
            rows = mh_map.jaccard_high(maps, sample, seed, fb.sub(0, 0.6))
            if rows:
                done = True
                rep.heading("Spatial agreement of the high + very high areas (Jaccard)")
                rep.table(rows, left=("hazard", "pair"))
                for r in rows:
                    feedback.pushInfo(f"Jaccard {r['hazard']} {r['pair']}: {r['jaccard']:.3f}")
                out.update(self._csv(parameters, context, "OUTPUT_JACCARD_CSV", rows))
        # MH density
        inv = {}
        if biv:
            with AlignedStack([Band(biv, 1, "bivariate", True)], Grid.from_path(biv)) as st:
                for key, name in (("FLOODS", "flood"), ("LANDSLIDES", "landslide")):
                    xy = hazard_xy(self, parameters, key, context, st, feedback)
                    if xy is not None:
                        inv[f"{name} inventory"] = xy
            if inv:
                inv["both inventories"] = tuple(np.concatenate([v[i] for v in inv.values()])
                                                for i in (0, 1))
                dens, n_on = mh_map.mh_density(biv, inv)
                done = True
                rep.heading("MH density: % of inventory points per bivariate cell")
                rep.add_figure(_heatmaps(dens, n_on), "MH density heatmaps")
                rows = [{"inventory": k, "cell": f"flood {LEVELS[i]} - landslide {LEVELS[j]}",
                         "code": 5 * i + j, "percent": float(d[i, j])}
                        for k, d in dens.items() for i in range(5) for j in range(5)]
                top = sorted((r for r in rows if r["inventory"] == "both inventories"),
                             key=lambda r: -r["percent"])[:5]
                rep.paragraph("Densest cells (both inventories): " + "; ".join(
                    f"{r['cell']} {r['percent']:.1f} %" for r in top))
                out.update(self._csv(parameters, context, "OUTPUT_DENSITY_CSV", rows))
        elif self.parameterAsSource(parameters, "FLOODS", context) is not None:
            feedback.pushWarning("MH density needs the bivariate classes [BIVARIATE].")
        # zonal means
        zonal_inputs = dict(extra, **{f"{m}_{h}": p for m, d in maps.items()
                                      for h, p in d.items()})
        tmp = tempfile.mkdtemp(prefix="hazard_mheval_")
        try:
            if zonal_inputs:
                grid = Grid.from_path(next(iter(zonal_inputs.values())))
                zb, codes = zone_band(self, parameters, context, grid, tmp)
                if zb is not None:
                    zpath = zb.path
                    if not Grid.from_path(zpath).same_as(grid):
                        from ...core.io.raster import write_stack
                        zpath = f"{tmp}/zones_aligned.tif"
                        with AlignedStack([zb], grid) as zs:
                            write_stack(zs, zpath)
                    rows = mh_map.zonal_means(zonal_inputs, zpath, codes, fb.sub(0.6, 1.0))
                    done = True
                    rep.heading("Zonal means (paper 002, table 6)")
                    cols = ["zone"] + [f"mean_{k}" for k in zonal_inputs]
                    rep.table(rows, cols, left=("zone",))
                    out.update(self._csv(parameters, context, "OUTPUT_ZONAL_CSV", rows))
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            raise QgsProcessingException(
                "Nothing to evaluate: give at least two models' maps of a hazard (Jaccard), the "
                "bivariate classes with an inventory (MH density), or maps with zones (zonal "
                "means).")
        html = self.parameterAsFileOutput(parameters, "OUTPUT_HTML", context)
        rep.write(html)
        out["OUTPUT_HTML"] = html
        return out

    def _csv(self, parameters, context, key, rows):
        path = self.parameterAsFileOutput(parameters, key, context)
        return {key: write_csv(path, rows)} if path else {}


def _heatmaps(dens, n_on):
    fig, _ = figure(4.2 * (len(dens) + 1), 4.0)
    fig.clf()
    k = len(dens) + 1
    ax = fig.add_subplot(1, k, 1)  # the legend of the bivariate palette
    cols = bivariate_colors()
    from matplotlib.colors import to_rgb
    ax.imshow(np.array([[to_rgb(cols[5 * i + j]) for j in range(5)] for i in range(5)]),
              origin="lower")
    ax.set_title("bivariate legend", fontsize=9)
    for i, (name, d) in enumerate(dens.items(), start=2):
        ax = fig.add_subplot(1, k, i)
        im = ax.imshow(d, origin="lower", cmap="magma_r")
        for a in range(5):
            for b in range(5):
                ax.text(b, a, f"{d[a, b]:.1f}", ha="center", va="center", fontsize=7,
                        color="white" if d[a, b] > d.max() * 0.6 else "black")
        ax.set_title(f"{name} (n = {n_on[name]})", fontsize=9)
        fig.colorbar(im, ax=ax, shrink=0.7, label="%")
    for ax in fig.axes:
        if ax.get_label() == "<colorbar>":
            continue
        ax.set_xticks(range(5))
        ax.set_xticklabels(LEVELS)
        ax.set_yticks(range(5))
        ax.set_yticklabels(LEVELS)
        ax.set_xlabel("landslide level")
        ax.set_ylabel("flood level")
    return fig
