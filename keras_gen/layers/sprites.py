"""Differentiable translation and compositing of sprite layers into clips."""

import keras
from keras import ops


def translation_matrices(offsets, size):
    """`(..., size, size)` bilinear resampling matrices that shift a signal of length `size` by `offsets` (...,)
    pixels: row i holds the tent weights `max(0, 1 - |i - j - offset|)` over input positions j, so
    `matrix @ signal` moves the signal by +offset (zeros enter at the border). Differentiable in `offsets`."""
    positions = ops.arange(size, dtype=offsets.dtype)
    distance = positions[:, None] - positions[None, :]  # (size, size): i - j
    return ops.relu(1.0 - ops.abs(distance - offsets[..., None, None]))


@keras.saving.register_keras_serializable(package="keras_gen")
class SpriteCompositor(keras.layers.Layer):
    """Moves `num_sprites` sprite layers by per-transition steps and composites them with a pixelwise maximum (the
    Moving MNIST rule). Frame 0 shows the sprites where they are; frame t shifts sprite k by the sum of its first t
    steps.

    Bilinear translation written as two resampling matrices per sprite and frame (`translation_matrices`), so
    the gradient reaches the offsets (`keras.ops.image.affine_transform` does not propagate it). Computes in
    float32.

    Args:
        num_sprites: sprite layers per clip.

    Call arguments:
        sprites: `(batch, H, W, num_sprites * C)`, sprite k in channels `[k * C, (k + 1) * C)`.
        steps: `(batch, T - 1, num_sprites * 2)` (dy, dx) in pixels of sprite k at `[2k, 2k + 2)`, per transition.

    Returns:
        clips `(batch, T, H, W, C)`.

    Reference:
        Srivastava et al., "Unsupervised Learning of Video Representations using LSTMs" (Moving MNIST,
        https://arxiv.org/abs/1502.04681).
    """

    def __init__(self, num_sprites, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        if not isinstance(num_sprites, int) or num_sprites < 1:
            raise ValueError(f"`num_sprites` must be a positive integer. Received: num_sprites={num_sprites!r}")
        self.num_sprites = num_sprites

    def call(self, sprites, steps):
        height, width, channels = sprites.shape[1], sprites.shape[2], sprites.shape[3] // self.num_sprites
        steps = ops.reshape(steps, (-1, steps.shape[1], self.num_sprites, 2))  # (batch, T - 1, K, 2)
        offsets = ops.concatenate([ops.zeros_like(steps[:, :1]), ops.cumsum(steps, axis=1)], axis=1)  # (batch, T, K, 2)
        sprites = ops.reshape(sprites, (-1, height, width, self.num_sprites, channels))  # (batch, H, W, K, C)
        rows = translation_matrices(offsets[..., 0], height)  # (batch, T, K, H, H)
        cols = translation_matrices(offsets[..., 1], width)  # (batch, T, K, W, W)
        moved = ops.einsum("btkih,bhwkc,btkjw->btkijc", rows, sprites, cols)  # (batch, T, K, H, W, C)
        return ops.max(moved, axis=2)  # (batch, T, H, W, C)

    def compute_output_shape(self, sprites_shape, steps_shape):
        return (sprites_shape[0], steps_shape[1] + 1, sprites_shape[1], sprites_shape[2],
                sprites_shape[3] // self.num_sprites)

    def get_config(self):
        return {**super().get_config(), "num_sprites": self.num_sprites}
