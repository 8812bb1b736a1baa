"""What keeps a run from harming anything: outputs that would overwrite an input are refused
before anything is read, a layer written into an existing GeoPackage replaces only that layer,
and every vector write is checked and counted (a short write leaves nothing). The file work
underneath (swapping data sets in, the GeoPackage transaction, undoing a failed run's outputs)
is core.io.outputs'; a run stopped by SIGTERM or SIGINT unwinds like an error
(core.util.signals), so its temporary files and partial outputs go."""
import os

from qgis.core import (QgsProcessingException, QgsProcessingOutputLayerDefinition,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterVectorDestination, QgsVectorLayer)

from ..core.io.outputs import (PROVENANCE, copy_layer_in, file_destination, gpkg_layer_uri,
                               is_gpkg, output_problem, remove_dataset, replace_dataset,
                               same_file, split_source, unwritable)
from ..core.util.signals import Terminated
from . import compat


def plain(value, context):
    """A parameter value as plain JSON data: layers as their source, lists element-wise."""
    from qgis.core import QgsMapLayer, QgsProcessingFeatureSourceDefinition, QgsProperty
    if isinstance(value, (list, tuple)):
        return [plain(v, context) for v in value]
    if isinstance(value, QgsMapLayer):
        return value.source()
    if isinstance(value, QgsProcessingFeatureSourceDefinition):
        value = value.source
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        value = value.sink
    if isinstance(value, QgsProperty):
        return value.staticValue() if value.propertyType() == compat.PROPERTY_STATIC \
            else value.expressionString()
    if isinstance(value, (str, int, float, bool)) or value is None:
        if isinstance(value, str):
            lyr = context.getMapLayer(value) if hasattr(context, "getMapLayer") else None
            if lyr is not None and lyr.id() == value:
                return lyr.source()
        return value
    return str(value)


def _strings(value, context):
    v = plain(value, context)
    return [x for x in (v if isinstance(v, list) else [v]) if isinstance(x, str) and x]


def protect_inputs(alg, parameters, context):
    """Refuse outputs that would overwrite an input or each other, before anything is read;
    return the parameters with vector outputs into an existing GeoPackage set to replace only
    their own layer (named after the file, as QGIS names it).

    An output in an input's file is refused even when it names another layer of a GeoPackage:
    QGIS cannot add a layer to a GeoPackage it is reading (3.22: "Loading of layer failed"),
    and the analyst's input file stays as it was."""
    params = dict(parameters)
    inputs = []
    for d in alg.parameterDefinitions():
        if d.isDestination() or params.get(d.name()) is None:
            continue
        for s in _strings(params[d.name()], context):
            path, _ = split_source(s)
            if path and os.path.exists(path):
                inputs.append((d.name(), path))
    outputs, checks = [], []
    for d in alg.destinationParameterDefinitions():
        if params.get(d.name()) is None:
            continue
        vector = isinstance(d, (QgsProcessingParameterFeatureSink,
                                QgsProcessingParameterVectorDestination))
        if isinstance(d, QgsProcessingParameterFolderDestination):
            dest = alg.parameterAsFileOutput(params, d.name(), context)
        else:
            dest = alg.parameterAsOutputLayer(params, d.name(), context) if vector else \
                alg.parameterAsFileOutput(params, d.name(), context)
        if not dest or dest.startswith("memory:"):
            continue
        path, layer = split_source(dest)
        why = unwritable(path)
        if why:
            raise QgsProcessingException(
                f"The output {d.name()} cannot be written to {path}: {why}. Choose another "
                f"place for {d.name()} [{d.name()}].")
        checks.append((d, path))
        outputs.append((d.name(), path, layer))  # layer None: the whole file
        if vector and layer is None and is_gpkg(path) and os.path.isfile(path):
            # an existing GeoPackage that is not an input: keep its other layers
            params[d.name()] = _layer_destination(
                params[d.name()], path, os.path.splitext(os.path.basename(path))[0])
    for name, path, layer in outputs:
        for iname, ipath in inputs:
            if same_file(path, ipath):
                raise QgsProcessingException(
                    f"The output {name} would overwrite the input {iname} ({ipath}): choose "
                    f"another file for {name} [{name}].")
    for i, (name, path, layer) in enumerate(outputs):
        for other, opath, olayer in outputs[i + 1:]:
            if same_file(path, opath) and (layer is None or olayer is None or layer == olayer):
                raise QgsProcessingException(
                    f"The outputs {other} and {name} are the same file ({path}): give each its "
                    f"own [{other}].")
    from qgis.core import QgsProcessingParameterRasterDestination
    for d, path in checks:
        why = output_problem(path, d.name(), "folder" if isinstance(
            d, QgsProcessingParameterFolderDestination) else "raster" if isinstance(
            d, QgsProcessingParameterRasterDestination) else "file")
        if why:
            raise QgsProcessingException(why)
    return params


def output_paths(alg, parameters, context):
    """The file (or folder) path of every destination given, as the run will write it."""
    paths = []
    for d in alg.destinationParameterDefinitions():
        if parameters.get(d.name()) is None:
            continue
        try:
            dest = alg.parameterAsOutputLayer(parameters, d.name(), context) or \
                alg.parameterAsFileOutput(parameters, d.name(), context)
        except (QgsProcessingException, TypeError, ValueError):  # a value QGIS cannot read
            continue  # as a path: nothing of this destination to roll back
        if dest and not dest.startswith("memory:"):
            paths.append(split_source(dest)[0])
    return paths


TEMPORARY = "TEMPORARY_OUTPUT"


def _sink_text(value):
    """The destination text of a destination value (a string or an output definition with a
    static sink); None for an expression-based sink."""
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        sink = value.sink
        if sink.propertyType() != compat.PROPERTY_STATIC:
            return None
        return str(sink.staticValue() or "")
    return value if isinstance(value, str) else None


def is_temporary(value):
    return _sink_text(value) == TEMPORARY


def with_sink(value, dest):
    """``value`` (a string or an output definition) pointing at ``dest``, every other detail
    of the definition (project to load into, layer name, options) kept."""
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        out = QgsProcessingOutputLayerDefinition(value)
        out.sink.setStaticValue(dest)
        return out
    return dest


def forget_unwritten(context, before):
    """Drop from the layers to load on completion those this run registered and did not write
    (an optional output the method has not got, e.g. the trees' spread of a logistic
    regression), so that the dialog does not report them as "not correctly generated"."""
    layers = context.layersToLoadOnCompletion()
    keep = {}
    for key, details in layers.items():
        path = split_source(key)[0]
        if key in before or key.startswith("memory:") or not os.path.isabs(path) or \
                os.path.exists(path):
            keep[key] = details
    if len(keep) != len(layers):
        context.setLayersToLoadOnCompletion(keep)


def _layer_destination(value, path, layer):
    """``value`` (a string or an output definition) pointing at ``layer`` of ``path``."""
    uri = gpkg_layer_uri(path, layer)
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        out = QgsProcessingOutputLayerDefinition(value)
        out.sink.setStaticValue(uri)
        return out
    return uri


def _with_sink(value, path, layer=None):
    """``value`` (a string or an output definition) written to the file ``path`` instead,
    into a layer named ``layer`` (QGIS cannot parse a hidden file's name in an
    ``ogr:dbname=`` destination, so the layer name goes in the creation options)."""
    out = with_sink(value, path)
    if not isinstance(out, QgsProcessingOutputLayerDefinition):
        out = QgsProcessingOutputLayerDefinition(out)
    if layer is not None:
        opts = dict(out.createOptions or {})
        opts["layerName"] = layer
        out.createOptions = opts
    return out


class CheckedSink:
    """A feature sink whose every write is checked: ``add`` raises when a feature is refused,
    ``close`` flushes, reopens the output and counts its features.

    A file output is written to a hidden temporary file beside it (``.name.<pid>-<hex>
    .partial.ext``) and swapped in by ``close`` only when complete and counted: by renaming
    it, or, into a GeoPackage that exists (its other layers kept), by copying the layer in
    one SQLite transaction that replaces the old layer. A failed, cancelled or killed run
    therefore leaves the previous output as it was, and two runs on one output give one
    whole result (their swaps take the output's lock one after the other). Temporary files
    killed runs left beside the output are removed first. Memory layers and database
    destinations are written in place, as before."""

    def __init__(self, alg, parameters, key, context, fields, wkb, crs):
        self.key, self.context, self.count, self.no_geometry = key, context, 0, 0
        self.feedback = getattr(alg, "feedback", None)
        self.tmp = None
        has_loads = hasattr(context, "layersToLoadOnCompletion")
        loads = set(context.layersToLoadOnCompletion()) if has_loads else set()
        final = alg.parameterAsOutputLayer(parameters, key, context) or ""
        # what that call registered to load when the run ends (a destination with a project):
        # the layer loaded is the one swapped in, registered by _rekey
        self.registered = set(context.layersToLoadOnCompletion()) - loads if has_loads \
            else set()
        self.path, self.layer = split_source(final)
        self.named_layer = self.layer is not None  # results name the layer as given
        params = parameters
        if file_destination(final):
            from ..core.util import partial
            why = partial.name_too_long(self.path)
            if why:
                raise QgsProcessingException(f"The output {key} cannot be written to "
                                             f"{self.path}: {why} [{key}].")
            partial.remove_leftovers(self.path)
            self.tmp = partial.temp_path(self.path)
            if is_gpkg(self.path):
                self.layer = self.layer or os.path.splitext(os.path.basename(self.path))[0]
            elif self.layer is not None:  # a layer of another multi-layer format: in place
                self.tmp = None
            if self.tmp is not None:
                params = dict(parameters)
                params[key] = _with_sink(parameters.get(key), self.tmp, self.layer)
        self.sink, self.dest = alg.parameterAsSink(params, key, context, fields, wkb, crs)
        if self.sink is None:
            self._forget()
            raise QgsProcessingException(alg.invalidSinkError(parameters, key))

    def add(self, feature):
        g = feature.geometry() if feature.hasGeometry() else None
        if g is None or g.isNull() or g.isEmpty():
            self.no_geometry += 1
        if not self.sink.addFeature(feature, compat.FAST_INSERT):
            self._fail(self._error() or "a feature was refused")
        self.count += 1

    def _error(self):
        return self.sink.lastError() if hasattr(self.sink, "lastError") else ""

    def _fail(self, why):
        self.discard()
        raise QgsProcessingException(
            f"Writing {self.key} failed: {why}. Nothing was kept; check the free space and the "
            f"permissions of the output folder [{self.key}].")

    def close(self):
        """Flush, verify, swap in; returns the destination."""
        if not self.sink.flushBuffer():
            self._fail(self._error() or "the last features could not be written")
        self.sink = None  # the writer closes here
        found = self._count()
        if found < 0:
            self._fail("the file written could not be read back")
        if found != self.count:
            self._fail(f"{found} of {self.count} features are in the file")
        if self.no_geometry and self.feedback is not None:
            self.feedback.pushWarning(
                f"{self.key}: {self.no_geometry} of {self.count} features have no geometry "
                f"(NULL or empty); they are written with their attributes, and a map shows "
                f"them nowhere.")
        if self.tmp is None:
            return self.dest
        try:
            final = self._swap()
        except Terminated:
            self.discard()
            raise
        except Exception as exc:  # noqa: BLE001
            self.discard()
            raise QgsProcessingException(
                f"Writing {self.key} failed while replacing {self.path}: {exc}. The previous "
                f"output is as it was [{self.key}].")
        self._rekey(final)
        self.dest, self.tmp = final, None
        return final

    def _count(self):
        lyr = self.context.getMapLayer(self.dest) if hasattr(self.context, "getMapLayer") \
            else None
        if lyr is None:
            lyr = QgsVectorLayer(self.dest, "check", "ogr")
        n = lyr.featureCount() if lyr.isValid() else -1
        del lyr  # the file is closed before it is moved
        return n

    def _waiting(self):
        if not getattr(self, "_said", False) and self.feedback is not None:
            self.feedback.pushInfo(f"{self.key}: waiting for another run writing {self.path}.")
            self._said = True
        if self.feedback is not None and self.feedback.isCanceled():
            raise QgsProcessingException(f"Cancelled while waiting for another run writing "
                                         f"{self.path}: nothing was changed [{self.key}].")

    def _swap(self):
        """Put the counted temporary output in place (under the output's lock); returns the
        final destination."""
        from ..core.util import partial
        with partial.locked(self.path, self._waiting):
            if is_gpkg(self.path) and os.path.isfile(self.path):
                copy_layer_in(self.tmp, self.path, self.layer)
                remove_dataset(self.tmp)
            elif is_gpkg(self.path):
                partial.replace(self.tmp, self.path, stale=(PROVENANCE,))
            else:
                replace_dataset(self.tmp, self.path)
        if self.named_layer:
            return f"{self.path}|layername={self.layer}"
        return self.path

    def _rekey(self, final):
        """The layer QGIS loads when the run ends is the final output, not the temporary."""
        ctx = self.context
        if not hasattr(ctx, "willLoadLayerOnCompletion") or \
                not ctx.willLoadLayerOnCompletion(self.dest):
            return
        layers = ctx.layersToLoadOnCompletion()
        details = layers.pop(self.dest)
        for k in self.registered:
            if k != final:
                layers.pop(k, None)
        layers[final] = details
        ctx.setLayersToLoadOnCompletion(layers)

    def _forget(self):
        ctx = self.context
        dest = getattr(self, "dest", None)
        if dest and hasattr(ctx, "willLoadLayerOnCompletion") and \
                ctx.willLoadLayerOnCompletion(dest):
            layers = ctx.layersToLoadOnCompletion()
            layers.pop(dest, None)
            ctx.setLayersToLoadOnCompletion(layers)

    def discard(self):
        """Remove what this run wrote: its temporary file (the output is untouched), or, for
        an output written in place, the output."""
        self.sink = None
        if self.tmp is not None:
            self._forget()
            remove_dataset(self.tmp)
            self.tmp = None
            return
        path, layer = split_source(self.dest)
        if not os.path.isfile(path):
            return
        if layer is not None:
            return  # written in place into an existing multi-layer file: nothing is ours
        for p in (path, path + "-wal", path + "-shm", path + "-journal"):
            if os.path.exists(p):
                os.remove(p)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and (self.sink is not None or self.tmp is not None):
            self.discard()
        return False
