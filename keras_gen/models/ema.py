"""An exponential moving average of a generator's weights, used for sampling and export.

Averaging the generator over the last few thousand images removes much of the step-to-step jitter that
adversarial training leaves in the weights (Yazici et al., "The Unusual Effectiveness of Averaging in GAN
Training", https://arxiv.org/abs/1806.04498); Progressive GAN, StyleGAN2 and BigGAN sample from such an average.
"""

import keras
from keras import ops


def copy_network(network, name):
    """A new, untrainable network with `network`'s architecture and weights: the average starts at the weights."""
    config = keras.saving.serialize_keras_object(network)
    config["config"]["name"] = name
    copy = keras.saving.deserialize_keras_object(config)
    copy.set_weights(network.get_weights())
    copy.trainable = False
    return copy


def ema_decay(batch_size, half_life_images, images_seen=None, rampup=None):
    """Per-step decay `beta` for an average whose half-life is `half_life_images` training images.

    With `rampup` (StyleGAN2), the half-life is at most `rampup * images_seen`, so the average forgets the random
    initialization early in training.
    """
    half_life = ops.convert_to_tensor(float(half_life_images), "float32")
    if rampup is not None:
        half_life = ops.minimum(half_life, ops.cast(images_seen, "float32") * float(rampup))
    return ops.power(0.5, ops.cast(batch_size, "float32") / ops.maximum(half_life, 1e-8))


def update_ema(network, average, beta):
    """`average <- beta * average + (1 - beta) * network` on trainable weights; other weights (batch-norm
    statistics, spectral-norm vectors) are copied."""
    for weight, target in zip(network.weights, average.weights):
        if weight.trainable:
            target.assign(weight + ops.cast(beta, weight.dtype) * (target - weight))
        else:
            target.assign(weight)
