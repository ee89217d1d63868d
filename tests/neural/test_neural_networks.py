"""Each network takes its declared inputs, has the layers its seed text describes, and classifies."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from avbench.contract import OutputKind
from avbench.registry import contract_problems
from avbench_plugins.models.neural.cuny import CunyLstm
from avbench_plugins.models.neural.ravdess_cnn import RavdessCnn
from avbench_plugins.models.neural.ristea import RisteaAudioCnn, RisteaFramesCnn
from avbench_plugins.models.neural.sapienza import SapienzaBlendshapeLstm, SapienzaMfccCnn

from . import synthetic

N_CLASSES = 5
y = synthetic.labels(8, N_CLASSES)

CASES = [
    pytest.param(CunyLstm, {"lstm_units": 8}, synthetic.sequences(y), id="cuny-lstm-sequence"),
    pytest.param(CunyLstm, {"lstm_units": 8}, synthetic.spectrograms(y), id="cuny-lstm-spectrogram"),
    pytest.param(SapienzaMfccCnn, {"channels": (2, 2, 2, 2), "fc_units": (6,)}, synthetic.spectrograms(y),
                 id="sapienza-mfcc-cnn-spectrogram"),
    pytest.param(SapienzaMfccCnn, {"channels": (2, 2, 2, 2), "fc_units": (6,)}, synthetic.sequences(y),
                 id="sapienza-mfcc-cnn-sequence"),
    pytest.param(SapienzaBlendshapeLstm, {"lstm_units": (6, 5)}, synthetic.sequences(y),
                 id="sapienza-blendshape-lstm"),
    pytest.param(RavdessCnn, {}, synthetic.spectrograms(y), id="ravdess-cnn-spectrogram"),
    pytest.param(RavdessCnn, {}, synthetic.sequences(y, dim=9), id="ravdess-cnn-sequence"),
    pytest.param(RisteaAudioCnn, {"resize": (16, 12), "channels": (2, 3)}, synthetic.spectrograms(y),
                 id="ristea-audio-cnn"),
    pytest.param(RisteaFramesCnn, {"n_frames": 4, "frame_size": (14, 12), "channels": (3, 4)},
                 synthetic.image_stacks(y), id="ristea-frames-cnn"),
]


@pytest.mark.parametrize("cls, params, X", CASES)
def test_network_maps_its_declared_input_to_one_logit_row_per_clip(cls, params, X):
    model = cls(params)
    model.fit_inputs(X)
    inputs = tuple(torch.from_numpy(a) for a in model.prepare(X))
    network = model.build_network(N_CLASSES)
    trunk, width = model.build_trunk(model.layout.shape)
    assert network(*inputs).shape == (len(X), N_CLASSES)
    assert trunk(*inputs).shape == (len(X), width)


@pytest.mark.parametrize("cls", [CunyLstm, SapienzaMfccCnn, SapienzaBlendshapeLstm, RavdessCnn, RisteaAudioCnn,
                                 RisteaFramesCnn])
def test_network_plugin_declaration_conforms_to_the_contract(cls):
    assert contract_problems(cls) == []


def test_model_refuses_an_input_kind_it_does_not_declare():
    with pytest.raises(ValueError, match="image_stack"):
        CunyLstm().fit_inputs(synthetic.image_stacks(y))


def test_cuny_lstm_is_lstm128_dense32_relu_dense32_relu_dense16_tanh():
    trunk, width = CunyLstm().build_trunk((40, 13))
    (lstm,) = trunk.lstms
    assert lstm.hidden_size == 128
    layers = list(trunk.dense)
    assert [type(m) for m in layers] == [nn.Linear, nn.ReLU, nn.Linear, nn.ReLU, nn.Linear, nn.Tanh]
    assert [m.out_features for m in layers if isinstance(m, nn.Linear)] == [32, 32, 16]
    assert width == 16


def test_lstm_output_ignores_padding_frames():
    model = CunyLstm(lstm_units=4, max_len=30)
    X = synthetic.sequences(y)
    model.fit_inputs(X)
    trunk, _ = model.build_trunk(model.layout.shape)
    x, lengths = (torch.from_numpy(a) for a in model.prepare(X))
    garbage = x.clone()
    for i, n in enumerate(lengths):
        garbage[i, n:] = 99.0
    assert torch.allclose(trunk(x, lengths), trunk(garbage, lengths))


def test_sapienza_cnn_has_four_conv_relu_maxpool_blocks_and_dropout_in_fc():
    trunk, _ = SapienzaMfccCnn().build_trunk((40, 120))
    kinds = [type(m) for m in trunk.features]
    assert kinds.count(nn.Conv2d) == 4
    for i, kind in enumerate(kinds):
        if kind is nn.Conv2d:
            assert kinds[i + 1:i + 3] == [nn.ReLU, nn.MaxPool2d]
    assert any(isinstance(m, nn.Dropout) for m in trunk.fc)


def test_sapienza_blendshape_lstm_stacks_two_lstms_with_dropout_then_relu_dense():
    trunk, _ = SapienzaBlendshapeLstm().build_trunk((50, 52))
    assert len(trunk.lstms) == 2 and trunk.lstms[0].input_size == 52
    assert trunk.dropout.p > 0
    assert [type(m) for m in trunk.dense] == [nn.Linear, nn.ReLU]


def test_ravdess_cnn_is_one_conv16_3x3_relu_maxpool_dropout05_then_one_fc():
    model = RavdessCnn()
    trunk, width = model.build_trunk((128, 216))
    convs = [m for m in trunk.features if isinstance(m, nn.Conv2d)]
    assert len(convs) == 1
    assert convs[0].out_channels == 16 and convs[0].kernel_size == (3, 3) and convs[0].stride == (1, 1)
    assert [type(m) for m in trunk.features] == [nn.Conv2d, nn.ReLU, nn.MaxPool2d, nn.Dropout, nn.Flatten]
    assert [m.p for m in trunk.features if isinstance(m, nn.Dropout)] == [0.5]
    assert width == 16 * ((128 - 2) // 2) * ((216 - 2) // 2)
    assert isinstance(model.build_head(width, 8), nn.Linear)
    assert model.params.lr == 1e-5 and model.params.patience == 10


def test_ristea_defaults_follow_the_text():
    for model in (RisteaAudioCnn(), RisteaFramesCnn()):
        p = model.params
        assert (p.lr, p.weight_decay, p.batch_size, p.max_epochs) == (1e-4, 5e-5, 32, 4)
        head = model.build_head(64, 6)
        assert len([m for m in head.modules() if isinstance(m, nn.Linear)]) == 2


def test_ristea_frames_cnn_takes_20_frames_of_98x80_as_channels_and_has_4x_the_audio_features():
    frames, frames_width = RisteaFramesCnn().build_trunk((20, 98, 80))
    first_conv = next(m for m in frames.features if isinstance(m, nn.Conv2d))
    assert first_conv.in_channels == 20
    _, audio_width = RisteaAudioCnn().build_trunk((192, 120))
    assert frames_width == 4 * audio_width


def test_ristea_audio_cnn_resizes_any_spectrogram_to_192x120():
    model = RisteaAudioCnn()
    model.fit_inputs(synthetic.spectrograms(y, bins=20, lengths=(30, 90)))
    assert model.layout.shape == (192, 120)


def test_ristea_frames_cnn_resamples_the_frame_count_and_resizes_faces():
    model = RisteaFramesCnn(n_frames=4, frame_size=(10, 8))
    model.fit_inputs(synthetic.image_stacks(y, frames=9, size=(20, 16)))
    assert model.layout.shape == (4, 10, 8)


def test_sapienza_mfcc_cnn_fit_learns_separable_classes():
    y_train = synthetic.labels(30, 3)
    X = synthetic.spectrograms(y_train * 4, bins=8, lengths=(8, 12))
    model = SapienzaMfccCnn(channels=(4, 4, 4, 4), fc_units=(16,), dropout=0.0, max_epochs=10, val_fraction=0,
                            lr=1e-2, batch_size=8, seed=0)
    proba = model.fit(X, y_train, n_classes=3).predict_proba(X)
    assert proba.shape == (30, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (proba.argmax(axis=1) == y_train).mean() > 0.8


def test_frames_model_trains_with_augmentation_on():
    y_train = synthetic.labels(12, 2)
    model = RisteaFramesCnn(n_frames=3, frame_size=(12, 10), channels=(2,), feature_units=4, hidden_units=4,
                            max_epochs=2, val_fraction=0)
    proba = model.fit(synthetic.image_stacks(y_train, frames=3, size=(12, 10)), y_train,
                      n_classes=2).predict_proba(synthetic.image_stacks(y_train[:3], frames=5, size=(12, 10)))
    assert proba.shape == (3, 2)


def test_accepts_match_what_the_text_feeds_each_network():
    assert OutputKind.IMAGE_STACK in RisteaFramesCnn.accepts
    assert {OutputKind.SPECTROGRAM, OutputKind.SEQUENCE} <= RavdessCnn.accepts
    assert OutputKind.SEQUENCE in CunyLstm.accepts and OutputKind.SEQUENCE in SapienzaBlendshapeLstm.accepts
