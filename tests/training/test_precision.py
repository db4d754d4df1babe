"""Mixed precision on the CPU: float16 loss scaling in custom train_steps, bfloat16, float32 exports."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.export.vae import export_vae
from keras_gen.models.vae import build_vae
from keras_gen.training.config import TrainConfig
from keras_gen.utils.distribute import loss_scale_optimizer
from keras_gen.families import train

IMAGES = (np.random.default_rng(0).random((8, 16, 16, 1)) > 0.5).astype("float32")


def tiny_vae(seed=1):
    return build_vae(image_shape=(16, 16, 1), latent_dim=4, hidden_units=(16,), seed=seed)


@pytest.fixture
def no_noise(monkeypatch):
    """z = posterior mean, so two models given the same weights take the same step."""
    monkeypatch.setattr(keras.random, "normal", lambda shape, seed=None, **kwargs: tf.zeros(shape))


@pytest.mark.parametrize("precision", ["mixed_float16", "mixed_bfloat16"])
def test_runner_trains_in_reduced_precision_and_exports_float32(tmp_path, precision):
    model = train(TrainConfig(model="vae", dataset="synthetic_16", epochs=1, steps_per_epoch=3, batch_size=8,
                              latent_dim=4, output_dir=str(tmp_path / "run"), options={"hidden_units": "16"},
                              precision=precision, sample_every=0), verbose=0)
    assert model.encoder.get_layer("mlp_encoder_dense1").compute_dtype == precision.split("_")[1]
    assert model.encoder.get_layer("mlp_encoder_dense1").kernel.dtype == "float32"  # master weights stay float32
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer) == (precision == "mixed_float16")
    assert np.isfinite(np.asarray(model.elbo(IMAGES))).all()
    keras.config.set_dtype_policy("float32")
    export_vae(model, str(tmp_path / "export"))
    signatures = tf.saved_model.load(str(tmp_path / "export")).signatures
    assert signatures["sample"](count=tf.constant(2), seed=tf.constant(0))["images"].dtype == tf.float32
    encoded = signatures["encode"](images=tf.constant(IMAGES))
    assert encoded["mean"].dtype == tf.float32 and encoded["scale"].dtype == tf.float32


def test_overflowing_step_is_skipped_and_the_scale_drops_then_a_normal_step_matches_float32(no_noise):
    reference = tiny_vae()
    reference.compile(optimizer=keras.optimizers.SGD(0.01))
    keras.config.set_dtype_policy("mixed_float16")
    mixed = tiny_vae()
    mixed.compile(optimizer=keras.optimizers.SGD(0.01))
    keras.config.set_dtype_policy("float32")
    mixed.set_weights(reference.get_weights())
    assert isinstance(mixed.optimizer, keras.optimizers.LossScaleOptimizer)

    mixed.train_on_batch(IMAGES)  # builds the optimizer; its step may or may not overflow at the initial scale
    start = [np.asarray(w) for w in mixed.trainable_weights]
    mixed.optimizer.dynamic_scale.assign(1e30)  # float16 gradients of a loss scaled this much overflow
    mixed.train_on_batch(IMAGES)
    assert float(mixed.optimizer.dynamic_scale.numpy()) == pytest.approx(5e29, rel=1e-6)
    for before, after in zip(start, mixed.trainable_weights):
        np.testing.assert_array_equal(before, np.asarray(after))  # the step was skipped

    mixed.optimizer.dynamic_scale.assign(1024.0)
    reference.set_weights(mixed.get_weights())
    mixed.train_on_batch(IMAGES)
    reference.train_on_batch(IMAGES)
    moved = [np.abs(np.asarray(r) - s).max() for r, s in zip(reference.trainable_weights, start)]
    assert max(moved) > 1e-3
    for r, m in zip(reference.trainable_weights, mixed.trainable_weights):
        np.testing.assert_allclose(np.asarray(m), np.asarray(r), atol=2e-3 * max(moved) + 1e-4)


def test_loss_scale_optimizer_wraps_only_under_float16():
    assert isinstance(loss_scale_optimizer(keras.optimizers.Adam()), keras.optimizers.Adam)
    keras.config.set_dtype_policy("mixed_float16")
    wrapped = loss_scale_optimizer(keras.optimizers.Adam())
    assert isinstance(wrapped, keras.optimizers.LossScaleOptimizer)
    assert loss_scale_optimizer(wrapped) is wrapped


@pytest.mark.parametrize("precision", ["mixed_bfloat16", "mixed_float16"])
def test_vqvae2_trains_in_reduced_precision_with_a_float32_codebook(tmp_path, precision):
    model = train(TrainConfig(model="vqvae2", dataset="synthetic_16", epochs=1, steps_per_epoch=2, batch_size=8,
                              output_dir=str(tmp_path / "run"), precision=precision, sample_every=0,
                              options={"channels": "8", "embedding_dim": "4", "top_codes": "8", "bottom_codes": "8"}),
                  verbose=0)
    quantizers = [layer for layer in model._flatten_layers() if type(layer).__name__ == "VectorQuantizer"]
    assert quantizers and all(q.compute_dtype == "float32" for q in quantizers)
    reconstruction = np.asarray(model(IMAGES))
    assert reconstruction.dtype == np.float32 and np.isfinite(reconstruction).all()
