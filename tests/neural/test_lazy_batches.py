"""Torch models draw their batches lazily from the per-clip arrays, with the same bytes as the stacked copy."""

from __future__ import annotations

import numpy as np
import pytest

from avbench_plugins.models.neural.cuny import CunyLstm
from avbench_plugins.models.neural.inputs import InputLayout, LazyRows, fit_layout
from avbench_plugins.models.neural.ravdess_cnn import RavdessCnn
from avbench_plugins.models.neural.ristea import RisteaFramesCnn
from avbench.contract import OutputKind

from . import synthetic

N_CLASSES = 3
y = synthetic.labels(12, N_CLASSES)
y_val = synthetic.labels(6, N_CLASSES, seed=1)

CASES = [
    pytest.param(CunyLstm, {"lstm_units": 6, "dense_units": (5,), "tanh_units": 4}, synthetic.sequences,
                 id="cuny-lstm-with-lengths"),
    pytest.param(RavdessCnn, {}, synthetic.spectrograms, id="ravdess-cnn-spectrogram"),
    pytest.param(RisteaFramesCnn, {"n_frames": 4, "frame_size": (14, 12), "channels": (3, 4)},
                 synthetic.image_stacks, id="ristea-frames-cnn"),
]


def test_a_lazy_batch_equals_the_same_rows_of_the_stacked_copy():
    X = synthetic.sequences(y)
    layout = fit_layout(X[:8], OutputKind.SEQUENCE, max_len=9, with_lengths=True)
    rows, lengths = layout.lazy(X)
    data, stacked_lengths = layout.transform(X)
    index = np.array([11, 0, 5, 5, 3])
    assert isinstance(rows, LazyRows) and rows.shape == data.shape and len(rows) == len(X)
    assert rows[index].tobytes() == data[index].tobytes()
    assert rows[4].tobytes() == data[4].tobytes()
    np.testing.assert_array_equal(lengths, stacked_lengths)


def test_a_lazy_layout_checks_every_clip_when_made():
    layout = fit_layout(synthetic.sequences(y), OutputKind.SEQUENCE)
    with pytest.raises(ValueError, match="clip 1 has shape"):
        layout.lazy([np.zeros((3, 4), np.float32), np.zeros((3, 5), np.float32)])
    with pytest.raises(ValueError, match="clip 0 holds NaN"):
        layout.lazy([np.full((3, 4), np.nan, np.float32)])


@pytest.mark.parametrize("cls, params, make", CASES)
def test_training_from_lazy_batches_gives_the_same_bytes_without_stacking_every_clip(cls, params, make,
                                                                                       monkeypatch):
    X, X_val = make(y), make(y_val, seed=1)
    settings = {**params, "max_epochs": 2, "lr": 1e-2, "device": "cpu", "seed": 3}
    eager = cls(settings)
    monkeypatch.setattr(eager, "prepare_lazily", eager.prepare)  # the stacked [N, *shape] copy, as before
    expected = eager.fit(X, y, n_classes=N_CLASSES, X_val=X_val, y_val=y_val).predict_proba(X_val)

    def no_stacking(self, *args, **kwargs):
        raise AssertionError("a whole set was stacked into one array")

    monkeypatch.setattr(InputLayout, "transform", no_stacking)
    lazy = cls(settings)
    got = lazy.fit(X, y, n_classes=N_CLASSES, X_val=X_val, y_val=y_val).predict_proba(X_val)
    assert got.tobytes() == expected.tobytes()
