"""CycleGAN's ResNet generator, its family wiring and the learning-rate schedule of the paper's recipe."""

import keras
import numpy as np
import pytest

from keras_gen.data.paired import PairedInfo
from keras_gen.families import get_family
from keras_gen.families.translation import cyclegan_networks
from keras_gen.layers.reflection_padding import ReflectionPadding2D
from keras_gen.models.image_networks import build_resnet_generator
from keras_gen.models.schedules import ConstantThenLinearDecay
from keras_gen.training.config import TrainConfig
from tests.helpers import assert_keras_roundtrip


def test_the_paper_architecture_layer_by_layer():
    # c7s1-64, d128, d256, R256 x 9, u128, u64, c7s1-3 at 256x256 (Zhu et al., appendix 7.2).
    model = build_resnet_generator((256, 256, 3), num_residual_blocks=9)
    convs = [layer for layer in model.layers if isinstance(layer, (keras.layers.Conv2D, keras.layers.Conv2DTranspose))]
    assert [c.filters for c in convs] == [64, 128, 256] + [256] * 18 + [128, 64, 3]
    assert [c.kernel_size for c in convs] == [(7, 7)] + [(3, 3)] * 22 + [(7, 7)]
    assert [c.strides for c in convs] == [(1, 1)] + [(2, 2)] * 2 + [(1, 1)] * 18 + [(2, 2)] * 2 + [(1, 1)]
    assert [type(c).__name__ for c in convs[-3:]] == ["Conv2DTranspose", "Conv2DTranspose", "Conv2D"]
    pads = [layer.padding for layer in model.layers if isinstance(layer, ReflectionPadding2D)]
    assert pads == [3] + [1] * 18 + [3]
    norms = [layer for layer in model.layers if isinstance(layer, keras.layers.GroupNormalization)]
    assert len(norms) == 23 and all(n.groups in (-1, n.gamma.shape[0]) for n in norms)  # instance norm: group = channel
    assert len([layer for layer in model.layers if isinstance(layer, keras.layers.Add)]) == 9
    assert model.output_shape == (None, 256, 256, 3)
    # 11.38M weights: the reference implementation's resnet_9blocks has 11.378M (it has conv biases where this
    # one has the instance norms' scales and offsets).
    assert 11.37e6 < model.count_params() < 11.39e6


def test_tiny_generator_shapes_range_and_residual_identity():
    model = build_resnet_generator((16, 16, 1), output_channels=3, base_filters=2, num_residual_blocks=2)
    images = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 1)).astype("float32")
    outputs = np.asarray(model(images))
    assert outputs.shape == (2, 16, 16, 3) and np.abs(outputs).max() <= 1.0
    with pytest.raises(ValueError, match="divisible by 4.*image_shape=\\(18, 18, 3\\)"):
        build_resnet_generator((18, 18, 3))
    with pytest.raises(ValueError, match="num_residual_blocks=0"):
        build_resnet_generator((16, 16, 3), num_residual_blocks=0)


def test_auto_picks_the_paper_networks_from_128_pixels():
    options = get_family("cyclegan").defaults
    assert options.generator == "auto" and options.base_filters is None and options.residual_blocks is None
    assert cyclegan_networks(options, (32, 32, 1))[:2] == ("unet", 16)
    assert cyclegan_networks(options, (64, 64, 3))[:2] == ("unet", 16)
    assert cyclegan_networks(options, (128, 128, 3)) == ("resnet", 64, 6)
    assert cyclegan_networks(options, (256, 256, 3)) == ("resnet", 64, 9)
    forced = get_family("cyclegan").resolve_options(TrainConfig(model="cyclegan", options={
        "generator": "resnet", "base_filters": "8", "residual_blocks": "2"}))
    assert cyclegan_networks(forced, (32, 32, 3)) == ("resnet", 8, 2)


def test_cyclegan_at_128_pixels_builds_the_paper_networks_and_schedule(tmp_path):
    config = TrainConfig(model="cyclegan", batch_size=1, steps_per_epoch=10, output_dir=str(tmp_path),
                         options={"base_filters": "2", "residual_blocks": "1", "decay_after_epochs": "2",
                                  "decay_epochs": "3"})
    model = get_family("cyclegan").build(config, PairedInfo("photos_128", (128, 128, 3), (128, 128, 3), paired=False))
    assert model.generator_ab.get_layer("generator_ab_stem_pad").padding == 3
    assert model.generator_ba.get_layer("generator_ba_res0_add") is not None
    discriminator_convs = [l for l in model.discriminator_a.layers if isinstance(l, keras.layers.Conv2D)]
    assert [c.filters for c in discriminator_convs] == [2, 4, 8, 16, 1]  # C64-C128-C256-C512 scaled: 70x70 PatchGAN
    assert model.discriminator_a.output_shape == (None, 16, 16, 1)
    for optimizer in (model.g_optimizer, model.d_optimizer):
        schedule = optimizer._learning_rate
        assert isinstance(schedule, ConstantThenLinearDecay)
        assert (schedule.initial_learning_rate, schedule.constant_steps, schedule.decay_steps) == (2e-4, 20, 30)


def test_a_resnet_cyclegan_trains_and_round_trips_with_its_schedule(tmp_path):
    config = TrainConfig(model="cyclegan", batch_size=1, steps_per_epoch=1, output_dir=str(tmp_path),
                         options={"generator": "resnet", "base_filters": "2", "residual_blocks": "1",
                                  "pool_size": "2", "decay_after_epochs": "0", "decay_epochs": "4"})
    model = get_family("cyclegan").build(config, PairedInfo("tiny", (16, 16, 3), (16, 16, 3), paired=False))
    model.run_eagerly = True
    images = np.random.default_rng(1).uniform(-1, 1, (1, 16, 16, 3)).astype("float32")
    model.fit(tf_pairs(images), epochs=1, steps_per_epoch=1, verbose=0)
    assert float(model.g_optimizer.learning_rate) == pytest.approx(2e-4 * 3 / 4)  # one of four decay steps done
    restored = assert_keras_roundtrip(model, images, str(tmp_path / "cyclegan.keras"),
                                      call=lambda m, x: m.translate(x, "a2b"))
    assert isinstance(restored.g_optimizer._learning_rate, ConstantThenLinearDecay)
    assert float(restored.g_optimizer.learning_rate) == pytest.approx(2e-4 * 3 / 4)


def tf_pairs(images):
    import tensorflow as tf

    return tf.data.Dataset.from_tensor_slices((images, images[:, ::-1])).batch(1).repeat()


def test_constant_then_linear_decay_values():
    schedule = ConstantThenLinearDecay(2e-4, constant_steps=100, decay_steps=100)
    values = [float(schedule(step)) for step in (0, 99, 100, 150, 175, 200, 500)]
    np.testing.assert_allclose(values, [2e-4, 2e-4, 2e-4, 1e-4, 5e-5, 0.0, 0.0], rtol=1e-6, atol=1e-12)
    clone = ConstantThenLinearDecay.from_config(schedule.get_config())
    assert float(clone(150)) == pytest.approx(1e-4)
    with pytest.raises(ValueError, match="decay_steps=0"):
        ConstantThenLinearDecay(1e-3, 10, 0)
