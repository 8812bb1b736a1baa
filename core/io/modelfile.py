"""Model files (``.hsm``, ``.hnn``, ``.mhz``): one layout, one writer, one reader.

A model file is a zip archive of three kinds of member and nothing else:

* ``manifest.json``: a JSON object checked against the kind's typed manifest (a dataclass
  whose field types are the schema: a wrong type, a missing field or an unknown format version
  is refused with a message naming the field);
* ``*.npy``: plain numeric arrays (bool, integer or float; never object or structured dtypes),
  each header checked before a byte of data is read;
* ``*.json`` other than the manifest: XGBoost boosters in XGBoost's own JSON format.

Nothing in a model file is code or names code: the estimators and networks are rebuilt by this
plugin's own code from the manifest's plain values and the arrays. No pickle, no object
deserialiser (skops, joblib, Keras configs) is ever given bytes from a model file.

Every member's declared inflated size is checked against a cap for its kind before it is
opened, members are read in chunks up to that size, and the whole file has a cap on members
and on inflated bytes, so a small file that inflates to gigabytes (a zip bomb) is refused
before it costs memory. Member names are checked (no absolute paths, no ``..``, no
duplicates) although nothing is ever extracted to disk.
"""
from __future__ import annotations

import io
import json
import math
import re
import typing
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from ..util import schema
from ..util.errors import InputError

MANIFEST = "manifest.json"
MiB = 1 << 20
#: caps on one member's inflated size, by kind of member
CAPS = {"manifest": 16 * MiB, "npy": 2048 * MiB, "json": 1024 * MiB}
#: caps on the whole file
MAX_MEMBERS = 20_000
MAX_TOTAL = 4096 * MiB
CHUNK = 4 * MiB
#: array element kinds a model file may hold (bool, signed, unsigned, float)
ARRAY_KINDS = "biuf"
#: the type of a manifest field holding free JSON (metrics, notes): shown, never acted on
Free = typing.Any
_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*\.(json|npy)$")


class ModelFileError(InputError):
    """A model file that cannot be used: damaged, crafted, of another kind or version."""

    def __init__(self, message, input_name="MODEL"):
        super().__init__(message, input_name)


# -- typed manifests ---------------------------------------------------------------------------
@dataclass
class Manifest:
    """Base of the typed manifests, each declared beside the code it rebuilds (the
    susceptibility, HNN and multi-hazard packages). A subclass sets ``FORMAT`` (the format and
    version this plugin writes), ``LABEL`` (what the file is, for messages), ``ADVICE`` (how to
    get a good one) and ``MAX_BYTES`` (the most its members can need inflated), and declares
    its fields with types (core.util.schema); ``Free`` fields (metrics, notes) hold any JSON.
    ``validate(where)`` checks fields against each other and ``check_members(model_file,
    where)`` the arrays against the manifest."""

    FORMAT: typing.ClassVar[str] = ""
    LABEL: typing.ClassVar[str] = "model file"
    ADVICE: typing.ClassVar[str] = ""
    MAX_BYTES: typing.ClassVar[int] = MAX_TOTAL  # all members inflated

    def to_json(self):
        return dict(schema.to_json(self), format=self.FORMAT)

    @classmethod
    def from_json(cls, obj, where="the model file"):
        if not isinstance(obj, dict):
            raise ModelFileError(f"The manifest of {where} is not a JSON object: it is not a "
                                 f"{cls.LABEL} of this plugin.")
        fmt = obj.get("format")
        if fmt != cls.FORMAT:
            family = cls.FORMAT.rsplit("/", 1)[0]
            if isinstance(fmt, str) and fmt.rsplit("/", 1)[0] == family:
                raise ModelFileError(f"{where} is a {cls.LABEL} in format {fmt!r}; this version "
                                     f"of the plugin reads {cls.FORMAT!r} only. {cls.ADVICE}")
            raise ModelFileError(f"{where} is not a {cls.LABEL} (format {fmt!r}, expected "
                                 f"{cls.FORMAT!r}). {cls.ADVICE}")
        body = {k: v for k, v in obj.items() if k != "format"}
        return schema.from_json(cls, body, f"the manifest of {where}", ModelFileError)


# -- writing -----------------------------------------------------------------------------------
def write(path, manifest, arrays=None, blobs=None):
    """Write a model file atomically: ``manifest`` (a Manifest), ``arrays`` {name: array}
    stored as ``name.npy``, ``blobs`` {name: bytes} stored as ``name.json``."""
    from ..util.partial import AtomicOutput
    validate = getattr(manifest, "validate", None)
    if validate is not None:  # never write a file that would be refused on reading
        validate(f"the {manifest.LABEL} to write")
    with AtomicOutput(path) as tmp:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
            for name, arr in (arrays or {}).items():
                arr = np.ascontiguousarray(arr)
                if arr.dtype.kind not in ARRAY_KINDS:
                    raise TypeError(f"array {name} has dtype {arr.dtype}: not storable")
                with z.open(_member(name, ".npy"), "w", force_zip64=arr.nbytes > 1 << 30) as fh:
                    np.lib.format.write_array(fh, arr, allow_pickle=False)
            for name, data in (blobs or {}).items():
                z.writestr(_member(name, ".json"), bytes(data))
            z.writestr(MANIFEST, json.dumps(manifest.to_json(), indent=1, allow_nan=True))
    return path


def _member(name, ext):
    full = name + ext
    if not _NAME.match(full) or full == MANIFEST:
        raise ValueError(f"bad member name {name!r}")
    return full


# -- reading -----------------------------------------------------------------------------------
@dataclass
class ModelFile:
    """What a model file holds once read and checked."""

    manifest: Manifest
    arrays: dict
    blobs: dict

    def array(self, name, dtype_kinds=ARRAY_KINDS, ndim=None, shape=None):
        """An array that must exist, with the element kind, number of dimensions and shape
        (None for any size along an axis) given."""
        what = self.manifest.LABEL
        if name not in self.arrays:
            raise ModelFileError(f"The {what} lacks its array '{name}': it is damaged. "
                                 f"{self.manifest.ADVICE}")
        a = self.arrays[name]
        if a.dtype.kind not in dtype_kinds or (ndim is not None and a.ndim != ndim) or (
                shape is not None and (len(shape) != a.ndim or any(
                    s is not None and s != t for s, t in zip(shape, a.shape)))):
            raise ModelFileError(f"The {what}'s array '{name}' has the wrong type or shape "
                                 f"({a.dtype}, {a.shape}): the file is damaged or altered. "
                                 f"{self.manifest.ADVICE}")
        return a

    def blob(self, name):
        if name not in self.blobs:
            raise ModelFileError(f"The {self.manifest.LABEL} lacks its member '{name}.json': "
                                 f"it is damaged. {self.manifest.ADVICE}")
        return self.blobs[name]


def read_manifest(source, manifest_cls, where=None):
    """Only the typed manifest of a model file (a path or the file's bytes)."""
    return read(source, manifest_cls, where, manifest_only=True)


def read(source, manifest_cls, where=None, manifest_only=False):
    """Every member of a model file (a path or its bytes), checked: a ModelFile (or only its
    manifest)."""
    where = where or _where(source)
    with _open(source, manifest_cls, where) as z:
        infos, odd = _check_members(z, manifest_cls, where)
        manifest = _manifest(z, infos, manifest_cls, where)
        _odd_members(odd, manifest_cls, where)
        if manifest_only:
            return manifest
        arrays, blobs = {}, {}
        for name, info in infos.items():
            if name == MANIFEST:
                continue
            if name.endswith(".npy"):
                arrays[name[:-4]] = _read_npy(z, info, where)
            else:
                blobs[name[:-5]] = _read_member(z, info, CAPS["json"], where)
    out = ModelFile(manifest, arrays, blobs)
    check = getattr(manifest, "check_members", None)
    if check is not None:
        check(out, where)
    return out


def _where(source):
    return "the model file" if isinstance(source, (bytes, bytearray)) else f"'{source}'"


class _open:
    def __init__(self, source, manifest_cls, where):
        self.source, self.cls, self.where = source, manifest_cls, where

    def __enter__(self):
        src = io.BytesIO(self.source) if isinstance(self.source, (bytes, bytearray)) \
            else self.source
        try:
            self.z = zipfile.ZipFile(src)
        except FileNotFoundError:
            raise ModelFileError(f"{self.where} does not exist.")
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError,
                NotImplementedError) as exc:  # e.g. "zip file version 6.4"
            raise ModelFileError(f"{self.where} is not a {self.cls.LABEL} of this plugin (not a "
                                 f"readable zip archive: {exc or type(exc).__name__}). "
                                 f"{self.cls.ADVICE}")
        return self.z

    def __exit__(self, *exc):
        self.z.close()
        return False


def _check_members(z, cls, where):
    infos = z.infolist()
    if len(infos) > MAX_MEMBERS:
        raise ModelFileError(f"{where} has {len(infos)} members, more than any {cls.LABEL} "
                             f"needs ({MAX_MEMBERS}): refused.")
    out, total, odd = {}, 0, []
    for info in infos:
        name = info.filename
        if name in out:
            raise ModelFileError(f"{where} holds the member '{name}' twice: refused (a file "
                                 f"altered to hide content).")
        if name != MANIFEST and not _NAME.match(name):
            odd.append(name)
            continue
        if info.flag_bits & 0x1:
            raise ModelFileError(f"{where} has an encrypted member '{name}': refused.")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ModelFileError(f"{where} uses a compression this plugin never writes for "
                                 f"'{name}': refused.")
        kind = "manifest" if name == MANIFEST else name.rsplit(".", 1)[1]
        cap = min(cls.MAX_BYTES, CAPS[kind])
        if info.file_size > cap:
            raise ModelFileError(f"{where}: the member '{name}' would inflate to "
                                 f"{info.file_size / MiB:,.0f} MiB, more than a {cls.LABEL} "
                                 f"can need ({cap / MiB:,.0f} MiB): refused (a zip bomb or a "
                                 f"damaged file).")
        total += info.file_size
        out[name] = info
    limit = min(MAX_TOTAL, cls.MAX_BYTES)
    if total > limit:
        raise ModelFileError(f"{where} would inflate to {total / MiB:,.0f} MiB in all, more than "
                             f"a {cls.LABEL} can need ({limit / MiB:,.0f} MiB): refused.")
    if MANIFEST not in out:
        raise ModelFileError(f"{where} has no manifest: it is not a {cls.LABEL} of this plugin. "
                             f"{cls.ADVICE}")
    return out, odd


def _odd_members(odd, cls, where):
    """Refuse members that no model file has (checked after the manifest, so that a file of
    an older format is named as such)."""
    if odd:
        raise ModelFileError(f"{where} holds a member named {odd[0]!r}, which no {cls.LABEL} "
                             f"has (only manifest.json, *.npy and *.json with plain names): "
                             f"refused.")


def _manifest(z, infos, cls, where):
    raw = _read_member(z, infos[MANIFEST], CAPS["manifest"], where)
    try:
        obj = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ModelFileError(f"The manifest of {where} is not valid JSON ({exc}): the file is "
                             f"damaged or altered. {cls.ADVICE}")
    return cls.from_json(obj, where)


def _read_member(z, info, cap, where):
    """The member's bytes, read in chunks and never more than ``cap`` or its declared size."""
    limit = min(cap, info.file_size)
    parts, n = [], 0
    try:
        with z.open(info) as fh:
            while True:
                chunk = fh.read(min(CHUNK, limit - n + 1))
                if not chunk:
                    break
                n += len(chunk)
                if n > limit:
                    raise ModelFileError(f"{where}: the member '{info.filename}' inflates "
                                         f"beyond its declared size: refused.")
                parts.append(chunk)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, ValueError,
            NotImplementedError) as exc:
        raise ModelFileError(f"{where} is damaged: the member '{info.filename}' cannot be "
                             f"read ({exc or type(exc).__name__}).")
    return b"".join(parts)


def _read_npy(z, info, where):
    """A plain numeric array from a ``.npy`` member: the header is parsed and checked (dtype,
    shape, size equal to the member's) before the data is read; never pickle."""
    fmt = np.lib.format
    name = info.filename
    try:
        with z.open(info) as fh:
            major, _ = fmt.read_magic(fh)
            if major == 1:
                shape, fortran, dtype = fmt.read_array_header_1_0(fh)
            elif major == 2:
                shape, fortran, dtype = fmt.read_array_header_2_0(fh)
            else:
                raise ValueError(f"npy version {major}")
            header = fh.tell()
            if dtype.hasobject or dtype.fields is not None or dtype.kind not in ARRAY_KINDS \
                    or dtype.subdtype is not None:
                raise ModelFileError(f"{where}: the array '{name}' has the element type "
                                     f"{dtype}, which a model file never holds: refused.")
            if any(not isinstance(s, int) or s < 0 for s in shape):
                raise ValueError(f"shape {shape}")
            count = math.prod(shape)
            nbytes = count * dtype.itemsize
            if header + nbytes != info.file_size:
                raise ModelFileError(f"{where}: the array '{name}' declares {nbytes:,} bytes of "
                                     f"data in a member of {info.file_size - header:,}: the file "
                                     f"is damaged or altered.")
            data = bytearray(nbytes)
            view, pos = memoryview(data), 0
            while pos < nbytes:
                got = fh.readinto(view[pos:pos + CHUNK])
                if not got:
                    break
                pos += got
            if pos != nbytes or fh.read(1):
                raise ValueError("truncated or trailing data")
    except ModelFileError:
        raise
    except Exception as exc:  # noqa: BLE001  numpy's header parser on hostile bytes raises
        # ValueError, SyntaxError, TypeError, tokenize.TokenError, RecursionError, ...: every
        # one means a damaged file here, never a reason to stop with a traceback
        raise ModelFileError(f"{where} is damaged: the array '{name}' cannot be read "
                             f"({exc or type(exc).__name__}).")
    arr = np.frombuffer(data, dtype=dtype, count=count)
    return arr.reshape(shape, order="F" if fortran else "C")
