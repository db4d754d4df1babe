import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.losses import gan as losses

# sigmoid(0) = 1/2, sigmoid(log 3) = 3/4, sigmoid(-log 3) = 1/4.
REAL = np.array([0.0, math.log(3.0)], np.float32)
FAKE = np.array([0.0, -math.log(3.0)], np.float32)


def test_minimax_against_hand_computed_values():
    # -log D(x): log 2 and -log 3/4; -log(1 - D(G(z))): log 2 and -log 3/4.
    half = (math.log(2.0) - math.log(0.75)) / 2
    np.testing.assert_allclose(losses.minimax_discriminator_loss(REAL, FAKE), 2 * half, rtol=1e-6)
    # E[log(1 - D(G(z)))] = (log 1/2 + log 3/4) / 2
    np.testing.assert_allclose(losses.minimax_generator_loss(FAKE), (math.log(0.5) + math.log(0.75)) / 2, rtol=1e-6)


def test_non_saturating_against_hand_computed_values():
    # -E[log D(G(z))] = (log 2 + log 4) / 2
    np.testing.assert_allclose(losses.non_saturating_generator_loss(FAKE), (math.log(2) + math.log(4)) / 2, rtol=1e-6)
    np.testing.assert_allclose(
        losses.non_saturating_discriminator_loss(REAL, FAKE), losses.minimax_discriminator_loss(REAL, FAKE)
    )


def test_wasserstein_least_squares_hinge_against_hand_computed_values():
    real, fake = np.array([1.0, 3.0]), np.array([-1.0, 2.0])
    np.testing.assert_allclose(losses.wasserstein_discriminator_loss(real, fake), 0.5 - 2.0)
    np.testing.assert_allclose(losses.wasserstein_generator_loss(fake), -0.5)
    # 1/2 mean(0, 4) + 1/2 mean(1, 4)
    np.testing.assert_allclose(losses.least_squares_discriminator_loss(real, fake), 1.0 + 1.25)
    np.testing.assert_allclose(losses.least_squares_generator_loss(fake), 0.5 * (4 + 1) / 2)
    real, fake = np.array([0.5, 3.0]), np.array([-2.0, 0.5])
    # mean(relu(1 - [0.5, 3])) + mean(relu(1 + [-2, 0.5])) = 0.25 + 0.75
    np.testing.assert_allclose(losses.hinge_discriminator_loss(real, fake), 1.0)
    np.testing.assert_allclose(losses.hinge_generator_loss(fake), 0.75)  # -mean(-2, 0.5)


def test_losses_reduce_patch_maps_and_half_precision_to_float32_scalars():
    rng = np.random.default_rng(0)
    real_patches = rng.normal(size=(2, 4, 4, 1)).astype(np.float16)
    fake_patches = rng.normal(size=(2, 4, 4, 1)).astype(np.float16)
    # Every logit of the map counts once: the losses equal those of the flattened float32 logits.
    real_flat, fake_flat = real_patches.astype(np.float32).reshape(-1), fake_patches.astype(np.float32).reshape(-1)
    for name, recipe in losses.GAN_LOSSES.items():
        d_loss = recipe.discriminator_loss(real_patches, fake_patches)
        g_loss = recipe.generator_loss(fake_patches)
        assert d_loss.shape == () and g_loss.shape == (), name
        assert d_loss.dtype == tf.float32 and g_loss.dtype == tf.float32, name
        np.testing.assert_allclose(d_loss, recipe.discriminator_loss(real_flat, fake_flat), rtol=1e-6, err_msg=name)
        np.testing.assert_allclose(g_loss, recipe.generator_loss(fake_flat), rtol=1e-6, err_msg=name)
    # And by hand for one recipe: hinge = mean(relu(1 - real)) + mean(relu(1 + fake)) over all 32 logits each.
    real64, fake64 = real_flat.astype(np.float64), fake_flat.astype(np.float64)
    np.testing.assert_allclose(losses.hinge_discriminator_loss(real_patches, fake_patches),
                               np.maximum(1 - real64, 0).mean() + np.maximum(1 + fake64, 0).mean(), rtol=1e-6)
    np.testing.assert_allclose(losses.non_saturating_generator_loss(fake_patches),
                               np.log1p(np.exp(-fake64)).mean(), rtol=1e-6)


def _generator_gradient(loss_fn, logit):
    fake_logits = tf.Variable([logit])
    with tf.GradientTape() as tape:
        loss = loss_fn(fake_logits)
    return float(tape.gradient(loss, fake_logits)[0])


def test_minimax_generator_gradient_vanishes_where_non_saturating_does_not():
    # D(G(z)) = sigmoid(-10) ~ 4.5e-5: the discriminator confidently rejects the samples (early training).
    minimax = _generator_gradient(losses.minimax_generator_loss, -10.0)
    non_saturating = _generator_gradient(losses.non_saturating_generator_loss, -10.0)
    # d/dl log(1 - sigmoid(l)) = -sigmoid(l) ~ -4.5e-5;  d/dl -log sigmoid(l) = -(1 - sigmoid(l)) ~ -1.
    np.testing.assert_allclose(minimax, -1 / (1 + math.exp(10)), rtol=1e-4)
    np.testing.assert_allclose(non_saturating, -(1 - 1 / (1 + math.exp(10))), rtol=1e-4)
    assert abs(minimax) < 1e-4 < 0.99 < abs(non_saturating)


def test_gradient_penalty_on_a_hand_checkable_critic():
    # D(x) = 1/2 ||x||^2 has gradient x; real has norm 2, fake is 0.
    real = np.ones((2, 1, 1, 4), np.float32)
    fake = np.zeros((2, 1, 1, 4), np.float32)
    alpha = np.array([0.5, 1.0], np.float32).reshape(2, 1, 1, 1)
    critic = lambda x: 0.5 * tf.reduce_sum(tf.square(x), axis=[1, 2, 3])  # noqa: E731
    # gradient norms 1 and 2 -> mean((1 - 1)^2, (2 - 1)^2) = 0.5
    np.testing.assert_allclose(losses.gradient_penalty(critic, real, fake, alpha=alpha), 0.5, rtol=1e-5)
    # A linear critic with ||w|| = 3 has gradient norm 3 everywhere: (3 - 1)^2, whatever alpha is drawn.
    weights = tf.constant(np.full((1, 1, 1, 4), 1.5, np.float32))
    linear = lambda x: tf.reduce_sum(weights * x, axis=[1, 2, 3])  # noqa: E731
    seed = keras.random.SeedGenerator(3)
    np.testing.assert_allclose(losses.gradient_penalty(linear, real, fake, seed=seed), 4.0, rtol=1e-5)


def test_gradient_penalty_is_differentiable_in_the_critic_weights():
    critic = keras.Sequential([keras.Input((2, 2, 1)), keras.layers.Flatten(), keras.layers.Dense(1)])
    kernel = np.array([[0.5], [-1.0], [2.0], [0.25]], np.float32)
    critic.layers[-1].set_weights([kernel, np.array([0.3], np.float32)])
    real, fake = np.ones((3, 2, 2, 1), np.float32), np.zeros((3, 2, 2, 1), np.float32)
    with tf.GradientTape() as tape:
        penalty = losses.gradient_penalty(critic, real, fake, seed=keras.random.SeedGenerator(0))
    gradients = tape.gradient(penalty, critic.trainable_weights)
    assert gradients[0] is not None
    # A linear critic's input gradient is its kernel w everywhere, so the penalty is (||w|| - 1)^2 whatever alpha
    # is, its gradient in w is 2 (||w|| - 1) w / ||w||, and the bias does not enter it.
    norm = np.linalg.norm(kernel)
    np.testing.assert_allclose(penalty, (norm - 1.0) ** 2, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(gradients[0]), 2.0 * (norm - 1.0) * kernel / norm, rtol=1e-5)
    assert gradients[1] is None or np.allclose(np.asarray(gradients[1]), 0.0)


def test_interpolation_weights_are_uniform_per_example():
    alpha = np.asarray(losses.interpolation_weights(4000, seed=keras.random.SeedGenerator(1)))
    assert alpha.shape == (4000, 1, 1, 1)
    assert alpha.min() >= 0.0 and alpha.max() <= 1.0
    np.testing.assert_allclose([alpha.mean(), alpha.var()], [0.5, 1 / 12], atol=0.02)


def test_registry_and_unknown_name():
    assert set(losses.GAN_LOSSES) == {"minimax", "non_saturating", "wasserstein", "wgan_gp", "least_squares", "hinge"}
    assert losses.get_gan_loss("wasserstein").clip_value == 0.01
    assert losses.get_gan_loss("wgan_gp").gradient_penalty_weight == 10.0
    with pytest.raises(ValueError, match="Received: loss='bce'"):
        losses.get_gan_loss("bce")
