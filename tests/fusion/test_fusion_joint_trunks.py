"""Joint trunks: the branches' torch trunks concatenated (optionally in a width ratio) and trained together."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from torch import nn

from avbench.contract import BranchBatch, FusionData
from avbench_plugins.fusion.joint_trunks import JointTrunks
from avbench_plugins.models.neural.ravdess_cnn import RavdessCnn
from avbench_plugins.models.neural.ristea import RisteaAudioCnn, RisteaFramesCnn

from ..neural import synthetic
from .fakes import Recorder, factory

y = synthetic.labels(12, 3)


def ristea_batch(labels: np.ndarray, seed: int = 0) -> BranchBatch:
    return BranchBatch(features={"video": synthetic.image_stacks(labels, frames=4, size=(12, 10), seed=seed),
                                 "audio": synthetic.spectrograms(labels, bins=10, seed=seed)},
                       y=labels, subjects=np.array(["A"] * len(labels)), clip_ids=np.arange(len(labels)))


def ristea_models() -> dict:
    return {"video": RisteaFramesCnn(n_frames=4, frame_size=(12, 10), channels=(3,), feature_units=12,
                                     max_epochs=2, lr=1e-3),
            "audio": RisteaAudioCnn(resize=(10, 12), channels=(2,), feature_units=3, max_epochs=2)}


def test_ratio_4_to_1_projects_video_and_audio_features_to_4_and_1_units_then_two_fc_layers():
    fusion = JointTrunks(ratio={"video": 4, "audio": 1}, unit=8, hidden_units=(6,))
    fusion.fit(FusionData(train=ristea_batch(y), n_classes=3), ristea_models(), factory)
    assert fusion.widths == {"video": 32, "audio": 8}
    net = fusion.network()
    assert [p[0].out_features for p in net.projections] == [32, 8]
    head_linears = [m for m in net.head.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in head_linears] == [(40, 6), (6, 3)]


def test_without_a_ratio_raw_trunk_outputs_are_concatenated_into_one_fc_layer():
    labels = y
    train = BranchBatch(features={"audio": synthetic.spectrograms(labels, bins=6, lengths=(8, 9)),
                                  "video": synthetic.sequences(labels, dim=6, lengths=(5, 6))},
                        y=labels, subjects=np.array(["A"] * 12), clip_ids=np.arange(12))
    models = {"audio": RavdessCnn(max_epochs=1), "video": RavdessCnn(max_epochs=1)}
    fusion = JointTrunks().fit(FusionData(train=train, n_classes=3), models, factory)
    audio_width = 16 * ((6 - 2) // 2) * ((8 - 2) // 2)
    video_width = 16 * ((5 - 2) // 2) * ((6 - 2) // 2)
    assert fusion.widths == {"audio": audio_width, "video": video_width}
    head_linears = [m for m in fusion.network().head.modules() if isinstance(m, nn.Linear)]
    assert [(m.in_features, m.out_features) for m in head_linears] == [(audio_width + video_width, 3)]


def test_joint_training_predicts_probabilities_and_survives_pickling():
    fusion = JointTrunks(ratio={"video": 4, "audio": 1}, unit=2, hidden_units=(4,))
    data = FusionData(train=ristea_batch(y), n_classes=3, val=ristea_batch(y[:6], seed=1))
    fusion.fit(data, ristea_models(), factory)
    test = ristea_batch(y[:5], seed=2).features
    proba = fusion.predict_proba(test)
    assert proba.shape == (5, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(fusion)).predict_proba(test), proba)
    assert fusion.train_result.epochs_run == 2  # the branch model's max_epochs


def test_training_settings_come_from_the_first_branch_model_with_overrides():
    fusion = JointTrunks(training={"lr": 0.5})
    fusion.fit(FusionData(train=ristea_batch(y), n_classes=3), ristea_models(), factory)
    settings = fusion._training()
    assert settings.lr == 0.5 and settings.weight_decay == 5e-5 and settings.max_epochs == 2


def test_each_branch_models_training_augmentation_is_applied(monkeypatch):
    calls = []
    original = RisteaFramesCnn.augment_batch

    def spy(self, inputs, generator):
        calls.append(tuple(inputs[0].shape))
        return original(self, inputs, generator)

    monkeypatch.setattr(RisteaFramesCnn, "augment_batch", spy)
    JointTrunks().fit(FusionData(train=ristea_batch(y), n_classes=3), ristea_models(), factory)
    assert calls and all(shape[1:] == (4, 12, 10) for shape in calls)


def test_branch_models_without_a_torch_trunk_are_refused():
    with pytest.raises(TypeError, match="without a torch trunk"):
        JointTrunks().fit(FusionData(train=ristea_batch(y), n_classes=3),
                          {"video": ristea_models()["video"], "audio": Recorder()}, factory)


def test_a_ratio_must_name_every_branch():
    with pytest.raises(ValueError, match="ratio names"):
        JointTrunks(ratio={"video": 4}).fit(FusionData(train=ristea_batch(y), n_classes=3), ristea_models(),
                                            factory)
