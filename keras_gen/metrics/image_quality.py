"""Full-reference image quality: PSNR and SSIM (through `tf.image`), and the bicubic baseline for SR."""

import numpy as np
import tensorflow as tf


def _check(images, reference):
    images = tf.convert_to_tensor(images, tf.float32)
    reference = tf.convert_to_tensor(reference, tf.float32)
    if images.shape != reference.shape:
        raise ValueError(f"`images` and `reference` must have the same shape. Received: {images.shape} and {reference.shape}")
    return images, reference


def psnr(images, reference, max_value=1.0):
    """Per-image peak signal-to-noise ratio in dB, `(batch,)`; images in [0, max_value]."""
    images, reference = _check(images, reference)
    return tf.image.psnr(images, reference, max_val=max_value).numpy()


def ssim(images, reference, max_value=1.0, filter_size=7):
    """Per-image structural similarity, `(batch,)`. A 7x7 window (not 11x11) so 28-32 pixel images fit."""
    images, reference = _check(images, reference)
    return tf.image.ssim(images, reference, max_val=max_value, filter_size=filter_size).numpy()


def bicubic_upsample(images, size):
    """Bicubic upsampling to `size` = (height, width), clipped to [0, 1]: the SR baseline."""
    upsampled = tf.image.resize(tf.convert_to_tensor(images, tf.float32), size, method="bicubic")
    return tf.clip_by_value(upsampled, 0.0, 1.0).numpy()


def image_quality(images, reference, max_value=1.0):
    """Mean PSNR and SSIM over a batch, as a JSON-able dict."""
    return {"psnr": float(np.mean(psnr(images, reference, max_value))),
            "ssim": float(np.mean(ssim(images, reference, max_value)))}
