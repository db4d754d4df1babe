import keras
import numpy as np
import pytest

from keras_gen.models import image_networks as networks
from keras_gen.models.cyclegan import CycleGAN

RNG = np.random.default_rng(0)
IMAGE = (16, 16, 1)


def _images(batch):
    return np.tanh(RNG.normal(size=(batch,) + IMAGE)).astype("float32")


def cyclegan(pool_size=4, identity_weight=0.5):
    def generator(name):
        return networks.build_unet_generator(IMAGE, base_filters=4, num_downsamples=2, normalization="instance",
                                             dropout=0.0, name=name)

    def discriminator(name):
        return networks.build_patchgan_discriminator(IMAGE, base_filters=4, normalization="instance", name=name)

    return CycleGAN(generator("g_ab"), generator("g_ba"), discriminator("d_a"), discriminator("d_b"),
                    pool_size=pool_size, identity_weight=identity_weight, seed=0, name="cyclegan")


def test_instance_norm_statistics_per_example_and_channel():
    # GroupNormalization(groups=-1) is instance normalization: each example's channel has mean 0, var 1.
    layer = networks.normalization_layer("instance", "norm")
    inputs = (RNG.normal(size=(3, 8, 8, 4)) * RNG.uniform(0.5, 5, (3, 1, 1, 4)) + RNG.normal(size=(3, 1, 1, 4)) * 3)
    outputs = np.asarray(layer(inputs.astype("float32")))
    np.testing.assert_allclose(outputs.mean(axis=(1, 2)), 0.0, atol=1e-4)
    np.testing.assert_allclose(outputs.var(axis=(1, 2)), 1.0, atol=1e-3)
    # The statistics are the example's own: changing another example leaves this one's output unchanged.
    other = inputs.copy()
    other[1:] *= 10.0
    np.testing.assert_allclose(np.asarray(layer(other.astype("float32")))[0], outputs[0], atol=1e-5)


def test_generator_loss_terms_by_hand():
    model = cyclegan()
    a, b = _images(2), _images(2)
    loss, logs, fake_a, fake_b = model.compute_generator_loss(a, b, training=False)
    g, f = model.generator_ab, model.generator_ba
    cycle = np.abs(np.asarray(f(g(a))) - a).mean() + np.abs(np.asarray(g(f(b))) - b).mean()
    identity = np.abs(np.asarray(g(b)) - b).mean() + np.abs(np.asarray(f(a)) - a).mean()
    adversarial = float(model.generator_loss(model.discriminator_b(g(a)))) + float(model.generator_loss(model.discriminator_a(f(b))))
    np.testing.assert_allclose(float(logs["cycle_loss"]), cycle, rtol=1e-5)
    np.testing.assert_allclose(float(logs["identity_loss"]), identity, rtol=1e-5)
    np.testing.assert_allclose(float(loss), adversarial + 10 * cycle + 5 * identity, rtol=1e-4)
    np.testing.assert_allclose(np.asarray(model.reconstruct(a, "a2b")), np.asarray(f(g(a))), atol=1e-6)


def test_each_step_updates_only_its_networks_and_fills_the_pools():
    model = cyclegan()
    model.compile()
    a, b = _images(2), _images(2)
    snapshot = lambda weights: [np.array(w) for w in weights]
    changed = lambda before, weights: [not np.allclose(x, np.asarray(w)) for x, w in zip(before, weights)]
    generators, discriminators = snapshot(model.generator_weights), snapshot(model.discriminator_weights)

    _, _, fake_a, fake_b = model.generator_step(a, b)
    assert sum(changed(generators, model.generator_weights)) >= 0.9 * len(generators)
    assert not any(changed(discriminators, model.discriminator_weights))
    generators = snapshot(model.generator_weights)

    model.discriminator_step(a, b, fake_a, fake_b)
    assert all(changed(discriminators, model.discriminator_weights))
    assert not any(changed(generators, model.generator_weights))
    assert int(model.pool_a.num_filled.numpy()) == 2
    np.testing.assert_allclose(np.asarray(model.pool_b.images)[:2], np.asarray(fake_b), atol=1e-6)


def test_fit_roundtrip_and_resume(tmp_path):
    # The CycleGAN export is loaded in a fresh process in tests/models/test_translation.py.
    model = cyclegan()
    model.compile(run_eagerly=True)
    data = (_images(4), _images(4))
    history = model.fit(data, batch_size=2, epochs=1, verbose=0).history
    assert {"g_loss", "d_loss", "cycle_loss", "identity_loss", "d_a_loss", "d_b_loss"} <= set(history)
    path = str(tmp_path / "cyclegan.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is CycleGAN
    images = _images(2)
    for direction in ("a2b", "b2a"):
        np.testing.assert_allclose(model.translate(images, direction), restored.translate(images, direction), atol=1e-6)
    np.testing.assert_allclose(np.asarray(restored.pool_a.images), np.asarray(model.pool_a.images))  # pools resume
    assert int(restored.g_optimizer.iterations.numpy()) == 2
    restored.fit(data, batch_size=2, epochs=1, verbose=0)
    assert int(restored.g_optimizer.iterations.numpy()) == 4


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="cycle_weight=-1"):
        CycleGAN(*([None] * 4), cycle_weight=-1)
    with pytest.raises(ValueError, match="pool_size=2.5"):
        CycleGAN(*([None] * 4), pool_size=2.5)
    with pytest.raises(ValueError, match="direction='up'"):
        cyclegan().translate(_images(1), "up")


def test_mixed_precision_steps_use_loss_scaling():
    keras.config.set_dtype_policy("mixed_float16")  # conftest restores float32 after the test
    model = cyclegan()
    model.compile()
    assert isinstance(model.g_optimizer, keras.optimizers.LossScaleOptimizer)
    loss, logs, fake_a, fake_b = model.generator_step(_images(2), _images(2))
    d_loss, _ = model.discriminator_step(_images(2), _images(2), fake_a, fake_b)
    assert np.isfinite(float(loss)) and np.isfinite(float(d_loss)) and logs["cycle_loss"].dtype == "float32"
