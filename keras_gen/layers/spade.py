"""Spatially-adaptive (de)normalization: a label map decides the per-pixel scale and shift."""

import keras
from keras import ops

from keras_gen.layers.cross_replica import CrossReplicaBatchNormalization


@keras.saving.register_keras_serializable(package="keras_gen")
class SPADE(keras.layers.Layer):
    """SPADE: parameter-free batch normalization, then a per-pixel affine transform predicted from a label map.

    `out = normalized(x) * (1 + gamma(m)) + beta(m)`, where `m` is the label map resized (nearest neighbour)
    to `x`'s height and width, and `gamma`, `beta` are 3x3 convolutions over a shared ReLU convolution of `m`.
    Because the modulation is spatial, the semantic layout survives normalization (plain batch or instance
    normalization would "wash away" a uniform label map).

    The normalization is batch norm without scale or shift (`CrossReplicaBatchNormalization`, whose statistics
    span all replicas): with `training=True` it uses the batch's statistics and updates moving averages; at
    inference (`training=False`) it uses those learned moving statistics, so one image's output does not depend
    on the rest of the batch.

    Args:
        hidden_filters: channels of the shared convolution over the label map (128 in the paper).
        kernel_size: kernel size of the three label-map convolutions.
        momentum: momentum of the moving mean and variance (0.9 = PyTorch's 0.1, as in the paper's code).
        epsilon: added to the variance before dividing.

    Call arguments:
        inputs: `(batch, H, W, C)` features.
        label_map: `(batch, H', W', num_classes)` one-hot (or soft) label map, at any resolution.
        training: whether to normalize with batch statistics (and update the moving ones).

    Reference:
        Park et al., "Semantic Image Synthesis with Spatially-Adaptive Normalization" (2019):
        https://arxiv.org/abs/1903.07291
    """

    def __init__(self, hidden_filters=64, kernel_size=3, momentum=0.9, epsilon=1e-5, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(hidden_filters, int) or hidden_filters < 1:
            raise ValueError(f"`hidden_filters` must be a positive integer. Received: hidden_filters={hidden_filters!r}")
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be a positive odd integer. Received: kernel_size={kernel_size!r}")
        if not 0.0 <= momentum < 1.0:
            raise ValueError(f"`momentum` must be in [0, 1). Received: momentum={momentum!r}")
        if not epsilon > 0:
            raise ValueError(f"`epsilon` must be > 0. Received: epsilon={epsilon!r}")
        self.hidden_filters = hidden_filters
        self.kernel_size = kernel_size
        self.momentum = momentum
        self.epsilon = epsilon
        self.normalization = CrossReplicaBatchNormalization(
            center=False, scale=False, momentum=momentum, epsilon=epsilon, name="param_free_norm"
        )
        self.shared = keras.layers.Conv2D(hidden_filters, kernel_size, padding="same", activation="relu", name="shared")
        self.gamma = None
        self.beta = None

    def build(self, inputs_shape, label_map_shape):
        if len(inputs_shape) != 4 or len(label_map_shape) != 4:
            raise ValueError(
                "SPADE expects (batch, H, W, C) features and a (batch, H, W, classes) label map. "
                f"Received: inputs_shape={inputs_shape}, label_map_shape={label_map_shape}"
            )
        channels = inputs_shape[-1]
        self.gamma = keras.layers.Conv2D(channels, self.kernel_size, padding="same", name="gamma")
        self.beta = keras.layers.Conv2D(channels, self.kernel_size, padding="same", name="beta")
        self.normalization.build(inputs_shape)
        resized_shape = tuple(label_map_shape[:1]) + tuple(inputs_shape[1:3]) + tuple(label_map_shape[3:])
        self.shared.build(resized_shape)
        hidden_shape = resized_shape[:3] + (self.hidden_filters,)
        self.gamma.build(hidden_shape)
        self.beta.build(hidden_shape)

    def call(self, inputs, label_map, training=None):
        normalized = self.normalization(inputs, training=training)
        height, width = ops.shape(inputs)[1], ops.shape(inputs)[2]
        label_map = ops.cast(label_map, normalized.dtype)
        if tuple(label_map.shape[1:3]) != tuple(inputs.shape[1:3]) or None in inputs.shape[1:3]:
            # Nearest neighbour keeps a one-hot map one-hot at every resolution.
            label_map = ops.image.resize(label_map, (height, width), interpolation="nearest")
        hidden = self.shared(label_map)  # (batch, H, W, hidden_filters)
        return normalized * (1.0 + self.gamma(hidden)) + self.beta(hidden)

    def compute_output_shape(self, inputs_shape, label_map_shape):
        return inputs_shape

    def get_config(self):
        return {
            **super().get_config(),
            "hidden_filters": self.hidden_filters,
            "kernel_size": self.kernel_size,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
        }
