"""Temporary files written beside an output and swapped in when complete (:class:`AtomicOutput`),
the lock that keeps two runs on one output from swapping at once, and the removal of what killed
runs left.

A temporary file of the output ``folder/name.ext`` is ``folder/.name.<pid>-<8 hex>.partial.ext``
(the name cut short so that it, and its sidecars, stay within the 255 bytes a file name may
have): hidden, tagged with its writer's process id, so that the next run on that output can
tell the files of a dead writer (removed) from those of one still running (left alone).
The lock is ``fcntl.flock`` on ``folder/.name.ext.lock`` (nothing on systems without fcntl)."""
from __future__ import annotations

import contextlib
import os
import re
import time
import uuid

try:
    import fcntl
except ImportError:  # Windows: runs on one output are not serialised there
    fcntl = None

NAME_MAX = 255  # bytes of one file name on every common file system
#: the longest suffix added to an output's name: its provenance record
SIDECAR_ROOM = len(".provenance.json")
_TEMP_ROOM = 40  # ".<pid>-<8 hex>.partial" + a sidecar's suffix such as ".aux.xml"
LEGACY_AGE = 3600.0  # seconds: temporary files of older versions (no pid) left this long


def max_name():
    """The longest output file name whose provenance sidecar still has a valid name."""
    return NAME_MAX - SIDECAR_ROOM


def name_too_long(path):
    """A sentence when the file name of ``path`` is too long to be written with its sidecars,
    else None."""
    base = os.path.basename(os.path.normpath(str(path)))
    n = len(base.encode("utf-8", "surrogateescape"))
    if n > max_name():
        return (f"the file name is {n} bytes long; with its '.provenance.json' record it would "
                f"pass the {NAME_MAX}-byte limit of file names: use a name of at most "
                f"{max_name()} bytes")
    return None


def _short(text, nbytes):
    """``text`` cut to at most ``nbytes`` bytes of UTF-8 (never inside a character)."""
    raw = text.encode("utf-8", "surrogateescape")
    if len(raw) <= nbytes:
        return text
    return raw[:nbytes].decode("utf-8", "ignore")


def _split(path):
    d, base = os.path.split(str(path))
    stem, ext = os.path.splitext(base)
    if len(ext.encode("utf-8", "surrogateescape")) > 32:  # not an extension: part of the name
        stem, ext = base, ""
    return d, stem, ext


def _stem(path):
    d, stem, ext = _split(path)
    room = NAME_MAX - _TEMP_ROOM - len(ext.encode("utf-8", "surrogateescape")) - 1
    return d, _short(stem, max(room, 8)), ext


def temp_path(path, kind="partial"):
    """A new hidden temporary path beside ``path``, with its extension (GDAL and OGR pick the
    format from it), tagged with this process's id."""
    d, stem, ext = _stem(path)
    return os.path.join(d, f".{stem}.{os.getpid()}-{uuid.uuid4().hex[:8]}.{kind}{ext}")


def lock_path(path):
    d, stem, ext = _stem(path)
    return os.path.join(d, f".{stem}{ext}.lock")


def _pattern(path):
    _, stem, _ = _stem(path)
    return re.compile(r"^\." + re.escape(stem) +
                      r"\.(?:(?P<pid>\d+)-)?[0-9a-f]{8}\.partial(?:\..*|-.*)?$")


def pid_alive(pid):
    """Whether the process ``pid`` still runs on this machine."""
    if pid == os.getpid():
        return True
    if os.name == "nt":  # os.kill(pid, 0) would end it there (untested: no Windows CI yet)
        return _nt_alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's: alive
        return True
    except OSError:
        return True
    return True


def _nt_alive(pid):
    try:
        import ctypes
        k32 = ctypes.windll.kernel32
        h = k32.OpenProcess(0x1000, False, int(pid))  # PROCESS_QUERY_LIMITED_INFORMATION
        if not h:
            return ctypes.GetLastError() != 87  # ERROR_INVALID_PARAMETER: no such process
        code = ctypes.c_ulong()
        ok = k32.GetExitCodeProcess(h, ctypes.byref(code))
        k32.CloseHandle(h)
        return not ok or code.value == 259  # STILL_ACTIVE
    except Exception:  # noqa: BLE001  (when unsure, the file is left)
        return True


def leftovers(path):
    """The temporary files beside ``path`` that killed runs left: their writer's process is
    gone (or, for files of versions that did not record it, they are over an hour old)."""
    d = os.path.dirname(str(path)) or "."
    pat = _pattern(path)
    try:
        names = os.listdir(d)
    except OSError:
        return []
    out = []
    now = time.time()
    for n in names:
        m = pat.match(n)
        if not m:
            continue
        full = os.path.join(d, n)
        pid = m.group("pid")
        if pid is not None:
            stale = not pid_alive(int(pid))
        else:
            try:
                stale = now - os.path.getmtime(full) > LEGACY_AGE
            except OSError:
                continue
        if stale:
            out.append(full)
    return sorted(out)


def remove_leftovers(path):
    """Remove the temporary files killed runs left beside ``path``; returns their paths."""
    import shutil
    gone = []
    for p in leftovers(path):
        try:
            if os.path.isdir(p) and not os.path.islink(p):
                shutil.rmtree(p)
            else:
                os.remove(p)
            gone.append(p)
        except FileNotFoundError:  # another run removed it first
            pass
        except OSError:
            pass
    return gone


@contextlib.contextmanager
def locked(path, waiting=None, poll=0.05):
    """Hold the lock of output ``path`` (another run on it waits). ``waiting()`` is called
    while waiting (it may raise to give up: a cancel); the lock file goes on release."""
    if fcntl is None:
        yield
        return
    lock = lock_path(path)
    os.makedirs(os.path.dirname(lock) or ".", exist_ok=True)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if waiting is not None:
                        waiting()
                    time.sleep(poll)
            try:
                same = os.path.samestat(os.fstat(fd), os.stat(lock))
            except FileNotFoundError:
                same = False  # the holder removed it on release: lock the new one
        except BaseException:
            os.close(fd)
            raise
        if same:
            break
        os.close(fd)
    try:
        yield
    finally:
        try:
            os.unlink(lock)  # still held: a run waiting on it sees it gone and starts again
        except OSError:
            pass
        os.close(fd)


def replace(tmp, path, sidecars=(), stale=()):
    """Swap ``tmp`` in as ``path``: the stale sidecars of the previous output (``stale``:
    suffixes such as '.aux.xml' and '.provenance.json') are removed first, so the new file
    is never seen with the old file's statistics or record; ``sidecars`` (suffixes) of
    ``tmp`` follow it."""
    for s in stale:
        with contextlib.suppress(FileNotFoundError):
            os.remove(str(path) + s)
    os.replace(tmp, path)
    for s in sidecars:
        if os.path.exists(tmp + s):
            os.replace(tmp + s, str(path) + s)


class AtomicOutput:
    """A temporary path beside ``path`` that replaces ``path`` only on success.

    Used as a context manager: on an exception the partial file is deleted and any earlier
    file at ``path`` is left untouched, so a failed or killed run never leaves half-written
    output. The temporary file is hidden and tagged with the writer's process id
    (see above): the ones killed runs left beside ``path`` are removed here, and
    the swap (under the output's lock, so two runs on one path swap one after the other)
    removes the previous file's statistics (.aux.xml), overviews (.ovr) and provenance record,
    which would otherwise describe the new file.
    """

    SIDECARS = (".aux.xml",)  # written by GDAL beside the temporary file: they follow it
    STALE = (".aux.xml", ".ovr", ".provenance.json")

    def __init__(self, path):
        self.path = str(path)
        self.tmp = temp_path(self.path)

    def __enter__(self):
        d = os.path.dirname(self.path)
        if d:
            os.makedirs(d, exist_ok=True)
        remove_leftovers(self.path)
        return self.tmp

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            with locked(self.path):
                replace(self.tmp, self.path, self.SIDECARS, self.STALE)
        else:
            for p in (self.tmp, self.tmp + ".aux.xml"):
                if os.path.exists(p):
                    os.remove(p)
        return False
