import math

import keras
import numpy as np
import pytest

from keras_gen.losses import gan as gan_losses
from keras_gen.models import gan_networks as nets
from keras_gen.models.gan import GAN
from tests.helpers import assert_keras_roundtrip

SHAPE = (16, 16, 1)
LATENT = 6


def _images(num=4):
    return np.random.default_rng(0).uniform(-1, 1, (num,) + SHAPE).astype(np.float32)


def _dcgan(num_classes=None, **kwargs):
    if num_classes:
        generator = nets.build_conditional_generator(LATENT, num_classes, SHAPE, base_filters=4)
        discriminator = nets.build_projection_discriminator(num_classes, SHAPE, base_filters=4)
    else:
        generator = nets.build_dcgan_generator(LATENT, SHAPE, base_filters=4)
        discriminator = nets.build_dcgan_discriminator(SHAPE, base_filters=4)
    model = GAN(generator, discriminator, latent_dim=LATENT, num_classes=num_classes, seed=1, **kwargs)
    model.compile(
        d_optimizer=keras.optimizers.Adam(1e-2), g_optimizer=keras.optimizers.Adam(1e-2), run_eagerly=True
    )
    return model


def _snapshot(network):
    return [np.array(w) for w in network.trainable_weights]


def _changed(before, network):
    return [not np.allclose(a, np.asarray(b)) for a, b in zip(before, network.trainable_weights)]


def test_train_step_updates_both_networks_and_d_step_only_the_discriminator():
    model = _dcgan()
    images = _images()
    g_before, d_before = _snapshot(model.generator), _snapshot(model.discriminator)
    model.discriminator_step(images, None)
    assert all(_changed(d_before, model.discriminator))
    assert not any(_changed(g_before, model.generator))

    d_before = _snapshot(model.discriminator)
    logs = model.train_on_batch(images, return_dict=True)
    assert all(_changed(g_before, model.generator)) and all(_changed(d_before, model.discriminator))
    assert set(logs) == {"d_loss", "g_loss", "real_logits", "fake_logits"}
    assert int(model.d_optimizer.iterations) == 2 and int(model.g_optimizer.iterations) == 1
    assert model.optimizer is model.g_optimizer  # Keras callbacks count generator steps


def _weights(network):
    return [np.array(w) for w in network.get_weights()]  # trainable and batch-norm statistics


def test_logged_losses_match_the_loss_functions():
    model = _dcgan(generator_loss="least_squares", discriminator_loss="least_squares")
    assert model.generator_loss is gan_losses.least_squares_generator_loss
    assert model.discriminator_loss is gan_losses.least_squares_discriminator_loss
    images = _images()

    # test_step: latents from the model's seed generator, generator at inference, both losses on the same fakes.
    seed_state = model.seed_generator.state.numpy()
    logs = model.test_on_batch(images, return_dict=True)
    model.seed_generator.state.assign(seed_state)  # replay the step's latent draw
    fake_images = model.generator(model.sample_latent(4), training=False)
    real_logits = np.asarray(model.discriminator(images, training=True))
    fake_logits = np.asarray(model.discriminator(fake_images, training=True))
    expected_d = 0.5 * np.mean((real_logits - 1.0) ** 2) + 0.5 * np.mean(fake_logits**2)  # by hand
    expected_g = 0.5 * np.mean((fake_logits - 1.0) ** 2)
    np.testing.assert_allclose(expected_d, gan_losses.least_squares_discriminator_loss(real_logits, fake_logits), rtol=1e-6)
    np.testing.assert_allclose(expected_g, gan_losses.least_squares_generator_loss(fake_logits), rtol=1e-6)
    np.testing.assert_allclose(logs["d_loss"], expected_d, rtol=1e-5)
    np.testing.assert_allclose(logs["g_loss"], expected_g, rtol=1e-5)
    np.testing.assert_allclose(logs["real_logits"], real_logits.mean(), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(logs["fake_logits"], fake_logits.mean(), rtol=1e-5, atol=1e-7)
    # The comparison can tell the losses apart: another loss on the same logits gives another number.
    assert abs(float(gan_losses.non_saturating_generator_loss(fake_logits)) - expected_g) > 1e-3

    # train_step: the D loss with the weights before the step on the first latent draw (generator in training
    # mode), then the G loss on a fresh draw with the updated discriminator and the generator before its update.
    model.reset_metrics()
    seed_state = model.seed_generator.state.numpy()
    g_before, d_before = _weights(model.generator), _weights(model.discriminator)
    logs = model.train_on_batch(images, return_dict=True)
    d_after = _weights(model.discriminator)
    model.generator.set_weights(g_before)
    model.discriminator.set_weights(d_before)
    model.seed_generator.state.assign(seed_state)
    fake_images = model.generator(model.sample_latent(4), training=True)
    real_logits = model.discriminator(images, training=True)
    fake_logits = model.discriminator(fake_images, training=True)
    np.testing.assert_allclose(
        logs["d_loss"], gan_losses.least_squares_discriminator_loss(real_logits, fake_logits), rtol=1e-5)
    np.testing.assert_allclose(logs["real_logits"], np.mean(real_logits), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(logs["fake_logits"], np.mean(fake_logits), rtol=1e-5, atol=1e-7)
    model.generator.set_weights(g_before)  # batch-norm statistics as the generator step saw them
    model.discriminator.set_weights(d_after)
    fake_logits = model.discriminator(model.generator(model.sample_latent(4), training=True), training=True)
    np.testing.assert_allclose(logs["g_loss"], gan_losses.least_squares_generator_loss(fake_logits), rtol=1e-5)


def test_d_steps_clipping_and_gradient_penalty():
    model = _dcgan(d_steps=3, clip_value=0.01, generator_loss="wasserstein", discriminator_loss="wasserstein")
    model.train_on_batch(_images())
    assert int(model.d_optimizer.iterations) == 3 and int(model.g_optimizer.iterations) == 1
    assert max(float(np.abs(w).max()) for w in model.discriminator.trainable_weights) <= 0.01 + 1e-7

    generator = nets.build_dcgan_generator(LATENT, SHAPE, base_filters=4)
    critic = nets.build_dcgan_discriminator(SHAPE, base_filters=4, normalization="layer")
    recipe = gan_losses.get_gan_loss("wgan_gp")
    model = GAN(generator, critic, recipe.generator_loss, recipe.discriminator_loss, LATENT,
                gradient_penalty_weight=recipe.gradient_penalty_weight, seed=0)
    model.compile(run_eagerly=True)
    logs = model.train_on_batch(_images(), return_dict=True)
    assert logs["gradient_penalty"] > 0
    # d_loss = E[D(fake)] - E[D(real)] + 10 * penalty.
    np.testing.assert_allclose(
        logs["d_loss"], logs["fake_logits"] - logs["real_logits"] + 10 * logs["gradient_penalty"], rtol=1e-4
    )


def test_priors_truncation_and_fixed_latents():
    model = _dcgan(prior="uniform")
    z = np.asarray(model.sample_latent(500))
    assert z.shape == (500, LATENT)
    assert z.min() >= -1 and z.max() <= 1 and abs(z.mean()) < 0.05
    # U[-1, 1]: variance 1/3, each quarter of the interval holds a quarter of the draws, and the draws reach
    # both ends (3,000 values: a normal prior would put ~16% outside [-1, 1], a U[0, 1] one nothing below 0).
    np.testing.assert_allclose(z.var(), 1 / 3, rtol=0.06)
    np.testing.assert_allclose(np.histogram(z, bins=4, range=(-1, 1))[0] / z.size, 0.25, atol=0.03)
    assert z.min() < -0.99 and z.max() > 0.99
    gaussian = np.asarray(_dcgan().sample_latent(500))
    np.testing.assert_allclose([gaussian.mean(), gaussian.var()], [0.0, 1.0], atol=0.08)
    assert np.abs(gaussian).max() > 2.5  # not a bounded prior
    np.testing.assert_array_equal(model.sample_latent(3, seed=7), model.sample_latent(3, seed=7))
    assert not np.allclose(model.sample_latent(3), model.sample_latent(3))  # the seed generator advances
    model = _dcgan()
    truncated = np.asarray(model.sample_latent(2000, truncation=0.5))
    assert np.abs(truncated).max() <= 0.5 + 1e-5
    # N(0, 1) truncated to [-0.5, 0.5] has variance 1 - 2 * 0.5 * phi(0.5) / (2 Phi(0.5) - 1) ~ 0.0793
    pdf = math.exp(-0.125) / math.sqrt(2 * math.pi)
    np.testing.assert_allclose(truncated.var(), 1 - pdf / math.erf(0.5 / math.sqrt(2)), rtol=0.1)
    with pytest.raises(ValueError, match="Received: truncation=0"):
        model.sample_latent(2, truncation=0)


def test_conditional_generation_and_label_errors():
    model = _dcgan(num_classes=3)
    images, labels = _images(), np.array([0, 1, 2, 0])
    model.train_on_batch(images, labels)
    model.generator.get_layer("conditional_generator_project_cbn").gamma.assign(
        np.arange(1.0, 4.0)[:, None] * np.ones((3, 16), np.float32)
    )
    z = np.repeat(np.asarray(model.sample_latent(1, seed=0)), 3, axis=0)
    samples = np.asarray(model.generate(z, labels=[0, 1, 2]))
    assert not np.allclose(samples[0], samples[1]) and not np.allclose(samples[1], samples[2])
    with pytest.raises(ValueError, match=r"must be in \[0, 3\). Received: labels=\[0, 3\]"):
        model.generate(z[:2], labels=[0, 3])
    with pytest.raises(ValueError, match="Received: labels=None"):
        model.generate(z)
    with pytest.raises(ValueError, match="load the data with `with_labels=True`"):
        model.train_on_batch(images)


def test_keras_roundtrip_keeps_both_optimizers_and_resumes(tmp_path):
    model = _dcgan(num_classes=3, generator_loss="hinge", discriminator_loss="hinge", d_steps=2)
    images, labels = _images(), np.array([0, 1, 2, 0])
    model.train_on_batch(images, labels)
    z = np.asarray(model.sample_latent(4, seed=0))
    restored = assert_keras_roundtrip(
        model, (z, labels), str(tmp_path / "gan.keras"), call=lambda m, x: m.generate(x[0], labels=x[1])
    )
    assert restored.generator_loss is gan_losses.hinge_generator_loss and restored.d_steps == 2
    for name in ("d_optimizer", "g_optimizer"):
        saved, loaded = getattr(model, name), getattr(restored, name)
        assert int(loaded.iterations) == int(saved.iterations) > 0
        for a, b in zip(saved.variables, loaded.variables):
            np.testing.assert_allclose(np.asarray(a), np.asarray(b))
    # Resuming continues from the saved state (weights, optimizer moments, latent seed): one more step on
    # the same batch lands both models on the same weights.
    model.train_on_batch(images, labels)
    restored.train_on_batch(images, labels)
    assert int(restored.d_optimizer.iterations) == 4 and int(restored.g_optimizer.iterations) == 2
    for a, b in zip(model.generator.weights + model.discriminator.weights, restored.generator.weights + restored.discriminator.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-5)


def test_generator_average_samples_exports_and_round_trips(tmp_path):
    model = _dcgan(num_classes=3, ema_images=100.0)
    assert model.ema_generator is not model.generator and not model.ema_generator.trainable_weights
    z, labels = np.asarray(model.sample_latent(4, seed=0)), np.array([0, 1, 2, 0])
    np.testing.assert_allclose(model.generate(z, labels), model.generator([z, labels]), atol=1e-6)  # starts as a copy
    images = _images()
    for _ in range(3):
        before = [np.array(w) for w in model.ema_generator.weights]
        model.train_on_batch(images, labels)
    # Step 3 of batch 4: 12 images seen, so the ramped-up half-life is 0.05 * 12 = 0.6 images (not 100).
    beta = 0.5 ** (4 / 0.6)
    for weight, average, old in zip(model.generator.weights, model.ema_generator.weights, before):
        expected = np.asarray(weight) + beta * (old - np.asarray(weight)) if weight.trainable else np.asarray(weight)
        np.testing.assert_allclose(np.asarray(average), expected, rtol=1e-5, atol=1e-7)
    trained, averaged = model.generator([z, labels]), model.generate(z, labels)
    np.testing.assert_allclose(averaged, model.ema_generator([z, labels]), atol=1e-6)
    np.testing.assert_allclose(model([z, labels]), averaged, atol=1e-6)
    assert np.abs(np.asarray(trained) - np.asarray(averaged)).max() > 1e-4  # sampling uses the average
    restored = assert_keras_roundtrip(
        model, (z, labels), str(tmp_path / "gan.keras"), call=lambda m, x: m.generate(x[0], labels=x[1])
    )
    assert restored.ema_images == 100.0
    with pytest.raises(ValueError, match="Received: ema_images=0"):
        GAN(model.generator, model.discriminator, latent_dim=LATENT, ema_images=0)


def test_nan_loss_shows_in_the_logs():
    def nan_loss(fake_logits):
        return gan_losses.non_saturating_generator_loss(fake_logits) * np.nan

    model = _dcgan(generator_loss=nan_loss)
    logs = model.train_on_batch(_images(), return_dict=True)
    assert math.isnan(logs["g_loss"]) and not math.isnan(logs["d_loss"])


def test_constructor_errors_name_the_parameter():
    generator, discriminator = nets.build_dcgan_generator(LATENT, SHAPE, 4), nets.build_dcgan_discriminator(SHAPE, 4)
    for kwargs, message in [
        ({"prior": "cauchy"}, "prior='cauchy'"),
        ({"d_steps": 0}, "d_steps=0"),
        ({"clip_value": -1.0}, "clip_value=-1.0"),
        ({"gradient_penalty_weight": -1.0}, "gradient_penalty_weight=-1.0"),
        ({"num_classes": 0}, "num_classes=0"),
        ({"generator_loss": "wgan"}, "loss='wgan'"),
        ({"latent_dim": 0}, "latent_dim=0"),
    ]:
        with pytest.raises(ValueError, match=f"Received: {message}"):
            GAN(generator, discriminator, **{"latent_dim": LATENT, **kwargs})


def test_networks_shapes_names_and_variants():
    for shape, sizes in (((28, 28, 1), [7, 14]), ((32, 32, 3), [4, 8, 16])):
        generator = nets.build_dcgan_generator(8, shape, base_filters=4)
        discriminator = nets.build_dcgan_discriminator(shape, base_filters=4)
        assert generator.output_shape == (None,) + shape and discriminator.output_shape == (None, 1)
        assert [l.output.shape[1] for l in generator.layers if "_deconv" in l.name][:-1] == sizes[1:]
        assert all(l.name.startswith("dcgan_") for l in generator.layers + discriminator.layers)
    mlp = nets.build_mlp_generator(8, (28, 28, 1), (16,))
    assert mlp.output_shape == (None, 28, 28, 1) and nets.build_mlp_discriminator((28, 28, 1), (16,)).output_shape == (None, 1)

    sagan = nets.build_projection_discriminator(10, (28, 28, 1), 4, attention_resolution=14)
    assert any(isinstance(l, keras.layers.SpectralNormalization) for l in sagan.layers)
    assert sagan.get_layer("projection_discriminator_attention").spectral_norm
    with pytest.raises(ValueError, match="Received: attention_resolution=9"):
        nets.build_dcgan_generator(8, (28, 28, 1), 4, attention_resolution=9)

    assert nets.biggan_latent_chunks(20, (28, 28, 1)) == [8, 6, 6]
    biggan = nets.build_biggan_generator(20, 10, (28, 28, 1), base_filters=4, embedding_dim=4, attention_resolution=14)
    out = biggan([np.ones((2, 20), np.float32), np.array([1, 2])])
    assert out.shape == (2, 28, 28, 1) and len(biggan.losses) > 0 and float(sum(biggan.losses)) > 0
    assert len([l for l in biggan.layers if "cbn" in l.name]) == 4  # two per block, conditioned on [embedding, z chunk]
    regularizer = nets.OrthogonalRegularization(1.0)
    np.testing.assert_allclose(regularizer(np.eye(3, dtype=np.float32)), 0.0)
    # columns (1, 1) and (1, -1) are orthogonal, (1, 0) and (1, 1) are not: off-diagonal 1 twice -> 2
    np.testing.assert_allclose(regularizer(np.array([[1.0, 1.0], [0.0, 1.0]], np.float32)), 2.0)


def test_mixed_precision_wraps_both_optimizers_and_trains():
    keras.config.set_dtype_policy("mixed_float16")  # conftest restores float32
    model = GAN(nets.build_biggan_generator(9, 3, SHAPE, 4, 4), nets.build_projection_discriminator(3, SHAPE, 4),
                latent_dim=9, num_classes=3, seed=0, gradient_penalty_weight=1.0)
    model.compile(run_eagerly=True)
    assert isinstance(model.d_optimizer, keras.optimizers.LossScaleOptimizer)
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    logs = model.train_on_batch(_images(), np.array([0, 1, 2, 0]), return_dict=True)
    assert model.generator.compute_dtype == "float16" and all(np.isfinite(v) for v in logs.values())
    assert model.generate(np.zeros((2, 9), np.float32), [0, 1]).dtype == "float32"  # tanh output kept in float32
