"""Torch model plugins that share one training loop (:mod:`.training`) and one base class (:mod:`.base`)."""
