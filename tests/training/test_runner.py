import json
import os

import keras
import numpy as np
import pytest

from keras_gen.training.callbacks import TrainingDivergedError
from keras_gen.training.config import TrainConfig, parse_options
from keras_gen.families import train
from keras_gen.training.runner import load_trained


def tiny_config(output_dir, **changes):
    values = dict(model="vae", dataset="synthetic_16", epochs=2, steps_per_epoch=2, batch_size=4,
                  output_dir=str(output_dir), options={"hidden_units": "16"}, latent_dim=4)
    return TrainConfig(**{**values, **changes})


def test_train_writes_model_checkpoints_history_and_samples_then_resumes(tmp_path):
    model = train(tiny_config(tmp_path), verbose=0)
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["epoch_0001.keras", "epoch_0002.keras"]
    assert json.load(open(tmp_path / "state.json"))["epoch"] == 2
    assert sorted(os.listdir(tmp_path / "samples")) == ["epoch_0001.png", "epoch_0002.png"]
    history = open(tmp_path / "history.csv").read().splitlines()
    assert history[0].split(",")[:4] == ["epoch", "kl", "loss", "reconstruction"] and len(history) == 3
    assert int(model.optimizer.iterations.numpy()) == 4

    restored, config = load_trained(str(tmp_path))
    assert config.model == "vae" and config.epochs == 2
    images = np.random.default_rng(0).random((2, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(np.asarray(restored(images)), np.asarray(model(images)), atol=1e-6)

    resumed = train(tiny_config(tmp_path, epochs=3, resume=True), verbose=0)
    assert int(resumed.optimizer.iterations.numpy()) == 6  # optimizer state carried over, 2 more steps
    assert len(open(tmp_path / "history.csv").read().splitlines()) == 4  # appended, epochs 0..2
    assert sorted(os.listdir(tmp_path / "checkpoints")) == ["epoch_0002.keras", "epoch_0003.keras"]


class PoisonWeights(keras.callbacks.Callback):
    """Turns the decoder's output bias into NaN at the start of epoch 2."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            layer = self.model.decoder.get_layer("mlp_decoder_output")
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, np.full_like(bias, np.nan)])


def test_nan_stops_training_naming_the_step_and_keeps_earlier_checkpoints(tmp_path):
    with pytest.raises(TrainingDivergedError, match=r"loss=nan, reconstruction=nan at epoch 2, batch 1 \(optimizer step 3\)"):
        train(tiny_config(tmp_path, epochs=3), callbacks=[PoisonWeights()], verbose=0)
    assert os.listdir(tmp_path / "checkpoints") == ["epoch_0001.keras"]
    assert json.load(open(tmp_path / "state.json"))["epoch"] == 1
    assert not os.path.exists(tmp_path / "model.keras")
    restored, _ = load_trained(str(tmp_path))  # falls back to the last good checkpoint
    assert all(np.isfinite(w).all() for w in restored.get_weights())


def test_missing_model_dir_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=f"model_dir='{tmp_path}'"):
        load_trained(str(tmp_path))
    with pytest.raises(FileNotFoundError, match="model_dir='/no/such/dir'"):
        load_trained("/no/such/dir")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"epochs": 0}, "Received: epochs=0"),
        ({"batch_size": -1}, "Received: batch_size=-1"),
        ({"learning_rate": 0.0}, "Received: learning_rate=0.0"),
        ({"precision": "float8"}, "Received: precision='float8'"),
        ({"strategy": "tpu"}, "Received: strategy='tpu'"),
        ({"steps_per_epoch": 0}, "Received: steps_per_epoch=0"),
    ],
)
def test_config_rejects_bad_values_by_name(changes, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        tiny_config(tmp_path, **changes)


def test_options_text_splits_into_key_value_pairs():
    assert parse_options("a=1, b = x") == {"a": "1", "b": "x"}
    with pytest.raises(ValueError, match="Received: 'oops'"):
        parse_options("a=1,oops")


def test_fd_every_and_tensorboard_options_reach_history_csv_and_logs(tmp_path):
    train(tiny_config(tmp_path, epochs=2, fd_every=1, tensorboard=True), verbose=0)
    header, *rows = open(tmp_path / "history.csv").read().splitlines()
    assert "fd" in header.split(","), header
    column = header.split(",").index("fd")
    assert all(float(row.split(",")[column]) > 0 for row in rows)
    assert os.listdir(tmp_path / "logs")
