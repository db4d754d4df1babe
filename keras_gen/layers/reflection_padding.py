"""Reflection padding: pads with the mirror image of the border (CycleGAN's ResNet generator)."""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_gen")
class ReflectionPadding2D(keras.layers.Layer):
    """Pads height and width by `padding` pixels on every side with the reflection of the image, the border
    pixel itself not repeated (`numpy.pad(..., mode="reflect")`): row `-k` is row `k`.

    Zero padding puts a dark frame around every feature map, which generators learn to reproduce as border
    artifacts; reflection keeps the statistics at the border like those inside.

    Args:
        padding: pixels added on each side of height and width (positive integer, smaller than both sides).

    Call arguments:
        inputs: `(batch, H, W, C)` tensor.

    Reference:
        Zhu et al., "Unpaired Image-to-Image Translation using Cycle-Consistent Adversarial Networks" (2017),
        https://arxiv.org/abs/1703.10593, appendix 7.2.
    """

    def __init__(self, padding=1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(padding, int) or isinstance(padding, bool) or padding < 1:
            raise ValueError(f"`padding` must be a positive integer. Received: padding={padding!r}")
        self.padding = padding

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"ReflectionPadding2D expects (batch, H, W, C) inputs. Received: input_shape={input_shape}")
        if any(size is not None and size <= self.padding for size in input_shape[1:3]):
            raise ValueError(f"Reflection padding needs height and width > padding={self.padding}. "
                             f"Received: input_shape={input_shape}")

    def call(self, inputs):
        p = self.padding
        return ops.pad(inputs, [[0, 0], [p, p], [p, p], [0, 0]], mode="reflect")

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        grow = lambda size: None if size is None else size + 2 * self.padding  # noqa: E731
        return (batch, grow(height), grow(width), channels)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding}
