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
    """An optional Python package is missing; ``message`` says what to do (deps.require)."""

    def __init__(self, package, pip_name=None, purpose="", message=None):
        self.package = package
        self.pip_name = pip_name or package
        super().__init__(message or f"The Python package '{self.pip_name}' is required "
                                    f"{purpose} but is not installed.".replace("  ", " "))


class Cancelled(HazardError):
    """The user cancelled the run."""

    def __init__(self, message="Cancelled by the user."):
        super().__init__(message)
