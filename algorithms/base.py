"""The thin base class every algorithm derives from, and the glue shared by all of them:
reading factor rasters and vector geometries for the core, turning core errors into
messages a user can act on."""
import os

from qgis.core import (QgsCoordinateTransform, QgsMessageLog, QgsProcessingAlgorithm,
                       QgsProcessingException, QgsProcessingParameterEnum,
                       QgsProcessingParameterFileDestination,
                       QgsProcessingParameterMultipleLayers, QgsProcessingParameterNumber,
                       QgsProcessingParameterRasterLayer, QgsProcessingParameterString,
                       QgsRasterLayer)
from qgis.PyQt.QtCore import QCoreApplication
from qgis.PyQt.QtGui import QIcon

from ..core.io.outputs import rollback
from ..core.io.raster import RESAMPLINGS, bands_of
from ..core.util import deps, tempfiles
from ..core.util.errors import Cancelled, HazardError
from ..core.util.progress import Feedback
from ..core.util.signals import terminations
from . import checks, compat, guard, loading
from . import params as P

PLUGIN_DIR = os.path.dirname(os.path.dirname(__file__))
HELP_URL = "https://github.com/hazard-susceptibility/hazard_susceptibility#readme"

# toolbox groups in workflow order: QGIS sorts groups by name, so the number keeps the order
GROUPS = {
    "data": "1. Data preparation",
    "sampling": "2. Sampling",
    "modelling": "3. Modelling",
    "mapping": "4. Mapping",
    "reports": "5. Evaluation and reports",
    "hnn": "6. Slope units: Hierarchical NN",
    "multihazard": "7. Multi-hazard",
    "workflows": "8. Workflows",
    "setup": "9. Set-up",
}

#: search words of every algorithm of a group (the toolbox search finds them)
GROUP_TAGS = {
    "data": "raster,align,resample,slope units,zonal statistics,sample data",
    "sampling": "absence,non-landslide,negative samples,pseudo-absence,presence,inventory",
    "modelling": "random forest,xgboost,logistic regression,glm,machine learning,train,shap",
    "mapping": "predict,susceptibility map,probability,classes,natural breaks",
    "reports": "evaluation,roc,auc,kappa,scai,frequency ratio,vif,geodetector,validation",
    "hnn": "neural network,slope unit,landslide size,area,deep learning",
    "multihazard": "flood,multi-hazard,fusion,mixture of experts,bivariate,uncertainty",
    "workflows": "model,graphical modeler,chain,pipeline",
    "setup": "install,pip,dependencies,packages",
}

#: expert parameters, under Advanced in every dialog that has them
COMMON_ADVANCED = {P.RESAMPLING, P.REFERENCE, P.WORKERS, P.DASK_SCHEDULER, P.SHAP_SAMPLE,
                   P.BREAK_SAMPLE, P.OVERLAP, P.ALLOW_PINV, P.DOF, P.MAX_DEPTH, P.LEARNING_RATE,
                   P.BLOCK_SIZE, P.FOLDS, P.TEST_SHARE, P.SPLIT_FIELD, P.MIN_SAMPLES, P.MIN_VAL,
                   P.N_ITER, P.EF_EPOCHS, P.GATE_EPOCHS, P.PATIENCE, P.BATCH, P.RADIUS, P.NU,
                   P.SPACING, P.LR, P.L2, P.DROPOUT, P.VAL_SHARE, P.SEARCH_TRIALS,
                   P.SEARCH_REPEATS, P.MIN_MEMBERS, P.K_MAX, P.SAMPLE_SIZE, P.STRATIFICATION,
                   P.R_MAX, P.FIND_LINKS}

RESAMPLING = list(RESAMPLINGS)  # the enum's options, in its order


MAX_SEED = 2 ** 32 - 1  # numpy's seeds (and scikit-learn's random_state) stop here


class HazardAlgorithm(QgsProcessingAlgorithm):
    """Common behaviour: names, help, icon, dependency checks and error translation.

    Subclasses set ``NAME``, ``DISPLAY``, ``GROUP`` (a key of :data:`GROUPS`), ``HELP`` and
    ``REQUIRES`` (import names of optional packages), and implement ``initAlgorithm`` and
    ``compute(parameters, context, feedback, core_feedback)``.
    """

    NAME = ""
    DISPLAY = ""
    GROUP = "data"
    HELP = ""
    REQUIRES = ()
    TAGS = ""  # search words of this algorithm, comma-separated
    ADVANCED = ()  # names of its own expert parameters
    BASIC = ()  # names of COMMON_ADVANCED that are this algorithm's main parameters

    def tr(self, text):
        return QCoreApplication.translate("HazardSusceptibility", text)

    def createInstance(self):
        return type(self)()

    def name(self):
        return self.NAME

    def displayName(self):
        return self.tr(self.DISPLAY)

    def group(self):
        return self.tr(GROUPS[self.GROUP])

    def groupId(self):
        return self.GROUP

    def shortHelpString(self):
        return self.tr(self.HELP)

    def helpUrl(self):
        return HELP_URL

    def svgIconPath(self):  # noqa: N802
        path = os.path.join(PLUGIN_DIR, "icons", f"{self.GROUP}.svg")
        return path if os.path.exists(path) else os.path.join(PLUGIN_DIR, "icons",
                                                              "hazard.svg")

    def icon(self):
        return QIcon(self.svgIconPath())

    def tags(self):
        words = "hazard,susceptibility,landslide," + GROUP_TAGS.get(self.GROUP, "")
        return [self.tr(w) for w in (words + "," + self.TAGS).split(",") if w.strip()]

    def addParameter(self, parameter, createOutput=True):  # noqa: N802
        """Expert parameters (COMMON_ADVANCED, the algorithm's ADVANCED) go under Advanced;
        only those a run can do without (a default, or optional)."""
        if parameter.name() in (COMMON_ADVANCED - set(self.BASIC)) | set(self.ADVANCED) and not \
                parameter.isDestination() and (parameter.defaultValue() is not None or
                                               parameter.flags() & compat.FLAG_OPTIONAL):
            parameter.setFlags(parameter.flags() | compat.FLAG_ADVANCED)
        _set_decimals(parameter)
        return super().addParameter(parameter, createOutput)

    def missing_packages(self):
        return deps.missing(self.REQUIRES)

    def canExecute(self):
        missing = self.missing_packages()
        if missing:
            return False, self._missing_message(missing)
        return True, ""

    @staticmethod
    def _missing_message(missing):
        return deps.missing_message(missing)

    def processAlgorithm(self, parameters, context, feedback):
        missing = self.missing_packages()
        if missing:
            raise QgsProcessingException(self._missing_message(missing))
        self.feedback = feedback  # for the size estimate of factor_stack
        self.extra_outputs = []  # files written inside output folders (for provenance)
        checks.check_parameters(self, parameters, context)  # NaN, lists, multi-layer files
        self._check_geometry_types(parameters, context)
        parameters = self.resolve_destinations(parameters, context)
        before = set(context.layersToLoadOnCompletion())
        run, owner = loading.begin(loading.group_name(self.displayName())
                                   if self.GROUP == "workflows" else None, context, before)
        try:
            return self._process(parameters, context, feedback, before, run if owner else None)
        finally:
            if owner:
                loading.end()

    def _process(self, parameters, context, feedback, before, run):
        parameters = guard.protect_inputs(self, parameters, context)
        from qgis.core import QgsProcessingUtils
        tempfiles.set_base(QgsProcessingUtils.tempFolder())
        fb = Feedback(progress=feedback.setProgress if feedback else None,
                      is_cancelled=feedback.isCanceled if feedback else None,
                      log=feedback.pushInfo if feedback else None, start=0.0, end=100.0)
        try:
            with terminations(), rollback(guard.output_paths(self, parameters, context)):
                results = self.compute(parameters, context, feedback, fb)
            guard.forget_unwritten(context, before)
            if run is not None:  # the outermost run: every layer it loads, placed
                loading.apply(context, run, before)
            self._provenance(parameters, context, results)
            return results
        except Cancelled:
            raise QgsProcessingException(self.tr("Cancelled: no output was written."))
        except HazardError as exc:
            where = f" [{exc.input_name}]" if getattr(exc, "input_name", None) else ""
            raise QgsProcessingException(f"{exc}{where}")

    def compute(self, parameters, context, feedback, fb):
        raise NotImplementedError

    def resolve_destinations(self, parameters, context):
        """The parameters with every destination left TEMPORARY_OUTPUT replaced, once per run,
        by a concrete file in the Processing temporary folder, keeping the output definition
        (open after running, layer name, options).

        QGIS invents a new temporary name at each parameterAsOutputLayer call on
        TEMPORARY_OUTPUT and registers each for loading: the guards' calls before compute()
        registered files never written, and the dialog reported "The following layers were not
        correctly generated". A feature sink gets a GeoPackage instead of a memory layer, so a
        later step, a report or qgis_process can read it as a file."""
        params = dict(parameters)
        for d in self.destinationParameterDefinitions():
            value = params.get(d.name())
            if value is None or not guard.is_temporary(value):
                continue
            params[d.name()] = guard.with_sink(value, self.temporary_destination(
                d, parameters, context))
        return params

    def temporary_destination(self, definition, parameters, context):
        """The file (or folder) a destination left TEMPORARY_OUTPUT is written to."""
        from qgis.core import QgsProcessingUtils
        ext = definition.defaultFileExtension() if hasattr(definition,
                                                           "defaultFileExtension") else ""
        return QgsProcessingUtils.generateTempFilename(output_file_name(definition, ext))

    def _check_geometry_types(self, parameters, context):
        """Refuse a vector layer whose geometry type its parameter does not accept (QGIS does
        not check it for layers given as file paths)."""
        from qgis.core import QgsProcessingParameterFeatureSource
        wanted = {int(compat.TYPE_VECTOR_POINT): compat.GEOM_POINT,
                  int(compat.TYPE_VECTOR_POLYGON): compat.GEOM_POLYGON,
                  int(compat.TYPE_VECTOR_LINE): compat.GEOM_LINE}
        for d in self.parameterDefinitions():
            if not isinstance(d, QgsProcessingParameterFeatureSource) or \
                    parameters.get(d.name()) is None:
                continue
            types = [int(t) for t in d.dataTypes()]
            if not types or any(t not in wanted for t in types):
                continue  # any geometry accepted
            src = self.parameterAsSource(parameters, d.name(), context)
            if src is None:
                continue
            gtype = compat.geometry_type(src.wkbType())
            if gtype not in [wanted[t] for t in types]:
                names = {compat.GEOM_POINT: "points", compat.GEOM_LINE: "lines",
                         compat.GEOM_POLYGON: "polygons"}
                accepted = " or ".join(names[wanted[t]] for t in types)
                raise QgsProcessingException(
                    f"{d.description()} must hold {accepted}; the layer given holds "
                    f"{names.get(gtype, 'no geometry')} [{d.name()}].")

    def _provenance(self, parameters, context, results):
        """JSON sidecars beside the file outputs: how they were made (core.provenance)."""
        from ..core.util import provenance
        plain, inputs, defaults = {}, [], []
        for d in self.parameterDefinitions():
            name = d.name()
            if d.isDestination():
                continue
            given = parameters.get(name)
            if given is None or given == "":
                given = d.defaultValue()  # what the run used for a parameter left out
                if given is None:
                    continue
                defaults.append(name)
            value = _absolute(guard.plain(given, context))
            plain[name] = value
            for v in value if isinstance(value, list) else [value]:
                inputs.append(v)
        if getattr(self, "seed_used", None) is not None:
            plain[P.SEED] = self.seed_used
        outputs = list(self.extra_outputs)  # files inside an output folder
        for v in (results or {}).values():
            outputs.extend(v if isinstance(v, list) else [v])
        try:
            provenance.write(self.id(), plain, inputs, outputs,
                             {"defaults_used": defaults})
        except OSError as exc:  # a read-only folder must not fail the run
            QgsMessageLog.logMessage(f"No provenance written: {exc}", "Hazard susceptibility")

    # -- shared parameters ----------------------------------------------------------------
    def add_number(self, key, text, default=None, integer=False, optional=False, **bounds):
        """The number parameter ``key`` described by ``text``: a double, or an integer when
        ``integer``; ``bounds``: minValue, maxValue."""
        return self.addParameter(QgsProcessingParameterNumber(
            key, self.tr(text), compat.NUMBER_INTEGER if integer else compat.NUMBER_DOUBLE,
            default, optional, **bounds))

    def add_seed_parameter(self, text="Random seed"):
        """The seed every random step of the algorithm takes (42 by default), 0 .. 2^32 - 1."""
        # a whole number shown without decimals: an integer parameter stops at 2^31 - 1 and
        # its dialog widget showed -2,147,483,648 for a maximum of 2^32 - 1
        p = QgsProcessingParameterNumber(P.SEED, self.tr(text), compat.NUMBER_DOUBLE, 42,
                                         minValue=0, maxValue=MAX_SEED)
        p.setMetadata({"widget_wrapper": {"decimals": 0}})
        self.addParameter(p)

    def seed(self, parameters, context):
        """The seed as given: read as a number, since QGIS's integers stop at 2^31 - 1 and
        larger seeds would all become the same one."""
        v = self.parameterAsDouble(parameters, P.SEED, context)
        if not 0 <= v <= MAX_SEED or v != int(v):
            raise QgsProcessingException(f"The seed {v:g} is not a whole number from 0 to "
                                         f"{MAX_SEED} [SEED].")
        self.seed_used = int(v)  # recorded in the provenance
        return int(v)

    def add_report_outputs(self, html, csv=None, optional=False):
        """The HTML report OUTPUT_HTML titled ``html`` (``optional``: it may be left out) and,
        with ``csv``, the optional table OUTPUT_CSV titled so."""
        self.addParameter(QgsProcessingParameterFileDestination(
            P.OUTPUT_HTML, self.tr(html), self.tr("HTML files (*.html)"), optional=optional))
        if csv:
            self.add_csv_output(csv)

    def add_csv_output(self, text, key=P.OUTPUT_CSV):
        """An optional CSV table output ``key`` titled ``text`` (see :meth:`optional_csv`)."""
        self.addParameter(QgsProcessingParameterFileDestination(
            key, self.tr(text), self.tr("CSV files (*.csv)"), optional=True))

    def optional_report(self, parameters, context, write, *args, **kwargs):
        """{OUTPUT_HTML: path} with the report ``write(path, *args, **kwargs)`` (returning its
        path) written when the optional OUTPUT_HTML is set, else {}."""
        path = self.parameterAsFileOutput(parameters, P.OUTPUT_HTML, context)
        return {P.OUTPUT_HTML: write(path, *args, **kwargs)} if path else {}

    def optional_csv(self, parameters, context, rows, columns=None, key=P.OUTPUT_CSV):
        """{key: path} with the rows written when the optional CSV output ``key`` is set."""
        from ..core.util.report import write_csv
        path = self.parameterAsFileOutput(parameters, key, context)
        return {key: write_csv(path, rows, columns)} if path else {}

    def add_parallel_parameters(self):
        """Local worker threads and an optional Dask scheduler (advanced parameters)."""
        for p in (QgsProcessingParameterNumber(
                P.WORKERS, self.tr("Local worker threads (0: one per CPU)"),
                compat.NUMBER_INTEGER, 0, minValue=0),
                QgsProcessingParameterString(
                    P.DASK_SCHEDULER, self.tr("Dask scheduler address (empty: this machine)"),
                    optional=True)):
            p.setFlags(p.flags() | compat.FLAG_ADVANCED)
            self.addParameter(p)

    def parallel(self, parameters, context):
        """(worker threads, Dask scheduler address or None)."""
        workers = self.parameterAsInt(parameters, P.WORKERS, context) or (os.cpu_count() or 1)
        address = (self.parameterAsString(parameters, P.DASK_SCHEDULER, context)
                   or "").strip() or None
        return workers, address

    def add_break_sample_parameter(self):
        """BREAK_SAMPLE: the values sampled for natural breaks (core.stats.breaks.BreakSample)."""
        self.add_number(P.BREAK_SAMPLE, "Values sampled for the natural breaks", 1_000_000,
                        minValue=1000, integer=True)

    def add_factor_parameters(self, optional=False, grid=True, categorical=True,
                              text="Continuous factor rasters"):
        """The factor rasters, declared here for every algorithm (and read by
        :meth:`factor_bands`): FACTORS, CATEGORICAL unless ``categorical`` is False, and with
        ``grid`` the REFERENCE grid and the RESAMPLING of continuous factors."""
        self.addParameter(QgsProcessingParameterMultipleLayers(
            P.FACTORS, self.tr(text), compat.TYPE_RASTER, optional=optional))
        if categorical:
            self.addParameter(QgsProcessingParameterMultipleLayers(
                P.CATEGORICAL, self.tr("Categorical factor rasters (resampled by nearest "
                                       "neighbour)"), compat.TYPE_RASTER, optional=True))
        if grid:
            self.addParameter(QgsProcessingParameterRasterLayer(
                P.REFERENCE, self.tr("Reference grid (default: the first continuous factor)"),
                optional=True))
            self.addParameter(QgsProcessingParameterEnum(
                P.RESAMPLING, self.tr("Resampling of continuous factors"), RESAMPLING,
                defaultValue=0))

    def factor_bands(self, parameters, context, first=()):
        """Every band of the factor rasters given (FACTORS, then CATEGORICAL); ``first`` are
        (layer, key, categorical) put before them (e.g. a slope raster)."""
        bands = []
        for layer, key, categorical in first:
            bands.extend(bands_of(raster_path(layer, key), layer.name(), categorical))
        for key, categorical in ((P.FACTORS, False), (P.CATEGORICAL, True)):
            for layer in self.parameterAsLayerList(parameters, key, context) or []:
                bands.extend(bands_of(raster_path(layer, key), layer.name(), categorical))
        return bands

    def factor_stack(self, parameters, context, first=()):
        """An :class:`AlignedStack` of :meth:`factor_bands` on the reference grid."""
        from ..core.io.raster import AlignedStack, Grid
        bands = self.factor_bands(parameters, context, first)
        if not bands:
            raise QgsProcessingException(self.tr("Give at least one factor raster [FACTORS]."))
        ref = self.parameterAsRasterLayer(parameters, P.REFERENCE, context)
        if ref is not None:
            grid = Grid.from_path(raster_path(ref, P.REFERENCE))
        else:
            grid = Grid.from_path(bands[0].path)
        if not grid.crs_wkt:
            name = ref.name() if ref is not None else bands[0].layer_name
            raise QgsProcessingException(
                f"Raster '{name}' (the reference grid) has no coordinate reference system: "
                f"assign one (Layer Properties > Source) or give another reference grid "
                f"[{P.REFERENCE if ref is not None else name}].")
        resampling = RESAMPLING[self.parameterAsEnum(parameters, P.RESAMPLING, context)]
        stack = AlignedStack(bands, grid, resampling)
        feedback = getattr(self, "feedback", None)
        estimate = stack.read_estimate() if feedback is not None else None
        if estimate:
            feedback.pushWarning(estimate)
        return stack


def output_file_name(definition, ext):
    """The file name of an output written where the run chooses: its name, lower case, with
    the extension ``ext`` (none for a folder)."""
    return definition.name().lower() + (f".{ext}" if ext else "")


def decimals_for(parameter):
    """The decimals a number widget shows: enough for the default (0.0001: 4), at least 2 for
    values under 100 (shares, ratios: 0.30, 1.00), 1 above (2000.0), 3 for a value up to 1
    that may be below 0.01 (a significance level: 0.050); QGIS's widget shows 6
    ("0.300000", "2000.000000") when not told."""
    default = parameter.defaultValue()
    needed = 0
    if isinstance(default, (int, float)):
        text = f"{float(default):.6f}".rstrip("0")
        needed = len(text.split(".")[1]) if "." in text else 0
    floor = 2 if not isinstance(default, (int, float)) or abs(default) < 100 else 1
    if parameter.maximum() <= 1 and parameter.minimum() < 0.01:
        floor = 3  # a significance level or a share that may be small: 0.001 can be typed
    return min(6, max(needed, floor))


def _set_decimals(parameter):
    from qgis.core import QgsProcessingParameterNumber
    if not isinstance(parameter, QgsProcessingParameterNumber) or \
            parameter.dataType() != compat.NUMBER_DOUBLE:
        return
    meta = dict(parameter.metadata())
    wrapper = dict(meta.get("widget_wrapper") or {})
    if "decimals" in wrapper:
        return
    wrapper["decimals"] = decimals_for(parameter)
    meta["widget_wrapper"] = wrapper
    parameter.setMetadata(meta)


def _absolute(value):
    """Paths (``a.gpkg|layername=x`` included) made absolute, so a provenance record still
    points at its inputs when read from another folder."""
    if isinstance(value, list):
        return [_absolute(v) for v in value]
    if isinstance(value, str) and value:
        path, sep, rest = value.partition("|")
        if os.path.exists(path):
            return os.path.abspath(path) + sep + rest
    return value


def source_name(alg, parameters, name, context):
    """Where a vector input comes from, for a report: its file (``a.gpkg|layername=x``), or
    "temporary layer 'name'" for a layer held in memory (a previous step's temporary output).

    Never parameterAsCompatibleSourceLayerPath for this: it writes a copy of any layer not
    already a plain file, and on QGIS 3.22 that copy dereferences the feedback it is given, so
    without one (the Python default) QGIS crashed (signal 11) on a temporary layer."""
    layer = alg.parameterAsVectorLayer(parameters, name, context)
    if layer is None:
        return ""
    if layer.providerType() == "memory":
        return f"temporary layer '{layer.name()}'"
    return _absolute(layer.source())


def raster_path(layer, param):
    """The GDAL dataset name of a raster layer, or a clear error."""
    if not isinstance(layer, QgsRasterLayer) or not layer.isValid():
        raise QgsProcessingException(f"The raster given for {param} could not be opened.")
    if layer.providerType() != "gdal":
        raise QgsProcessingException(
            f"Raster '{layer.name()}' [{param}] comes from the '{layer.providerType()}' "
            f"provider; save it as a GeoTIFF (Export > Save As) and use that file.")
    return layer.source()


def source_geometries(source, param, crs, context, feedback=None):
    """WKB of every feature of ``source`` in ``crs`` (None for null geometries), in order,
    together with the features (for their attributes). A multi-point feature gives one point
    per part, each with the feature's attributes (an inventory digitised as multi-points
    lists every point)."""
    if source is None:
        raise QgsProcessingException(f"The layer given for {param} could not be opened.")
    if not source.sourceCrs().isValid():
        raise QgsProcessingException(
            f"Layer [{param}] has no valid CRS: set its CRS (Layer Properties > Source).")
    xf = None
    if source.sourceCrs() != crs:
        xf = QgsCoordinateTransform(source.sourceCrs(), crs, context.transformContext())
        if feedback:
            feedback.pushInfo(f"{param}: reprojecting from {source.sourceCrs().authid()} to "
                              f"{crs.authid() or crs.description()}.")
    wkbs, feats, exploded = [], [], [0, 0]
    for f in source.getFeatures():
        g = f.geometry()
        if g is None or g.isNull() or g.isEmpty():
            wkbs.append(None)
            feats.append(f)
            continue
        if xf is not None:
            g.transform(xf)
        parts = [g]
        if g.isMultipart() and compat.geometry_type(g.wkbType()) == compat.GEOM_POINT:
            parts = g.asGeometryCollection()
            exploded[0] += 1
            exploded[1] += len(parts)
        for p in parts:
            wkbs.append(bytes(p.asWkb()))
            feats.append(f)
    if exploded[0] and feedback:
        feedback.pushInfo(f"{param}: {exploded[0]} multi-point feature(s) taken as "
                          f"{exploded[1]} points.")
    return wkbs, feats
