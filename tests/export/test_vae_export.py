import numpy as np
import pytest
import tensorflow as tf

from keras_gen.export.vae import VAEEndpoints, export_vae
from keras_gen.models.vae import build_vae
from tests.helpers import call_export


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    model = build_vae(image_shape=(16, 16, 1), latent_dim=4, hidden_units=(16,), seed=1)
    export_dir = str(tmp_path_factory.mktemp("export") / "vae")
    export_vae(model, export_dir)
    return model, export_dir


def test_signatures_compute_what_the_model_does(exported):
    model, export_dir = exported
    images = (np.random.default_rng(0).random((2, 16, 16, 1)) > 0.5).astype("float32")
    z = np.random.default_rng(1).standard_normal((3, 4)).astype("float32")
    out = call_export(export_dir, {
        "sample": {"count": (3, "int32"), "seed": (5, "int32")},
        "decode": {"z": (z.tolist(), "float32")},
        "encode": {"images": (images.tolist(), "float32")},
        "reconstruct": {"images": (images.tolist(), "float32")},
    })
    np.testing.assert_allclose(out["sample"]["images"], np.asarray(model.generate(3, 5)), atol=1e-5)
    np.testing.assert_allclose(out["decode"]["images"], np.asarray(model.decode(z)), atol=1e-5)
    mean, scale = model.encode(images)
    np.testing.assert_allclose(out["encode"]["mean"], np.asarray(mean), atol=1e-5)
    np.testing.assert_allclose(out["encode"]["scale"], np.asarray(scale), atol=1e-5)
    np.testing.assert_allclose(out["reconstruct"]["images"], np.asarray(model(images)), atol=1e-5)


def test_bad_inputs_get_clear_errors(exported):
    _, export_dir = exported
    signatures = tf.saved_model.load(export_dir).signatures
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"Shape of tensor images \[1,8,8,1\] is not compatible with expected shape \[\?,16,16,1\]"):
        signatures["encode"](images=tf.zeros((1, 8, 8, 1)))  # wrong image size
    with pytest.raises(tf.errors.InvalidArgumentError, match="expected to be a float tensor but is a int32"):
        signatures["encode"](images=tf.zeros((1, 16, 16, 1), tf.int32))  # wrong dtype
    with pytest.raises(tf.errors.InvalidArgumentError, match="`count` must be >= 1"):
        signatures["sample"](count=tf.constant(0), seed=tf.constant(1))
    with pytest.raises(tf.errors.InvalidArgumentError, match="`count` must be <= 1024"):
        signatures["sample"](count=tf.constant(5000), seed=tf.constant(1))


def test_endpoints_agree_between_model_and_export(exported):
    model, export_dir = exported
    from_model, from_export = VAEEndpoints(model=model), VAEEndpoints(export_dir=export_dir)
    assert from_export.latent_dim == 4 and from_export.image_shape == (16, 16, 1)
    images = np.random.default_rng(2).random((2, 16, 16, 1)).astype("float32")
    np.testing.assert_allclose(from_export.reconstruct(images), from_model.reconstruct(images), atol=1e-5)
    np.testing.assert_allclose(from_export.sample(2, 9), from_model.sample(2, 9), atol=1e-5)
    with pytest.raises(FileNotFoundError, match="export_dir="):
        VAEEndpoints(export_dir="/nonexistent")
