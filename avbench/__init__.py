"""avbench: a benchmark harness for audio-visual emotion recognition.

Every system is a set of declared plugins (datasets, extractors, models, fusion
strategies, protocols) discovered through the ``avbench`` entry-point group.
"""

__version__ = "0.1.0"

from .hookspecs import hookimpl  # noqa: E402

__all__ = ["__version__", "hookimpl"]
