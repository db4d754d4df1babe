import keras
import numpy as np
import pytest

from keras_gen.layers.conditional_batch_norm import ConditionalBatchNormalization


def _inputs():
    rng = np.random.default_rng(0)
    return rng.normal(3.0, 2.0, (8, 4, 4, 3)).astype(np.float32), np.array([0, 1, 2, 0, 1, 2, 0, 1], np.int32)


def test_different_labels_give_different_statistics():
    images, labels = _inputs()
    layer = ConditionalBatchNormalization(num_classes=3)
    layer(images, labels, training=True)
    # Class c scales by gamma = c + 1 and shifts by beta = 10 c.
    layer.gamma.assign(np.repeat(np.arange(1.0, 4.0)[:, None], 3, axis=1))
    layer.beta.assign(np.repeat(10.0 * np.arange(3.0)[:, None], 3, axis=1))
    outputs = np.asarray(layer(images, labels, training=True))
    normalized = (images - images.mean(axis=(0, 1, 2))) / np.sqrt(images.var(axis=(0, 1, 2)) + 1e-3)
    for label in range(3):
        expected = normalized[labels == label] * (label + 1) + 10.0 * label
        np.testing.assert_allclose(outputs[labels == label], expected, rtol=1e-4, atol=1e-4)
    means = [outputs[labels == label].mean() for label in range(3)]
    assert means[0] < means[1] - 5 < means[2] - 10


def test_starts_as_plain_batch_norm_and_uses_moving_statistics_at_inference():
    images, labels = _inputs()
    layer = ConditionalBatchNormalization(num_classes=3, momentum=0.0)
    outputs = np.asarray(layer(images, labels, training=True))
    np.testing.assert_allclose(outputs.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)
    np.testing.assert_allclose(outputs.std(axis=(0, 1, 2)), 1.0, atol=1e-3)
    # momentum 0: the moving statistics are the last batch's, so inference on that batch matches training.
    np.testing.assert_allclose(np.asarray(layer(images, labels, training=False)), outputs, atol=1e-3)


def test_float_condition_projects_gamma_and_beta():
    images, _ = _inputs()
    condition = np.eye(8, 5, dtype=np.float32)
    layer = ConditionalBatchNormalization(num_classes=None, spectral_norm=True)
    outputs = np.asarray(layer(images, condition, training=True))
    np.testing.assert_allclose(outputs.mean(axis=(0, 1, 2)), 0.0, atol=1e-5)  # zero-initialized projections
    layer.beta_projection.layer.kernel.assign(np.ones((5, 3), np.float32))
    shifted = np.asarray(layer(images, condition, training=True))
    # rows 0..4 of the condition are one-hot: beta = 1 for them, 0 for rows 5..7 (power iteration aside, the
    # spectral norm of an all-ones (5, 3) kernel is sqrt(15), so beta = 1 / sqrt(15)).
    np.testing.assert_allclose((shifted - outputs)[:5].mean(), 1 / np.sqrt(15), rtol=1e-2)
    np.testing.assert_allclose((shifted - outputs)[5:], 0.0, atol=1e-5)


def test_config_roundtrip_and_errors():
    images, labels = _inputs()
    layer = ConditionalBatchNormalization(num_classes=3, momentum=0.9, name="cbn")
    outputs = layer(images, labels, training=False)
    clone = ConditionalBatchNormalization.from_config(layer.get_config())
    clone(images, labels, training=False)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(np.asarray(clone(images, labels, training=False)), np.asarray(outputs), atol=1e-6)
    assert clone.get_config()["num_classes"] == 3
    with pytest.raises(ValueError, match="Received: num_classes=0"):
        ConditionalBatchNormalization(num_classes=0)
    with pytest.raises(ValueError, match="Received: momentum=1.5"):
        ConditionalBatchNormalization(num_classes=2, momentum=1.5)


def test_inside_a_functional_model_saves_and_reloads(tmp_path):
    images, labels = _inputs()
    image_input = keras.Input((4, 4, 3))
    label_input = keras.Input((), dtype="int32")
    outputs = ConditionalBatchNormalization(num_classes=3, name="cbn")(image_input, label_input)
    model = keras.Model([image_input, label_input], outputs)
    model.get_layer("cbn").beta.assign(np.arange(9, dtype=np.float32).reshape(3, 3))
    path = str(tmp_path / "cbn.keras")
    model.save(path)
    restored = keras.models.load_model(path)
    np.testing.assert_allclose(np.asarray(restored([images, labels])), np.asarray(model([images, labels])), atol=1e-6)
