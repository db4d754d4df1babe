"""StyleGAN2's synthesis layers: modulated + demodulated convolution, noise injection, bias + activation, the
learned constant input.

Each layer that reads a style takes the whole `(batch, num_ws, w_dim)` stack of per-layer latents and picks its
own row (`w_index`), so style mixing and truncation act on that one tensor and the synthesis network stays a
plain functional model.

Reference: Karras et al., "Analyzing and Improving the Image Quality of StyleGAN" (https://arxiv.org/abs/1912.04958).
"""

import math

import keras
from keras import ops

from keras_gen.layers.equalized import EqualizedDense, apply_activation, ACTIVATIONS


def _check_index(w_index):
    if not isinstance(w_index, int) or w_index < 0:
        raise ValueError(f"`w_index` must be a non-negative integer. Received: w_index={w_index!r}")


@keras.saving.register_keras_serializable(package="keras_gen")
class ModulatedConv2D(keras.layers.Layer):
    """Convolution whose weights are scaled per input channel by a style and, with `demodulate`, renormalized so
    each output channel has unit expected norm for unit-variance inputs (StyleGAN2's replacement for AdaIN).

    Computed the "non-fused" way (scale the activations, convolve with the shared kernel, scale the outputs), which
    equals convolving each image with its own modulated kernel `W'[k, k, i, o] = W * s_i * d_o`,
    `d_o = 1 / sqrt(sum_{k, k, i} (W * s_i)^2 + eps)`.

    Args:
        filters: output channels.
        kernel_size: odd integer (3 for the main convs, 1 for toRGB).
        w_index: which row of the `(batch, num_ws, w_dim)` latents styles this layer.
        demodulate: renormalize the output channels (False for toRGB).
        upsample: double the resolution first (bilinear).

    Call arguments:
        inputs: `[x (batch, H, W, C_in), ws (batch, num_ws, w_dim)]`.

    Reference: https://arxiv.org/abs/1912.04958, section 2.2, equations 1-3.
    """

    def __init__(self, filters, kernel_size=3, w_index=0, demodulate=True, upsample=False, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters!r}")
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be an odd positive integer. Received: kernel_size={kernel_size!r}")
        _check_index(w_index)
        self.filters = filters
        self.kernel_size = kernel_size
        self.w_index = w_index
        self.demodulate = demodulate
        self.upsample = upsample
        self.epsilon = float(epsilon)
        self.upsampling = keras.layers.UpSampling2D(2, interpolation="bilinear", dtype=self.dtype_policy) if upsample else None

    def build(self, input_shape):
        x_shape, ws_shape = input_shape
        in_channels = int(x_shape[-1])
        self.runtime_scale = 1.0 / math.sqrt(in_channels * self.kernel_size ** 2)
        # Style affine: bias 1, so an untrained style leaves the kernel as it is.
        self.affine = EqualizedDense(in_channels, bias_init=1.0, name="affine", dtype=self.dtype_policy)
        self.affine.build(ws_shape[:1] + ws_shape[2:])
        self.kernel = self.add_weight(name="kernel", shape=(self.kernel_size, self.kernel_size, in_channels, self.filters),
                                      initializer=keras.initializers.RandomNormal(stddev=1.0))

    def styles(self, ws):
        """`(batch, C_in)` styles of this layer's latent row."""
        return self.affine(ws[:, self.w_index])

    def scaled_kernel(self):
        return ops.cast(self.kernel, self.compute_dtype) * ops.cast(self.runtime_scale, self.compute_dtype)

    def demodulation(self, styles):
        """`(batch, filters)`: `d_o = 1 / sqrt(sum_{k, k, i} (W s_i)^2 + eps)`."""
        squared = ops.sum(ops.square(ops.cast(self.scaled_kernel(), "float32")), axis=(0, 1))  # (C_in, filters)
        return ops.rsqrt(ops.matmul(ops.square(ops.cast(styles, "float32")), squared) + self.epsilon)

    def modulated_kernels(self, styles):
        """`(batch, k, k, C_in, filters)`: each image's effective kernel (for tests and inspection)."""
        kernel = ops.cast(self.scaled_kernel(), "float32")[None] * ops.cast(styles, "float32")[:, None, None, :, None]
        if self.demodulate:
            kernel = kernel * self.demodulation(styles)[:, None, None, None, :]
        return kernel

    def call(self, inputs):
        x, ws = inputs
        styles = self.styles(ws)
        if self.upsampling is not None:
            x = self.upsampling(x)
        x = x * ops.cast(styles, x.dtype)[:, None, None, :]
        x = ops.conv(x, self.scaled_kernel(), padding="same")
        if self.demodulate:
            x = x * ops.cast(self.demodulation(styles), x.dtype)[:, None, None, :]
        return x

    def compute_output_shape(self, input_shape):
        x_shape = input_shape[0]
        factor = 2 if self.upsample else 1
        spatial = [None if d is None else d * factor for d in x_shape[1:3]]
        return (x_shape[0], *spatial, self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "w_index": self.w_index, "demodulate": self.demodulate, "upsample": self.upsample,
                "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="keras_gen")
class NoiseInjection(keras.layers.Layer):
    """Adds per-pixel Gaussian noise, one map per image broadcast over channels, times a learned strength (init 0).

    Training draws fresh noise from a seeded generator; inference (`training=False`) adds a fixed noise map drawn
    once at build time and saved with the layer, so a SavedModel and a reloaded model give the same image for the
    same latent (StyleGAN2-ADA's `noise_mode="const"`).

    Args:
        seed: seed of the training noise and of the fixed map.

    Call arguments:
        inputs: `(batch, H, W, C)`.
        training: fresh noise (True) or the fixed map.

    Reference: Karras et al., "A Style-Based Generator Architecture" (https://arxiv.org/abs/1812.04948), section 2.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, input_shape):
        height, width = int(input_shape[1]), int(input_shape[2])
        self.strength = self.add_weight(name="strength", shape=(), initializer="zeros")
        self.fixed_noise = self.add_weight(name="fixed_noise", shape=(height, width, 1), trainable=False,
                                           initializer=keras.initializers.RandomNormal(seed=self.seed))

    def call(self, inputs, training=False):
        if training:
            shape = ops.shape(inputs)
            noise = keras.random.normal((shape[0], shape[1], shape[2], 1), seed=self.seed_generator)
        else:
            noise = self.fixed_noise[None]
        return inputs + ops.cast(noise * self.strength, inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="keras_gen")
class BiasActivation(keras.layers.Layer):
    """`act(x + b)` with a learned per-channel bias (the part of a StyleGAN2 conv after the noise).

    Args:
        activation: None or "lrelu" (leaky ReLU 0.2 times sqrt(2)).
    """

    def __init__(self, activation="lrelu", **kwargs):
        super().__init__(**kwargs)
        if activation not in ACTIVATIONS:
            raise ValueError(f"`activation` must be one of {ACTIVATIONS}. Received: activation={activation!r}")
        self.activation = activation

    def build(self, input_shape):
        self.bias = self.add_weight(name="bias", shape=(int(input_shape[-1]),), initializer="zeros")

    def call(self, inputs):
        return apply_activation(inputs + ops.cast(self.bias, inputs.dtype), self.activation)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": self.activation}


@keras.saving.register_keras_serializable(package="keras_gen")
class ConstantInput(keras.layers.Layer):
    """StyleGAN's learned constant `(size, size, channels)` start of the synthesis network, repeated per image.

    Args:
        channels: feature maps.
        size: spatial size (4).

    Call arguments:
        ws: `(batch, num_ws, w_dim)`; only its batch size is read.
    """

    def __init__(self, channels, size=4, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f"`channels` must be a positive integer. Received: channels={channels!r}")
        self.channels = channels
        self.size = size

    def build(self, input_shape):
        self.constant = self.add_weight(name="constant", shape=(self.size, self.size, self.channels),
                                        initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, ws):
        batch = ops.shape(ws)[0]
        return ops.ones((batch, 1, 1, 1), self.compute_dtype) * ops.cast(self.constant, self.compute_dtype)[None]

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.size, self.size, self.channels)

    def get_config(self):
        return {**super().get_config(), "channels": self.channels, "size": self.size}
