"""Exceptions raised by the pure-Python core.

The Processing algorithms turn these into ``QgsProcessingException`` messages; the
``input_name`` attribute names the parameter or layer the user has to fix.
"""


class HazardError(Exception):
    """Base class of every error the core raises on purpose."""

    def __init__(self, message, input_name=None):
        super().__init__(message)
        self.input_name = input_name


class InputError(HazardError):
    """An input (layer, band, field or value) cannot be used as given."""


class DependencyError(HazardError):
    """An optional Python package is missing."""

    def __init__(self, package, pip_name=None, purpose=""):
        self.package = package
        self.pip_name = pip_name or package
        msg = (f"The Python package '{self.pip_name}' is required{(' ' + purpose) if purpose else ''} "
               f"but is not installed. Install it into the Python that QGIS uses, for example: "
               f"python3 -m pip install \"{self.pip_name}\" (or run the algorithm "
               f"'Install Python dependencies' of this plugin).")
        super().__init__(msg)


class Cancelled(HazardError):
    """The user cancelled the run."""

    def __init__(self, message="Cancelled by the user."):
        super().__init__(message)
