"""Gradient regularizers of StyleGAN2 as pure functions: R1 on the discriminator, path length on the generator.

StyleGAN2 applies both lazily (every 16 discriminator / 4 generator steps), multiplying them by the interval so
their average strength stays the same.
"""

import math

import tensorflow as tf
from keras import ops


# R1: penalize the discriminator's gradient on real images only, pushing it to zero at the data.
# Mescheder et al., "Which Training Methods for GANs do actually Converge?" (https://arxiv.org/abs/1801.04406).


def r1_penalty(discriminator, real_images):
    """`mean_i ||d D(x_i) / d x_i||^2` over the real images `x_i` (the loss adds `gamma / 2` times it).

    Args:
        discriminator: `images -> logits (batch, ...)`; called once, inside its own tape.
        real_images: `(batch, H, W, C)`.
    """
    real_images = tf.convert_to_tensor(real_images)
    with tf.GradientTape() as tape:
        tape.watch(real_images)
        logits = ops.cast(discriminator(real_images), "float32")
        total = ops.sum(logits)
    gradients = ops.cast(tape.gradient(total, real_images), "float32")
    return ops.mean(ops.sum(ops.square(gradients), axis=(1, 2, 3)))


# Path length: ||J_w^T y|| for random image-space directions y should be the same for every w, which makes the
# mapping from w to images smoother. Karras et al. 2020 (https://arxiv.org/abs/1912.04958), section 3.2.


def path_lengths(synthesize, ws, noise):
    """`(batch,)` path lengths `sqrt(mean over layers of ||J_w^T y||^2)`, with `y = noise / sqrt(H * W)`.

    Args:
        synthesize: `ws (batch, num_ws, w_dim) -> images (batch, H, W, C)`.
        ws: the latents the gradient is taken with respect to.
        noise: `(batch, H, W, C)` standard normal draws (`y` before scaling).
    """
    ws = tf.convert_to_tensor(ws)
    with tf.GradientTape() as tape:
        tape.watch(ws)
        images = ops.cast(synthesize(ws), "float32")
        pixels = float(images.shape[1] * images.shape[2])
        total = ops.sum(images * noise / math.sqrt(pixels))
    gradients = ops.cast(tape.gradient(total, ws), "float32")  # (batch, num_ws, w_dim)
    return ops.sqrt(ops.mean(ops.sum(ops.square(gradients), axis=2), axis=1))


def path_length_penalty(lengths, mean, decay=0.01):
    """`(penalty, new mean)`: the running mean moves `decay` of the way to this batch's mean length, and the
    penalty is `mean_i (length_i - new mean)^2` (the new mean held constant)."""
    new_mean = mean + decay * (ops.mean(lengths) - mean)
    new_mean = ops.stop_gradient(new_mean)
    return ops.mean(ops.square(lengths - new_mean)), new_mean
