import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_gen.layers.spade import SPADE


def _label_map(rng, batch, size, classes=3):
    ids = rng.integers(0, classes, (batch, size, size))
    return np.eye(classes, dtype="float32")[ids]  # (batch, size, size, classes)


def test_spade_modulation_depends_on_the_label_map():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(2, 8, 8, 4)).astype("float32")
    layer = SPADE(hidden_filters=8)
    map_a, map_b = _label_map(rng, 2, 8), _label_map(rng, 2, 8)
    out_a = np.asarray(layer(features, map_a, training=False))
    out_b = np.asarray(layer(features, map_b, training=False))
    assert out_a.shape == features.shape
    assert np.abs(out_a - out_b).mean() > 1e-3
    # The value, recomputed with tf.nn.conv2d from the layer's kernels: fresh moving statistics (mean 0,
    # variance 1) normalize, then x_hat * (1 + gamma(m)) + beta(m) with gamma, beta convolutions of relu(conv(m)).
    def conv(x, layer):
        return tf.nn.conv2d(x, layer.kernel.numpy(), 1, "SAME").numpy() + layer.bias.numpy()

    for label_map, out in ((map_a, out_a), (map_b, out_b)):
        hidden = np.maximum(conv(label_map, layer.shared), 0.0)
        expected = features / np.sqrt(1.0 + layer.epsilon) * (1.0 + conv(hidden, layer.gamma)) + conv(hidden, layer.beta)
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)
    # Changing one pixel's label changes the output only near that pixel (two stacked 3x3 convolutions).
    map_c = map_a.copy()
    map_c[0, 0, 0] = np.roll(map_c[0, 0, 0], 1)
    changed = np.abs(np.asarray(layer(features, map_c, training=False)) - out_a).max(axis=-1)  # (batch, 8, 8)
    assert changed[0, 0, 0] > 1e-4
    assert changed[0, 3:, 3:].max() == 0.0 and changed[1].max() == 0.0


def test_spade_resizes_a_coarser_or_finer_label_map_nearest():
    rng = np.random.default_rng(1)
    layer = SPADE(hidden_filters=4)
    features = rng.normal(size=(1, 4, 4, 2)).astype("float32")
    fine = np.repeat(np.repeat(_label_map(rng, 1, 4), 2, axis=1), 2, axis=2)  # (1, 8, 8, 3), 2x2 blocks
    coarse = fine[:, ::2, ::2]
    np.testing.assert_allclose(layer(features, fine, training=False), layer(features, coarse, training=False), atol=1e-6)


def test_spade_uses_moving_statistics_at_inference():
    rng = np.random.default_rng(2)
    layer = SPADE(hidden_filters=4, momentum=0.0)  # momentum 0: the moving stats become the last batch's
    train_batch = (3.0 + 2.0 * rng.normal(size=(16, 4, 4, 2))).astype("float32")
    label_map = _label_map(rng, 16, 4)
    layer(train_batch, label_map, training=True)
    moving_mean = np.asarray(layer.normalization.moving_mean)
    moving_var = np.asarray(layer.normalization.moving_variance)
    np.testing.assert_allclose(moving_mean, train_batch.mean(axis=(0, 1, 2)), rtol=1e-4)

    # At inference one example's output does not depend on its batch mates ...
    test_batch = rng.normal(size=(4, 4, 4, 2)).astype("float32")
    alone = np.asarray(layer(test_batch[:1], label_map[:1], training=False))
    together = np.asarray(layer(test_batch, label_map[:4], training=False))[:1]
    np.testing.assert_allclose(alone, together, atol=1e-5)
    # ... and equals the modulation of (x - moving_mean) / sqrt(moving_var + eps).
    unmodulated = SPADE(hidden_filters=4, momentum=0.0)
    unmodulated(test_batch, label_map[:4])
    unmodulated.set_weights(layer.get_weights())
    for conv in (unmodulated.gamma, unmodulated.beta):
        conv.kernel.assign(np.zeros(conv.kernel.shape, "float32"))
        conv.bias.assign(np.zeros(conv.bias.shape, "float32"))
    expected = (test_batch - moving_mean) / np.sqrt(moving_var + layer.epsilon)
    np.testing.assert_allclose(unmodulated(test_batch, label_map[:4], training=False), expected, atol=1e-4)
    # With training=True the batch's own statistics are used instead: per-channel mean 0.
    batch_normalized = np.asarray(unmodulated(test_batch, label_map[:4], training=True))
    np.testing.assert_allclose(batch_normalized.mean(axis=(0, 1, 2)), 0.0, atol=1e-4)


def test_spade_in_functional_model_and_config_roundtrip(tmp_path):
    features = keras.Input((8, 8, 4), name="features")
    label_map = keras.Input((16, 16, 3), name="label_map")
    outputs = SPADE(hidden_filters=8, name="spade")(features, label_map)
    model = keras.Model([features, label_map], outputs)
    rng = np.random.default_rng(3)
    inputs = [rng.normal(size=(2, 8, 8, 4)).astype("float32"), _label_map(rng, 2, 16)]
    model.save(tmp_path / "spade.keras")
    restored = keras.models.load_model(tmp_path / "spade.keras")
    np.testing.assert_allclose(model(inputs), restored(inputs), atol=1e-6)
    layer = SPADE(hidden_filters=8)
    layer(*inputs)
    clone = SPADE.from_config(layer.get_config())
    clone(*inputs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(layer(*inputs), clone(*inputs), atol=1e-6)


def test_spade_rejects_bad_arguments():
    with pytest.raises(ValueError, match="hidden_filters=0"):
        SPADE(hidden_filters=0)
    with pytest.raises(ValueError, match="kernel_size=2"):
        SPADE(kernel_size=2)
    with pytest.raises(ValueError, match="momentum=1.0"):
        SPADE(momentum=1.0)
