"""What keeps a run from harming anything: outputs that would overwrite an input are refused
before anything is read, a layer written into an existing GeoPackage replaces only that layer,
every vector write is checked and counted (a short write leaves nothing), and a run stopped by
SIGTERM or SIGINT unwinds like an error, so its temporary files and partial outputs go."""
import os
import re
import signal
import threading

from qgis.core import (QgsProcessingException, QgsProcessingOutputLayerDefinition,
                       QgsProcessingParameterFeatureSink, QgsProcessingParameterFolderDestination,
                       QgsProcessingParameterVectorDestination, QgsVectorLayer)

_DBNAME = re.compile(r"dbname='((?:[^']|'')*)'")
_TABLE = re.compile(r'table="((?:[^"]|"")*)"')


def split_source(text):
    """(file path, layer name or None) of a data source string: ``path``, ``path|layername=x``
    or ``ogr:dbname='path' table="x" (geom)``."""
    text = str(text or "")
    if text.startswith("ogr:"):
        db, table = _DBNAME.search(text), _TABLE.search(text)
        return (db.group(1).replace("''", "'") if db else text[4:],
                table.group(1).replace('""', '"') if table else None)
    parts = text.split("|")
    layer = None
    for p in parts[1:]:
        if p.startswith("layername="):
            layer = p[len("layername="):]
    return parts[0], layer


def _same_file(a, b):
    if os.path.exists(a) and os.path.exists(b):
        try:
            return os.path.samefile(a, b)  # links and hard links included
        except OSError:
            return False
    return os.path.realpath(a) == os.path.realpath(b)


def _is_gpkg(path):
    return path.lower().endswith(".gpkg")


def _strings(value, context):
    from .base import _plain
    v = _plain(value, context)
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
    outputs = []
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
        _check_writable(path, d.name())
        outputs.append((d.name(), path, layer))  # layer None: the whole file
        if vector and layer is None and _is_gpkg(path) and os.path.isfile(path):
            # an existing GeoPackage that is not an input: keep its other layers
            params[d.name()] = _layer_destination(
                params[d.name()], path, os.path.splitext(os.path.basename(path))[0])
    for name, path, layer in outputs:
        for iname, ipath in inputs:
            if _same_file(path, ipath):
                raise QgsProcessingException(
                    f"The output {name} would overwrite the input {iname} ({ipath}): choose "
                    f"another file for {name} [{name}].")
    for i, (name, path, layer) in enumerate(outputs):
        for other, opath, olayer in outputs[i + 1:]:
            if _same_file(path, opath) and (layer is None or olayer is None or layer == olayer):
                raise QgsProcessingException(
                    f"The outputs {other} and {name} are the same file ({path}): give each its "
                    f"own [{other}].")
    return params


def _check_writable(path, name):
    """Refuse an output whose folder cannot be made or written, before any work."""
    folder = os.path.dirname(os.path.abspath(path))
    probe = folder
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise QgsProcessingException(
            f"The output {name} cannot be written to {path}: '{probe}' is a file, not a folder. "
            f"Choose another place for {name} [{name}].")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise QgsProcessingException(
            f"The output {name} cannot be written to {path}: the folder '{probe}' is not "
            f"writable (read-only or another user's). Choose another place for {name} [{name}].")


SIDECARS = (".qml", ".aux.xml", ".provenance.json", "-wal", "-shm", "-journal")


class rollback:
    """Removes the file outputs a failed run created (and their sidecars), so a run that fails
    after writing one output of several leaves none: ``with rollback(paths):``. Files that
    existed before are left (rasters and reports replace them only when complete)."""

    def __init__(self, paths):
        self.new = [p for p in paths if p and not os.path.exists(p)]

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            return False
        import shutil
        for p in self.new:
            stem = os.path.splitext(p)[0]
            for q in [p, stem + ".qml"] + [p + s for s in SIDECARS]:
                if os.path.isdir(q) and q == p:
                    shutil.rmtree(q, ignore_errors=True)
                elif os.path.isfile(q):
                    try:
                        os.remove(q)
                    except OSError:
                        pass
        return False


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


def _layer_destination(value, path, layer):
    """``value`` (a string or an output definition) pointing at ``layer`` of ``path``."""
    uri = "ogr:dbname='{}' table=\"{}\" (geom)".format(path.replace("'", "''"),
                                                       layer.replace('"', '""'))
    if isinstance(value, QgsProcessingOutputLayerDefinition):
        out = QgsProcessingOutputLayerDefinition(value)
        out.sink.setStaticValue(uri)
        return out
    return uri


class CheckedSink:
    """A feature sink whose every write is checked: ``add`` raises when a feature is refused,
    ``close`` flushes, reopens the output and counts its features. On any failure (or an
    exception inside ``with``) the output is removed, so a short write leaves nothing."""

    def __init__(self, alg, parameters, key, context, fields, wkb, crs):
        self.key, self.context, self.count = key, context, 0
        path, _ = split_source(alg.parameterAsOutputLayer(parameters, key, context))
        self.existed = os.path.exists(path)  # then only our layer may go on failure
        self.sink, self.dest = alg.parameterAsSink(parameters, key, context, fields, wkb, crs)
        if self.sink is None:
            raise QgsProcessingException(alg.invalidSinkError(parameters, key))

    def add(self, feature):
        from . import compat
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
        """Flush and verify; returns the destination."""
        if not self.sink.flushBuffer():
            self._fail(self._error() or "the last features could not be written")
        self.sink = None  # the writer closes here
        found = self._count()
        if found < 0:
            self._fail("the file written could not be read back")
        if found != self.count:
            self._fail(f"{found} of {self.count} features are in the file")
        return self.dest

    def _count(self):
        lyr = self.context.getMapLayer(self.dest) if hasattr(self.context, "getMapLayer") \
            else None
        if lyr is None:
            lyr = QgsVectorLayer(self.dest, "check", "ogr")
        return lyr.featureCount() if lyr.isValid() else -1

    def discard(self):
        self.sink = None
        path, layer = split_source(self.dest)
        if not os.path.isfile(path):
            return
        if layer is not None and self.existed:
            from osgeo import ogr
            ds = ogr.Open(path, 1)
            if ds is not None:
                for i in range(ds.GetLayerCount()):
                    if ds.GetLayer(i).GetName() == layer:
                        ds.DeleteLayer(i)
                        break
            ds = None
            return
        for p in (path, path + "-wal", path + "-shm", path + "-journal"):
            if os.path.exists(p):
                os.remove(p)

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is not None and self.sink is not None:
            self.discard()
        return False


class Terminated(BaseException):
    """Raised in the main thread by SIGTERM/SIGINT while an algorithm runs, so that every
    ``with`` and ``finally`` on the way out removes what it made."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class terminations:
    """Turns SIGTERM and SIGINT into :class:`Terminated` while active (main thread only: in
    the desktop algorithms run in a task thread, where QGIS owns the signals)."""

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __enter__(self):
        self.old = {}
        if threading.current_thread() is threading.main_thread():
            for s in self.SIGNALS:
                try:
                    self.old[s] = signal.signal(s, self._raise)
                except (ValueError, OSError):
                    pass
        return self

    @staticmethod
    def _raise(signum, frame):
        raise Terminated(signum)

    def __exit__(self, exc_type, exc, tb):
        for s, h in self.old.items():
            signal.signal(s, h if h is not None else signal.SIG_DFL)
        if exc_type is Terminated:
            # cleaned up on the way here: now end as the signal would have
            signal.signal(exc.signum, signal.SIG_DFL)
            os.kill(os.getpid(), exc.signum)
        return False
