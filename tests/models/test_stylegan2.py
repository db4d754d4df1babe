import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.models import stylegan2 as networks
from keras_gen.models.stylegan2 import StyleGAN2, mix_rows, truncate

IMAGES = np.random.default_rng(0).uniform(-1, 1, (4, 8, 8, 1)).astype("float32")
LABELS = np.array([0, 1, 2, 0], "int32")


def tiny(num_classes=None, jit_compile=False, **kwargs):
    mapping = networks.build_mapping_network(4, 4, 2, num_classes=num_classes)
    synthesis = networks.build_synthesis_network(8, 4, 1, channel_base=32, channel_max=4, seed=1)
    discriminator = networks.build_residual_discriminator(8, 1, channel_base=32, channel_max=4, num_classes=num_classes)
    model = StyleGAN2(mapping, synthesis, discriminator, num_classes=num_classes, seed=0,
                      **{"r1_interval": 2, "pl_interval": 2, **kwargs})
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                  jit_compile=jit_compile)
    return model


def test_networks_shapes_and_style_rows():
    model = tiny()
    assert model.num_ws == networks.num_ws_for(8) == 4 and model.w_dim == 4 and model.z_dim == 4
    assert model.synthesis.output_shape == (None, 8, 8, 1)
    assert model.discriminator(IMAGES).shape == (4, 1)
    # Layer i reads row i: 4x4 conv 0, its toRGB and the 8x8 conv0 row 1, 8x8 conv1 row 2, the last toRGB row 3.
    rows = {layer.name: layer.w_index for layer in model.synthesis.layers if hasattr(layer, "w_index")}
    assert rows == {"synthesis_4x4_conv": 0, "synthesis_4x4_torgb": 1, "synthesis_8x8_conv0": 1,
                    "synthesis_8x8_conv1": 2, "synthesis_8x8_torgb": 3}
    with pytest.raises(ValueError, match=r"resolution=12"):
        networks.num_ws_for(12)


def test_psi_zero_gives_the_average_w_image_for_every_z():
    model = tiny()
    model.w_avg.assign([0.3, -0.2, 0.5, 1.0])
    z = np.random.default_rng(1).normal(size=(5, 4)).astype("float32")
    images = np.asarray(model.generate(z, truncation=0.0))
    average = np.asarray(model.synthesize(np.broadcast_to(model.w_avg.numpy(), (1, 4, 4))))
    for image in images:
        np.testing.assert_allclose(image, average[0], atol=1e-5)
    # psi = 1 leaves the latents alone; a cutoff truncates only the leading rows.
    ws = np.asarray(model.map(z))
    np.testing.assert_allclose(np.asarray(model.map(z, truncation=1.0)), ws, atol=1e-6)
    cut = np.asarray(truncate(tf.constant(ws), model.w_avg, 0.0, cutoff=2))
    np.testing.assert_allclose(cut[:, :2], np.broadcast_to(model.w_avg.numpy(), (5, 2, 4)), atol=1e-6)
    np.testing.assert_allclose(cut[:, 2:], ws[:, 2:])


def test_mixing_two_equal_w_equals_no_mixing_and_rows_come_from_each_source():
    model = tiny()
    rng = np.random.default_rng(2)
    ws_a, ws_b = (np.asarray(model.map(rng.normal(size=(2, 4)).astype("float32"))) for _ in range(2))
    for crossover in range(5):
        np.testing.assert_array_equal(np.asarray(mix_rows(ws_a, ws_a, crossover)), ws_a)
        mixed = np.asarray(mix_rows(ws_a, ws_b, crossover))
        np.testing.assert_array_equal(mixed[:, :crossover], ws_a[:, :crossover])
        np.testing.assert_array_equal(mixed[:, crossover:], ws_b[:, crossover:])
    np.testing.assert_allclose(np.asarray(model.synthesize(mix_rows(ws_a, ws_a, 2))), np.asarray(model.synthesize(ws_a)))


def test_ema_update_arithmetic_and_half_life():
    model = tiny()
    for weight in model.ema_mapping.weights + model.ema_synthesis.weights:
        weight.assign(np.zeros(weight.shape))
    model.update_ema(0.9)
    for source, average in zip(model.mapping.weights + model.synthesis.weights,
                               model.ema_mapping.weights + model.ema_synthesis.weights):
        factor = 0.1 if source.trainable else 1.0  # fixed noise maps are copied, not averaged
        np.testing.assert_allclose(average.numpy(), factor * source.numpy(), rtol=1e-6, atol=1e-7)
    # beta = 0.5 ** (batch / half-life), the half-life ramped up to 5% of the images seen.
    model.images_seen.assign(1e6)
    assert float(model.ema_beta(32)) == pytest.approx(0.5 ** (32 / 10_000))
    model.images_seen.assign(64_000)
    assert float(model.ema_beta(32)) == pytest.approx(0.5 ** (32 / 3200))
    model.images_seen.assign(0)
    assert float(model.ema_beta(32)) == pytest.approx(0.0)  # the EMA starts as a copy


def test_lazy_regularizers_run_on_their_interval_and_training_moves_the_averages():
    model = tiny(r1_interval=3, pl_interval=2)
    ema_before = [w.numpy().copy() for w in model.ema_synthesis.trainable_weights + model.ema_synthesis.non_trainable_weights]
    pl_means, r1 = [], []
    for _ in range(4):
        logs = model.train_on_batch(IMAGES, return_dict=True)
        pl_means.append(float(model.pl_mean.numpy()))
        r1.append(logs["r1_penalty"])
    # The path-length mean moves on G steps 0 and 2 only; R1 is evaluated on D steps 0 and 3.
    assert pl_means[0] != 0.0 and pl_means[1] == pl_means[0] and pl_means[2] != pl_means[1] and pl_means[3] == pl_means[2]
    assert r1[0] > 0 and r1[1] == 0 and r1[2] == 0 and r1[3] > 0
    assert np.abs(model.w_avg.numpy()).max() > 0  # tracked from the mapping outputs
    assert int(model.d_optimizer.iterations) == 4 and int(model.g_optimizer.iterations) == 4
    assert float(model.images_seen.numpy()) == 16
    ema_after = [w.numpy() for w in model.ema_synthesis.trainable_weights + model.ema_synthesis.non_trainable_weights]
    assert any(np.abs(a - b).max() > 0 for a, b in zip(ema_after, ema_before))


def test_conditional_model_trains_with_xla_and_checks_labels():
    model = tiny(num_classes=3, jit_compile=True)
    for _ in range(2):
        logs = model.train_on_batch(IMAGES, LABELS, return_dict=True)
    assert all(np.isfinite(v) for v in logs.values())
    images = np.asarray(model.sample(3, labels=[0, 1, 2], seed=4))
    assert images.shape == (3, 8, 8, 1)
    assert np.abs(images[0] - np.asarray(model.sample(3, labels=[1, 1, 2], seed=4))[0]).max() > 1e-6
    with pytest.raises(ValueError, match=r"labels"):
        model.sample(2, labels=[0, 3], seed=1)
    with pytest.raises(ValueError, match=r"labels=None"):
        model.sample(2, seed=1)


def test_mixed_precision_trains_and_samples_float32():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = tiny()
        assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
        assert model.synthesis.get_layer("synthesis_8x8_conv1").compute_dtype == "float16"
        for _ in range(2):
            logs = model.train_on_batch(IMAGES, return_dict=True)
    finally:
        keras.config.set_dtype_policy("float32")
    assert all(np.isfinite(v) for v in logs.values())
    images = model.sample(2, seed=1)
    assert images.dtype == "float32" and np.isfinite(np.asarray(images)).all()


def test_constructor_errors_name_the_parameter():
    model = tiny()
    args = (model.mapping, model.synthesis, model.discriminator)
    for kwargs, pattern in (({"style_mixing_prob": 1.5}, "style_mixing_prob=1.5"), ({"r1_gamma": -1}, "r1_gamma=-1"),
                            ({"pl_interval": 1.5}, "pl_interval=1.5"), ({"ema_images": 0}, "ema_images=0"),
                            ({"truncation_cutoff": 0}, "truncation_cutoff=0")):
        with pytest.raises(ValueError, match=pattern):
            StyleGAN2(*args, **kwargs)
