"""Where temporary files go: one folder the host application chooses (QGIS's processing temp
folder, set by the glue before every run), else the system's. Every temporary folder of the
plugin is made here and removed by its ``with``, on success, error, cancel and, since the glue
turns SIGTERM/SIGINT into an exception, on a kill too."""
import os
import tempfile

_BASE = [None]


def set_base(path):
    """Make temporary folders under ``path`` (None: the system's temp folder)."""
    if path:
        os.makedirs(path, exist_ok=True)
    _BASE[0] = path or None


def base():
    """The folder temporary folders are made in."""
    return _BASE[0] or tempfile.gettempdir()


def workdir(prefix):
    """A temporary folder (a ``with`` context giving its path), removed on leaving."""
    return tempfile.TemporaryDirectory(prefix=prefix, dir=base())


def mkdtemp(prefix):
    """A temporary folder its caller removes (in a ``finally``)."""
    return tempfile.mkdtemp(prefix=prefix, dir=base())
