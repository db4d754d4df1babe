import json
import types

import numpy as np
import pytest
from PIL import Image

from keras_gen.cli.translation import COMMANDS
from keras_gen.data import paired
from keras_gen.metrics.evaluate import EvalRequest
from keras_gen.families import get_family
from keras_gen.losses import gan as gan_losses
from keras_gen.models.cyclegan import CycleGAN
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import load_trained
from keras_gen.utils.images import load_image
from keras_gen.utils.value_range import to_signed, to_unit

# With pytest-xdist, tests that share the session's trained families run in one worker (trained once there).
pytestmark = pytest.mark.xdist_group("families")


def tiny_config(model, output_dir="unused", **changes):
    values = dict(model=model, epochs=1, steps_per_epoch=2, batch_size=4, output_dir=str(output_dir),
                  options={"base_filters": "4", "num_downsamples": "2"} if model == "pix2pix" else {"base_filters": "4"})
    return TrainConfig(**{**values, **changes})


def test_recipes_defaults_and_dataset_checks():
    spade_family = get_family("spade")
    assert {n: get_family(n).default_dataset for n in ("pix2pix", "cyclegan", "srgan", "spade")} == {
        "pix2pix": "digits_edges", "cyclegan": "digits_thick", "srgan": "digits_sr4", "spade": "digits_labelmap"}
    config = tiny_config("spade", dataset="digits_labelmap", latent_dim=4, options={"base_filters": "4", "num_scales": "1"})
    model = spade_family.build(config, paired.get_paired_info("digits_labelmap"))
    assert model.style_encoder is not None and model.generator_loss is gan_losses.hinge_generator_loss
    assert float(model.g_optimizer.learning_rate) == pytest.approx(2e-4)  # published rate, not the shared 1e-3
    config = tiny_config("srgan", dataset="digits_sr4", learning_rate=1e-4)
    model = get_family("srgan").build(config, paired.get_paired_info("digits_sr4"))
    assert model.feature_source_used == "discriminator" and not model.conditional_discriminator
    assert float(model.d_optimizer.learning_rate) == pytest.approx(1e-4)
    config = tiny_config("cyclegan", dataset="digits_thick", loss="hinge", options={"base_filters": "4", "pool_size": "3"})
    model = get_family("cyclegan").build(config, paired.get_paired_info("digits_thick"))
    assert isinstance(model, CycleGAN) and model.pool_size == 3 and model.generator_loss is gan_losses.hinge_generator_loss
    with pytest.raises(ValueError, match="Received: dataset='digits_thick'"):
        get_family("pix2pix").datasets(tiny_config("pix2pix", dataset="digits_thick"))
    with pytest.raises(ValueError, match="Received: dataset='digits_edges'"):
        get_family("spade").datasets(tiny_config("spade", dataset="digits_edges"))
    with pytest.raises(ValueError, match="Received: dataset='digits_edges'"):
        get_family("srgan").datasets(tiny_config("srgan", dataset="digits_edges"))


def test_translate_verb_and_evaluation_on_a_trained_pix2pix(family_run, tmp_path):
    run = family_run("pix2pix")
    model, config = load_trained(run.output_dir)
    family = get_family(config.model)
    assert config.dataset == "digits_edges"
    source = np.zeros((64, 64), np.uint8)
    source[16:48, 30:34] = 255
    Image.fromarray(source).save(tmp_path / "in.png")
    args = types.SimpleNamespace(input=str(tmp_path / "in.png"), out=str(tmp_path / "out.png"), direction="a2b",
                                 style=None, seed=0)
    options = family.resolve_options(config)
    written = COMMANDS["translate"](model, config, options, args)
    assert written == f"{tmp_path / 'out.png'} ({tmp_path / 'in.png'} resized from 64x64 to 32x32)"
    grid = np.asarray(Image.open(tmp_path / "out.png"))[::4, ::4] / 255.0  # (input, output), drawn 4x
    assert grid.shape == (34 + 2, 2 * 34 + 2)
    resized = load_image(str(tmp_path / "in.png"), (32, 32), 1)
    np.testing.assert_allclose(grid[2:34, 2:34], resized[..., 0], atol=1 / 255 + 1e-6)
    output = to_unit(np.asarray(model.translate(to_signed(resized[None]))))[0, ..., 0]
    np.testing.assert_allclose(grid[2:34, 36:68], output, atol=1 / 255 + 1e-6)

    metrics = family.evaluate(model, EvalRequest(config.dataset, num_examples=8), options)
    sources, targets = paired.pairs_as_numpy("digits_edges", "test", limit=8)
    outputs = to_unit(np.asarray(model.translate(sources)), clip=False)
    assert metrics["num_examples"] == 8
    assert metrics["l1"] == pytest.approx(float(np.abs(outputs - to_unit(targets, clip=False)).mean()), rel=1e-5)
    identity = float(np.abs(to_unit(sources, clip=False) - to_unit(targets, clip=False)).mean())
    assert metrics["identity_baseline_l1"] == pytest.approx(identity, rel=1e-5)
    json.dumps(metrics)
