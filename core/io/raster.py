"""Raster plumbing shared by every method: grids, alignment, block iteration, GeoTIFF output.

Everything here works block by block, so memory stays bounded whatever the raster size.
Nodata is carried as NaN in the float arrays handed to the methods; written rasters use
:data:`NODATA` as their nodata value.
"""
from __future__ import annotations

import functools
import math
import os
import re
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from osgeo import gdal, osr

from ..util.errors import InputError
from ..util.partial import AtomicOutput
from ..util.progress import as_feedback

gdal.UseExceptions()
osr.UseExceptions()

NODATA = -9999.0
#: GDAL resampling methods a stack may use for its continuous factors
RESAMPLINGS = ("bilinear", "cubic", "near", "average")
#: creation options of every GeoTIFF the plugin writes
GTIFF_OPTIONS = ["TILED=YES", "COMPRESS=DEFLATE", "PREDICTOR=2", "BIGTIFF=IF_SAFER",
                 "BLOCKXSIZE=256", "BLOCKYSIZE=256", "INTERLEAVE=BAND"]
#: bytes of float64 data one block may hold per band (bounds the memory of every pass)
BLOCK_BYTES = 2 * 1024 * 1024

#: threads GDAL may use to decode the compressed blocks of one read (GDAL_NUM_THREADS);
#: HAZARD_GDAL_THREADS overrides it (e.g. 1 when many processes share a machine)
DECODE_THREADS = os.environ.get("HAZARD_GDAL_THREADS", "ALL_CPUS")

_COMPLEX = {gdal.GDT_CInt16, gdal.GDT_CInt32, gdal.GDT_CFloat32, gdal.GDT_CFloat64}


def safe_name(name):
    """A field- and band-safe factor name: lowercase letters, digits and underscores."""
    s = re.sub(r"[^0-9a-zA-Z_]+", "_", str(name)).strip("_").lower()
    if not s:
        s = "factor"
    if s[0].isdigit():
        s = "f_" + s
    return s


@dataclass(frozen=True)
class Grid:
    """A north-up raster grid: CRS (WKT), geotransform and size."""

    crs_wkt: str
    transform: tuple[float, ...]
    xsize: int
    ysize: int

    @classmethod
    def from_dataset(cls, ds):
        gt = ds.GetGeoTransform()
        if gt[2] != 0 or gt[4] != 0:
            raise InputError("Rotated rasters are not supported: warp it to a north-up grid first.")
        return cls(ds.GetProjection() or "", tuple(gt), ds.RasterXSize, ds.RasterYSize)

    @classmethod
    def from_path(cls, path):
        ds = open_raster(path)
        return cls.from_dataset(ds)

    @property
    def geographic(self):
        """True when the CRS is geographic (map units are degrees)."""
        if not self.crs_wkt:
            return False
        srs = osr.SpatialReference()
        srs.ImportFromWkt(self.crs_wkt)
        return bool(srs.IsGeographic())

    def check_distance(self, value, name, what="distance"):
        """A distance given in metres, in map units: divided by the metres of one unit in a
        projected CRS (a CRS in feet: 100 m is 328 ft). In a geographic CRS a distance of 1 or
        more is refused (it was meant in metres and would exclude the whole region); below 1 it
        is taken in degrees, as before."""
        if value >= 1 and self.geographic:
            srs = osr.SpatialReference()
            srs.ImportFromWkt(self.crs_wkt)
            crs = srs.GetName() or "a geographic CRS"
            code = srs.GetAuthorityCode(None)
            crs += f" (EPSG:{code})" if code else ""
            raise InputError(
                f"The {what} {name} is {value:g} map units, but the rasters are in {crs}, whose "
                f"units are degrees: {value:g} degrees is {value * 111:g} km. Reproject the "
                f"rasters to a projected CRS in metres (the local UTM zone, Raster > Projections "
                f"> Warp) and give the {what} in metres.", name)
        return value / self.metres_per_unit

    @property
    def metres_per_unit(self):
        """Metres in one map unit of a projected CRS (0.3048 for feet, 0.3048006 for US
        survey feet); 1 for a geographic or missing CRS."""
        if not self.crs_wkt or self.geographic:
            return 1.0
        srs = osr.SpatialReference()
        srs.ImportFromWkt(self.crs_wkt)
        f = srs.GetLinearUnits()
        return float(f) if f and f > 0 else 1.0

    @property
    def pixel_width(self):
        return self.transform[1]

    @property
    def pixel_height(self):
        return -self.transform[5]

    @property
    def pixel_area(self):
        return abs(self.transform[1] * self.transform[5])

    @property
    def extent(self):
        """(xmin, ymin, xmax, ymax)"""
        x0, dx, _, y0, _, dy = self.transform
        xs = (x0, x0 + dx * self.xsize)
        ys = (y0, y0 + dy * self.ysize)
        return (min(xs), min(ys), max(xs), max(ys))

    @property
    def srs(self):
        srs = osr.SpatialReference()
        if self.crs_wkt:
            srs.ImportFromWkt(self.crs_wkt)
        srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
        return srs

    def is_projected(self):
        return bool(self.crs_wkt) and bool(self.srs.IsProjected())

    def window_transform(self, window):
        x0, dx, rx, y0, ry, dy = self.transform
        return (x0 + window.col * dx, dx, rx, y0 + window.row * dy, ry, dy)

    def pixel_centers(self, window):
        """x and y coordinates of the pixel centres of ``window`` (1-D arrays)."""
        x0, dx, _, y0, _, dy = self.window_transform(window)
        xs = x0 + (np.arange(window.cols) + 0.5) * dx
        ys = y0 + (np.arange(window.rows) + 0.5) * dy
        return xs, ys

    def rowcol(self, x, y):
        """Row and column (int arrays) of the pixels holding points (x, y); may be outside."""
        x0, dx, _, y0, _, dy = self.transform
        col = np.floor((np.asarray(x, float) - x0) / dx).astype(np.int64)
        row = np.floor((np.asarray(y, float) - y0) / dy).astype(np.int64)
        return row, col

    def same_as(self, other, tol=1e-9):
        if (self.xsize, self.ysize) != (other.xsize, other.ysize):
            return False
        if not all(math.isclose(a, b, rel_tol=tol, abs_tol=tol * max(1.0, abs(a)))
                   for a, b in zip(self.transform, other.transform)):
            return False
        return same_crs(self.crs_wkt, other.crs_wkt)

    def full_window(self):
        return Window(0, 0, self.ysize, self.xsize)


@functools.lru_cache(maxsize=256)
def same_crs(wkt_a, wkt_b):
    """Whether two WKT strings describe the same CRS (cached: stacks compare every band's CRS
    with the grid's, and parsing WKT costs about a millisecond)."""
    if wkt_a == wkt_b:
        return True
    if not wkt_a or not wkt_b:
        return False
    a, b = osr.SpatialReference(), osr.SpatialReference()
    a.ImportFromWkt(wkt_a)
    b.ImportFromWkt(wkt_b)
    return bool(a.IsSame(b))


@dataclass(frozen=True)
class Window:
    row: int
    col: int
    rows: int
    cols: int

    @property
    def slices(self):
        return (slice(self.row, self.row + self.rows), slice(self.col, self.col + self.cols))


def iter_windows(grid, nbands=1, block_bytes=BLOCK_BYTES):
    """Blocks covering every pixel of ``grid`` exactly once, in row-major order.

    A block of ``nbands`` float64 bands stays within ``block_bytes``, whatever the raster's
    width or height, which bounds the memory of every block-wise pass. Blocks are aligned on
    the 256 x 256 tiles the plugin writes, so no tile is written twice: full-width strips of a
    multiple of 256 rows when they fit, else 256-row blocks of a multiple of 256 columns.
    """
    budget = max(1, int(block_bytes // (8 * max(1, nbands))))  # pixels per block
    if grid.xsize * 256 <= budget or grid.ysize <= 1:
        rows = max(256, (budget // max(1, grid.xsize)) // 256 * 256)
        cols = grid.xsize
    else:
        rows = 256
        cols = max(256, (budget // rows) // 256 * 256)
    for r in range(0, grid.ysize, rows):
        for c in range(0, grid.xsize, cols):
            yield Window(r, c, min(rows, grid.ysize - r), min(cols, grid.xsize - c))


def open_raster(path, name=None):
    try:
        # GeoTIFF takes its decoding threads when the dataset opens
        with decoding_threads():
            ds = gdal.Open(str(path))
    except RuntimeError as exc:
        raise InputError(f"Cannot open raster '{name or path}': {exc}", name) from exc
    if ds is None:
        raise InputError(f"Cannot open raster '{name or path}'.", name)
    return ds


def band_min_max(path, band=1):
    """(minimum, maximum) of a band of the raster ``path``: GDAL's exact values, nodata
    skipped, no .aux.xml written; (0, 1) when the band has no valid pixel or cannot be read."""
    try:
        ds = gdal.Open(str(path))
        if ds is None or not 1 <= band <= ds.RasterCount:
            return 0.0, 1.0
        lo, hi = ds.GetRasterBand(band).ComputeRasterMinMax(False)
    except RuntimeError:  # every pixel nodata (GDAL with exceptions on)
        return 0.0, 1.0
    finally:
        ds = None
    if lo is None or hi is None:
        return 0.0, 1.0
    return float(lo), float(hi)


@dataclass
class Band:
    """One factor: a band of a raster file, with its name and kind."""

    path: str
    band: int = 1
    name: str = ""
    categorical: bool = False
    layer_name: str = ""  # the name the user sees, for messages

    def __post_init__(self):
        if not self.name:
            self.name = safe_name(os.path.splitext(os.path.basename(self.path))[0])
        if not self.layer_name:
            self.layer_name = self.name


def bands_of(path, layer_name=None, categorical=False):
    """One :class:`Band` per band of a raster, named by band description, else layer name."""
    ds = open_raster(path, layer_name)
    base = layer_name or os.path.splitext(os.path.basename(path))[0]
    out = []
    for i in range(1, ds.RasterCount + 1):
        b = ds.GetRasterBand(i)
        if b.DataType in _COMPLEX:
            raise InputError(f"Raster '{base}' band {i} holds complex numbers; factors must be "
                             f"real-valued numbers.", base)
        desc = (b.GetDescription() or "").strip()
        if ds.RasterCount == 1:
            name = desc if desc and not desc.lower().startswith("band ") else base
        else:
            name = desc if desc else f"{base}_b{i}"
        out.append(Band(str(path), i, safe_name(name), categorical, base if ds.RasterCount == 1
                        else f"{base} (band {i})"))
    return out


def unique_names(bands):
    """Make band names unique by suffixing _2, _3, ... (in place) and return the names."""
    seen = {}
    for b in bands:
        n = b.name
        if n in seen:
            seen[n] += 1
            b.name = f"{n}_{seen[n]}"
        else:
            seen[n] = 1
    return [b.name for b in bands]


def _tmp_name(prefix, ext):
    return f"/vsimem/hazard_{prefix}_{uuid.uuid4().hex}.{ext}"


def _transform_extent(extent, src_wkt, dst_wkt):
    """Bounding box of ``extent`` (src CRS) in dst CRS, densified along the edges."""
    if not src_wkt or not dst_wkt or same_crs(src_wkt, dst_wkt):
        return extent
    src, dst = osr.SpatialReference(), osr.SpatialReference()
    src.ImportFromWkt(src_wkt)
    dst.ImportFromWkt(dst_wkt)
    for s in (src, dst):
        s.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
    ct = osr.CoordinateTransformation(src, dst)
    xmin, ymin, xmax, ymax = extent
    t = np.linspace(0, 1, 21)
    xs = np.concatenate([xmin + (xmax - xmin) * t, np.full(21, xmax), xmin + (xmax - xmin) * t,
                         np.full(21, xmin)])
    ys = np.concatenate([np.full(21, ymin), ymin + (ymax - ymin) * t, np.full(21, ymax),
                         ymin + (ymax - ymin) * t])
    pts = ct.TransformPoints(list(zip(xs.tolist(), ys.tolist())))
    arr = np.array([p[:2] for p in pts], float)
    arr = arr[np.all(np.isfinite(arr), axis=1)]
    if len(arr) == 0:
        return None
    return (arr[:, 0].min(), arr[:, 1].min(), arr[:, 0].max(), arr[:, 1].max())


def _overlaps(a, b):
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


class AlignedStack:
    """Factor bands resampled on the fly to one reference grid, read block by block.

    Continuous factors use ``resampling`` (bilinear by default), categorical ones nearest
    neighbour. Reading a window returns float64 arrays with NaN wherever *any* factor is
    nodata (the combined mask), so every method sees the same valid pixels.
    """

    def __init__(self, bands, grid, resampling="bilinear"):
        if not bands:
            raise InputError("No factor raster was given.", "FACTORS")
        self.bands = list(bands)
        unique_names(self.bands)
        self.grid = grid
        self.resampling = resampling
        self._sources = []  # (dataset, band index, nodata or None)
        self._vsimem = []
        self._datasets = {}
        for b in self.bands:
            self._sources.append(self._open_aligned(b))
        # runs of consecutive bands read in one call, grouped by source file: the files of a
        # stack are read in parallel, each file's runs by one thread (a dataset is not
        # thread-safe, and a file's warped bands share its handle)
        # (a band twice in one call comes back as garbage from GDAL 3.6's multi-threaded
        # GeoTIFF decoding: a repeated band starts a new run)
        runs, i = [], 0
        while i < len(self.bands):
            j = i + 1
            while j < len(self.bands) and self._sources[j][0] is self._sources[i][0] and \
                    self._sources[j][1] not in [self._sources[k][1] for k in range(i, j)]:
                j += 1
            runs.append((i, j))
            i = j
        by_file = {}
        for i, j in runs:
            by_file.setdefault(self.bands[i].path, []).append((i, j))
        self._file_runs = list(by_file.values())

    @property
    def names(self):
        return [b.name for b in self.bands]

    @property
    def categorical(self):
        return [b.categorical for b in self.bands]

    def __len__(self):
        return len(self.bands)

    def _open_aligned(self, b):
        if b.path not in self._datasets:
            ds = open_raster(b.path, b.layer_name)
            self._datasets[b.path] = (ds, Grid.from_dataset(ds))
        ds, src_grid = self._datasets[b.path]
        if b.band < 1 or b.band > ds.RasterCount:
            raise InputError(f"Raster '{b.layer_name}' has no band {b.band}.", b.layer_name)
        band = ds.GetRasterBand(b.band)
        if band.DataType in _COMPLEX:
            raise InputError(f"Raster '{b.layer_name}' holds complex numbers; factors must be "
                             f"real-valued numbers.", b.layer_name)
        if not src_grid.crs_wkt and self.grid.crs_wkt:
            raise InputError(f"Raster '{b.layer_name}' has no coordinate reference system; "
                             f"assign one (Layer Properties > Source) and run again.",
                             b.layer_name)
        if src_grid.same_as(self.grid):
            return ds, b.band, band.GetNoDataValue()
        ext = _transform_extent(src_grid.extent, src_grid.crs_wkt, self.grid.crs_wkt)
        if ext is None or not _overlaps(ext, self.grid.extent):
            raise InputError(f"Raster '{b.layer_name}' does not overlap the reference grid "
                             f"(extent {tuple(round(v, 3) for v in self.grid.extent)}): check its "
                             f"CRS and extent.", b.layer_name)
        sel = _tmp_name("band", "vrt")
        gdal.Translate(sel, ds, format="VRT", bandList=[b.band])
        self._vsimem.append(sel)
        warped = _tmp_name("warp", "vrt")
        alg = "near" if b.categorical else self.resampling
        nodata = band.GetNoDataValue()
        opts = gdal.WarpOptions(format="VRT", outputBounds=self.grid.extent,
                                width=self.grid.xsize, height=self.grid.ysize,
                                dstSRS=self.grid.crs_wkt or None, resampleAlg=alg,
                                srcNodata=nodata, dstNodata=float("nan"),
                                outputType=gdal.GDT_Float64, multithread=False)
        out = gdal.Warp(warped, sel, options=opts)
        self._vsimem.append(warped)
        if out is None:
            raise InputError(f"Raster '{b.layer_name}' could not be aligned to the reference "
                             f"grid.", b.layer_name)
        return out, 1, None

    def read(self, window, masked=True):
        """Array (nbands, rows, cols), NaN on the combined nodata mask when ``masked``.

        Consecutive bands of one file read directly (no warping) are fetched in a single call
        into the output buffer, so a multi-band stack is decompressed once per block. The
        files of a stack are read by a shared pool of threads (GDAL releases the GIL while it
        decodes): a block of a stack of single-band files decodes on every core.
        """
        n = len(self.bands)
        out = np.empty((n, window.rows, window.cols), np.float64)
        if len(self._file_runs) > 1:
            pool = _read_pool()
            jobs = [pool.submit(self._read_runs, runs, window, out) for runs in self._file_runs]
            for job in jobs:
                job.result()
        else:
            for runs in self._file_runs:
                self._read_runs(runs, window, out)
        if masked and n > 1:
            bad = np.isnan(out[0])
            for k in range(1, n):
                bad |= np.isnan(out[k])
            if bad.any():
                out[:, bad] = np.nan
        return out

    def _read_runs(self, runs, window, out):
        """Read the bands of ``runs`` (index ranges, one call each) into ``out``."""
        for i, j in runs:
            ds = self._sources[i][0]
            try:
                with decoding_threads():
                    got = ds.ReadAsArray(window.col, window.row, window.cols, window.rows,
                                         band_list=[self._sources[k][1] for k in range(i, j)],
                                         buf_type=gdal.GDT_Float64, buf_obj=out[i:j])
            except RuntimeError as exc:
                got, why = None, str(exc).strip()
            else:
                why = ""
            if got is None:
                b = self.bands[i]
                name = b.layer_name or os.path.basename(b.path)
                detail = why or gdal.GetLastErrorMsg() or "GDAL gave no message"
                raise InputError(
                    f"Raster '{name}' ({b.path}) could not be read at rows {window.row}.."
                    f"{window.row + window.rows - 1} ({detail}). The file is damaged or "
                    f"incomplete (a copy cut short?): check it with 'gdalinfo -checksum' and "
                    f"copy or export it again.", name)
            for k in range(i, j):
                nd = self._sources[k][2]
                if nd is not None and not math.isnan(nd):
                    a = out[k]
                    a[a == nd] = np.nan

    def windows(self, block_bytes=BLOCK_BYTES):
        return iter_windows(self.grid, len(self.bands), block_bytes)

    def read_estimate(self, min_pixels=100_000_000):
        """For a grid of at least ``min_pixels``: a sentence with its size and how long one
        read of the whole stack takes here (timed on a few blocks spread over the grid), said
        before work starts so that a grid too large is seen at once; None for smaller grids."""
        from ..util.memory import duration_text
        n = self.grid.xsize * self.grid.ysize
        if n < min_pixels:
            return None
        seconds, probes = self.read_seconds()
        return (f"The grid has {self.grid.xsize:,} x {self.grid.ysize:,} = {n:,} pixels x "
                f"{len(self.bands)} factor band(s); reading it once takes about "
                f"{duration_text(seconds)} on this machine (timed on {probes} blocks), and this "
                f"algorithm reads it at least once. Cancel now if that is too long: choose a "
                f"coarser or smaller reference grid [REFERENCE].")

    def read_seconds(self, probes=4):
        """(Seconds one read of the whole stack takes here, timed on ``probes`` blocks spread
        over the grid; the number of blocks timed)."""
        import time
        n = self.grid.xsize * self.grid.ysize
        wins = list(self.windows())
        probe = [wins[int(i)] for i in np.unique(np.linspace(0, len(wins) - 1, probes).round())]
        t0 = time.perf_counter()
        for w in probe:
            self.read(w)
        per_px = (time.perf_counter() - t0) / max(1, sum(w.rows * w.cols for w in probe))
        return per_px * n, len(probe)

    def reopen(self):
        """An independent stack over the same bands and grid (GDAL datasets are not
        thread-safe: each thread reads through its own)."""
        return AlignedStack(self.bands, self.grid, self.resampling)

    def close(self):
        self._sources = []
        self._datasets = {}
        for p in self._vsimem:
            try:
                gdal.Unlink(p)
            except RuntimeError:
                pass
        self._vsimem = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


@dataclass
class RasterWriter:
    """A tiled, compressed GeoTIFF written window by window (NaN becomes nodata)."""

    path: str
    grid: Grid
    names: list = field(default_factory=list)
    dtype: int = gdal.GDT_Float32
    nodata: float | None = NODATA
    nbands: int = 0

    def __post_init__(self):
        n = self.nbands or max(1, len(self.names))
        drv = gdal.GetDriverByName("GTiff")
        self.ds = drv.Create(str(self.path), self.grid.xsize, self.grid.ysize, n, self.dtype,
                             options=GTIFF_OPTIONS)
        self.ds.SetGeoTransform(self.grid.transform)
        if self.grid.crs_wkt:
            self.ds.SetProjection(self.grid.crs_wkt)
        for i in range(n):
            b = self.ds.GetRasterBand(i + 1)
            if self.nodata is not None:
                b.SetNoDataValue(self.nodata)
            if i < len(self.names):
                b.SetDescription(self.names[i])

    def write(self, window, data, band=None):
        """Write ``data`` (bands, rows, cols) or (rows, cols) into ``window``."""
        data = np.asarray(data)
        if data.ndim == 2:
            data = data[None]
        first = 0 if band is None else band
        for i in range(data.shape[0]):
            arr = data[i]
            if self.nodata is not None and arr.dtype.kind == "f":
                arr = np.where(np.isnan(arr), self.nodata, arr)
            self.ds.GetRasterBand(first + i + 1).WriteArray(arr, window.col, window.row)
        # hand the finished tiles to the file now: otherwise GDAL's block cache keeps every
        # dirty block of a band-interleaved file and memory grows with the raster size
        self.ds.FlushCache()

    def set_metadata(self, items, band=None):
        target = self.ds if band is None else self.ds.GetRasterBand(band + 1)
        target.SetMetadata({str(k): str(v) for k, v in items.items()})

    def close(self):
        if self.ds is not None:
            self.ds.FlushCache()
            self.ds = None


def write_stack(stack, path, feedback=None, dtype=gdal.GDT_Float32):
    """Write an :class:`AlignedStack` as one multi-band GeoTIFF; returns valid pixel counts.

    Raises :class:`InputError` (and writes nothing) when a factor has no valid pixel on the
    reference grid, or when the combined mask leaves no pixel at all.
    """
    fb = as_feedback(feedback)
    own_valid = np.zeros(len(stack), np.int64)
    combined = 0
    with AtomicOutput(path) as tmp:
        w = RasterWriter(tmp, stack.grid, stack.names, dtype)
        try:
            wins = list(stack.windows())
            for k, win in enumerate(wins):
                fb.check()
                data = stack.read(win, masked=False)
                finite = ~np.isnan(data)
                own_valid += finite.reshape(len(stack), -1).sum(axis=1)
                bad = ~finite.all(axis=0)
                data[:, bad] = np.nan
                combined += int((~bad).sum())
                w.write(win, data)
                fb.report((k + 1) / len(wins))
            check_valid(stack, own_valid, combined)
            for i, b in enumerate(stack.bands):
                w.set_metadata({"categorical": int(b.categorical), "source": b.layer_name}, i)
        finally:
            w.close()
    return own_valid, combined


def check_valid(stack, own_valid, combined):
    """Errors for factors with no valid pixel, or a combined mask with none."""
    empty = [stack.bands[i].layer_name for i in range(len(stack)) if own_valid[i] == 0]
    if empty:
        raise InputError(f"Factor raster(s) {', '.join(repr(e) for e in empty)} have no valid "
                         f"(non-nodata) pixel on the reference grid: check their nodata value "
                         f"and extent.", empty[0])
    if combined == 0:
        raise InputError("The factor rasters have no pixel where all of them hold data: their "
                         "valid areas do not overlap.", "FACTORS")


_POOL_LOCK = threading.Lock()
_POOL = []


def _read_pool():
    """The process's pool of reading threads (one per CPU, at most 8), made on first use.
    Its tasks are single reads that never wait on other tasks, so threads of any caller may
    share it without deadlock."""
    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(ThreadPoolExecutor(max_workers=max(1, min(8, os.cpu_count() or 1)),
                                            thread_name_prefix="hazard-read"))
        return _POOL[0]


@contextmanager
def decoding_threads():
    """Let GDAL decode the blocks of the reads made inside on several threads.

    Without it one read decompresses its tiles one after the other on one core (a block of a
    single band is often one tile); GDAL_NUM_THREADS (GeoTIFF, GDAL >= 3.6; older GDAL ignores
    it) makes one read decode its tiles in parallel. A GeoTIFF takes the setting when it is
    opened, a VRT's sources when a read opens them: both are wrapped. Set for the calling
    thread only, and restored after.
    """
    prev = gdal.GetThreadLocalConfigOption("GDAL_NUM_THREADS", None)
    gdal.SetThreadLocalConfigOption("GDAL_NUM_THREADS", DECODE_THREADS)
    try:
        yield
    finally:
        gdal.SetThreadLocalConfigOption("GDAL_NUM_THREADS", prev)


def read_window(ds, window, band=1):
    """One band of a dataset in ``window`` as float64, NaN on its nodata value."""
    b = ds.GetRasterBand(band)
    with decoding_threads():
        a = b.ReadAsArray(window.col, window.row, window.cols, window.rows).astype(float)
    nd = b.GetNoDataValue()
    if nd is not None:
        a[a == nd] = np.nan
    return a


def sample_at(stack, x, y, feedback=None):
    """Values of every band of ``stack`` at points (x, y) in its CRS: array (n, bands), NaN
    where a point falls outside the grid or on the combined nodata mask. Reads block by block,
    touching only the blocks that hold points; the points are sorted into their blocks once
    (n log n), not tested against every block."""
    fb = as_feedback(feedback)
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    out = np.full((x.size, len(stack)), np.nan)
    row, col = stack.grid.rowcol(x, y)
    inside = np.nonzero((row >= 0) & (row < stack.grid.ysize) & (col >= 0) &
                        (col < stack.grid.xsize))[0]
    if not len(inside):
        return out
    wins = list(stack.windows())  # a lattice: the same column starts in every row of blocks
    r0 = np.array(sorted({w.row for w in wins}))
    c0 = np.array(sorted({w.col for w in wins}))
    index = np.empty((len(r0), len(c0)), np.int64)  # block number by lattice position
    for k, w in enumerate(wins):
        index[np.searchsorted(r0, w.row), np.searchsorted(c0, w.col)] = k
    key = index[np.searchsorted(r0, row[inside], "right") - 1,
                np.searchsorted(c0, col[inside], "right") - 1]
    order = np.argsort(key, kind="stable")
    key, pts = key[order], inside[order]
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    ends = np.r_[starts[1:], len(key)]
    for a, b in zip(starts, ends):
        fb.check()
        win = wins[key[a]]
        sel = pts[a:b]
        data = stack.read(win)
        out[sel] = data[:, row[sel] - win.row, col[sel] - win.col].T
        fb.report(b / len(key))
    return out
