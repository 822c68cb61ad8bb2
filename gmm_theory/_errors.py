"""The errors that mean "not with this input" rather than a fault: the command line reports
them in one line.  Kept free of JAX, so that the command line can catch them before any part
of the toolkit is loaded."""


class MissingExtra(ImportError):
    """An optional part of the toolkit was used without the extra that installs it."""


class NotConverged(RuntimeError):
    """The saddle-point iteration ended without meeting its tolerance."""


class StoreInUse(RuntimeError):
    """Another live process holds the lock of a sweep's results store."""
