"""The video family: `video_gan`, a MoCoGAN-style content/motion generator against DVD-GAN's dual discriminators.

Trains on clip datasets (`keras_gen.data.clips`: `moving_digits_32` by default, `moving_digits`, the tfds
`moving_mnist`, or the user's own clips registered with `register_clip_folder`).
"""

import dataclasses
import functools
from typing import ClassVar

import keras
import numpy as np

from keras_gen.data.clips import get_clip_info, load_clips
from keras_gen.export.video import video_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register
from keras_gen.losses.gan import get_gan_loss
from keras_gen.metrics.video import evaluate_video
from keras_gen.models import video_networks as networks
from keras_gen.models.video_gan import VideoGAN
from keras_gen.utils.labels import cycle_labels
from keras_gen.utils.value_range import to_unit

# Losses without a gradient penalty or weight clipping (the trainer has neither).
VIDEO_LOSSES = ("hinge", "non_saturating", "least_squares")


@dataclasses.dataclass(frozen=True)
class VideoGANOptions(Options):
    SHORTCUTS: ClassVar = {"learning_rate": ("d_learning_rate", "g_learning_rate"), "latent_dim": ("content_dim",)}

    loss: str = option("hinge", "GAN objective (DVD-GAN: hinge)", choices=VIDEO_LOSSES)
    # "sprites": the content draws the digits once and the motion only moves them, so a clip's digits cannot change;
    # "frames" decodes every frame from [content, GRU state] (MoCoGAN) and its digits drifted from frame to frame.
    generator: str = option("sprites", "content as sprites moved by the motion network, or every frame decoded",
                            choices=("sprites", "frames"))
    num_sprites: int = option(2, "sprite layers of the sprites generator (moving digits: 2)")
    max_step: float = option(0.125, "sprites generator: largest step per frame and axis, as a fraction of the height")
    content_dim: int = option(64, "size of the content code (one per clip)")
    motion_dim: int = option(16, "size of the motion noise (one per frame transition)")
    motion_units: int = option(64, "GRU state size (the per-frame motion code)")
    base_filters: int = option(32, "generator filters of the last up-sampling block")
    d_base_filters: int = option(32, "filters of both discriminators' first layer")
    sampled_frames: int = option(4, "frames per clip the spatial discriminator judges (DVD-GAN's k)")
    temporal_downsample: int = option(2, "spatial average pooling before the temporal discriminator")
    conditional: bool = option(False, "condition on the dataset's labels (moving digits: the first digit's class)")
    d_steps: int = option(1, "discriminator updates per generator update (DVD-GAN: 2; 1 fits a CPU budget)")
    d_learning_rate: float = option(4e-4, "discriminator Adam learning rate (two time-scale)")
    g_learning_rate: float = option(1e-4, "generator Adam learning rate")
    beta_1: float = option(0.0, "Adam beta_1 (DVD-GAN: 0)")
    beta_2: float = option(0.999, "Adam beta_2")


def build_video_gan(config, options, info):
    num_classes = info.num_classes if options.conditional else None
    if options.conditional and not info.num_classes:
        raise ValueError(f"Dataset {info.name!r} has no labels: it cannot train a conditional model. "
                         f"Received: conditional={options.conditional!r}")
    if options.sampled_frames > info.num_frames:
        raise ValueError(f"`sampled_frames` must be <= the dataset's {info.num_frames} frames. "
                         f"Received: sampled_frames={options.sampled_frames}")
    if options.generator == "sprites":
        generator = networks.build_sprite_video_generator(
            options.content_dim, options.motion_dim, info.clip_shape, options.motion_units, options.base_filters,
            num_sprites=options.num_sprites, max_step=options.max_step, num_classes=num_classes)
    else:
        generator = networks.build_video_generator(options.content_dim, options.motion_dim, info.clip_shape,
                                                   options.motion_units, options.base_filters, num_classes=num_classes)
    spatial = networks.build_spatial_discriminator(info.frame_shape, options.d_base_filters, num_classes=num_classes)
    temporal = networks.build_temporal_discriminator(info.clip_shape, options.d_base_filters,
                                                     options.temporal_downsample, num_classes=num_classes)
    loss = get_gan_loss(options.loss)
    model = VideoGAN(generator, spatial, temporal, generator_loss=loss.generator_loss,
                     discriminator_loss=loss.discriminator_loss, content_dim=options.content_dim,
                     motion_dim=options.motion_dim, sampled_frames=options.sampled_frames, d_steps=options.d_steps,
                     num_classes=num_classes, seed=config.seed, name=config.model)
    betas = dict(beta_1=options.beta_1, beta_2=options.beta_2)
    model.compile(d_optimizer=keras.optimizers.Adam(options.d_learning_rate, **betas),
                  g_optimizer=keras.optimizers.Adam(options.g_learning_rate, **betas), jit_compile=config.jit_compile)
    return model


def make_datasets(config, options):
    """Clips in [-1, 1] (the generator ends in tanh), with labels for a conditional model; no validation set."""
    train = load_clips(config.dataset, "train", config.batch_size, value_range="signed",
                       with_labels=options.conditional, seed=config.seed, data_dir=config.data_dir,
                       drop_remainder=True, repeat=config.steps_per_epoch is not None)
    return train, None, get_clip_info(config.dataset)


def sample_clips(model, count, seed, labels=None):
    """`count` clips (count, T, H, W, C) in [0, 1] from the fixed latents of `seed` (`video_latents`, as the
    export); a conditional model's labels cycle through the classes unless given."""
    if labels is None and model.conditional:
        labels = cycle_labels(count, model.num_classes)
    return to_unit(np.asarray(model.sample(count, labels=labels, seed=seed)))


def sample_images(model, num, seed):
    """Frames for the training progress grid: the frames of `num // T` clips (at least one), clip after clip."""
    clips = sample_clips(model, max(1, num // model.num_frames), seed)
    return clips.reshape(-1, *clips.shape[2:])


def evaluate(model, request, options):
    return evaluate_video(functools.partial(sample_clips, model), request)


RECIPES = {
    "video_gan": Recipe(
        "video GAN: content code + GRU motion (MoCoGAN), spatial and temporal (3-D conv) discriminators with "
        "spectral norm (DVD-GAN), hinge loss",
        build_video_gan, VideoGANOptions(),
        smoke=Smoke({"content_dim": 4, "motion_dim": 2, "motion_units": 4, "base_filters": 4, "d_base_filters": 4,
                     "sampled_frames": 2})),
}

register("video", VideoGANOptions, RECIPES, default_dataset="moving_digits_32", make_datasets=make_datasets,
         signatures=video_signatures, evaluate=evaluate, sample_images=sample_images, smoke_dataset="synthetic_clips")
