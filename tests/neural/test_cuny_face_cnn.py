"""cuny-face-cnn: cuny2020's small Conv2D net on the grayscale middle-frame face crop."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import torch
from torch import nn

from avbench.contract import OutputKind, RunContext
from avbench.registry import contract_problems, discover
from avbench_plugins.models.neural.cuny import CunyFaceCnn

from . import synthetic


def middle_frame_faces(y: np.ndarray, size: tuple[int, int] = (24, 20), seed: int = 0) -> list[np.ndarray]:
    """One-frame face stacks ``[1, H, W]`` whose brightness depends on the class."""
    return synthetic.image_stacks(y, frames=1, size=size, seed=seed)


def test_cuny_face_cnn_is_registered_by_its_module_hook():
    registry = discover()
    assert registry.info("cuny-face-cnn").cls is CunyFaceCnn
    assert contract_problems(CunyFaceCnn) == []


def test_cuny_face_cnn_is_two_conv_relu_maxpool_blocks_then_dense128_relu():
    trunk, width = CunyFaceCnn().build_trunk((1, 64, 64))
    kinds = [type(m) for m in trunk.features]
    assert kinds == [nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Flatten]
    convs = [m for m in trunk.features if isinstance(m, nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size, c.padding) for c in convs] == [
        (1, 32, (3, 3), (0, 0)), (32, 64, (3, 3), (0, 0))]
    assert [type(m) for m in trunk.fc] == [nn.Linear, nn.ReLU]
    assert trunk.fc[0].in_features == 64 * 14 * 14  # 64 -> conv 62 -> pool 31 -> conv 29 -> pool 14
    assert width == 128


def test_cuny_face_cnn_trains_at_most_five_epochs_with_adam_1e3_by_default():
    p = CunyFaceCnn().params
    assert (p.max_epochs, p.lr, p.batch_size) == (5, 1e-3, 32)


def test_cuny_face_cnn_maps_middle_frame_stacks_to_one_probability_row_per_clip():
    y = synthetic.labels(10, 4)
    model = CunyFaceCnn(channels=(3, 4), dense_units=(8,), max_epochs=1, device="cpu", seed=0)
    proba = model.fit(middle_frame_faces(y), y, n_classes=4).predict_proba(middle_frame_faces(y[:3], seed=1))
    assert proba.shape == (3, 4)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert model.layout.shape == (1, 24, 20)


def test_cuny_face_cnn_reads_several_frames_as_channels():
    trunk, _ = CunyFaceCnn(channels=(2,)).build_trunk((3, 16, 16))
    assert trunk(torch.zeros(5, 3, 16, 16)).shape[0] == 5
    assert trunk.features[0].in_channels == 3


def test_cuny_face_cnn_learns_faces_whose_brightness_gives_the_class():
    y = synthetic.labels(36, 3)
    X = middle_frame_faces(y * 3, size=(16, 16))
    model = CunyFaceCnn(channels=(4, 4), dense_units=(16,), max_epochs=15, patience=15, val_fraction=0,
                        lr=1e-2, batch_size=8, device="cpu", seed=0, num_threads=1)
    model.fit(X, y, n_classes=3)
    assert (model.predict(X) == y).mean() > 0.8


def test_cuny_face_cnn_refuses_sequences():
    with pytest.raises(ValueError, match="image_stack"):
        CunyFaceCnn().fit_inputs(synthetic.sequences(synthetic.labels(6, 2)))


def test_fitted_cuny_face_cnn_pickles_and_predicts_the_same(tmp_path):
    y = synthetic.labels(8, 2)
    model = CunyFaceCnn(channels=(2,), dense_units=(4,), max_epochs=1, device="cpu", seed=0)
    model.setup(RunContext(cache_dir=tmp_path))
    model.fit(middle_frame_faces(y), y, n_classes=2)
    X = middle_frame_faces(y, seed=3)
    again = pickle.loads(pickle.dumps(model))
    np.testing.assert_allclose(again.predict_proba(X), model.predict_proba(X), rtol=1e-6)
    assert OutputKind.IMAGE_STACK in CunyFaceCnn.accepts
