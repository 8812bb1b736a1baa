"""hazard:geodetector: factor, interaction, risk and ecological detectors."""
import os

import numpy as np
from qgis.core import (QgsCoordinateReferenceSystem, QgsProcessingException,
                       QgsProcessingParameterBand, QgsProcessingParameterEnum,
                       QgsProcessingParameterFeatureSource, QgsProcessingParameterField,
                       QgsProcessingParameterFolderDestination, QgsProcessingParameterRasterLayer,
                       QgsProcessingParameterString)

from ...core.geodetector.report import write_outputs
from ...core.geodetector.run import (Options, categories, category_codes, detect_raster,
                                     detect_table, rename_zones)
from ...core.io.raster import AlignedStack, Band, Grid, sample_at, unique_names
from ...core.io.zonal import points_in_zones, zones_raster
from .. import compat
from ..vector_io import number, surface_points, zone_polygons
from ..base import HazardAlgorithm, raster_path
from .. import params as P
from ...core.util import tempfiles

METHODS = ["quantile", "natural"]


class GeoDetector(HazardAlgorithm):
    NAME = "geodetector"
    DISPLAY = "GeoDetector"
    GROUP = "reports"
    REQUIRES = ("scipy", "matplotlib")
    ADVANCED = (P.RESPONSE_BAND, P.CLASSES, P.ALPHA, P.TOP_N)
    TAGS = "q statistic,spatial stratified heterogeneity,factor detector,interaction"
    HELP = (
        "Explains what drives the spatial pattern of a response (a susceptibility map, a hazard "
        "density, any numeric variable) with the four detectors of GeoDetector (Wang et al. "
        "2010), as used in the FL-MHSM study (sections 4.7 and 6.6).<br><br>"
        "<b>Response</b>: a raster band (every pixel, or a seeded random sample of them), or a "
        "numeric field of a vector layer.<br>"
        "<b>Factors</b>: rasters (continuous, or categorical taken as they are) and, with a "
        "vector response, numeric fields of that layer; rasters are aligned to the response "
        "grid, or sampled at the features with a vector response.<br>"
        "<b>Zones</b> (optional): polygons with a zone field; the analysis runs once per zone.<br>"
        "<b>Strata</b>: continuous factors are cut into N classes by quantiles (default, 5) or "
        "natural breaks (Fisher-Jenks), with limits computed per zone from a seeded sample of "
        "at most 1,000,000 values.<br><br>"
        "<b>Outputs</b>: an HTML report (ranked bar chart of q, interaction heatmap, risk "
        "bars, and the conventions) and CSV tables: factor detector (q and p of every factor, "
        "ranked), interaction detector (q of every pair among the top N, with its type), risk "
        "detector (mean response per stratum of the top factor or of the factors you name, "
        "pairwise Welch t-tests, one-way ANOVA) and ecological detector (F test for every pair "
        "among the top N). Strata are named by the factors' own values (a categorical "
        "field's or raster's codes, e.g. soil types 1, 2, 3, 5, 7, or its text) and by class "
        "ranges for continuous factors.<br><br>"
        "<b>Size</b>: the memory a run needs is checked before it starts (a run that would "
        "not fit is refused, naming the parameter to change); on grids of 100 million pixels "
        "or more the time of its passes is said first.<br><br>"
        "<b>Conventions</b>: q = 1 - &Sigma; N<sub>h</sub>&sigma;<sub>h</sub>&sup2; / "
        "(N&sigma;&sup2;) with population variances; the p-value comes from the non-central F "
        "distribution with &lambda; computed with the sample variance of Y, as the R package "
        "geodetector does; a stratum with one member counts in q but has no variance, so its "
        "t-tests are NaN and it is left out of the ANOVA. A factor with a single stratum "
        "cannot be tested and is skipped with a message. Everything is computed from "
        "per-stratum sums, block by block, so whole rasters need no sampling.")

    def initAlgorithm(self, config=None):
        self.addParameter(QgsProcessingParameterRasterLayer(
            P.RESPONSE, self.tr("Response raster"), optional=True))
        self.addParameter(QgsProcessingParameterBand(
            P.RESPONSE_BAND, self.tr("Response band"), 1, P.RESPONSE, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.RESPONSE_VECTOR, self.tr("Response vector layer (instead of a raster)"),
            [compat.TYPE_VECTOR_ANY], optional=True))
        self.addParameter(QgsProcessingParameterField(
            P.RESPONSE_FIELD, self.tr("Response field"), parentLayerParameterName=P.RESPONSE_VECTOR,
            type=compat.FIELD_NUMERIC, optional=True))
        self.add_factor_parameters(optional=True, grid=False)  # on the response's grid
        self.addParameter(QgsProcessingParameterField(
            P.FACTOR_FIELDS, self.tr("Continuous factor fields (vector response)"),
            parentLayerParameterName=P.RESPONSE_VECTOR, type=compat.FIELD_NUMERIC,
            allowMultiple=True, optional=True))
        self.addParameter(QgsProcessingParameterField(
            P.CATEGORICAL_FIELDS, self.tr("Categorical factor fields (vector response)"),
            parentLayerParameterName=P.RESPONSE_VECTOR, type=compat.FIELD_ANY,
            allowMultiple=True, optional=True))
        self.addParameter(QgsProcessingParameterFeatureSource(
            P.ZONES, self.tr("Zones (run per zone)"), [compat.TYPE_VECTOR_POLYGON],
            optional=True))
        self.addParameter(QgsProcessingParameterField(
            P.ZONE_FIELD, self.tr("Zone field"), parentLayerParameterName=P.ZONES,
            optional=True))
        self.add_number(P.CLASSES, "Classes of continuous factors", 5, minValue=2, maxValue=50,
                        integer=True)
        self.addParameter(QgsProcessingParameterEnum(
            P.STRATIFICATION, self.tr("Stratification"), ["Quantiles", "Natural breaks (Jenks)"],
            defaultValue=0))
        self.add_number(P.SAMPLE_SIZE, "Pixels to sample (0: all)", 0, minValue=0, integer=True)
        self.add_seed_parameter()
        self.add_number(P.TOP_N, "Top factors for the interaction and ecological detectors", 5,
                        minValue=2, integer=True)
        self.addParameter(QgsProcessingParameterString(
            P.RISK_FACTORS, self.tr("Factors for the risk detector (comma-separated; default: "
                                    "the top one)"), optional=True))
        self.add_number(P.ALPHA, "Significance level", 0.05, minValue=1e-6, maxValue=0.5)
        self.add_report_outputs("GeoDetector report")
        self.addParameter(QgsProcessingParameterFolderDestination(
            P.OUTPUT_TABLES, self.tr("Folder for the CSV tables"), optional=True))

    def compute(self, parameters, context, feedback, fb):
        opts = Options(
            self.parameterAsInt(parameters, P.CLASSES, context),
            METHODS[self.parameterAsEnum(parameters, P.STRATIFICATION, context)],
            self.parameterAsInt(parameters, P.TOP_N, context),
            [s.strip() for s in (self.parameterAsString(parameters, P.RISK_FACTORS, context)
                                 or "").split(",") if s.strip()],
            self.parameterAsDouble(parameters, P.ALPHA, context), self.seed(parameters, context))
        zones_src = self.parameterAsSource(parameters, P.ZONES, context)
        zone_field = self.parameterAsString(parameters, P.ZONE_FIELD, context)
        if zones_src is not None and not zone_field:
            raise QgsProcessingException("Choose the zone field of the zone layer [ZONE_FIELD].")
        response = self.parameterAsRasterLayer(parameters, P.RESPONSE, context)
        vector = self.parameterAsSource(parameters, P.RESPONSE_VECTOR, context)
        if (response is None) == (vector is None):
            raise QgsProcessingException("Give either a response raster [RESPONSE] or a response "
                                         "vector layer with its field [RESPONSE_VECTOR].")
        with tempfiles.workdir("hazard_geodetector_") as td:
            if response is not None:
                results, label, note = self._raster(parameters, context, response,
                                                    zones_src, zone_field, td, opts, fb)
            else:
                results, label, note = self._vector(parameters, context, vector, zones_src,
                                                    zone_field, opts, fb)
        html = self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context)
        folder = self.parameterAsString(parameters, P.OUTPUT_TABLES, context) or None
        write_outputs(results, html, folder, label, opts.method, opts.classes, note,
                      zone_field or None)
        for zone, r in results.items():
            if r is None:
                feedback.pushWarning(f"Zone {zone}: skipped (too few samples or strata).")
                continue
            top = ", ".join(f"{f['factor']} (q={f['q']:.3f})" for f in r.factors[:opts.top_n])
            feedback.pushInfo(f"{'All data' if zone == 'all' else 'Zone ' + zone}: N={r.n}; "
                              f"top factors: {top}")
        out = {P.OUTPUT_HTML: html}
        if folder:
            out[P.OUTPUT_TABLES] = folder
        return out

    # -- raster response ------------------------------------------------------------------
    def _raster(self, parameters, context, response, zones_src, zone_field, td, opts, fb):
        band = self.parameterAsInt(parameters, P.RESPONSE_BAND, context) or 1
        rpath = raster_path(response, P.RESPONSE)
        grid = Grid.from_path(rpath)
        resp = Band(rpath, band, "response", layer_name=response.name())
        bands = [resp] + self.factor_bands(parameters, context)
        if len(bands) < 2:
            raise QgsProcessingException("Give at least one factor raster [FACTORS] or "
                                         "[CATEGORICAL].")
        unique_names(bands)
        zone_values, zone_index = None, None
        if zones_src is not None:
            crs = QgsCoordinateReferenceSystem.fromWkt(grid.crs_wkt)
            zgeoms, zvals = zone_polygons(self, parameters, context, crs, fb)
            zone_values = zones_raster(zgeoms, zvals, grid, os.path.join(td, "zones.tif"))
            bands.append(Band(os.path.join(td, "zones.tif"), 1, "zone", True, "zones"))
            zone_index = len(bands) - 1
        sample = self.parameterAsInt(parameters, P.SAMPLE_SIZE, context)
        results, total = detect_raster(bands, grid, zone_index, opts, sample, fb)
        fb.info(f"{total} complete pixels used" + (f" (a seeded sample of {sample})"
                                                   if sample else " (all of them)"))
        results = rename_zones(results, zone_values)
        note = f"; a seeded sample of {total} pixels" if sample else \
            f"; all {total} complete pixels"
        return results, f"{response.name()} (band {band})", note

    # -- vector response ------------------------------------------------------------------
    def _vector(self, parameters, context, vector, zones_src, zone_field, opts, fb):
        rfield = self.parameterAsString(parameters, P.RESPONSE_FIELD, context)
        if not rfield:
            raise QgsProcessingException("Choose the numeric response field [RESPONSE_FIELD].")
        cont = compat.parameter_as_fields(self, parameters, P.FACTOR_FIELDS, context) or []
        cats = compat.parameter_as_fields(self, parameters, P.CATEGORICAL_FIELDS, context) or []
        feats = list(vector.getFeatures())
        y = np.array([number(f[rfield]) for f in feats], float)
        cols, names, categorical, value_labels = [], [], [], {}
        for fname, is_cat in [(c, False) for c in cont] + [(c, True) for c in cats]:
            vals = [f[fname] for f in feats]
            if is_cat:  # strata by the field's own values: its codes, or its text
                labels, codes = category_codes(vals)
                if labels is not None:
                    value_labels[fname] = labels
                cols.append(codes)
            else:
                try:
                    cols.append(np.array([number(v, strict=True) for v in vals], float))
                except (TypeError, ValueError):
                    raise QgsProcessingException(f"Field '{fname}' is not numeric: list it "
                                                 f"among the categorical fields "
                                                 f"[FACTOR_FIELDS].")
            names.append(fname)
            categorical.append(is_cat)
        crs = vector.sourceCrs()
        xs, ys = surface_points(feats)
        bands = self.factor_bands(parameters, context)
        if bands:
            unique_names(bands)
            grid = Grid.from_path(bands[0].path)
            gcrs = QgsCoordinateReferenceSystem.fromWkt(grid.crs_wkt)
            gx, gy = surface_points(feats, gcrs, context, crs)
            with AlignedStack(bands, grid) as stack:
                vals = sample_at(stack, gx, gy, fb.sub(0, 0.2))
            for k, b in enumerate(bands):
                cols.append(vals[:, k])
                names.append(b.name)
                categorical.append(b.categorical)
        if not names:
            raise QgsProcessingException("Give at least one factor: fields [FACTOR_FIELDS] or "
                                         "rasters [FACTORS].")
        zones = None
        zone_values = None
        if zones_src is not None:
            zgeoms, zvals = zone_polygons(self, parameters, context, crs, fb)
            zone_values, zcodes = categories(zvals)
            hit = points_in_zones(xs, ys, zgeoms, list(zcodes + 1))
            zones = np.array([np.nan if h is None else h for h in hit], float)
        results, total, dropped = detect_table(y, np.column_stack(cols), names, categorical,
                                               zones, opts, fb.sub(0.2, 0.95), value_labels)
        if dropped:
            fb.info(f"{dropped} feature(s) without a response, a factor value or a zone were "
                    f"left out.")
        return rename_zones(results, zone_values), f"{rfield}", f"; {total} features"
