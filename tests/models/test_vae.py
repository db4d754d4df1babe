import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen import data
from keras_gen.models.vae import VAE, build_mlp_decoder, build_mlp_encoder, build_vae
from tests.helpers import assert_keras_roundtrip


def tiny_vae(likelihood="bernoulli", architecture="mlp", latent_dim=4, seed=1):
    hidden = (16,) if architecture == "mlp" else 16
    return build_vae(image_shape=(16, 16, 1), latent_dim=latent_dim, architecture=architecture,
                     likelihood=likelihood, hidden_units=hidden, seed=seed)


def binary_images(num=8, seed=0):
    return (np.random.default_rng(seed).random((num, 16, 16, 1)) > 0.5).astype("float32")


def test_kl_is_the_closed_form_gaussian_kl():
    model = tiny_vae()
    images = binary_images()
    mean, scale = (np.asarray(t, np.float64) for t in model.encode(images))
    expected = 0.5 * np.sum(mean**2 + scale**2 - 1.0 - 2.0 * np.log(scale), axis=1)
    _, kl = model.compute_terms(images)
    np.testing.assert_allclose(np.asarray(kl), expected, rtol=1e-4)


def test_bernoulli_reconstruction_is_the_binary_cross_entropy_in_nats():
    model = tiny_vae()
    images = binary_images(4)
    z = np.random.default_rng(1).standard_normal((4, 4)).astype("float32")
    logits = np.asarray(model.decoder(z), np.float64)
    probabilities = 1 / (1 + np.exp(-logits))
    expected = np.sum(images * np.log(probabilities) + (1 - images) * np.log(1 - probabilities), axis=(1, 2, 3))
    np.testing.assert_allclose(np.asarray(model.observation_model(z).log_prob(images)), expected, rtol=1e-4)


def test_gaussian_likelihood_uses_the_learned_scale():
    model = tiny_vae(likelihood="gaussian")
    model.decoder_log_scale.assign(np.full((16, 16, 1), np.log(0.5), np.float32))
    z = np.zeros((1, 4), np.float32)
    mean = np.asarray(model.decoder(z), np.float64)
    images = np.clip(mean + 0.1, 0, 1).astype("float32")
    residual = images - mean
    expected = np.sum(-0.5 * (residual / 0.5) ** 2 - np.log(0.5) - 0.5 * np.log(2 * np.pi))
    np.testing.assert_allclose(float(model.observation_model(z).log_prob(images)[0]), expected, rtol=1e-4)


def test_training_on_real_digits_lowers_the_negative_elbo():
    model = build_vae(latent_dim=8, hidden_units=(64,), seed=0)
    model.compile(optimizer=keras.optimizers.Adam(3e-3))
    ds = data.load("mnist_5k", "train", batch_size=32, binarize="dynamic").take(40)
    test = next(iter(data.load("mnist_5k", "test", batch_size=200, binarize="static")))
    before = -float(np.mean(model.elbo(test)))
    history = model.fit(ds, epochs=1, verbose=0)
    after = -float(np.mean(model.elbo(test)))
    assert after < before - 150, (before, after)  # ~543 nats untrained; a couple hundred lower after 40 steps
    assert set(history.history) == {"loss", "reconstruction", "kl"}


def test_importance_weighting_tightens_the_bound():
    model = tiny_vae()
    images = binary_images(16)
    elbo = float(np.mean([np.mean(model.elbo(images)) for _ in range(5)]))
    iw_1 = float(np.mean(model.iw_log_likelihood(images, num_samples=1)))
    iw_100 = float(np.mean(model.iw_log_likelihood(images, num_samples=100, chunk_size=30)))
    assert iw_100 > elbo
    assert iw_100 > iw_1
    assert abs(iw_1 - elbo) < 5.0  # k=1 is a one-sample ELBO


def test_iw_log_likelihood_is_exact_when_the_posterior_is_exact():
    # With a decoder that ignores z, p(x|z) = p(x) and q = p(z) is the true posterior: every importance weight
    # equals p(x), so the estimate is exact for any k.
    model = tiny_vae()
    decoder_output = model.decoder.get_layer("mlp_decoder_output")
    kernel, bias = decoder_output.get_weights()
    decoder_output.set_weights([np.zeros_like(kernel), bias])
    mean_head, scale_head = model.encoder.get_layer("mlp_encoder_mean"), model.encoder.get_layer("mlp_encoder_scale_logits")
    mean_head.set_weights([np.zeros_like(w) for w in mean_head.get_weights()])
    inverse_softplus_one = np.log(np.e - 1.0)  # softplus(this) = 1 (minus the 1e-4 floor: negligible)
    scale_head.set_weights([np.zeros_like(scale_head.get_weights()[0]), np.full(4, inverse_softplus_one - 1e-4, np.float32)])
    images = binary_images(3)
    probabilities = 1 / (1 + np.exp(-bias.reshape(16, 16, 1).astype(np.float64)))
    expected = np.sum(images * np.log(probabilities) + (1 - images) * np.log(1 - probabilities), axis=(1, 2, 3))
    np.testing.assert_allclose(np.asarray(model.iw_log_likelihood(images, num_samples=20)), expected, rtol=1e-3)


@pytest.mark.parametrize("architecture, likelihood", [("mlp", "bernoulli"), ("conv", "gaussian")])
def test_keras_roundtrip_and_resume(tmp_path, architecture, likelihood):
    model = tiny_vae(likelihood=likelihood, architecture=architecture)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = binary_images(8)
    model.fit(images, epochs=1, batch_size=4, verbose=0)
    restored = assert_keras_roundtrip(model, images, str(tmp_path / "vae.keras"))
    assert isinstance(restored, VAE) and restored.likelihood == likelihood
    np.testing.assert_allclose(np.asarray(restored.generate(3, 7)), np.asarray(model.generate(3, 7)), atol=1e-6)
    restored.fit(images, epochs=1, batch_size=4, verbose=0)
    assert int(restored.optimizer.iterations.numpy()) == 4  # 2 steps before saving, 2 after


def test_generate_is_reproducible_from_its_seed():
    model = tiny_vae()
    np.testing.assert_array_equal(np.asarray(model.generate(4, seed=3)), np.asarray(model.generate(4, seed=3)))
    assert not np.array_equal(np.asarray(model.generate(4, seed=3)), np.asarray(model.generate(4, seed=4)))
    images = np.asarray(model.generate(4, seed=3))
    assert images.shape == (4, 16, 16, 1) and images.min() >= 0 and images.max() <= 1
    # The seed's stateless N(0, I) draw, decoded: Bernoulli means are the sigmoid of the decoder's logits.
    z = tf.random.stateless_normal([4, 4], seed=[3, 0]).numpy()
    logits = np.asarray(model.decoder(z), np.float64)
    np.testing.assert_allclose(images, 1.0 / (1.0 + np.exp(-logits)), rtol=1e-5, atol=1e-6)
    # A Gaussian decoder's means are its outputs clipped to [0, 1].
    gaussian = tiny_vae(likelihood="gaussian")
    outputs = np.asarray(gaussian.decoder(tf.random.stateless_normal([3, 4], seed=[9, 0])))
    np.testing.assert_allclose(np.asarray(gaussian.generate(3, seed=9)), np.clip(outputs, 0.0, 1.0), atol=1e-6)


def test_bad_arguments_are_named():
    encoder = build_mlp_encoder((16, 16, 1), (8,), latent_dim=4)
    decoder = build_mlp_decoder((16, 16, 1), (8,), latent_dim=4)
    with pytest.raises(ValueError, match="Received: likelihood='poisson'"):
        VAE(encoder, decoder, latent_dim=4, likelihood="poisson")
    with pytest.raises(ValueError, match="latent_dim=3"):
        VAE(encoder, decoder, latent_dim=3)
    with pytest.raises(ValueError, match="Received: architecture='resnet'"):
        build_vae(architecture="resnet")
    with pytest.raises(ValueError, match="multiples of 4"):
        build_vae(image_shape=(18, 18, 1), architecture="conv")
    with pytest.raises(ValueError, match="Received: num_samples=0"):
        VAE(encoder, decoder, latent_dim=4).iw_log_likelihood(tf.zeros((1, 16, 16, 1)), num_samples=0)


def test_kl_warmup_weights_follow_the_linear_schedule():
    model = build_vae(image_shape=(16, 16, 1), latent_dim=4, hidden_units=(16,), beta=2.0, kl_warmup_steps=4)
    # beta * min(1, step / 4)
    for step, weight in [(0, 0.0), (1, 0.5), (2, 1.0), (3, 1.5), (4, 2.0), (100, 2.0)]:
        assert float(model.kl_weight(step)) == pytest.approx(weight), step
    assert float(tiny_vae().kl_weight(0)) == 1.0  # no warm-up: beta from the first step
    with pytest.raises(ValueError, match="Received: kl_warmup_steps=-1"):
        build_vae(kl_warmup_steps=-1)


def _one_step_epochs(model, images, epochs, initial_epoch=0):
    """Fits one batch per epoch; returns each epoch's logs (loss, reconstruction, kl of that single step)."""
    history = model.fit(images, epochs=epochs, initial_epoch=initial_epoch, batch_size=len(images), verbose=0)
    return [dict(zip(history.history, values)) for values in zip(*history.history.values())]


def test_train_steps_weight_the_kl_by_the_optimizer_step_and_resume_mid_warmup(tmp_path):
    model = build_vae(image_shape=(16, 16, 1), latent_dim=4, hidden_units=(16,), kl_warmup_steps=4, seed=1)
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    images = binary_images(8)
    logs = _one_step_epochs(model, images, 2)  # optimizer steps 0 and 1: KL weights 0 and 1/4
    for log, weight in zip(logs, [0.0, 0.25]):
        assert log["loss"] == pytest.approx(log["reconstruction"] + weight * log["kl"], rel=1e-5)
    assert logs[0]["kl"] > 0

    model.save(tmp_path / "vae.keras")
    restored = keras.models.load_model(tmp_path / "vae.keras")
    assert restored.kl_warmup_steps == 4 and int(restored.optimizer.iterations.numpy()) == 2
    logs = _one_step_epochs(restored, images, 5, initial_epoch=2)  # steps 2, 3, 4: weights 1/2, 3/4, 1
    for log, weight in zip(logs, [0.5, 0.75, 1.0]):
        assert log["loss"] == pytest.approx(log["reconstruction"] + weight * log["kl"], rel=1e-5)
    # Validation always scores the ELBO itself (weight beta), warm-up or not.
    fresh = build_vae(image_shape=(16, 16, 1), latent_dim=4, hidden_units=(16,), kl_warmup_steps=1000, seed=1)
    fresh.compile(optimizer=keras.optimizers.Adam(1e-3))
    result = fresh.evaluate(images, batch_size=8, verbose=0, return_dict=True)
    assert result["loss"] == pytest.approx(result["reconstruction"] + result["kl"], rel=1e-5)
