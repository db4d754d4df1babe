import numpy as np
import pytest
import tensorflow as tf

from keras_gen.export.gan import GANEndpoints, export_gan
from keras_gen.models import gan_networks as nets
from keras_gen.models.gan import GAN
from tests.helpers import call_export

SHAPE, LATENT = (16, 16, 1), 6


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    conditional = GAN(nets.build_conditional_generator(LATENT, 3, SHAPE, 4), nets.build_projection_discriminator(3, SHAPE, 4),
                      latent_dim=LATENT, num_classes=3, seed=0)
    unconditional = GAN(nets.build_dcgan_generator(LATENT, SHAPE, 4), nets.build_dcgan_discriminator(SHAPE, 4),
                        latent_dim=LATENT, prior="uniform", seed=0)
    root = tmp_path_factory.mktemp("export")
    export_gan(conditional, str(root / "cgan"))
    export_gan(unconditional, str(root / "dcgan"))
    return conditional, str(root / "cgan"), unconditional, str(root / "dcgan")


def _unit(images):
    return np.clip((np.asarray(images) + 1) / 2, 0, 1)


def test_signatures_compute_what_the_model_does(exported):
    conditional, cgan_dir, unconditional, dcgan_dir = exported
    z = np.random.default_rng(0).standard_normal((3, LATENT)).astype("float32")
    out = call_export(cgan_dir, {
        "sample": {"count": (3, "int32"), "seed": (5, "int32"), "labels": ([0, 1, 2], "int32")},
        "generate": {"z": (z.tolist(), "float32"), "labels": ([2, 2, 0], "int32")},
        "sample_truncated": {"count": (2, "int32"), "seed": (5, "int32"), "truncation": (0.5, "float32"),
                             "labels": ([1, 1], "int32")},
    })
    np.testing.assert_allclose(out["generate"]["images"], _unit(conditional.generate(z, [2, 2, 0])), atol=1e-5)
    endpoints = GANEndpoints(model=conditional)
    np.testing.assert_allclose(out["sample"]["images"], endpoints.sample(3, 5, labels=[0, 1, 2]), atol=1e-5)
    np.testing.assert_allclose(out["sample_truncated"]["images"], endpoints.sample(2, 5, [1, 1], truncation=0.5), atol=1e-5)
    assert np.asarray(out["sample"]["images"]).shape == (3,) + SHAPE

    # The unconditional export.
    signatures = tf.saved_model.load(dcgan_dir).signatures
    generated = signatures["generate"](z=tf.constant(z))["images"].numpy()
    np.testing.assert_allclose(generated, _unit(unconditional.generate(z)), atol=1e-5)
    sampled = signatures["sample"](count=tf.constant(2), seed=tf.constant(1))["images"].numpy()
    np.testing.assert_allclose(sampled, GANEndpoints(model=unconditional).sample(2, 1), atol=1e-5)


def test_labels_outside_the_class_range_are_rejected(exported):
    _, cgan_dir, _, dcgan_dir = exported
    signatures = tf.saved_model.load(cgan_dir).signatures
    z = tf.zeros((2, LATENT))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`labels` must be in \[0, 3\)"):
        signatures["generate"](z=z, labels=tf.constant([0, 3]))
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"`labels` must be in \[0, 3\)"):
        signatures["sample"](count=tf.constant(1), seed=tf.constant(0), labels=tf.constant([-1]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="one entry per image"):
        signatures["generate"](z=z, labels=tf.constant([0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="`count` must be <= 1024"):
        signatures["sample"](count=tf.constant(5000), seed=tf.constant(0), labels=tf.zeros((5000,), tf.int32))
    with pytest.raises(ValueError, match=r"must be in \[0, 3\). Received: labels=\[7\]"):
        GANEndpoints(export_dir=cgan_dir).sample(1, 0, labels=[7])
    unconditional = tf.saved_model.load(dcgan_dir).signatures
    assert "sample_truncated" not in unconditional  # uniform prior: no truncation trick
    sampled = GANEndpoints(export_dir=dcgan_dir).sample(2, 3)
    assert sampled.shape == (2,) + SHAPE
    np.testing.assert_allclose(sampled, GANEndpoints(model=exported[2]).sample(2, 3), atol=1e-5)


def test_endpoints_agree_between_model_and_export(exported):
    conditional, cgan_dir, _, _ = exported
    from_model, from_export = GANEndpoints(model=conditional), GANEndpoints(export_dir=cgan_dir)
    assert from_export.num_classes == 3 and from_export.latent_dim == LATENT and from_export.image_shape == SHAPE
    np.testing.assert_allclose(from_export.sample(4, 2), from_model.sample(4, 2), atol=1e-5)
    with pytest.raises(FileNotFoundError, match="export_dir="):
        GANEndpoints(export_dir="/nonexistent")
