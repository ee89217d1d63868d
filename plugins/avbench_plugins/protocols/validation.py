"""The one declared rule for validation subjects: model selection only, or training data for every model.

Protocols with validation subjects take ``val_in_training``. False (the default):
every model trains on the training subjects alone and validation subjects only
select the model (early stopping, best epoch); models without early stopping do
not use them. True: the validation subjects join every model's training set and
no model early-stops on them (torch models then hold out their ``val_fraction``
of training clips). Either way all models of the protocol train on the same subjects,
and the setting is in the protocol's parameters, so in every row's setup.
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import Field

from avbench.contract import Fold, Params


class ValidationParams(Params):
    val_in_training: bool = Field(False, description="validation subjects also train every model (none early-stops "
                                                     "on them); False: they only select the model")


def apply_val_in_training(fold: Fold, val_in_training: bool) -> Fold:
    """``fold`` as every model sees it: its validation clips moved into training when ``val_in_training``."""
    if not val_in_training or not fold.val:
        return fold
    return replace(fold, train=fold.train + fold.val, val=())
