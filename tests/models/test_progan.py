import os

import keras
import numpy as np
import pytest
from PIL import Image

from keras_gen.export.progan import progan_signatures
from keras_gen.losses.gan import drift_penalty
from keras_gen.models import progan as networks
from keras_gen.models.progan import ProGAN, blend_real_images, growth_level, phase_and_alpha, upsample
from keras_gen.training.progressive import native_samples

RNG = np.random.default_rng(0)
Z = RNG.standard_normal((4, 4)).astype("float32")
IMAGES = RNG.uniform(-1, 1, (4, 16, 16, 1)).astype("float32")


def tiny(resolution=16, images_per_phase=8, ema_images=8.0, run_eagerly=False):
    keras.utils.set_random_seed(0)  # the same initial weights every call
    sizes = dict(channel_base=32, channel_max=4)
    generator = networks.ProgressiveGenerator(4, resolution, 1, name="generator", **sizes)
    discriminator = networks.ProgressiveDiscriminator(resolution, 1, name="discriminator", **sizes)
    model = ProGAN(generator, discriminator, images_per_phase=images_per_phase, ema_images=ema_images, seed=0)
    model.compile(d_optimizer=keras.optimizers.Adam(1e-3, 0.0, 0.99), g_optimizer=keras.optimizers.Adam(1e-3, 0.0, 0.99),
                  run_eagerly=run_eagerly)
    return model


def pool(images, factor):
    """Hand average pooling: (batch, H, W, C) -> (batch, H/f, W/f, C)."""
    b, h, w, c = images.shape
    return images.reshape(b, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4))


def test_growth_schedule_arithmetic():
    # 10 images per phase, 4 levels (4x4 .. 32x32): 4x4 for 10, then fade 10 / stabilize 10 per doubling.
    seen = [0, 5, 10, 12.5, 20, 25, 29, 35, 40, 55, 60, 1000]
    expected = [0, 0, 0, 0.25, 1, 1, 1, 1.5, 2, 2.5, 3, 3]
    np.testing.assert_allclose([float(growth_level(s, 10, 4)) for s in seen], expected, atol=1e-6)
    for level, (phase, alpha) in {0.0: (0, 1.0), 0.25: (1, 0.25), 1.0: (1, 1.0), 1.5: (2, 0.5), 3.0: (3, 1.0),
                                  7.0: (3, 1.0)}.items():
        got = phase_and_alpha(level, 4)
        assert int(got[0]) == phase and float(got[1]) == pytest.approx(alpha), level
    assert networks.num_levels_for(32) == 4
    with pytest.raises(ValueError, match="resolution=24"):
        networks.num_levels_for(24)


def test_generator_fade_in_ends_are_the_old_and_the_new_branch():
    generator = tiny().generator
    for index in (1, 2):
        factor = 2 ** (2 - index)
        new_features, old_features = generator.features(Z, index)
        new = upsample(generator.to_rgbs[index](new_features), factor)
        old = upsample(upsample(generator.to_rgbs[index - 1](old_features), 2), factor)
        np.testing.assert_allclose(generator.render(index, Z, 1.0), new, atol=1e-6)
        np.testing.assert_allclose(generator.render(index, Z, 0.0), old, atol=1e-6)
        # alpha = 0 is the previous resolution's stable output, upsampled; in between, a linear blend.
        np.testing.assert_allclose(generator.render(index, Z, 0.0), generator.render(index - 1, Z, 1.0), atol=1e-6)
        np.testing.assert_allclose(generator.render(index, Z, 0.25), 0.75 * np.asarray(old) + 0.25 * np.asarray(new),
                                   atol=1e-5)
        # The level-switched call takes the same branch: level index - 1 + alpha.
        np.testing.assert_allclose(generator(Z, level=index - 0.75), generator.render(index, Z, 0.25), atol=1e-6)
    # Below the final level the image is blocky: each 4x4 (level 0) output pixel covers 4x4 final pixels.
    images = np.asarray(generator(Z, level=0.0))
    assert images.shape == (4, 16, 16, 1)
    np.testing.assert_array_equal(images, np.asarray(upsample(pool(images, 4), 4)))


def test_discriminator_fade_in_ends_are_the_old_and_the_new_branch():
    discriminator = tiny().discriminator

    def head(h):
        h = discriminator.final_conv(discriminator.mbstd(h))
        return discriminator.logit(discriminator.final_dense(np.asarray(h).reshape(len(h), -1)))

    # Level 2 (16x16): fromRGB at 16, blocks 16 -> 8 -> 4. Fading in from level 1: fromRGB at 8 of the pooled image.
    new = head(discriminator.block(1, discriminator.block(2, discriminator.from_rgbs[2](IMAGES))))
    old = head(discriminator.block(1, discriminator.from_rgbs[1](pool(IMAGES, 2))))
    np.testing.assert_allclose(discriminator.judge(2, IMAGES, 1.0), new, atol=1e-5)
    np.testing.assert_allclose(discriminator.judge(2, IMAGES, 0.0), old, atol=1e-5)
    np.testing.assert_allclose(discriminator.judge(2, IMAGES, 0.0), discriminator.judge(1, IMAGES, 1.0), atol=1e-5)
    np.testing.assert_allclose(discriminator(IMAGES, level=1.5), discriminator.judge(2, IMAGES, 0.5), atol=1e-6)
    # The input is pooled to the level's resolution: an image upsampled from 4x4 judges like its 4x4 self.
    blocky = np.asarray(upsample(pool(IMAGES, 4), 4))
    np.testing.assert_allclose(discriminator.judge(0, blocky, 1.0),
                               head(discriminator.from_rgbs[0](pool(IMAGES, 4))), atol=1e-5)


def test_real_images_are_pooled_to_the_level_and_blended_during_a_fade():
    images = np.arange(2 * 8 * 8, dtype="float32").reshape(2, 8, 8, 1) / 128.0 - 0.5
    at_4 = np.asarray(upsample(pool(images, 2), 2))
    np.testing.assert_allclose(blend_real_images(images, 0, 1.0, 2), at_4, atol=1e-6)
    np.testing.assert_allclose(blend_real_images(images, 1, 1.0, 2), images, atol=1e-6)
    np.testing.assert_allclose(blend_real_images(images, 1, 0.25, 2), 0.75 * at_4 + 0.25 * images, atol=1e-6)


def test_drift_term_and_the_full_discriminator_loss_against_hand_values():
    assert float(drift_penalty(np.array([[1.0], [-2.0], [3.0]]))) == pytest.approx(14.0 / 3.0)
    model = tiny()
    kernel = np.array([[1.0, 2.0], [2.0, 0.0]], "float32").reshape(1, 2, 2, 1)  # ||kernel|| = 3

    def critic(images):  # linear: its gradient is the kernel everywhere, so the penalty is (3 - 1)^2 = 4
        return keras.ops.sum(images * kernel, axis=(1, 2, 3))[:, None]

    real = np.array([[[1, 0], [0, 1]], [[0, 1], [1, 0]]], "float32")[..., None]  # logits 1, 4
    fake = np.array([[[0, 0], [0, 0]], [[1, 1], [1, 1]]], "float32")[..., None]  # logits 0, 5
    loss, logs = model.discriminator_loss(critic, real, fake)
    # E[D(fake)] - E[D(real)] + 10 * GP + 0.001 * E[D(real)^2] = 2.5 - 2.5 + 40 + 0.001 * 8.5
    assert float(logs["gradient_penalty"]) == pytest.approx(4.0, rel=1e-5)
    assert float(logs["drift"]) == pytest.approx(8.5)
    assert float(loss) == pytest.approx(40.0085, rel=1e-5)


def weights_of(model):
    networks_ = [model.generator, model.discriminator, model.ema_generator]
    return [np.asarray(w) for network in networks_ for w in network.weights]


def test_resume_in_the_middle_of_a_fade_equals_an_uninterrupted_run(tmp_path):
    data = IMAGES[:4, ::2, ::2]  # one step of 4 images per epoch; 8 images per phase: the 8x8 fade spans images 8-16
    uninterrupted = tiny(resolution=8, run_eagerly=True)
    history = uninterrupted.fit(data, batch_size=4, epochs=4, shuffle=False, verbose=0).history
    # `level` logs the level after each epoch: 4x4, 4x4 (alpha 0 of the fade), half faded in, 8x8.
    np.testing.assert_allclose(history["level"], [0, 0, 0.5, 1], atol=1e-6)

    interrupted = tiny(resolution=8, run_eagerly=True)
    interrupted.fit(data, batch_size=4, epochs=3, shuffle=False, verbose=0)
    assert interrupted.growth() == {"images_seen": 12, "level": 0.5, "phase": 1, "alpha": 0.5, "current_resolution": 8,
                                    "final_resolution": 8, "growth_complete": False}
    interrupted.save(tmp_path / "mid_fade.keras")
    resumed = keras.models.load_model(tmp_path / "mid_fade.keras")
    assert resumed.growth() == interrupted.growth()
    resumed.run_eagerly = True
    resumed.fit(data, batch_size=4, epochs=1, shuffle=False, verbose=0)
    assert resumed.growth() == uninterrupted.growth() and uninterrupted.growth()["growth_complete"]
    assert int(resumed.d_optimizer.iterations) == int(uninterrupted.d_optimizer.iterations) == 4
    for got, want in zip(weights_of(resumed), weights_of(uninterrupted)):
        np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose(resumed.generate(Z), uninterrupted.generate(Z), atol=1e-6)


def test_compiled_fit_compiles_one_train_function_per_phase_and_matches_eager():
    data = IMAGES[:4, ::2, ::2]
    compiled, eager = tiny(resolution=8, images_per_phase=2), tiny(resolution=8, images_per_phase=2, run_eagerly=True)
    # 2 images per phase, batch 4: step 1 at 4x4, step 2 at 8x8 (past its fade-in).
    logs = compiled.fit(data, batch_size=4, epochs=2, verbose=0).history
    eager.fit(data, batch_size=4, epochs=2, verbose=0)
    np.testing.assert_allclose(logs["level"], [1, 1], atol=1e-6)
    assert sorted(compiled.train_function.phases) == [0, 1]
    for got, want in zip(weights_of(compiled), weights_of(eager)):
        np.testing.assert_allclose(got, want, atol=1e-4)


def test_samples_export_metadata_and_native_resolution_grids(tmp_path):
    model = tiny(resolution=8, images_per_phase=4)
    model.images_seen.assign(6.0)  # half-way through the 8x8 fade
    images, resolution = native_samples(model, 3, seed=5)
    assert resolution == 8 and images.shape == (3, 8, 8, 1) and 0 <= images.min() <= images.max() <= 1
    model.images_seen.assign(0.0)
    images, resolution = native_samples(model, 3, seed=5)
    full = (np.asarray(model.render(model.sample_latent(3, seed=5))) + 1) / 2
    assert resolution == 4 and images.shape == (3, 4, 4, 1)
    np.testing.assert_allclose(images, pool(full, 2), atol=1e-6)
    _, metadata = progan_signatures(model)
    assert {k: metadata[k] for k in ("level", "current_resolution", "final_resolution", "growth_complete")} == {
        "level": 0.0, "current_resolution": 4, "final_resolution": 8, "growth_complete": False}
    assert metadata["image_shape"] == [8, 8, 1]


def test_the_training_run_writes_a_grid_per_resolution(family_run):
    from keras_gen.training.runner import load_trained
    from keras_gen.utils.images import make_grid

    run = family_run("progan")  # resolution 8: its epochs train in the 8x8 fade-in
    grid = np.asarray(Image.open(os.path.join(run.output_dir, "samples", "resolution_8x8.png")))
    model, _ = load_trained(run.output_dir)  # the last epoch that wrote the grid (the NaN epoch wrote none)
    images, resolution = native_samples(model, 64, seed=1234)
    expected = make_grid(images)[..., 0].repeat(8, 0).repeat(8, 1)  # 8x8 samples shown 8 times larger
    assert resolution == 8 and grid.shape == expected.shape == (656, 656)
    assert np.abs(grid.astype(int) - expected).max() <= 1


def test_bad_arguments_are_named():
    generator = networks.ProgressiveGenerator(4, 8, 1, channel_base=16, channel_max=2)
    with pytest.raises(ValueError, match="images_per_phase=0"):
        ProGAN(generator, networks.ProgressiveDiscriminator(8, 1, channel_base=16, channel_max=2), images_per_phase=0)
    with pytest.raises(ValueError, match="share a resolution"):
        ProGAN(generator, networks.ProgressiveDiscriminator(16, 1, channel_base=16, channel_max=2))
    with pytest.raises(ValueError, match="latent_dim=0"):
        networks.ProgressiveGenerator(0, 8)
    with pytest.raises(ValueError, match="takes no labels"):
        tiny(resolution=8).generate(Z, labels=[1, 2, 3, 4])
