"""Layers whose batch statistics and random draws span every replica of a distributed train step.

Keras' own layers treat each replica's slice of the batch on its own: batch norm normalizes with the slice's
statistics (and its moving statistics drift apart between replicas), and dropout draws the same mask on every
replica (their seed states are copies). These subclasses behave as one device fed the global batch, and are
exactly the Keras layers on one device.
"""

import keras
from keras import ops

from keras_gen.utils.distribute import replica_draw, sync_replica_context


@keras.saving.register_keras_serializable(package="keras_gen")
class CrossReplicaBatchNormalization(keras.layers.BatchNormalization):
    """`keras.layers.BatchNormalization` that, inside a train step replicated over several devices, normalizes
    with the mean and variance of the global batch and tracks moving statistics of it (cross-replica batch
    norm, as BigGAN trains).

    Keras' plain layer normalizes each replica's slice on its own, and its moving statistics (aggregation
    "none") then drift apart between replicas. Here every replica computes the same statistics, so mirrored
    training matches one device fed the same global batch. The choice is made at each call, not fixed at
    construction, so a model trained on one device resumes on several and back. On one device it is exactly
    the plain layer (Keras' synchronized path computes the variance as E[x^2] - E[x]^2, less accurately).

    Args:
        **kwargs: `keras.layers.BatchNormalization` arguments except `synchronized`.
    """

    def __init__(self, **kwargs):
        if kwargs.pop("synchronized", False):
            raise ValueError("CrossReplicaBatchNormalization decides `synchronized` itself at each call; do not pass it.")
        super().__init__(**kwargs)

    def call(self, inputs, training=None, mask=None):
        self.synchronized = sync_replica_context() is not None
        return super().call(inputs, training=training, mask=mask)

    def get_config(self):
        config = super().get_config()
        config.pop("synchronized", None)
        return config


@keras.saving.register_keras_serializable(package="keras_gen")
class CrossReplicaDropout(keras.layers.Dropout):
    """`keras.layers.Dropout` whose masks differ between replicas: each replica keeps its slice of a mask
    drawn for the global batch (`replica_draw`). Keras' layer would drop the same units on every replica.

    Args:
        rate: fraction of the input units to drop, in [0, 1).
        seed: integer seed of the masks.
        **kwargs: other `keras.layers.Layer` arguments (`noise_shape` is not supported).
    """

    def __init__(self, rate, seed=None, **kwargs):
        if kwargs.get("noise_shape") is not None:
            raise ValueError(f"CrossReplicaDropout draws one mask value per unit; `noise_shape` is not supported. "
                             f"Received: noise_shape={kwargs['noise_shape']!r}")
        super().__init__(rate, seed=seed, **kwargs)

    def call(self, inputs, training=False):
        if not training or self.rate == 0 or sync_replica_context() is None:
            return super().call(inputs, training=training)
        uniform = replica_draw(lambda shape: keras.random.uniform(shape, seed=self.seed_generator), ops.shape(inputs))
        keep = uniform >= self.rate
        return ops.where(keep, inputs / ops.cast(1.0 - self.rate, inputs.dtype), ops.zeros_like(inputs))
