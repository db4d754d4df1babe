"""Conditional batch normalization: batch statistics shared by all examples, scale and shift chosen per example."""

import keras
from keras import ops

from keras_gen.layers.cross_replica import CrossReplicaBatchNormalization
from keras_gen.layers.spectral_norm import SpectralNormalization


@keras.saving.register_keras_serializable(package="keras_gen")
class ConditionalBatchNormalization(keras.layers.Layer):
    """Batch normalization whose gamma and beta depend on a condition.

    The activations are normalized with the batch statistics (moving averages at inference, as in
    `keras.layers.BatchNormalization`), then scaled and shifted per example:

    - with `num_classes` set, the condition is an integer label and each class has its own learned
      `gamma` (initialized to 1) and `beta` (initialized to 0) per channel;
    - with `num_classes=None`, the condition is a float vector (BigGAN: the shared class embedding
      concatenated with a chunk of the latent) and `gamma = 1 + condition @ W_gamma`,
      `beta = condition @ W_beta` are linear in it.

    Args:
        num_classes: number of classes for integer labels, or None for a float condition vector.
        momentum: momentum of the moving mean and variance.
        epsilon: added to the variance before the square root.
        spectral_norm: wrap the linear gamma/beta projections (float condition) in
            `keras.layers.SpectralNormalization`, as BigGAN does.

    Call arguments:
        inputs: `(batch, height, width, channels)` (or any rank; the last axis holds the channels).
        condition: `(batch,)` integer labels in `[0, num_classes)` or `(batch, condition_dim)` floats.
        training: use the batch statistics and update the moving averages.

    Reference:
        de Vries et al., "Modulating early visual processing by language" (https://arxiv.org/abs/1707.00683);
        Miyato & Koyama, "cGANs with Projection Discriminator" (https://arxiv.org/abs/1802.05637);
        Brock et al., "Large Scale GAN Training" (https://arxiv.org/abs/1809.11096).
    """

    def __init__(self, num_classes=None, momentum=0.99, epsilon=1e-3, spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        if num_classes is not None and (not isinstance(num_classes, int) or num_classes < 1):
            raise ValueError(f"`num_classes` must be a positive integer or None. Received: num_classes={num_classes!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"`momentum` must be in [0, 1). Received: momentum={momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"`epsilon` must be > 0. Received: epsilon={epsilon!r}")
        self.num_classes = num_classes
        self.momentum = momentum
        self.epsilon = epsilon
        self.spectral_norm = spectral_norm
        self.normalization = CrossReplicaBatchNormalization(
            momentum=momentum, epsilon=epsilon, center=False, scale=False, dtype=self.dtype_policy, name="normalization"
        )

    def build(self, inputs_shape, condition_shape):
        channels = inputs_shape[-1]
        self.normalization.build(inputs_shape)
        if self.num_classes is not None:
            self.gamma = self.add_weight(name="gamma", shape=(self.num_classes, channels), initializer="ones")
            self.beta = self.add_weight(name="beta", shape=(self.num_classes, channels), initializer="zeros")
        else:
            projections = []
            for role in ("gamma", "beta"):
                projection = keras.layers.Dense(
                    channels, use_bias=False, kernel_initializer="zeros", dtype=self.dtype_policy, name=f"{role}_projection"
                )
                if self.spectral_norm:
                    projection = SpectralNormalization(projection, name=f"{role}_projection_sn")
                projection.build(condition_shape)
                projections.append(projection)
            self.gamma_projection, self.beta_projection = projections

    def call(self, inputs, condition, training=None):
        normalized = self.normalization(inputs, training=training)
        if self.num_classes is not None:
            labels = ops.cast(ops.reshape(condition, (-1,)), "int32")
            gamma = ops.take(self.gamma, labels, axis=0)  # (batch, channels)
            beta = ops.take(self.beta, labels, axis=0)
        else:
            gamma = 1.0 + self.gamma_projection(condition, training=training)  # (batch, channels)
            beta = self.beta_projection(condition, training=training)
        # (batch, channels) -> (batch, 1, ..., 1, channels) to broadcast over the spatial axes.
        broadcast_shape = (-1,) + (1,) * (len(inputs.shape) - 2) + (inputs.shape[-1],)
        gamma = ops.cast(ops.reshape(gamma, broadcast_shape), normalized.dtype)
        beta = ops.cast(ops.reshape(beta, broadcast_shape), normalized.dtype)
        return normalized * gamma + beta

    def compute_output_shape(self, inputs_shape, condition_shape):
        return inputs_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "num_classes": self.num_classes,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "spectral_norm": self.spectral_norm,
        }
        return {**base_config, **config}
