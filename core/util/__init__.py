"""Plumbing every method shares: errors, progress and cancellation, optional packages, the pinned
package sets and their installer, the TensorFlow worker process, provenance, atomic outputs,
the generic HTML report. The bottom layer of core/: it imports no other package of core/.

Modules: deps, errors, installer, jit (numba loops compiled once), locks, memory (memory
needed against available, before the work), partial (atomic outputs), progress, provenance,
report, schema (typed JSON records), signals (SIGTERM and SIGINT unwind a run), worker.
"""
from . import errors, memory, progress, schema  # noqa: F401  (the others by path)
from .errors import (Cancelled, DependencyError, HazardError, InputError)  # noqa: F401
from .progress import (Feedback, NO_FEEDBACK, as_feedback)  # noqa: F401
__all__ = ['Cancelled', 'DependencyError', 'Feedback', 'HazardError', 'InputError', 'NO_FEEDBACK',
           'as_feedback', 'errors', 'memory', 'progress', 'schema']
