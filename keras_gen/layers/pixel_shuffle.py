"""Sub-pixel convolution upsampling: rearranges channels into space."""

import keras
import tensorflow as tf


@keras.saving.register_keras_serializable(package="keras_gen")
class PixelShuffle(keras.layers.Layer):
    """Pixel shuffle (depth to space): `(batch, H, W, C * r * r)` -> `(batch, H * r, W * r, C)`.

    Exactly `tf.nn.depth_to_space(inputs, upscale_factor)` in NHWC: output pixel `(i * r + a, j * r + b, c)` is
    input channel `(a * r + b) * C + c` at `(i, j)`. Preceded by a convolution with `C * r * r` filters it is
    the "sub-pixel convolution" upsampling of ESPCN and SRGAN, which avoids the checkerboard artifacts of
    strided transposed convolutions.

    Args:
        upscale_factor: integer `r >= 2`, the factor by which height and width grow.

    Call arguments:
        inputs: `(batch, H, W, C * r * r)` tensor; the channel count must be divisible by `r * r`.

    Reference:
        Shi et al., "Real-Time Single Image and Video Super-Resolution Using an Efficient Sub-Pixel
        Convolutional Neural Network" (2016): https://arxiv.org/abs/1609.05158
    """

    def __init__(self, upscale_factor=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(upscale_factor, int) or isinstance(upscale_factor, bool) or upscale_factor < 2:
            raise ValueError(f"`upscale_factor` must be an integer >= 2. Received: upscale_factor={upscale_factor!r}")
        self.upscale_factor = upscale_factor

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"PixelShuffle expects (batch, H, W, C) inputs. Received: input_shape={input_shape}")
        channels = input_shape[-1]
        if channels is not None and channels % (self.upscale_factor**2):
            raise ValueError(
                f"The channel count must be divisible by upscale_factor**2 = {self.upscale_factor ** 2}. "
                f"Received: input_shape={input_shape}"
            )

    def call(self, inputs):
        return tf.nn.depth_to_space(inputs, self.upscale_factor)

    def compute_output_shape(self, input_shape):
        batch, height, width, channels = input_shape
        r = self.upscale_factor
        return (
            batch,
            None if height is None else height * r,
            None if width is None else width * r,
            None if channels is None else channels // (r * r),
        )

    def get_config(self):
        return {**super().get_config(), "upscale_factor": self.upscale_factor}
