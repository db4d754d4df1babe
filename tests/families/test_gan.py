import json
import os
import types

import keras
import numpy as np
import pytest

from keras_gen import data
from keras_gen.families import get_family
from keras_gen.losses import gan as gan_losses
from keras_gen.training.callbacks import TrainingDivergedError
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import load_trained, train

INFO = data.get_info("synthetic_16")


def tiny_config(output_dir="/tmp/unused", **changes):
    values = dict(model="dcgan", dataset="synthetic_16", epochs=1, steps_per_epoch=2, batch_size=4, latent_dim=6,
                  output_dir=str(output_dir), options={"base_filters": "4"})
    return TrainConfig(**{**values, **changes})


def test_recipes_losses_and_options():
    build = get_family("dcgan").build_model
    model = build(tiny_config(), INFO)
    assert model.generator_loss is gan_losses.non_saturating_generator_loss and model.num_classes is None
    assert float(model.d_optimizer.learning_rate) == pytest.approx(2e-4)  # recipe rate, not the shared 1e-3
    model = build(tiny_config(loss="wasserstein", learning_rate=5e-5), INFO)
    assert model.clip_value == 0.01 and model.discriminator_loss is gan_losses.wasserstein_discriminator_loss
    assert float(model.g_optimizer.learning_rate) == pytest.approx(5e-5)
    model = get_family("wgan_gp").build_model(tiny_config(model="wgan_gp"), INFO)
    assert model.gradient_penalty_weight == 10.0 and model.d_steps == 5 and model.clip_value is None
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in model.discriminator.layers)
    options = {"base_filters": "4", "d_steps": "2", "prior": "uniform", "attention_resolution": "0"}
    model = get_family("sagan").build_model(tiny_config(model="sagan", options=options), INFO)
    assert model.d_steps == 2 and model.prior == "uniform" and model.num_classes == 4
    assert not any("attention" in l.name for l in model.generator.layers)
    model = get_family("sagan").build_model(tiny_config(model="sagan"), INFO)
    assert model.generator_loss is gan_losses.hinge_generator_loss
    assert model.generator.get_layer("sagan_generator_attention").output.shape[1] == 8  # half the image size
    with pytest.raises(ValueError, match="Received: loss='bce'"):
        build(tiny_config(loss="bce"), INFO)
    with pytest.raises(ValueError, match="Received: d_steps='two'"):
        build(tiny_config(options={"d_steps": "two"}), INFO)


def test_train_resume_and_commands(tmp_path):
    model = train(tiny_config(tmp_path, model="cgan"), verbose=0)
    assert int(model.g_optimizer.iterations) == 2 and int(model.d_optimizer.iterations) == 2
    assert sorted(os.listdir(tmp_path / "samples")) == ["epoch_0001.png"]
    history = open(tmp_path / "history.csv").read().splitlines()
    assert history[0].split(",")[:5] == ["epoch", "d_loss", "fake_logits", "g_loss", "real_logits"]
    resumed = train(tiny_config(tmp_path, model="cgan", epochs=2, resume=True), verbose=0)
    assert int(resumed.g_optimizer.iterations) == 4 and int(resumed.d_optimizer.iterations) == 4
    assert json.load(open(tmp_path / "state.json"))["epoch"] == 2

    restored, config = load_trained(str(tmp_path))
    family = get_family(config.model)
    args = types.SimpleNamespace(num_samples=8, seed=0, labels=None, truncation=None, steps=4, method="linear")
    for command in ("sample", "interpolate", "arithmetic", "neighbours"):
        args.out = str(tmp_path / f"{command}.png")
        assert family.commands[command](restored, config, args) == args.out and os.path.exists(args.out)
    args.labels, args.out = "5", str(tmp_path / "bad.png")
    with pytest.raises(ValueError, match=r"must be in \[0, 4\)"):
        family.commands["sample"](restored, config, args)
    # A fixed seed gives the same latent batch every call: the saved model reproduces the trained one's grid.
    grid = family.sample_images(restored, 4, 3)
    np.testing.assert_allclose(grid, family.sample_images(resumed, 4, 3), atol=1e-6)
    assert grid.min() >= 0.0 and grid.max() <= 1.0 and not np.allclose(grid, family.sample_images(restored, 4, 4))


class PoisonGenerator(keras.callbacks.Callback):
    """Turns the generator's output bias into NaN at the start of epoch 2."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            layer = self.model.generator.get_layer("dcgan_generator_output_deconv")
            kernel, bias = layer.get_weights()
            layer.set_weights([kernel, np.full_like(bias, np.nan)])


def test_nan_stops_training_naming_the_step(tmp_path):
    with pytest.raises(TrainingDivergedError, match=r"d_loss=nan.*at epoch 2, batch 1 \(optimizer step 3\)"):
        train(tiny_config(tmp_path, epochs=3), callbacks=[PoisonGenerator()], verbose=0)
    assert os.listdir(tmp_path / "checkpoints") == ["epoch_0001.keras"]
