
import keras
import numpy as np
import tensorflow as tf
import pytest

from keras_gen.export.translation import export_translation
from keras_gen.metrics.image_quality import bicubic_upsample, image_quality, psnr, ssim
from keras_gen.models import image_networks as networks
from keras_gen.models.translation import (
    ImageTranslationGAN,
    discriminator_scales,
    pix2pix_loss_weights,
    spade_loss_weights,
    srgan_loss_weights,
)
from tests.helpers import call_export

RNG = np.random.default_rng(0)
IMAGE = (16, 16, 1)


def _images(batch, shape=IMAGE):
    return np.tanh(RNG.normal(size=(batch,) + shape)).astype("float32")


def _label_maps(batch, classes=3, size=16):
    return np.eye(classes, dtype="float32")[RNG.integers(0, classes, (batch, size, size))]


def pix2pix(**kwargs):
    generator = networks.build_unet_generator(IMAGE, base_filters=4, num_downsamples=2, name="g")
    discriminator = networks.build_patchgan_discriminator(IMAGE, IMAGE, base_filters=4, name="d", **kwargs)
    return ImageTranslationGAN(generator, discriminator, seed=0, name="pix2pix", **pix2pix_loss_weights())


def srgan():
    generator = networks.build_srgan_generator((4, 4, 1), filters=4, num_residual_blocks=1, name="g")
    discriminator = networks.build_patchgan_discriminator(IMAGE, base_filters=4, return_features=True, name="d")
    return ImageTranslationGAN(generator, discriminator, conditional_discriminator=False, seed=0, name="srgan",
                               **srgan_loss_weights())


def spade(style=True):
    generator = networks.build_spade_generator((16, 16, 3), latent_dim=4, base_filters=4, num_upsamples=2,
                                               hidden_filters=4, name="g")
    discriminator = networks.build_multiscale_discriminator(IMAGE, (16, 16, 3), num_scales=2, base_filters=4,
                                                            num_downsamples=1, name="d")
    encoder = networks.build_style_encoder(IMAGE, latent_dim=4, base_filters=4, num_downsamples=2, name="e") if style else None
    return ImageTranslationGAN(generator, discriminator, latent_dim=4, style_encoder=encoder, seed=0, name="spade",
                               **spade_loss_weights(with_style_encoder=style))


def _snapshot(weights):
    return [np.array(w) for w in weights]


def _changed(before, weights):
    return [not np.allclose(b, np.asarray(w)) for b, w in zip(before, weights)]


@pytest.mark.parametrize("make,batch", [
    (pix2pix, lambda: (_images(2), _images(2))),
    (srgan, lambda: (_images(2, (4, 4, 1)), _images(2))),
    (spade, lambda: (_label_maps(2), _images(2))),
])
def test_each_step_updates_only_its_networks(make, batch):
    model = make()
    model.compile()
    source, target = batch()
    generator = _snapshot(model.generator.trainable_weights)
    discriminator = _snapshot(model.discriminator.trainable_weights)
    encoder = _snapshot(model.style_encoder.trainable_weights) if model.style_encoder is not None else []

    model.discriminator_step(target, source)
    assert all(_changed(discriminator, model.discriminator.trainable_weights))
    assert not any(_changed(generator, model.generator.trainable_weights))
    discriminator = _snapshot(model.discriminator.trainable_weights)

    _, logs = model.generator_step(target, source)
    changed = _changed(generator, model.generator.trainable_weights)
    assert sum(changed) >= 0.9 * len(changed)  # every weight with a gradient moved (Adam steps ~ lr)
    assert not any(_changed(discriminator, model.discriminator.trainable_weights))
    if model.style_encoder is not None:
        assert all(_changed(encoder, model.style_encoder.trainable_weights))  # trained through the generator loss
        assert float(logs["kl"]) > 0
    assert float(logs["l1"]) > 0


def test_fit_reports_the_losses_and_which_features_were_used():
    model = srgan()
    model.compile(run_eagerly=True)
    history = model.fit((_images(4, (4, 4, 1)), _images(4)), batch_size=2, epochs=1, verbose=0).history
    assert {"d_loss", "g_loss", "l1", "feature_loss"} <= set(history)
    assert model.feature_source_used == "discriminator"
    assert pix2pix().feature_source_used == "none"


def test_generator_loss_adds_l1_with_its_weight():
    model = pix2pix()
    source, target = _images(2), _images(2)
    fake = np.asarray(model.generator(source))
    loss, logs = model.compute_generator_loss(target, fake, source)
    adversarial = model.generator_loss(model.discriminator([source, fake], training=True))
    np.testing.assert_allclose(float(logs["l1"]), np.abs(fake - target).mean(), rtol=1e-5)
    np.testing.assert_allclose(float(loss), float(adversarial) + 100.0 * np.abs(fake - target).mean(), rtol=1e-4)


def test_discriminator_scales_normalizes_outputs():
    logits = np.zeros((1, 2, 2, 1))
    assert len(discriminator_scales(logits)) == 1
    assert len(discriminator_scales([logits, logits])[0]) == 2
    assert len(discriminator_scales([[logits, logits], [logits, logits]])) == 2


def test_spade_output_follows_the_latent_and_the_style():
    model = spade()
    label_maps = _label_maps(2)
    z = RNG.normal(size=(2, 4)).astype("float32")
    a, b = np.asarray(model.translate(label_maps, z)), np.asarray(model.translate(label_maps, -z))
    assert np.abs(a - b).max() > 1e-4
    np.testing.assert_allclose(model.translate(label_maps, seed=3), model.translate(label_maps, seed=3))
    style = model.encode_style(_images(2))
    assert style.shape == (2, 4)


@pytest.mark.parametrize("make,inputs", [
    # pix2pix's round trip and resume run through the runner in tests/families/test_translation.py.
    (lambda: spade(style=True), lambda: [_label_maps(2), RNG.normal(size=(2, 4)).astype("float32")]),
])
def test_keras_roundtrip_and_resume(tmp_path, make, inputs):
    model = make()
    model.compile(run_eagerly=True)
    x = inputs()
    source = x if not isinstance(x, list) else x[0]
    model.fit((source, _images(2)), batch_size=2, epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    assert type(restored) is ImageTranslationGAN
    np.testing.assert_allclose(model(x), restored(x), atol=1e-6)
    assert int(restored.g_optimizer.iterations.numpy()) == int(model.g_optimizer.iterations.numpy()) == 1
    assert (restored.style_encoder is None) == (model.style_encoder is None)
    restored.fit((source, _images(2)), batch_size=2, epochs=1, verbose=0)  # resumes with optimizer state
    assert int(restored.g_optimizer.iterations.numpy()) == 2


def test_export_signatures_and_endpoints_match_the_models_and_reject_wrong_sizes(tmp_path):
    from keras_gen.export.translation import TranslationEndpoints
    from tests.models.test_cyclegan import cyclegan

    pix, sp, cycle = pix2pix(), spade(style=True), cyclegan()
    images = (_images(2) + 1) / 2
    label_ids = RNG.integers(0, 3, (2, 16, 16)).astype("int32")
    export_translation(pix, str(tmp_path / "pix2pix"))
    export_translation(sp, str(tmp_path / "spade"))
    export_translation(cycle, str(tmp_path / "cyclegan"))
    # Loaded with plain tf.saved_model.load (the contract test does so in a fresh process for every family).
    pix2pix_out = call_export(str(tmp_path / "pix2pix"), {"translate": {"images": (images.tolist(), "float32")}})
    spade_out = call_export(str(tmp_path / "spade"), {
        "translate": {"label_map": (label_ids.tolist(), "int32"), "seed": (1, "int32")},
        "translate_with_style": {"label_map": (label_ids.tolist(), "int32"), "style_images": (images.tolist(), "float32")},
    })
    cyclegan_out = call_export(str(tmp_path / "cyclegan"), {
        "translate": {"images": (images.tolist(), "float32"), "direction": ("b2a", "string")}})
    out = {"pix2pix": pix2pix_out["translate"]["images"], "spade": spade_out["translate"]["images"],
           "spade_style": spade_out["translate_with_style"]["images"], "cyclegan_b2a": cyclegan_out["translate"]["images"]}
    expected = (np.asarray(pix.translate(images * 2 - 1)) + 1) / 2
    np.testing.assert_allclose(np.asarray(out["pix2pix"]), expected, atol=1e-5)
    one_hot = np.eye(3, dtype="float32")[label_ids]
    expected = (np.asarray(sp.translate(one_hot, sp.encode_style(images * 2 - 1))) + 1) / 2
    np.testing.assert_allclose(np.asarray(out["spade_style"]), expected, atol=1e-5)
    z = tf.random.stateless_normal((2, 4), seed=(1, 0))  # the export draws the style latent from `seed`
    np.testing.assert_allclose(np.asarray(out["spade"]), (np.asarray(sp.translate(one_hot, z)) + 1) / 2, atol=1e-5)
    expected = (np.asarray(cycle.translate(images * 2 - 1, "b2a")) + 1) / 2
    np.testing.assert_allclose(np.asarray(out["cyclegan_b2a"]), expected, atol=1e-5)

    # The app's endpoints give the same numbers over the model and over its export.
    from_model = TranslationEndpoints(model=sp)
    from_export = TranslationEndpoints(export_dir=str(tmp_path / "spade"))
    assert (from_model.source, from_model.source_shape, from_model.num_label_classes) == ("label_map", (16, 16), 3)
    assert (from_export.source, from_export.source_shape, from_export.has_style_encoder) == ("label_map", (16, 16), True)
    np.testing.assert_allclose(from_model.translate_label_map(label_ids, seed=5),
                               from_export.translate_label_map(label_ids, seed=5), atol=1e-5)
    np.testing.assert_allclose(from_model.translate_label_map(label_ids, style_images=images),
                               from_export.translate_label_map(label_ids, style_images=images), atol=1e-5)

    loaded = tf.saved_model.load(str(tmp_path / "pix2pix"))
    with pytest.raises(Exception, match=r"Shape of tensor images \[1,20,20,1\] is not compatible with expected shape"):
        loaded.signatures["translate"](images=tf.zeros((1, 20, 20, 1)))


def test_trainer_rejects_bad_arguments():
    generator = networks.build_unet_generator(IMAGE, base_filters=4, num_downsamples=2)
    logits_only = networks.build_patchgan_discriminator(IMAGE, IMAGE, base_filters=4)
    with pytest.raises(ValueError, match="feature_weight=1.0"):
        ImageTranslationGAN(generator, logits_only, feature_weight=1.0)
    with pytest.raises(ValueError, match="vgg_weights=None"):
        ImageTranslationGAN(generator, logits_only, feature_source="vgg19")
    with pytest.raises(ValueError, match="vgg_weights='/nonexistent.h5'"):
        ImageTranslationGAN(generator, logits_only, feature_source="vgg19", vgg_weights="/nonexistent.h5")
    with pytest.raises(ValueError, match="reconstruction_weight=-1"):
        ImageTranslationGAN(generator, logits_only, reconstruction_weight=-1)
    with pytest.raises(ValueError, match="feature_source='pixels'"):
        ImageTranslationGAN(generator, logits_only, feature_source="pixels")
    with pytest.raises(ValueError, match="image_shape=\\(18, 18, 1\\)"):
        networks.build_unet_generator((18, 18, 1), num_downsamples=2)
    with pytest.raises(ValueError, match="normalization='layer'"):
        networks.build_unet_generator(IMAGE, num_downsamples=2, normalization="layer")


def test_image_quality_metrics():
    reference = RNG.uniform(size=(2, 16, 16, 1)).astype("float32")
    noisy = np.clip(reference + 0.1 * RNG.normal(size=reference.shape), 0, 1).astype("float32")
    mse = ((noisy - reference) ** 2).mean(axis=(1, 2, 3))
    np.testing.assert_allclose(psnr(noisy, reference), 10 * np.log10(1.0 / mse), rtol=1e-4)
    np.testing.assert_allclose(ssim(reference, reference), 1.0, atol=1e-5)
    assert ssim(noisy, reference).max() < 1.0
    upsampled = bicubic_upsample(np.full((1, 4, 4, 1), 0.5, "float32"), (16, 16))
    np.testing.assert_allclose(upsampled, 0.5, atol=1e-6)
    assert set(image_quality(noisy, reference)) == {"psnr", "ssim"}
    with pytest.raises(ValueError, match="same shape"):
        psnr(noisy, reference[:1])


def test_family_helpers_region_agreement_and_resize_note(tmp_path):
    from PIL import Image

    from keras_gen.cli.translation import read_sources
    from keras_gen.data.paired import source_as_image
    from keras_gen.metrics.translation import region_agreement

    label_maps = np.eye(3, dtype="float32")[np.array([[[0, 1, 2, 2]]])]  # (1, 1, 4, 3)
    perfect = np.array([[[[0.0], [0.3], [0.9], [1.0]]]], "float32")  # intensities in each region's band
    assert region_agreement(perfect, label_maps)["region_pixel_accuracy"] == 1.0
    assert region_agreement(1.0 - perfect, label_maps)["region_pixel_accuracy"] == 0.0  # inverted: every band wrong
    shown = source_as_image(_images(1, (4, 4, 1)), (16, 16, 1))
    assert shown.shape == (1, 16, 16, 1) and shown.min() >= 0  # 4x nearest upsampling for SR sources

    Image.fromarray(np.zeros((40, 20), np.uint8)).save(tmp_path / "input.png")
    sources, notes = read_sources([str(tmp_path / "input.png")], pix2pix().source_shape)
    assert sources.shape == (1, 16, 16, 1) and notes == [f"{tmp_path / 'input.png'} resized from 20x40 to 16x16"]


def test_mixed_precision_spade_with_style_encoder():
    keras.config.set_dtype_policy("mixed_float16")  # conftest restores float32 after the test
    model = spade(style=True)
    model.compile()
    assert isinstance(model.e_optimizer, keras.optimizers.LossScaleOptimizer)
    loss, logs = model.generator_step(_images(2), _label_maps(2))
    assert np.isfinite(float(loss)) and np.isfinite(float(logs["kl"]))
