import json
import os
import types

import numpy as np
import pytest
from PIL import Image

from keras_gen import data
from keras_gen.families import get_family
from keras_gen.losses import gan as gan_losses
from keras_gen.models.cyclegan import CycleGAN
from keras_gen.training.config import TrainConfig
from keras_gen.training.runner import load_trained, train


def tiny_config(model, output_dir="/tmp/unused", **changes):
    values = dict(model=model, epochs=1, steps_per_epoch=2, batch_size=4, output_dir=str(output_dir),
                  options={"base_filters": "4", "num_downsamples": "2"} if model == "pix2pix" else {"base_filters": "4"})
    return TrainConfig(**{**values, **changes})


def test_recipes_defaults_and_dataset_checks():
    spade_family = get_family("spade")
    assert {n: get_family(n).default_dataset for n in ("pix2pix", "cyclegan", "srgan", "spade")} == {
        "pix2pix": "digits_edges", "cyclegan": "digits_thick", "srgan": "digits_sr4", "spade": "digits_labelmap"}
    config = tiny_config("spade", dataset="digits_labelmap", latent_dim=4, options={"base_filters": "4", "num_scales": "1"})
    model = spade_family.build_model(config, data.get_info("digits_labelmap"))
    assert model.style_encoder is not None and model.generator_loss is gan_losses.hinge_generator_loss
    assert float(model.g_optimizer.learning_rate) == pytest.approx(2e-4)  # published rate, not the shared 1e-3
    config = tiny_config("srgan", dataset="digits_sr4", learning_rate=1e-4)
    model = get_family("srgan").build_model(config, data.get_info("digits_sr4"))
    assert model.feature_source_used == "discriminator" and not model.conditional_discriminator
    assert float(model.d_optimizer.learning_rate) == pytest.approx(1e-4)
    config = tiny_config("cyclegan", dataset="digits_thick", loss="hinge", options={"base_filters": "4", "pool_size": "3"})
    model = get_family("cyclegan").build_model(config, data.get_info("digits_thick"))
    assert isinstance(model, CycleGAN) and model.pool_size == 3 and model.generator_loss is gan_losses.hinge_generator_loss
    with pytest.raises(ValueError, match="Received: dataset='digits_thick'"):
        get_family("pix2pix").make_datasets(tiny_config("pix2pix", dataset="digits_thick"))
    with pytest.raises(ValueError, match="Received: dataset='digits_edges'"):
        get_family("spade").make_datasets(tiny_config("spade", dataset="digits_edges"))
    with pytest.raises(ValueError, match="Received: dataset='digits_edges'"):
        get_family("srgan").make_datasets(tiny_config("srgan", dataset="digits_edges"))


def test_pix2pix_train_resume_translate_evaluate_export(tmp_path):
    run = tmp_path / "run"
    train(tiny_config("pix2pix", run), verbose=0)
    assert sorted(os.listdir(run / "samples")) == ["epoch_0001.png"]
    resumed = train(tiny_config("pix2pix", run, epochs=2, resume=True), verbose=0)
    assert int(resumed.g_optimizer.iterations) == 4
    model, config = load_trained(str(run))
    family = get_family(config.model)
    assert config.dataset == "digits_edges"

    Image.fromarray(np.zeros((64, 64), np.uint8)).save(tmp_path / "in.png")
    args = types.SimpleNamespace(input=str(tmp_path / "in.png"), out=str(tmp_path / "out.png"), options="", num_examples=8)
    written = family.commands["translate"](model, config, args)
    assert written == f"{tmp_path / 'out.png'} ({tmp_path / 'in.png'} resized from 64x64 to 32x32)"
    assert Image.open(tmp_path / "out.png").size == ((2 * 34 + 2) * 4, (34 + 2) * 4)  # (input, output), 4x
    metrics = family.evaluate(model, config, args)
    assert metrics["num_examples"] == 8 and 0 <= metrics["l1"] <= 1 and 0 < metrics["identity_baseline_l1"] < 1
    json.dumps(metrics)
    family.export(model, str(tmp_path / "export"))
    assert json.load(open(tmp_path / "export" / "keras_gen_export.json"))["signatures"] == ["translate"]
