"""core.util.memory: the available memory (psutil, else /proc/meminfo) and the refusal of a run
that would not fit, naming its parameter."""
import builtins
import sys

import pytest

from hazard_susceptibility.core.util import memory
from hazard_susceptibility.core.util.errors import InputError


def test_available_reads_meminfo_without_psutil(monkeypatch, tmp_path):
    fake = tmp_path / "meminfo"
    fake.write_text("MemTotal:       32000000 kB\nMemFree:  100 kB\n"
                    "MemAvailable:    2048000 kB\n")
    monkeypatch.setattr(memory, "MEMINFO", str(fake))
    real_import = builtins.__import__

    def no_psutil(name, *a, **k):
        if name == "psutil":
            raise ImportError("no psutil")
        return real_import(name, *a, **k)
    monkeypatch.delitem(sys.modules, "psutil", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_psutil)
    assert memory.available() == 2048000 * 1024
    monkeypatch.setattr(memory, "MEMINFO", str(tmp_path / "absent"))
    assert memory.available() is None


def test_available_agrees_with_the_system():
    n = memory.available()
    if sys.platform.startswith("linux"):
        with open("/proc/meminfo") as fh:
            ref = [int(x.split()[1]) * 1024 for x in fh if x.startswith("MemAvailable:")][0]
        assert n == pytest.approx(ref, rel=0.2)


def test_require_refuses_beyond_the_usable_share(monkeypatch):
    monkeypatch.setattr(memory, "available", lambda: 10 * 1024 ** 3)
    msg = memory.require(7 * 1024 ** 3, "Drawing 1 absence", "COUNT", "lower the count [COUNT]")
    assert "7.0 GB" in msg and "10.0 GB available" in msg
    with pytest.raises(InputError) as exc:
        memory.require(9 * 1024 ** 3, "Drawing 2 absences", "COUNT", "lower the count [COUNT]")
    assert exc.value.input_name == "COUNT"
    assert "needs about 9.0 GB" in str(exc.value) and "10.0 GB are available" in str(exc.value)
    assert "lower the count [COUNT]" in str(exc.value)
    monkeypatch.setattr(memory, "available", lambda: None)
    assert "unknown" in memory.require(10 ** 15, "x", "COUNT", "y")


def test_texts():
    assert memory.size_text(10.5 * 1024 ** 3) == "10.5 GB"
    assert memory.size_text(3 * 1024 ** 2) == "3.0 MB"
    assert memory.duration_text(1) == "1 second"
    assert memory.duration_text(90) == "2 minutes"
    assert memory.duration_text(5 * 3600) == "5.0 hours"
    assert memory.duration_text(3 * 86400) == "3.0 days"
