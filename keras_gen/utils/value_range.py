"""The two pixel value ranges: [0, 1] ("unit", what images are stored and shown in) and [-1, 1] ("signed", what
tanh generators produce and their discriminators read). Every conversion between them goes through here.

Each function takes numpy arrays (and returns numpy) or tensors (and returns tensors), so data pipelines,
train steps, export signatures and apps share one definition.
"""

import numpy as np
import tensorflow as tf

VALUE_RANGES = ("unit", "signed")


def _is_numpy(images):
    return isinstance(images, (np.ndarray, np.generic, list, tuple, float, int))


def to_unit(images, clip=True):
    """[-1, 1] -> [0, 1] as float32; `clip` bounds the result (generator outputs can overshoot slightly)."""
    if _is_numpy(images):
        images = (np.asarray(images, np.float32) + 1.0) / 2.0
        return np.clip(images, 0.0, 1.0) if clip else images
    images = (tf.cast(images, tf.float32) + 1.0) / 2.0
    return tf.clip_by_value(images, 0.0, 1.0) if clip else images


def to_signed(images):
    """[0, 1] -> [-1, 1] as float32."""
    if _is_numpy(images):
        return np.asarray(images, np.float32) * 2.0 - 1.0
    return tf.cast(images, tf.float32) * 2.0 - 1.0


def from_uint8(images, value_range="unit"):
    """uint8 (or [0, 255] float) images -> float32 in `value_range`."""
    if value_range not in VALUE_RANGES:
        raise ValueError(f"`value_range` must be one of {VALUE_RANGES}. Received: value_range={value_range!r}")
    if _is_numpy(images):
        images = np.asarray(images, np.float32) / 255.0
    else:
        images = tf.cast(images, tf.float32) / 255.0
    return to_signed(images) if value_range == "signed" else images
