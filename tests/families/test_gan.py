import os
import types

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen import data
from keras_gen.cli.gan import COMMANDS
from keras_gen.families import get_family
from keras_gen.latent.interpolation import interpolate
from keras_gen.losses import gan as gan_losses
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import load_trained
from keras_gen.utils.images import make_grid
from keras_gen.utils.value_range import to_unit

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")

INFO = data.get_info("synthetic_16")


def tiny_config(output_dir="unused", **changes):
    values = dict(model="dcgan", dataset="synthetic_16", epochs=1, steps_per_epoch=2, batch_size=4, latent_dim=6,
                  output_dir=str(output_dir), options={"base_filters": "4"})
    return TrainConfig(**{**values, **changes})


def test_recipes_losses_and_options():
    build = get_family("dcgan").build
    model = build(tiny_config(), INFO)
    assert model.generator_loss is gan_losses.non_saturating_generator_loss and model.num_classes is None
    assert float(model.d_optimizer.learning_rate) == pytest.approx(2e-4)  # recipe rate, not the shared 1e-3
    model = build(tiny_config(loss="wasserstein", learning_rate=5e-5), INFO)
    assert model.clip_value == 0.01 and model.discriminator_loss is gan_losses.wasserstein_discriminator_loss
    assert float(model.g_optimizer.learning_rate) == pytest.approx(5e-5)
    model = get_family("wgan_gp").build(tiny_config(model="wgan_gp"), INFO)
    assert model.gradient_penalty_weight == 10.0 and model.d_steps == 5 and model.clip_value is None
    assert not any(isinstance(l, keras.layers.BatchNormalization) for l in model.discriminator.layers)
    options = {"base_filters": "4", "d_steps": "2", "prior": "uniform", "attention_resolution": "0"}
    model = get_family("sagan").build(tiny_config(model="sagan", options=options), INFO)
    assert model.d_steps == 2 and model.prior == "uniform" and model.num_classes == 4
    assert not any("attention" in l.name for l in model.generator.layers)
    model = get_family("sagan").build(tiny_config(model="sagan"), INFO)
    assert model.generator_loss is gan_losses.hinge_generator_loss
    assert model.generator.get_layer("sagan_generator_attention").output.shape[1] == 8  # half the image size
    with pytest.raises(ValueError, match="Received: loss='bce'"):
        build(tiny_config(loss="bce"), INFO)
    with pytest.raises(ValueError, match="Option `d_steps` must be an int. Received: d_steps='two'"):
        build(tiny_config(options={"d_steps": "two"}), INFO)
    with pytest.raises(ValueError, match="Unknown option 'd_step' for model 'dcgan'. Valid options: .*d_steps"):
        build(tiny_config(options={"d_step": "5"}), INFO)


def test_commands_draw_the_models_samples(family_run, tmp_path):
    """The CLI verbs on a trained class-conditional run (the contract's smoke run of `cgan`)."""
    run = family_run("cgan")
    history = run.first_history[0].split(",")
    assert history[:5] == ["epoch", "d_loss", "fake_logits", "g_loss", "real_logits"]
    assert int(run.model.d_optimizer.iterations) == 2  # one D step per G step in this recipe
    restored, config = load_trained(run.output_dir)
    family = get_family(config.model)
    options = family.resolve_options(config)
    args = types.SimpleNamespace(num_samples=8, seed=0, labels=None, truncation=None, steps=4, method="linear")
    for command in ("sample", "interpolate", "arithmetic", "neighbours"):
        args.out = str(tmp_path / f"{command}.png")
        assert COMMANDS[command](restored, config, options, args) == args.out
    # sample: 8 images, classes in turn, one column per class (4), drawn 2x.
    expected = make_grid(family.sample_images(restored, 8, 0), ncols=4)[..., 0].repeat(2, 0).repeat(2, 1)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "sample.png")), expected)
    # interpolate: 2 rows of 4 points between latent pairs drawn with the seed, row labels 0 and 1.
    ends = np.asarray(restored.sample_latent(4, seed=0))
    z = np.concatenate([interpolate(ends[2 * r], ends[2 * r + 1], 4, "linear") for r in range(2)])
    images = to_unit(np.asarray(restored.generate(z, np.repeat([0, 1], 4))))
    expected = make_grid(images, ncols=4)[..., 0].repeat(2, 0).repeat(2, 1)
    np.testing.assert_array_equal(np.asarray(Image.open(tmp_path / "interpolate.png")), expected)
    # neighbours: each row starts with a sample.
    rows = np.asarray(Image.open(tmp_path / "neighbours.png"))[::2, ::2]  # undo the 2x
    first_column = np.stack([rows[2 + r * 18:2 + r * 18 + 16, 2:18] for r in range(8)])
    np.testing.assert_allclose(first_column / 255.0, family.sample_images(restored, 8, 0)[..., 0], atol=1 / 255 + 1e-6)
    args.labels, args.out = "5", str(tmp_path / "bad.png")
    with pytest.raises(ValueError, match=r"`labels` must be in \[0, 4\)\. Received: labels=\[5, 5, 5, 5, 5, 5, 5, 5\]"):
        COMMANDS["sample"](restored, config, options, args)
    # A fixed seed gives the same latent batch every call: the saved model reproduces the trained one's grid.
    saved = keras.models.load_model(os.path.join(run.output_dir, "model.keras"))  # the first run's final model
    np.testing.assert_allclose(family.sample_images(saved, 4, 3), family.sample_images(run.model, 4, 3), atol=1e-6)
    grid = family.sample_images(restored, 4, 3)
    assert not np.allclose(grid, family.sample_images(restored, 4, 4))
