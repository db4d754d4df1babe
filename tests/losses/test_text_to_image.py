import math

import numpy as np
import pytest

from keras_gen.losses import text_to_image as losses


def softplus(x):
    return math.log1p(math.exp(x))


def test_gan_cls_terms_against_hand_values():
    real, mismatched, fake = np.array([[2.0], [0.0]]), np.array([[1.0], [-1.0]]), np.array([[-3.0], [0.5]])
    # -log sigmoid(r) = softplus(-r); -log(1 - sigmoid(w)) = softplus(w).
    expected = (0.5 * (softplus(-2.0) + softplus(0.0))
                + 0.5 * (0.5 * (softplus(1.0) + softplus(-1.0)) + 0.5 * (softplus(-3.0) + softplus(0.5))))
    assert float(losses.gan_cls_discriminator_loss(real, mismatched, fake)) == pytest.approx(expected, rel=1e-6)
    assert float(losses.gan_cls_generator_loss(fake)) == pytest.approx(0.5 * (softplus(3.0) + softplus(-0.5)), rel=1e-6)
    # A discriminator sure of all three pairs: loss near 0; one that calls a mismatch real pays for it.
    assert float(losses.gan_cls_discriminator_loss(np.full((2, 1), 20.0), np.full((2, 1), -20.0),
                                                   np.full((2, 1), -20.0))) < 1e-8
    assert float(losses.gan_cls_discriminator_loss(np.full((2, 1), 20.0), np.full((2, 1), 20.0),
                                                   np.full((2, 1), -20.0))) == pytest.approx(10.0, rel=1e-6)


def test_conditioning_kl_matches_the_closed_form():
    rng = np.random.default_rng(0)
    mean, log_sigma = rng.normal(size=(3, 5)).astype(np.float32), rng.normal(scale=0.5, size=(3, 5)).astype(np.float32)
    # KL(N(mu, s^2) || N(0, 1)) = (mu^2 + s^2 - 1) / 2 - log s, summed over dimensions.
    closed = np.mean(np.sum(0.5 * (mean**2 + np.exp(2 * log_sigma) - 1) - log_sigma, axis=1))
    assert float(losses.conditioning_kl(mean, log_sigma)) == pytest.approx(closed, rel=1e-5)
    assert float(losses.conditioning_kl(np.zeros((2, 4)), np.zeros((2, 4)))) == pytest.approx(0.0, abs=1e-7)


def test_matching_loss_against_hand_values():
    images = np.array([[1.0, 0.0], [0.0, 2.0]])
    texts = np.array([[3.0, 0.0], [0.0, 1.0]])  # cosine: identity
    np.testing.assert_allclose(losses.cosine_similarities(images, texts), np.eye(2), atol=1e-6)
    # Each row: logits (1/t, 0); cross-entropy log(1 + exp(-1/t)); both directions alike.
    assert float(losses.matching_loss(images, texts, temperature=0.5)) == pytest.approx(math.log1p(math.exp(-2.0)), rel=1e-5)
    swapped = float(losses.matching_loss(images, texts[::-1], temperature=0.5))
    assert swapped == pytest.approx(math.log1p(math.exp(2.0)), rel=1e-5)
