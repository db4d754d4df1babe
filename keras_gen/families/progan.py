"""The Progressive GAN family: `progan`, trained by `keras_gen.models.progan.ProGAN` (group `gan`: its exports,
verbs and app are the GAN family's).

The model works at a power-of-two `resolution`, growing to it from 4x4: smaller dataset images (28x28 digits) are
padded with the background value, others resized (as for StyleGAN2); `generate`/`sample` crop (or resize) back to
the dataset's shape, so the shipped 28x28 digit classifier scores the samples and the GAN verbs work unchanged.
`samples/resolution_RxR.png` holds the latest grid at each resolution the run has reached, at that resolution.
"""

import dataclasses
import os
from typing import ClassVar, Optional

import keras

from keras_gen import data
from keras_gen.export.progan import progan_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register
from keras_gen.families.gan import evaluate, sample_images
from keras_gen.families.style import fit_resolution
from keras_gen.models import progan as networks
from keras_gen.training.progressive import ResolutionGrids


@dataclasses.dataclass(frozen=True)
class ProGANOptions(Options):
    SHORTCUTS: ClassVar = {}

    resolution: int = option(32, "final image size, a power of two (data padded or resized to it)")
    latent_dim: int = option(128, "size of z (the paper's 512 is GPU-sized)")
    channel_base: int = option(1024, "feature maps at resolution r: min(channel_base // r, channel_max)")
    channel_max: int = option(128, "most feature maps of any layer")
    # The paper fades in and stabilizes each resolution for 800k images each; a CPU run affords far fewer.
    images_per_phase: int = option(20_000, "images of the first 4x4 phase, and of each fade-in and each stabilization")
    learning_rate: float = option(1e-3, "Adam learning rate of both networks")
    beta_1: float = option(0.0, "Adam beta_1")
    beta_2: float = option(0.99, "Adam beta_2")
    gradient_penalty_weight: float = option(10.0, "WGAN-GP lambda")
    drift_weight: float = option(0.001, "epsilon_drift: weight of E[D(x)^2] on real images")
    ema_images: Optional[float] = option(10_000.0, "half-life in images of the generator EMA used for sampling (None: off)")
    mbstd_group_size: int = option(4, "minibatch-stddev group size (the batch must be a multiple)")


def build_progan(config, options, info):
    networks.num_levels_for(options.resolution)  # a power of two >= 4, else an error naming it
    channels = info.image_shape[-1]
    sizes = dict(channel_base=options.channel_base, channel_max=options.channel_max)
    generator = networks.ProgressiveGenerator(options.latent_dim, options.resolution, channels, name="generator", **sizes)
    discriminator = networks.ProgressiveDiscriminator(options.resolution, channels, name="discriminator",
                                                      mbstd_group_size=options.mbstd_group_size, **sizes)
    model = networks.ProGAN(generator, discriminator, images_per_phase=options.images_per_phase,
                            gradient_penalty_weight=options.gradient_penalty_weight, drift_weight=options.drift_weight,
                            ema_images=options.ema_images, source_shape=info.image_shape, seed=config.seed,
                            name=config.model)

    def adam():
        return keras.optimizers.Adam(options.learning_rate, beta_1=options.beta_1, beta_2=options.beta_2, epsilon=1e-8)

    model.compile(d_optimizer=adam(), g_optimizer=adam(), jit_compile=config.jit_compile)
    return model


def make_datasets(config, options):
    """Images in [-1, 1] at `options.resolution` (the final one: the trainer pools them to the current one)."""
    networks.num_levels_for(options.resolution)
    train = data.load(config.dataset, "train", config.batch_size, value_range="signed", seed=config.seed,
                      data_dir=config.data_dir, drop_remainder=True, repeat=config.steps_per_epoch is not None)
    return train.map(lambda x: fit_resolution(x, options.resolution)), None, data.get_info(config.dataset)


def resolution_grids(config):
    """`samples/resolution_RxR.png` after every epoch, at the resolution reached (the training callbacks hook)."""
    return [ResolutionGrids(os.path.join(config.output_dir, "samples"))] if config.sample_every else []


RECIPES = {
    "progan": Recipe(
        "Progressive GAN: grows 4x4 -> resolution with fade-ins; pixel norm, minibatch stddev, equalized LR, "
        "WGAN-GP + drift, generator EMA", build_progan, ProGANOptions(),
        # 2 steps of batch 4 per epoch and 6 images per phase: the first epoch ends a third into the 8x8 fade-in,
        # so the contract's resume continues mid-fade.
        smoke=Smoke({"resolution": 8, "latent_dim": 4, "channel_base": 16, "channel_max": 4, "images_per_phase": 6,
                     "ema_images": 8.0})),
}

register("gan", ProGANOptions, RECIPES, default_dataset="mnist_5k", make_datasets=make_datasets,
         signatures=progan_signatures, evaluate=evaluate, sample_images=sample_images, smoke_dataset="synthetic_16",
         callbacks=resolution_grids)
