"""A run stopped by SIGTERM or SIGINT unwinds like an error: the signal raises
:class:`Terminated` in the main thread, every ``with`` and ``finally`` on the way out removes
what the run made, and the process then ends as the signal would have ended it."""
import os
import signal
import threading


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
