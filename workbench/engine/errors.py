"""One family of errors whose messages are written for a person.

Every failure the user can act on (bad file, bad parameter, too few rows...)
is a ``WorkbenchError``.  Front ends show ``str(error)`` as is: the CLI on one
line, the GUI where the user acted.  ``Cancelled`` is *not* an ``Exception``:
library code full of ``except Exception`` must not swallow a user's cancel.
"""

from __future__ import annotations


class WorkbenchError(Exception):
    """Base class: an error with a message a person can act on."""


class DataError(WorkbenchError):
    """A dataset cannot be read or is not usable as asked."""


class SpecError(WorkbenchError):
    """A run/tuning specification, parameter or flag is invalid."""


class ProjectError(WorkbenchError):
    """The project folder is missing, malformed, or a name is unknown."""


class TrainingError(WorkbenchError):
    """Fitting or evaluating a model failed."""


class ExportError(WorkbenchError):
    """A model cannot be exported (e.g. to ONNX) or failed its parity check."""


class ClusterError(WorkbenchError):
    """A Dask cluster could not be reached, or lost a job (a worker died)."""


class Cancelled(BaseException):
    """Raised inside a job when its cancel token is set.

    A ``BaseException`` on purpose (like Orange's ``UserInterrupt``): it passes
    through the ``except Exception`` blocks of scikit-learn, XGBoost callbacks
    and our own code, and reaches the executor, which records the run as
    cancelled.
    """
