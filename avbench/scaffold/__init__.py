"""Templates for third-party plugin packages (``avbench new-plugin KIND NAME``)."""

from .generator import KINDS, ScaffoldError, names_for, new_plugin_package

__all__ = ["KINDS", "ScaffoldError", "names_for", "new_plugin_package"]
