"""Progressive GAN's building blocks, shared by ProGAN and StyleGAN2: equalized learning rate, pixel norm,
minibatch standard deviation.

Equalized learning rate: weights are stored as N(0, 1 / lr_multiplier) draws and scaled at run time by
`lr_multiplier / sqrt(fan_in)` (He's constant), so every weight sees the same effective learning rate under
Adam whatever its layer's fan-in; `lr_multiplier < 1` slows one network down (StyleGAN's mapping network, 0.01).

Reference: Karras et al., "Progressive Growing of GANs" (https://arxiv.org/abs/1710.10196), section 4.
"""

import math

import keras
from keras import ops

ACTIVATIONS = (None, "linear", "lrelu")
LRELU_GAIN = math.sqrt(2.0)  # keeps the activations' second moment through a leaky ReLU(0.2) (StyleGAN2)


def apply_activation(x, activation):
    """`activation` of `ACTIVATIONS`: leaky ReLU(0.2) scaled by sqrt(2), or none."""
    if activation == "lrelu":
        return ops.leaky_relu(x, 0.2) * ops.cast(LRELU_GAIN, x.dtype)
    return x


def _check_common(activation, lr_multiplier):
    if activation not in ACTIVATIONS:
        raise ValueError(f"`activation` must be one of {ACTIVATIONS}. Received: activation={activation!r}")
    if not lr_multiplier > 0:
        raise ValueError(f"`lr_multiplier` must be > 0. Received: lr_multiplier={lr_multiplier!r}")


@keras.saving.register_keras_serializable(package="keras_gen")
class EqualizedDense(keras.layers.Layer):
    """Dense layer with equalized learning rate: `y = act(x @ (W * scale) + b * lr_multiplier)`.

    Args:
        units: output size.
        activation: None or "lrelu" (leaky ReLU 0.2, times sqrt(2)).
        lr_multiplier: learning-rate multiplier (1.0; StyleGAN's mapping network 0.01).
        bias_init: initial value of the (effective) bias (1.0 for StyleGAN's style affines).
        use_bias: add a bias.

    Call arguments:
        inputs: `(batch, ..., features)`.

    Reference: https://arxiv.org/abs/1710.10196, section 4.1.
    """

    def __init__(self, units, activation=None, lr_multiplier=1.0, bias_init=0.0, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(units, int) or units < 1:
            raise ValueError(f"`units` must be a positive integer. Received: units={units!r}")
        _check_common(activation, lr_multiplier)
        self.units = units
        self.activation = activation
        self.lr_multiplier = float(lr_multiplier)
        self.bias_init = float(bias_init)
        self.use_bias = use_bias

    def build(self, input_shape):
        fan_in = int(input_shape[-1])
        self.runtime_scale = self.lr_multiplier / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            name="kernel", shape=(fan_in, self.units),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.units,),
                                        initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))

    def call(self, inputs):
        kernel = ops.cast(self.kernel, self.compute_dtype) * ops.cast(self.runtime_scale, self.compute_dtype)
        outputs = ops.matmul(inputs, kernel)
        if self.use_bias:
            outputs = outputs + ops.cast(self.bias * self.lr_multiplier, self.compute_dtype)
        return apply_activation(outputs, self.activation)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.units)

    def get_config(self):
        return {**super().get_config(), "units": self.units, "activation": self.activation,
                "lr_multiplier": self.lr_multiplier, "bias_init": self.bias_init, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="keras_gen")
class EqualizedConv2D(keras.layers.Layer):
    """Stride-1 "same" convolution with equalized learning rate: `act(conv(x, W * scale) + b)`.

    Args:
        filters: output channels.
        kernel_size: odd integer.
        activation: None or "lrelu".
        lr_multiplier: learning-rate multiplier.
        use_bias: add a bias.

    Call arguments:
        inputs: `(batch, height, width, channels)`.

    Reference: https://arxiv.org/abs/1710.10196, section 4.1.
    """

    def __init__(self, filters, kernel_size=3, activation=None, lr_multiplier=1.0, use_bias=True, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters!r}")
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be an odd positive integer. Received: kernel_size={kernel_size!r}")
        _check_common(activation, lr_multiplier)
        self.filters = filters
        self.kernel_size = kernel_size
        self.activation = activation
        self.lr_multiplier = float(lr_multiplier)
        self.use_bias = use_bias

    def build(self, input_shape):
        fan_in = int(input_shape[-1]) * self.kernel_size ** 2
        self.runtime_scale = self.lr_multiplier / math.sqrt(fan_in)
        self.kernel = self.add_weight(
            name="kernel", shape=(self.kernel_size, self.kernel_size, int(input_shape[-1]), self.filters),
            initializer=keras.initializers.RandomNormal(stddev=1.0 / self.lr_multiplier))
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer="zeros")

    def call(self, inputs):
        kernel = ops.cast(self.kernel, self.compute_dtype) * ops.cast(self.runtime_scale, self.compute_dtype)
        outputs = ops.conv(inputs, kernel, padding="same")
        if self.use_bias:
            outputs = outputs + ops.cast(self.bias * self.lr_multiplier, self.compute_dtype)
        return apply_activation(outputs, self.activation)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], self.filters)

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "activation": self.activation, "lr_multiplier": self.lr_multiplier, "use_bias": self.use_bias}


@keras.saving.register_keras_serializable(package="keras_gen")
class PixelNorm(keras.layers.Layer):
    """Normalizes each feature vector (the last axis) to unit root mean square: `x / sqrt(mean(x^2) + eps)`.

    ProGAN applies it after every generator conv; StyleGAN normalizes z with it.

    Args:
        epsilon: added to the mean square.

    Reference: https://arxiv.org/abs/1710.10196, section 4.2.
    """

    def __init__(self, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        self.epsilon = float(epsilon)

    def call(self, inputs):
        mean_square = ops.mean(ops.square(ops.cast(inputs, "float32")), axis=-1, keepdims=True)
        return inputs * ops.cast(ops.rsqrt(mean_square + self.epsilon), inputs.dtype)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="keras_gen")
class MinibatchStdDev(keras.layers.Layer):
    """Appends one feature map: the standard deviation of each feature over a group of images, averaged.

    The batch is split into groups of `group_size` (or the whole batch, if smaller); every image gets the mean
    standard deviation of its group, so the discriminator can see a lack of variety in a batch of fakes.
    The batch size must be a multiple of the group size.

    Args:
        group_size: images per group (4 in the papers).
        epsilon: added to the variance.

    Call arguments:
        inputs: `(batch, height, width, channels)` -> `(batch, height, width, channels + 1)`.

    Reference: https://arxiv.org/abs/1710.10196, section 3.
    """

    def __init__(self, group_size=4, epsilon=1e-8, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(group_size, int) or group_size < 1:
            raise ValueError(f"`group_size` must be a positive integer. Received: group_size={group_size!r}")
        self.group_size = group_size
        self.epsilon = float(epsilon)

    def call(self, inputs):
        shape = ops.shape(inputs)
        batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
        group = ops.minimum(self.group_size, batch)
        x = ops.cast(inputs, "float32")
        y = ops.reshape(x, (group, -1, height, width, channels))  # (group, batch / group, H, W, C)
        variance = ops.mean(ops.square(y - ops.mean(y, axis=0, keepdims=True)), axis=0)
        std = ops.mean(ops.sqrt(variance + self.epsilon), axis=(1, 2, 3))  # (batch / group,)
        # Image i is in group member i // (batch / group), at position i % (batch / group).
        std = ops.tile(std, (group,))  # (batch,)
        feature = ops.ones((batch, height, width, 1), "float32") * std[:, None, None, None]
        return ops.concatenate([inputs, ops.cast(feature, inputs.dtype)], axis=-1)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], input_shape[-1] + 1)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}
