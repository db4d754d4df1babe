"""Latent draws shared by the models, their SavedModel exports and the apps, so all three decode the same `z`."""

import math

import tensorflow as tf
from keras import ops

PRIORS = ("gaussian", "uniform")


def truncated_normal(uniform, shape, truncation):
    """Standard normal draws truncated to [-truncation, truncation] (BigGAN's truncation trick).

    Inverse-CDF sampling: z = sqrt(2) erfinv(v) with v uniform in (-erf(t / sqrt 2), erf(t / sqrt 2)), so one
    uniform draw per value and no rejection loop (a fixed amount of work, which XLA and export signatures need).

    Args:
        uniform: `(shape, minval, maxval) -> tensor`, the uniform draw to transform (seeded by the caller).
        shape: the output shape.
        truncation: a positive float or a scalar tensor.
    """
    bound = ops.erf(ops.convert_to_tensor(truncation, "float32") / math.sqrt(2.0))
    return math.sqrt(2.0) * ops.erfinv(uniform(shape, -bound, bound))


def stateless_latents(count, latent_dim, seed, prior="gaussian", truncation=None):
    """`(count, latent_dim)` latents fixed by an integer `seed` (works on tensors inside a signature too).

    The same seed gives the same latents in every process: what the export's `sample(count, seed)` decodes
    and what an app built on a Keras model or on the export shows for that seed.
    """
    shape = tf.stack([tf.cast(count, tf.int32), latent_dim])
    seed = tf.stack([tf.cast(seed, tf.int32), 0])
    if truncation is not None:
        return truncated_normal(lambda s, low, high: tf.random.stateless_uniform(s, seed, low, high), shape, truncation)
    if prior == "uniform":
        return tf.random.stateless_uniform(shape, seed, -1.0, 1.0)
    return tf.random.stateless_normal(shape, seed)
