"""The GAN families: `gan`, `dcgan`, `wgan_gp`, `cgan`, `sagan`, `biggan`, all trained by `keras_gen.models.gan.GAN`.

Each recipe is the published settings of its paper as an options instance (`GANOptions` and the fields of its
network kind); `--options` changes any of them.
"""

import dataclasses
import functools
from typing import ClassVar, Optional

import keras
import numpy as np

from keras_gen import data
from keras_gen.export.gan import gan_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register
from keras_gen.losses.gan import GAN_LOSSES, get_gan_loss
from keras_gen.metrics.gan import evaluate_gan
from keras_gen.models import gan_networks as networks
from keras_gen.models.gan import GAN
from keras_gen.utils.labels import cycle_labels
from keras_gen.utils.latents import PRIORS
from keras_gen.utils.value_range import to_unit


@dataclasses.dataclass(frozen=True)
class GANOptions(Options):
    """What every GAN recipe sets; each network kind adds its own fields below (so an option a model does not
    use is an unknown option for it, not silently ignored)."""

    SHORTCUTS: ClassVar = {"learning_rate": ("d_learning_rate", "g_learning_rate")}

    loss: str = option("non_saturating", "GAN objective (keras_gen.losses.gan)", choices=tuple(GAN_LOSSES))
    latent_dim: int = option(100, "size of z")
    prior: str = option("gaussian", "distribution of z", choices=PRIORS)
    d_steps: int = option(1, "discriminator updates per generator update")
    d_learning_rate: float = option(2e-4, "discriminator Adam learning rate")
    g_learning_rate: float = option(2e-4, "generator Adam learning rate")
    beta_1: float = option(0.5, "Adam beta_1 (DCGAN: 0.9 made training oscillate)")
    beta_2: float = option(0.999, "Adam beta_2")
    gradient_penalty_weight: Optional[float] = option(None, "WGAN-GP penalty weight (default: the loss's)")
    clip_value: Optional[float] = option(None, "WGAN weight clipping (default: the loss's)")
    # Sampling from a weight average (Yazici et al. 2019; ProGAN, StyleGAN2, BigGAN) removes most of the
    # step-to-step jitter of adversarial training; see benchmarks/gan_mnist.py, which scores both generators.
    ema_images: Optional[float] = option(10_000.0, "half-life in images of the generator average used for "
                                         "sampling and export (None: sample from the trained generator)")


@dataclasses.dataclass(frozen=True)
class MLPGANOptions(GANOptions):
    hidden_units: int = option(1024, "widest fully connected layer")


@dataclasses.dataclass(frozen=True)
class DCGANOptions(GANOptions):
    base_filters: int = option(64, "filters of the widest conv layer")


@dataclasses.dataclass(frozen=True)
class UnconditionalDCGANOptions(DCGANOptions):
    d_hidden_units: int = option(0, "dense layer between the discriminator's conv features and its logit (0: none)")


@dataclasses.dataclass(frozen=True)
class ConditionalGANOptions(DCGANOptions):
    attention_resolution: int = option(0, "feature-map size with self-attention; 0: none, -1: half the image")


@dataclasses.dataclass(frozen=True)
class BigGANOptions(ConditionalGANOptions):
    embedding_dim: int = option(32, "shared class embedding size")
    orthogonal_regularization: float = option(1e-4, "orthogonal regularization weight")


def mlp_networks(options, info):
    units, shape = options.hidden_units, info.image_shape
    return (networks.build_mlp_generator(options.latent_dim, shape, (units // 4, units // 2, units)),
            networks.build_mlp_discriminator(shape, (units, units // 2, units // 4)))


def dcgan_networks(options, info, critic=False):
    generator = networks.build_dcgan_generator(options.latent_dim, info.image_shape, options.base_filters)
    if critic:  # No batch norm in a WGAN-GP critic: the penalty is per example, batch norm couples the examples.
        return generator, networks.build_dcgan_discriminator(info.image_shape, options.base_filters,
                                                             normalization="layer", hidden_units=options.d_hidden_units,
                                                             name="wgan_critic")
    return generator, networks.build_dcgan_discriminator(info.image_shape, options.base_filters,
                                                         hidden_units=options.d_hidden_units)


def _attention(options, info):
    resolution = info.image_shape[0] // 2 if options.attention_resolution == -1 else options.attention_resolution
    return resolution or None


def conditional_networks(options, info, spectral_norm=False, name=None):
    """cgan (spectral_norm=False: batch norm in D learns fast enough for a CPU budget, like DCGAN) and SAGAN."""
    attention, prefix = _attention(options, info), {"name": f"{name}_generator"} if name else {}
    generator = networks.build_conditional_generator(
        options.latent_dim, info.num_classes, info.image_shape, options.base_filters, spectral_norm=spectral_norm,
        attention_resolution=attention, **prefix)
    discriminator = networks.build_projection_discriminator(
        info.num_classes, info.image_shape, options.base_filters, spectral_norm=spectral_norm,
        attention_resolution=attention, **({"name": f"{name}_discriminator"} if name else {}))
    return generator, discriminator


def biggan_networks(options, info):
    attention = _attention(options, info)
    generator = networks.build_biggan_generator(
        options.latent_dim, info.num_classes, info.image_shape, options.base_filters,
        embedding_dim=options.embedding_dim, attention_resolution=attention,
        orthogonal_regularization=options.orthogonal_regularization)
    return generator, networks.build_projection_discriminator(
        info.num_classes, info.image_shape, options.base_filters, attention_resolution=attention,
        name="biggan_discriminator")


def _builder(build_networks, conditional=False):
    def build(config, options, info):
        loss = get_gan_loss(options.loss)
        generator, discriminator = build_networks(options, info)
        model = GAN(generator, discriminator, generator_loss=loss.generator_loss,
                    discriminator_loss=loss.discriminator_loss, latent_dim=options.latent_dim, prior=options.prior,
                    d_steps=options.d_steps, num_classes=info.num_classes if conditional else None, seed=config.seed,
                    gradient_penalty_weight=(loss.gradient_penalty_weight if options.gradient_penalty_weight is None
                                             else options.gradient_penalty_weight),
                    clip_value=loss.clip_value if options.clip_value is None else options.clip_value,
                    ema_images=options.ema_images, name=config.model)
        betas = dict(beta_1=options.beta_1, beta_2=options.beta_2)
        model.compile(d_optimizer=keras.optimizers.Adam(options.d_learning_rate, **betas),
                      g_optimizer=keras.optimizers.Adam(options.g_learning_rate, **betas), jit_compile=config.jit_compile)
        return model

    return build


def make_datasets(config, options, with_labels=False):
    """Images in [-1, 1] (the generators end in tanh), with labels for conditional models; no validation set."""
    train = data.load(config.dataset, "train", config.batch_size, value_range="signed", with_labels=with_labels,
                      seed=config.seed, data_dir=config.data_dir, drop_remainder=True,
                      repeat=config.steps_per_epoch is not None)
    return train, None, data.get_info(config.dataset)


def sample_images(model, num, seed, labels=None, truncation=None):
    """`num` images in [0, 1] from a fixed seed (the same latent batch every call: progress grids); a
    conditional model's labels cycle through the classes unless given."""
    if labels is None and model.conditional:
        labels = cycle_labels(num, model.num_classes)
    return to_unit(np.asarray(model.sample(num, labels=labels, seed=seed, truncation=truncation)))


def evaluate(model, request, options):
    return evaluate_gan(functools.partial(sample_images, model), request, num_classes=model.num_classes)


# DCGAN on 28x28 digits: 32 -> 64 filters (64 -> 128 costs about three times the step for the same budget) and a
# 256-unit dense layer before the logit, as the cGAN's projection discriminator has (phi(x)), so that dcgan and cgan
# differ only in the conditioning.
# WGAN-GP: Adam(1e-4, 0, 0.9) and 5 critic steps (Gulrajani et al.). SAGAN: hinge loss, spectral norm in both
# networks, two time-scale rates (4e-4 D, 1e-4 G), Adam(0, 0.9). BigGAN: 120-d hierarchical latent, shared
# embedding, hinge loss, Adam(0, 0.999), and SAGAN's rates with one D step: the paper's ImageNet rates (2e-4 D,
# 5e-5 G, 2 D steps) reached FD 29.3 and 19% label accuracy in 9 minutes here, SAGAN's FD 5.0 and 88% in 20
# (benchmarks/results/gan_mnist_more.json, gan_mnist_biggan_ttur.json).
_LABELS = functools.partial(make_datasets, with_labels=True)
_SMOKE = Smoke({"base_filters": 4, "latent_dim": 6})
_SAGAN = dict(loss="hinge", base_filters=32, d_learning_rate=4e-4, g_learning_rate=1e-4, beta_1=0.0,
                    beta_2=0.9, attention_resolution=-1)
RECIPES = {
    "gan": Recipe("the original GAN: fully connected generator and discriminator (Goodfellow et al. 2014)",
                  _builder(mlp_networks), MLPGANOptions(), smoke=Smoke({"hidden_units": 16, "latent_dim": 6})),
    "dcgan": Recipe("DCGAN: transposed-conv generator with batch norm, strided-conv discriminator",
                    _builder(dcgan_networks), UnconditionalDCGANOptions(base_filters=32, d_hidden_units=256), smoke=_SMOKE),
    "wgan_gp": Recipe("WGAN-GP: DCGAN networks, layer-normalized critic, Wasserstein loss + gradient penalty",
                      _builder(functools.partial(dcgan_networks, critic=True)),
                      UnconditionalDCGANOptions(loss="wgan_gp", d_learning_rate=1e-4, g_learning_rate=1e-4, beta_1=0.0, beta_2=0.9,
                                 d_steps=5), smoke=_SMOKE),
    "cgan": Recipe("class-conditional GAN: conditional batch norm generator, projection discriminator",
                   _builder(conditional_networks, conditional=True), ConditionalGANOptions(), make_datasets=_LABELS,
                   smoke=_SMOKE),
    "sagan": Recipe("SAGAN: spectral norm + self-attention in both networks, hinge loss",
                    _builder(functools.partial(conditional_networks, spectral_norm=True, name="sagan"), conditional=True),
                    ConditionalGANOptions(**_SAGAN), make_datasets=_LABELS, smoke=_SMOKE),
    "biggan": Recipe("BigGAN-style: shared class embedding, hierarchical latent, orthogonal regularization, "
                     "truncation at sampling", _builder(biggan_networks, conditional=True),
                     BigGANOptions(**{**_SAGAN, "latent_dim": 120, "beta_2": 0.999}), make_datasets=_LABELS,
                     smoke=Smoke({"base_filters": 4, "latent_dim": 6, "embedding_dim": 4})),
}

register("gan", GANOptions, RECIPES, default_dataset="mnist_5k", make_datasets=make_datasets, signatures=gan_signatures,
         evaluate=evaluate, sample_images=sample_images, smoke_dataset="synthetic_16")
