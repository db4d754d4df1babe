"""Masked convolutions and gated blocks for PixelCNN priors.

Positions are ordered in raster order (row by row, left to right). A PixelCNN output at (i, j) may only
depend on inputs at positions before (i, j). Masks of type "A" (first layer) exclude the current position,
type "B" (later layers, whose inputs at (i, j) already exclude it) include it.
"""

import keras
import numpy as np
from keras import ops

MASK_TYPES = ("A", "B")
STACKS = ("full", "vertical", "horizontal")


def causal_mask(kernel_size, mask_type, stack):
    """The (kernel_height, kernel_width) 0/1 mask of a masked convolution.

    - "full": rows above the centre, plus the centre row left of the centre (and the centre for "B").
      Stacking these leaves a blind spot above-right of each position.
    - "vertical": rows strictly above the centre for "A"; rows above and the centre row for "B" (its input
      then already sees only rows above). The vertical stack sees whole rows above, never the current row.
    - "horizontal": a single row (kernel height 1), positions left of the centre (and the centre for "B").
    """
    if mask_type not in MASK_TYPES:
        raise ValueError(f"`mask_type` must be one of {MASK_TYPES}. Received: mask_type={mask_type!r}")
    if stack not in STACKS:
        raise ValueError(f"`stack` must be one of {STACKS}. Received: stack={stack!r}")
    height, width = kernel_size
    center_row, center_col = height // 2, width // 2
    mask = np.zeros((height, width), np.float32)
    if stack == "vertical":
        mask[: center_row + (mask_type == "B")] = 1.0
    else:
        mask[:center_row] = 1.0
        mask[center_row, : center_col + (mask_type == "B")] = 1.0
    return mask


@keras.saving.register_keras_serializable(package="keras_gen")
class MaskedConv2D(keras.layers.Layer):
    """A 'same'-padded, stride-1 2D convolution whose kernel is masked to respect raster order.

    Args:
        filters: number of output channels.
        kernel_size: odd integer k; the kernel is (k, k), or (1, k) for `stack="horizontal"`.
        mask_type: "A" (excludes the current position) or "B" (includes it).
        stack: "full" (classic PixelCNN mask), "vertical" or "horizontal" (the two stacks of the gated
            PixelCNN, together free of the blind spot). See `causal_mask`.
        use_bias: add a bias.
        kernel_initializer, bias_initializer: initializers.

    Call arguments:
        inputs: `(batch, height, width, channels)`.

    Reference:
        van den Oord et al. 2016, "Pixel Recurrent Neural Networks", https://arxiv.org/abs/1601.06759;
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        https://arxiv.org/abs/1606.05328.
    """

    def __init__(self, filters, kernel_size, mask_type="B", stack="full", use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros", **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters!r}")
        if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"`kernel_size` must be an odd positive integer. Received: kernel_size={kernel_size!r}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.mask_type = mask_type
        self.stack = stack
        self.use_bias = use_bias
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        kernel_shape = (1, kernel_size) if stack == "horizontal" else (kernel_size, kernel_size)
        self.mask = causal_mask(kernel_shape, mask_type, stack)  # validates mask_type and stack

    def build(self, input_shape):
        kernel_shape = self.mask.shape + (input_shape[-1], self.filters)
        self.kernel = self.add_weight(name="kernel", shape=kernel_shape, initializer=self.kernel_initializer)
        if self.use_bias:
            self.bias = self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer)

    def call(self, inputs):
        return self._masked_conv(inputs, padding="same")

    def call_window(self, window):
        """The output at one position (or one row) from the input window around it, for incremental sampling.

        `window` is `(batch, kernel_height, width + kernel_width - 1, channels)`: the zero-padded input rows and
        columns the kernel covers, as "same" padding would see them. Returns `(batch, 1, width, filters)`, what
        `call` gives at the window's centre row.
        """
        return self._masked_conv(window, padding="valid")

    def _masked_conv(self, inputs, padding):
        kernel = self.kernel * ops.convert_to_tensor(self.mask[:, :, None, None], dtype=self.kernel.dtype)
        outputs = ops.conv(inputs, ops.cast(kernel, inputs.dtype), strides=1, padding=padding)
        if self.use_bias:
            outputs = outputs + ops.cast(self.bias, outputs.dtype)
        return outputs

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mask_type": self.mask_type,
            "stack": self.stack,
            "use_bias": self.use_bias,
            "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
            "bias_initializer": keras.initializers.serialize(self.bias_initializer),
        }
        return {**super().get_config(), **config}


@keras.saving.register_keras_serializable(package="keras_gen")
class GatedPixelCNNBlock(keras.layers.Layer):
    """One gated PixelCNN layer with a vertical and a horizontal stack (no blind spot).

    The vertical stack at row i sees only rows above i (all columns within its growing width); the
    horizontal stack at (i, j) sees the current row left of j (and j itself from the second layer on) plus
    the vertical stack at (i, j) through a 1x1 link. Each stack uses the gated activation
    `tanh(W_f * x + V_f c) * sigmoid(W_g * x + V_g c)`, where c is an optional class vector (one bias per
    image) and/or an optional spatial conditioning map (one bias per position, at the grid's resolution).
    The horizontal stack has a residual connection for type "B" (type "A" would leak the current input).

    Args:
        filters: channels of both stacks.
        kernel_size: odd integer; vertical kernel (k, k) masked to rows above, horizontal (1, k).
        mask_type: "A" for the first layer (its input is the raw grid), "B" after.
        class_condition_dim: size of the class vector `class_condition` the block is called with, or None.
        spatial_condition_channels: channels of the map `spatial_condition`, or None.

    Call arguments:
        vertical: `(batch, height, width, channels)` vertical-stack input.
        horizontal: `(batch, height, width, channels)` horizontal-stack input (for type "A" the same tensor
            as `vertical`).
        class_condition: `(batch, class_condition_dim)` float, e.g. a one-hot label or an embedding.
        spatial_condition: `(batch, height, width, spatial_condition_channels)` float.

    Returns:
        `(vertical, horizontal)`, each `(batch, height, width, filters)`.

    Reference:
        van den Oord et al. 2016, "Conditional Image Generation with PixelCNN Decoders",
        https://arxiv.org/abs/1606.05328.
    """

    def __init__(self, filters, kernel_size=3, mask_type="B", class_condition_dim=None,
                 spatial_condition_channels=None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(filters, int) or filters < 1:
            raise ValueError(f"`filters` must be a positive integer. Received: filters={filters!r}")
        if mask_type not in MASK_TYPES:
            raise ValueError(f"`mask_type` must be one of {MASK_TYPES}. Received: mask_type={mask_type!r}")
        for name, value in (("class_condition_dim", class_condition_dim),
                            ("spatial_condition_channels", spatial_condition_channels)):
            if value is not None and (not isinstance(value, int) or value < 1):
                raise ValueError(f"`{name}` must be a positive integer or None. Received: {name}={value!r}")
        self.filters = filters
        self.kernel_size = kernel_size
        self.mask_type = mask_type
        self.class_condition_dim = class_condition_dim
        self.spatial_condition_channels = spatial_condition_channels
        gated = 2 * filters  # tanh half and sigmoid half
        self.vertical_conv = MaskedConv2D(gated, kernel_size, mask_type, "vertical", name="vertical_conv")
        self.horizontal_conv = MaskedConv2D(gated, kernel_size, mask_type, "horizontal", name="horizontal_conv")
        self.vertical_to_horizontal = keras.layers.Conv2D(gated, 1, name="vertical_to_horizontal")
        self.horizontal_out = keras.layers.Conv2D(filters, 1, name="horizontal_out")
        self.class_projection = (
            keras.layers.Dense(2 * gated, use_bias=False, name="class_projection") if class_condition_dim else None
        )
        self.spatial_projection = (
            keras.layers.Conv2D(2 * gated, 1, use_bias=False, name="spatial_projection")
            if spatial_condition_channels else None
        )

    def build(self, vertical_shape, horizontal_shape=None, class_condition_shape=None, spatial_condition_shape=None):
        horizontal_shape = horizontal_shape or vertical_shape
        gated_shape = tuple(vertical_shape[:-1]) + (2 * self.filters,)
        self.vertical_conv.build(vertical_shape)
        self.horizontal_conv.build(horizontal_shape)
        self.vertical_to_horizontal.build(gated_shape)
        self.horizontal_out.build(tuple(horizontal_shape[:-1]) + (self.filters,))
        if self.class_projection is not None:
            self.class_projection.build((None, self.class_condition_dim))
        if self.spatial_projection is not None:
            self.spatial_projection.build(tuple(vertical_shape[:-1]) + (self.spatial_condition_channels,))

    @staticmethod
    def _gate(features):
        tanh_part, sigmoid_part = ops.split(features, 2, axis=-1)
        return ops.tanh(tanh_part) * ops.sigmoid(sigmoid_part)

    def call(self, vertical, horizontal, class_condition=None, spatial_condition=None):
        vertical_bias, horizontal_bias = self.condition_biases(class_condition, spatial_condition)
        vertical_features = self.vertical_conv(vertical)  # (batch, height, width, 2 * filters)
        vertical_out = self.vertical_output(vertical_features, vertical_bias)
        horizontal_features = self.horizontal_conv(horizontal) + self.vertical_to_horizontal(vertical_features)
        return vertical_out, self.horizontal_output(horizontal_features, horizontal, horizontal_bias)

    # The steps of `call`, also used one row / one position at a time by `PixelCNNPrior`'s cached sampler.

    def condition_biases(self, class_condition=None, spatial_condition=None):
        """`(vertical_bias, horizontal_bias)`, each `(batch, 1 or height, 1 or width, 2 * filters)`, or `(0, 0)`."""
        self._check_condition("class_condition", class_condition, self.class_condition_dim)
        self._check_condition("spatial_condition", spatial_condition, self.spatial_condition_channels)
        if class_condition is None and spatial_condition is None:
            return 0.0, 0.0
        # One projection for both stacks: (..., 4 * filters) split into a vertical and a horizontal bias.
        biases = 0.0
        if class_condition is not None:
            biases = biases + self.class_projection(class_condition)[:, None, None, :]  # (batch, 1, 1, 4f)
        if spatial_condition is not None:
            biases = biases + self.spatial_projection(spatial_condition)  # (batch, height, width, 4f)
        vertical_bias, horizontal_bias = ops.split(biases, 2, axis=-1)
        return vertical_bias, horizontal_bias

    def vertical_output(self, vertical_features, vertical_bias):
        """Vertical-stack output from its masked-convolution features (and the conditioning bias)."""
        return self._gate(vertical_features + vertical_bias)

    def horizontal_output(self, horizontal_features, horizontal, horizontal_bias):
        """Horizontal-stack output from `horizontal_conv(horizontal) + vertical_to_horizontal(vertical features)`."""
        horizontal_out = self.horizontal_out(self._gate(horizontal_features + horizontal_bias))
        if self.mask_type == "B":
            horizontal_out = horizontal_out + horizontal
        return horizontal_out

    def _check_condition(self, name, value, size):
        if (value is None) != (size is None):
            expected = "no" if size is None else f"a `{name}` of size {size}"
            raise ValueError(
                f"This block was built for {expected} conditioning. Received: {name}="
                f"{'None' if value is None else tuple(value.shape)}"
            )

    def compute_output_shape(self, vertical_shape, horizontal_shape=None, class_condition_shape=None,
                             spatial_condition_shape=None):
        shape = tuple(vertical_shape[:-1]) + (self.filters,)
        return shape, shape

    def get_config(self):
        config = {
            "filters": self.filters,
            "kernel_size": self.kernel_size,
            "mask_type": self.mask_type,
            "class_condition_dim": self.class_condition_dim,
            "spatial_condition_channels": self.spatial_condition_channels,
        }
        return {**super().get_config(), **config}
