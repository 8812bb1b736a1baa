"""A run's output files on disk, whatever writes them: the file and layer a data source
string names, the parts of one data set, a finished temporary data set swapped in for the
output, one layer of a GeoPackage replaced in one SQLite transaction, the check that an
output's folder can be written, and the undoing of a failed run's file outputs
(:class:`rollback`). The glue (algorithms/guard.py) calls these around every run; the
temporary files themselves and their lock are core.util.partial's."""
from __future__ import annotations

import contextlib
import os
import re

from ..util import partial

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


def gpkg_layer_uri(path, layer):
    """The destination of the layer ``layer`` of the GeoPackage ``path``, as QGIS writes it
    (``ogr:dbname='path' table="layer" (geom)``; :func:`split_source` reads it back)."""
    return "ogr:dbname='{}' table=\"{}\" (geom)".format(path.replace("'", "''"),
                                                        layer.replace('"', '""'))


_PROVIDER_URI = re.compile(r"^[A-Za-z][A-Za-z0-9_]+:(?!\\)")  # postgres:..., memory:...


def file_destination(text):
    """Whether the destination ``text`` is a file (or a layer of a GeoPackage) that a run
    writes to a temporary file first: not a provider's URI (postgres:, memory:) nor a source
    with options other than the layer name."""
    return bool(text) and (not _PROVIDER_URI.match(text) or text.startswith("ogr:")) and \
        "|" not in text.replace("|layername=", "")


def same_file(a, b):
    """Whether the paths ``a`` and ``b`` are one file (links and hard links included)."""
    if os.path.exists(a) and os.path.exists(b):
        try:
            return os.path.samefile(a, b)
        except OSError:
            return False
    return os.path.realpath(a) == os.path.realpath(b)


def is_gpkg(path):
    """Whether ``path`` names a GeoPackage."""
    return path.lower().endswith(".gpkg")


def unwritable(path):
    """Why an output at ``path`` cannot be written (its folder, or the nearest one that
    exists, is a file or not writable), or None; checked before any work."""
    folder = os.path.dirname(os.path.abspath(path))
    probe = folder
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        return f"'{probe}' is a file, not a folder"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"the folder '{probe}' is not writable (read-only or another user's)"
    return None


RASTER_EXTENSIONS = (".tif", ".tiff")


def output_problem(path, name, kind="file"):
    """Why the output ``name`` (``kind`` "file", "raster" or "folder") cannot be written to
    ``path`` as it would be, as a sentence ending in [name], or None: a folder that is a file,
    a file that is a folder, a file name too long for its temporary file and records, a raster
    named as another format than the GeoTIFF it is written as."""
    folder = kind == "folder"
    if folder and os.path.exists(path) and not os.path.isdir(path):
        return (f"The output folder {name} is an existing file ({path}), not a folder: give a "
                f"folder (it is made when missing) [{name}].")
    if not folder and os.path.isdir(path):
        return (f"The output {name} is an existing folder ({path}): give a file name inside it "
                f"[{name}].")
    why = partial.name_too_long(path)
    if why and not folder:
        return f"The output {name} cannot be written to {path}: {why} [{name}]."
    ext = os.path.splitext(path)[1].lower()
    if kind == "raster" and ext and ext not in RASTER_EXTENSIONS:  # no extension: no format
        return (f"The output {name} is written as a GeoTIFF, but its name ends in '{ext}', "
                f"which says another format: name it .tif "
                f"({os.path.splitext(os.path.basename(path))[0]}.tif) [{name}].")
    return None


#: files beside an output that go with it: its style, GDAL's statistics, its provenance record,
#: SQLite's journals
SIDECARS = (".qml", ".aux.xml", ".provenance.json", "-wal", "-shm", "-journal")
PROVENANCE = ".provenance.json"


class rollback:
    """Undoes the file outputs of a failed run, so a run that fails after writing one output
    of several leaves the outputs as they were: ``with rollback(paths):``. Files it created
    are removed (with their sidecars); files it replaced are put back, from hard links made
    when it started (``.name.<pid>-<hex>.partial.ext``: removed on the way out, or, after a
    kill, by the next run on the output). GeoPackages are not linked (SQLite must not see
    two names for one database), nor shapefiles and other formats of several files: a layer
    replaced in them stays replaced."""

    KEEP = ("", ".aux.xml", ".ovr", PROVENANCE)

    def __init__(self, paths):
        self.paths = [p for p in paths if p]
        self.new = [p for p in self.paths if not os.path.exists(p)]
        self.kept = []

    def __enter__(self):
        for p in self.paths:
            ext = os.path.splitext(p)[1].lower()
            if not os.path.isfile(p) or ext in (".gpkg", ".sqlite", ".db") + DATASET_PARTS:
                continue  # a database, or one file of several (a shapefile): not linked
            base, links = partial.temp_path(p), {}
            for s in self.KEEP:
                if os.path.isfile(p + s):
                    try:
                        os.link(p + s, base + s)
                        links[s] = base + s
                    except OSError:  # no hard links here (FAT, some shares): no undo
                        if s == "":
                            break
            if "" in links:
                self.kept.append((p, links))
            else:
                unlink_all(links.values())
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            for _, links in self.kept:
                unlink_all(links.values())
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
        for p, links in self.kept:
            try:
                same = os.path.exists(p) and os.path.samefile(p, links[""])
            except OSError:
                same = False
            if same:  # not replaced
                unlink_all(links.values())
                continue
            try:
                unlink_all(p + s for s in self.KEEP if s not in links)
                for s, b in links.items():
                    os.replace(b, p + s)
            except OSError:
                pass
        return False


def unlink_all(paths):
    """Remove every file of ``paths`` that exists."""
    for p in paths:
        with contextlib.suppress(OSError):
            os.remove(p)


#: files of one data set besides the named one (shapefiles and the like), by extension
DATASET_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg", ".qix", ".sbn", ".sbx", ".qpj",
                 ".fix", ".mif", ".mid", ".tab", ".map", ".id", ".dat", ".ind")


def remove_dataset(path):
    """A temporary data set and its sidecars (journal, WAL, a shapefile's parts)."""
    stem = os.path.splitext(path)[0]
    for p in [path, path + "-wal", path + "-shm", path + "-journal", path + ".aux.xml"] + \
            [stem + e for e in DATASET_PARTS]:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError):
            os.remove(p)


def replace_dataset(tmp, path):
    """Rename ``tmp`` (and its parts, for a shapefile) to ``path``; the parts of the previous
    data set that the new one does not have (an old spatial index) go first."""
    tstem, stem = os.path.splitext(tmp)[0], os.path.splitext(path)[0]
    ext = os.path.splitext(path)[1].lower()
    parts = [e for e in DATASET_PARTS if e != ext and os.path.exists(tstem + e)]
    for e in DATASET_PARTS:
        if e != ext and e not in parts:
            with contextlib.suppress(FileNotFoundError):
                os.remove(stem + e)
    with contextlib.suppress(FileNotFoundError):
        os.remove(path + PROVENANCE)
    for e in parts:
        os.replace(tstem + e, stem + e)
    os.replace(tmp, path)


def copy_layer_in(src_path, dst_path, name):
    """Replace layer ``name`` of the GeoPackage ``dst_path`` by the only layer of
    ``src_path`` in one SQLite transaction: a run killed during it leaves the old layer
    (SQLite rolls the transaction back when the file is next opened)."""
    from osgeo import gdal, ogr
    src = ogr.Open(src_path)
    if src is None or src.GetLayerCount() != 1:
        raise OSError(f"the temporary file {src_path} could not be read")
    sl = src.GetLayer(0)
    with gdal.ExceptionMgr(useExceptions=True) if hasattr(gdal, "ExceptionMgr") else \
            contextlib.nullcontext():
        dst = ogr.Open(dst_path, 1)
        if dst is None:
            raise OSError(gdal.GetLastErrorMsg() or f"{dst_path} could not be opened")
        dst.ExecuteSQL("PRAGMA busy_timeout = 30000")  # a reader (QGIS) holds it briefly
        if dst.StartTransaction() != 0:
            raise OSError(gdal.GetLastErrorMsg() or "no transaction could be started")
        try:
            for i in range(dst.GetLayerCount()):
                if dst.GetLayer(i).GetName() == name:
                    if dst.DeleteLayer(i) != 0:
                        raise OSError(gdal.GetLastErrorMsg() or f"layer {name} stays")
                    break
            defn = sl.GetLayerDefn()
            opts = [f"FID={sl.GetFIDColumn() or 'fid'}",
                    f"GEOMETRY_NAME={sl.GetGeometryColumn() or 'geom'}"]
            out = dst.CreateLayer(name, sl.GetSpatialRef(), sl.GetGeomType(), opts)
            if out is None:
                raise OSError(gdal.GetLastErrorMsg() or f"layer {name} could not be made")
            for i in range(defn.GetFieldCount()):
                if out.CreateField(defn.GetFieldDefn(i)) != 0:
                    raise OSError(gdal.GetLastErrorMsg() or "a field could not be made")
            odefn = out.GetLayerDefn()
            n = 0
            for f in sl:
                g = ogr.Feature(odefn)
                g.SetFrom(f)
                g.SetFID(f.GetFID())
                if out.CreateFeature(g) != 0:
                    raise OSError(gdal.GetLastErrorMsg() or "a feature was refused")
                n += 1
            if n != sl.GetFeatureCount():
                raise OSError(f"{n} of {sl.GetFeatureCount()} features were copied")
            if dst.CommitTransaction() != 0:
                raise OSError(gdal.GetLastErrorMsg() or "the transaction failed")
            # at once (closing the file takes longer): the previous layer's record goes
            with contextlib.suppress(FileNotFoundError):
                os.remove(dst_path + PROVENANCE)
        except BaseException:
            with contextlib.suppress(Exception):
                dst.RollbackTransaction()
            raise
        finally:
            out = sl = None
            dst = None
            src = None
