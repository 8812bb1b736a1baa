"""Progress reporting and cancellation, independent of QGIS.

The algorithms wrap a ``QgsProcessingFeedback`` in a :class:`Feedback`; tests use the default
instance, which reports nowhere and is never cancelled.
"""
from .errors import Cancelled


class Feedback:
    """Progress in [0, 1], a cancel check and a log, mapped onto a sub-range if needed."""

    def __init__(self, progress=None, is_cancelled=None, log=None, start=0.0, end=1.0):
        self._progress = progress
        self._is_cancelled = is_cancelled
        self._log = log
        self.start = start
        self.end = end

    def report(self, fraction):
        """Report progress as a fraction of this feedback's range."""
        if self._progress is not None:
            fraction = min(max(float(fraction), 0.0), 1.0)
            self._progress(self.start + (self.end - self.start) * fraction)

    def cancelled(self):
        return bool(self._is_cancelled and self._is_cancelled())

    def check(self):
        """Raise :class:`Cancelled` when the user has asked to stop."""
        if self.cancelled():
            raise Cancelled()

    def info(self, message):
        if self._log is not None:
            self._log(str(message))

    def sub(self, lo, hi):
        """A feedback for a step covering [lo, hi] of this one."""
        span = self.end - self.start
        return Feedback(self._progress, self._is_cancelled, self._log,
                        self.start + span * lo, self.start + span * hi)


NO_FEEDBACK = Feedback()


def as_feedback(feedback):
    return NO_FEEDBACK if feedback is None else feedback
