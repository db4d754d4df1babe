"""The cross-replica layers on one device are Keras' BatchNormalization and Dropout (the mirrored cases are in
tests/training/test_distribute.py)."""

import keras
import numpy as np
import pytest

from keras_gen.layers.cross_replica import CrossReplicaBatchNormalization, CrossReplicaDropout
from keras_gen.utils.distribute import gather_replicas


def test_one_device_matches_keras_batch_norm_in_training_and_inference():
    x = np.random.default_rng(0).normal(3.0, 2.0, size=(8, 5, 5, 3)).astype("float32")
    ours, theirs = CrossReplicaBatchNormalization(momentum=0.5), keras.layers.BatchNormalization(momentum=0.5)
    for training in (True, True, False):
        np.testing.assert_allclose(ours(x, training=training), theirs(x, training=training), atol=1e-6)
    np.testing.assert_allclose(ours.moving_mean, theirs.moving_mean, atol=1e-6)
    np.testing.assert_allclose(ours.moving_mean, 0.75 * x.mean(axis=(0, 1, 2)), atol=1e-5)  # two updates from 0
    assert ours.synchronized is False


def test_config_round_trip_and_synchronized_is_not_an_argument():
    layer = CrossReplicaBatchNormalization(momentum=0.8, epsilon=1e-4, center=False)
    config = layer.get_config()
    assert "synchronized" not in config
    restored = CrossReplicaBatchNormalization.from_config(config)
    assert (restored.momentum, restored.epsilon, restored.center) == (0.8, 1e-4, False)
    with pytest.raises(ValueError, match="synchronized"):
        CrossReplicaBatchNormalization(synchronized=True)


def test_gather_replicas_is_the_identity_on_one_device():
    value = np.arange(6.0).reshape(3, 2)
    gathered, offset = gather_replicas(value)
    assert offset == 0 and gathered is value


def test_dropout_on_one_device_is_keras_dropout_with_the_same_seed():
    x = np.ones((4, 32), "float32")
    ours, theirs = CrossReplicaDropout(0.25, seed=7), keras.layers.Dropout(0.25, seed=7)
    dropped = np.asarray(ours(x, training=True))
    np.testing.assert_array_equal(dropped, theirs(x, training=True))
    np.testing.assert_allclose(np.unique(dropped), [0.0, 1.0 / 0.75], rtol=1e-6)
    np.testing.assert_array_equal(ours(x, training=False), x)
    with pytest.raises(ValueError, match="noise_shape"):
        CrossReplicaDropout(0.5, noise_shape=(4, 1))
