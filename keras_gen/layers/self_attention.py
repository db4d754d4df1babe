"""Self-attention over the spatial positions of a feature map (SAGAN)."""

import keras
from keras import ops

from keras_gen.layers.spectral_norm import SpectralNormalization


@keras.saving.register_keras_serializable(package="keras_gen")
class SelfAttention2D(keras.layers.Layer):
    """SAGAN self-attention: every position attends to every other position of the feature map.

    `f = key(x)`, `g = query(x)`, `h = value(x)` are 1x1 convolutions; the attention map
    `softmax(g f^T)` over the `N = height * width` positions mixes `h`, a last 1x1 convolution maps it back to
    the input channels, and the result is added to the input scaled by a learned `gamma` that starts at 0,
    so the block starts as the identity and the network learns how much non-local evidence to use.

    Args:
        key_channels: channels of the query/key projections; default `channels // 8` (the paper's choice).
        value_channels: channels of the value projection; default `channels // 2` (BigGAN's choice).
        spectral_norm: wrap the four 1x1 convolutions in `SpectralNormalization` (float32 power iteration).

    Call arguments:
        inputs: `(batch, height, width, channels)`.
        training: passed to the spectral normalization (power iteration updates).

    Reference:
        Zhang et al., "Self-Attention Generative Adversarial Networks" (https://arxiv.org/abs/1805.08318).
    """

    def __init__(self, key_channels=None, value_channels=None, spectral_norm=False, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("key_channels", key_channels), ("value_channels", value_channels)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"`{name}` must be a positive integer or None. Received: {name}={value!r}")
        self.key_channels = key_channels
        self.value_channels = value_channels
        self.spectral_norm = spectral_norm

    def _conv(self, filters, name, input_shape):
        conv = keras.layers.Conv2D(filters, 1, use_bias=False, dtype=self.dtype_policy, name=name)
        if self.spectral_norm:
            conv = SpectralNormalization(conv, name=f"{name}_sn")
        conv.build(input_shape)
        return conv

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"`SelfAttention2D` expects (batch, height, width, channels). Received: shape={input_shape}")
        channels = input_shape[-1]
        key_channels = self.key_channels or max(1, channels // 8)
        value_channels = self.value_channels or max(1, channels // 2)
        self.query = self._conv(key_channels, "query", input_shape)
        self.key = self._conv(key_channels, "key", input_shape)
        self.value = self._conv(value_channels, "value", input_shape)
        self.output_projection = self._conv(channels, "output", tuple(input_shape[:-1]) + (value_channels,))
        self.gamma = self.add_weight(name="gamma", shape=(), initializer="zeros")

    def call(self, inputs, training=None):
        batch = ops.shape(inputs)[0]
        height, width = inputs.shape[1], inputs.shape[2]
        query = ops.reshape(self.query(inputs, training=training), (batch, height * width, -1))  # (batch, N, k)
        key = ops.reshape(self.key(inputs, training=training), (batch, height * width, -1))  # (batch, N, k)
        value = ops.reshape(self.value(inputs, training=training), (batch, height * width, -1))  # (batch, N, v)
        scores = ops.einsum("bqk,bnk->bqn", query, key)  # (batch, N queries, N positions)
        attention = ops.softmax(scores, axis=-1)
        attended = ops.einsum("bqn,bnv->bqv", attention, value)  # (batch, N, v)
        attended = ops.reshape(attended, (batch, height, width, -1))  # (batch, H, W, v)
        return inputs + ops.cast(self.gamma, inputs.dtype) * self.output_projection(attended, training=training)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        base_config = super().get_config()
        config = {
            "key_channels": self.key_channels,
            "value_channels": self.value_channels,
            "spectral_norm": self.spectral_norm,
        }
        return {**base_config, **config}
