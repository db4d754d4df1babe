"""The style-based family: `stylegan2`, trained by `keras_gen.models.stylegan2.StyleGAN2`.

The model works at a power-of-two `resolution`: smaller dataset images (28x28 digits) are padded with the
background value, larger or non-square-power ones resized; samples handed to the metrics are cropped (or resized)
back to the dataset's shape, so the shipped 28x28 digit classifier scores them.
"""

import dataclasses
import functools
from typing import ClassVar, Optional

import keras
import numpy as np
import tensorflow as tf

from keras_gen import data
from keras_gen.export.style import stylegan2_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register
from keras_gen.metrics.gan import evaluate_gan
from keras_gen.models import stylegan2 as networks
from keras_gen.utils.labels import cycle_labels
from keras_gen.utils.value_range import to_unit


@dataclasses.dataclass(frozen=True)
class StyleGAN2Options(Options):
    SHORTCUTS: ClassVar = {"latent_dim": ("z_dim",)}

    resolution: int = option(32, "image size the model works at (a power of two; data padded or resized to it)")
    conditional: bool = option(False, "class-conditional: a label embedding joins z in the mapping network")
    z_dim: int = option(128, "size of z")
    w_dim: int = option(128, "size of w")
    mapping_layers: int = option(8, "dense layers of the mapping network")
    mapping_lr_multiplier: float = option(0.01, "learning-rate multiplier of the mapping network")
    # Feature maps at resolution r: min(channel_base // r, channel_max). The paper's 16384/512 is GPU-sized.
    channel_base: int = option(2048, "feature maps at resolution r: min(channel_base // r, channel_max)")
    channel_max: int = option(128, "most feature maps of any layer")
    learning_rate: float = option(0.0025, "Adam learning rate of both networks (before the lazy-reg adjustment)")
    beta_1: float = option(0.0, "Adam beta_1")
    beta_2: float = option(0.99, "Adam beta_2")
    # None: StyleGAN2-ADA's heuristic gamma = 0.0002 * resolution^2 / batch size.
    r1_gamma: Optional[float] = option(None, "R1 weight (default: 0.0002 * resolution^2 / batch size)")
    r1_interval: int = option(16, "discriminator steps between R1 evaluations (0: no R1)")
    # Path length and style mixing are off by default (as in StyleGAN2-ADA's 32x32 CIFAR config): with the paper's
    # pl_weight=2 and p=0.9 the 32x32 digit generator collapsed to one digit; at 300 steps turning both off gave
    # FD 69 and 6 classes against 110 and 2 (BUILD.md, StyleGAN2).
    pl_weight: float = option(0.0, "path-length regularization weight (0: off, the default; the paper's 2)")
    pl_interval: int = option(4, "generator steps between path-length evaluations")
    style_mixing_prob: float = option(0.0, "probability of mixing two latents in a training batch (the paper's 0.9)")
    ema_images: int = option(10_000, "half-life of the generator EMA, in images")
    ema_rampup: Optional[float] = option(0.05, "EMA half-life at most this fraction of the images seen (None: off)")
    truncation_cutoff: Optional[int] = option(None, "w rows the truncation trick applies to (None: all)")
    mbstd_group_size: int = option(4, "minibatch-stddev group size (the batch must be a multiple)")


def build_stylegan2(config, options, info):
    _check_options(options)
    channels = info.image_shape[-1]
    num_classes = info.num_classes if options.conditional else None
    sizes = dict(channel_base=options.channel_base, channel_max=options.channel_max)
    mapping = networks.build_mapping_network(options.z_dim, options.w_dim, options.mapping_layers,
                                             options.mapping_lr_multiplier, num_classes=num_classes)
    synthesis = networks.build_synthesis_network(options.resolution, options.w_dim, channels, seed=config.seed, **sizes)
    discriminator = networks.build_residual_discriminator(options.resolution, channels, num_classes=num_classes,
                                                          mbstd_group_size=options.mbstd_group_size, **sizes)
    r1_gamma = options.r1_gamma if options.r1_gamma is not None else 0.0002 * options.resolution ** 2 / config.batch_size
    model = networks.StyleGAN2(
        mapping, synthesis, discriminator, num_classes=num_classes, style_mixing_prob=options.style_mixing_prob,
        r1_gamma=r1_gamma, r1_interval=options.r1_interval, pl_weight=options.pl_weight,
        pl_interval=options.pl_interval, ema_images=options.ema_images, ema_rampup=options.ema_rampup,
        truncation_cutoff=options.truncation_cutoff, source_shape=info.image_shape, seed=config.seed,
        name=config.model)
    model.compile(d_optimizer=_lazy_adam(options, options.r1_interval),
                  g_optimizer=_lazy_adam(options, options.pl_interval), jit_compile=config.jit_compile)
    return model


def _lazy_adam(options, interval):
    """Adam with StyleGAN2's lazy-regularization correction: a regularizer every `interval` steps adds about
    1/interval extra update, so the rate and betas are raised to the power interval / (interval + 1)."""
    ratio = interval / (interval + 1) if interval else 1.0
    return keras.optimizers.Adam(options.learning_rate * ratio, beta_1=options.beta_1 ** ratio,
                                 beta_2=options.beta_2 ** ratio, epsilon=1e-8)


def _check_options(options):
    networks.num_ws_for(options.resolution)  # a power of two >= 4, else an error naming it
    if options.truncation_cutoff is not None and options.truncation_cutoff < 1:
        raise ValueError(f"Option `truncation_cutoff` must be >= 1 or None. Received: truncation_cutoff={options.truncation_cutoff!r}")


def fit_resolution(images, resolution):
    """`(batch, H, W, C)` in [-1, 1] -> `(batch, resolution, resolution, C)`: padded with -1 (the background) when
    smaller by an even margin, else resized."""
    height, width = int(images.shape[1]), int(images.shape[2])
    if height <= resolution and width <= resolution and (resolution - height) % 2 == 0 and (resolution - width) % 2 == 0:
        top, left = (resolution - height) // 2, (resolution - width) // 2
        return tf.pad(images, [[0, 0], [top, top], [left, left], [0, 0]], constant_values=-1.0)
    return tf.image.resize(images, (resolution, resolution), method="area" if height > resolution else "bilinear")


def restore_source_shape(images, source_shape):
    """The inverse of `fit_resolution` for samples: a center crop of padded images, else a resize (numpy)."""
    if source_shape is None:
        return images
    height, width = source_shape[:2]
    size = images.shape[1]
    if height <= size and width <= size and (size - height) % 2 == 0 and (size - width) % 2 == 0:
        top, left = (size - height) // 2, (size - width) // 2
        return images[:, top:top + height, left:left + width]
    return np.asarray(tf.image.resize(images, (height, width), method="area" if size > height else "bilinear"))


def make_datasets(config, options):
    """Images in [-1, 1] at `options.resolution` (with labels for a conditional model); no validation set."""
    _check_options(options)
    train = data.load(config.dataset, "train", config.batch_size, value_range="signed",
                      with_labels=options.conditional, seed=config.seed, data_dir=config.data_dir,
                      drop_remainder=True, repeat=config.steps_per_epoch is not None)
    if options.conditional:
        train = train.map(lambda x, y: (fit_resolution(x, options.resolution), y))
    else:
        train = train.map(lambda x: fit_resolution(x, options.resolution))
    return train, None, data.get_info(config.dataset)


def sample_images(model, num, seed, labels=None, truncation=None):
    """`num` images in [0, 1] of the EMA generator, at the dataset's image shape; a conditional model's labels
    cycle through the classes unless given; `truncation` is psi (None: 1, no truncation)."""
    if labels is None and model.conditional:
        labels = cycle_labels(num, model.num_classes)
    images = to_unit(np.asarray(model.sample(num, labels=labels, seed=seed, truncation=truncation)))
    return restore_source_shape(images, model.source_shape)


def evaluate(model, request, options, truncation=None):
    return evaluate_gan(functools.partial(sample_images, model, truncation=truncation), request,
                        num_classes=model.num_classes)


RECIPES = {
    "stylegan2": Recipe(
        "StyleGAN2: mapping network, modulated/demodulated skip generator, residual D, lazy R1 + path length, "
        "style mixing, EMA generator, truncation", build_stylegan2, StyleGAN2Options(),
        smoke=Smoke({"resolution": 8, "z_dim": 4, "w_dim": 4, "mapping_layers": 2, "channel_base": 32,
                     "channel_max": 4, "r1_interval": 2, "pl_interval": 2,
                     # the contract still runs the path-length and style-mixing code, off by default
                     "pl_weight": 2.0, "style_mixing_prob": 0.9})),
}

register("style", StyleGAN2Options, RECIPES, default_dataset="mnist_5k", make_datasets=make_datasets,
         signatures=stylegan2_signatures, evaluate=evaluate, sample_images=sample_images, smoke_dataset="synthetic_16")
