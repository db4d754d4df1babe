"""Image-conditioned families: `pix2pix`, `cyclegan`, `srgan`, `spade`.

With no `--dataset` each trains on its offline digit set (`keras_gen.data.paired`): pix2pix on `digits_edges`,
cyclegan on `digits_thick`, srgan on `digits_sr4`, spade on `digits_labelmap`. The tfds sets (`cycle_gan_<pair>`,
`div2k_x4`, `cityscapes_labels`) work with the matching model. Where the networks differ from the papers, the
recipe says why.
"""

import dataclasses
from typing import ClassVar, Optional

import keras
import numpy as np
from absl import logging

from keras_gen.data import paired
from keras_gen.export.translation import translation_signatures
from keras_gen.families import Options, Recipe, Smoke, option, register, without_options
from keras_gen.losses.gan import GAN_LOSSES, get_gan_loss
from keras_gen.metrics import translation as metrics
from keras_gen.models import image_networks as networks
from keras_gen.models.cyclegan import CycleGAN
from keras_gen.models.schedules import ConstantThenLinearDecay
from keras_gen.models.translation import ImageTranslationGAN, spade_loss_weights
from keras_gen.utils.value_range import to_unit

PREVIEW_PAIRS = 12  # 36 images: a 6x6 sample grid of (source, output, target) triples


@dataclasses.dataclass(frozen=True)
class TranslationOptions(Options):
    SHORTCUTS: ClassVar = {"learning_rate": ("d_learning_rate", "g_learning_rate")}

    loss: str = option("non_saturating", "adversarial objective (keras_gen.losses.gan)", choices=tuple(GAN_LOSSES))
    base_filters: int = option(16, "filters of the first conv layer")
    d_learning_rate: float = option(2e-4, "discriminator Adam learning rate (the papers' 2e-4)")
    g_learning_rate: float = option(2e-4, "generator Adam learning rate")
    beta_1: float = option(0.5, "Adam beta_1")


@dataclasses.dataclass(frozen=True)
class Pix2PixOptions(TranslationOptions):
    l1_weight: float = option(100.0, "lambda of the L1 term")
    num_downsamples: int = option(4, "U-Net depth")
    dropout: float = option(0.5, "U-Net decoder dropout (pix2pix's noise)")


@dataclasses.dataclass(frozen=True)
class SRGANOptions(TranslationOptions):
    base_filters: int = option(32, "generator and discriminator filters")
    num_blocks: int = option(4, "residual blocks of the generator")
    l1_weight: float = option(1.0, "pixel L1 (the SRResNet objective)")
    content_weight: float = option(1.0, "content (feature) loss weight")
    adversarial_weight: float = option(1e-3, "adversarial loss weight")
    vgg_weights: Optional[str] = option(None, "VGG19 include_top=False weights file for the content loss "
                                              "(default: the discriminator's features)")


@dataclasses.dataclass(frozen=True)
class SPADEOptions(TranslationOptions):
    loss: str = option("hinge", "adversarial objective (keras_gen.losses.gan)", choices=tuple(GAN_LOSSES))
    latent_dim: int = option(16, "style latent size")
    style_encoder: bool = option(True, "train a style encoder (VAE-style KL)")
    l1_weight: float = option(10.0, "pixel L1 weight")
    feature_matching_weight: float = option(10.0, "discriminator feature matching weight")
    num_scales: int = option(2, "discriminator scales")


CYCLEGAN_RESNET_FROM = 128  # "auto" picks the paper's ResNet generator from this image size up


@dataclasses.dataclass(frozen=True)
class CycleGANOptions(TranslationOptions):
    loss: str = option("least_squares", "adversarial objective (keras_gen.losses.gan)", choices=tuple(GAN_LOSSES))
    cycle_weight: float = option(10.0, "cycle-consistency lambda")
    identity_weight: float = option(0.5, "identity loss, relative to cycle_weight")
    pool_size: int = option(50, "image pool of past fakes per domain (0: off)")
    generator: str = option("auto", "resnet: the paper's ResNet generator and 70x70 PatchGAN; unet: a small U-Net "
                                    "and PatchGAN; auto: resnet from 128 pixels up", choices=("auto", "resnet", "unet"))
    base_filters: Optional[int] = option(None, "filters of the first conv layer (default: 64 resnet, 16 unet)")
    residual_blocks: Optional[int] = option(None, "ResNet blocks (default: 6 below 256 pixels, 9 from 256 up)")
    num_downsamples: int = option(4, "U-Net depth (unet only)")
    decay_after_epochs: int = option(100, "epochs at the constant learning rate before the linear decay (paper: 100)")
    decay_epochs: int = option(100, "epochs of the linear decay of both rates to 0 (paper: 100)")


def _make_datasets(kind):
    def make_datasets(config, options):
        info = paired.get_paired_info(config.dataset)
        paired.check_pairing(info, kind, config.model)
        train = paired.load_pairs(config.dataset, "train", config.batch_size, seed=config.seed, data_dir=config.data_dir,
                                  drop_remainder=True, repeat=config.steps_per_epoch is not None)
        test = paired.load_pairs(config.dataset, "test", config.batch_size, data_dir=config.data_dir, limit=200)
        return train, test, info

    return make_datasets


def _compiled(model, config, options, schedule=None):
    """Compiled with one Adam per role; `schedule(rate)` turns each rate into a learning-rate schedule."""
    schedule = schedule or (lambda rate: rate)
    adam = lambda rate: keras.optimizers.Adam(schedule(rate), beta_1=options.beta_1)  # noqa: E731
    model.compile(d_optimizer=adam(options.d_learning_rate), g_optimizer=adam(options.g_learning_rate),
                  jit_compile=config.jit_compile)
    return model


def _losses(options):
    loss = get_gan_loss(options.loss)
    return dict(generator_loss=loss.generator_loss, discriminator_loss=loss.discriminator_loss)


def build_pix2pix(config, options, info):
    generator = networks.build_unet_generator(info.source_shape, info.target_shape[-1], base_filters=options.base_filters,
                                              num_downsamples=options.num_downsamples, dropout=options.dropout)
    discriminator = networks.build_patchgan_discriminator(info.target_shape, info.source_shape,
                                                          base_filters=options.base_filters)
    model = ImageTranslationGAN(generator, discriminator, adversarial_weight=1.0, reconstruction_weight=options.l1_weight,
                                feature_weight=0.0, seed=config.seed, name=config.model, **_losses(options))
    return _compiled(model, config, options)


def build_srgan(config, options, info):
    # The paper's discriminator ends in dense layers; a PatchGAN also gives the per-layer features the content loss
    # reads when no VGG weights are supplied.
    generator = networks.build_srgan_generator(info.source_shape, info.target_shape[-1], filters=options.base_filters,
                                               num_residual_blocks=options.num_blocks)
    discriminator = networks.build_patchgan_discriminator(info.target_shape, base_filters=options.base_filters,
                                                          return_features=True)
    model = ImageTranslationGAN(
        generator, discriminator, conditional_discriminator=False, seed=config.seed,
        feature_source="vgg19" if options.vgg_weights else "discriminator", vgg_weights=options.vgg_weights,
        reconstruction_weight=options.l1_weight, feature_weight=options.content_weight,
        adversarial_weight=options.adversarial_weight, name=config.model, **_losses(options))
    logging.info("SRGAN content loss on %s features.", model.feature_source_used)
    return _compiled(model, config, options)


def build_spade(config, options, info):
    size, filters = options.latent_dim, options.base_filters
    generator = networks.build_spade_generator(info.source_shape, info.target_shape[-1], latent_dim=size,
                                               base_filters=filters, hidden_filters=filters)
    discriminator = networks.build_multiscale_discriminator(info.target_shape, info.source_shape,
                                                            num_scales=options.num_scales, base_filters=filters)
    encoder = networks.build_style_encoder(info.target_shape, size, base_filters=filters) if options.style_encoder else None
    weights = spade_loss_weights(options.style_encoder) | {"reconstruction_weight": options.l1_weight,
                                                           "feature_weight": options.feature_matching_weight}
    model = ImageTranslationGAN(generator, discriminator, latent_dim=size, style_encoder=encoder, seed=config.seed,
                                name=config.model, **(weights | _losses(options)))
    return _compiled(model, config, options)


def cyclegan_networks(options, image_shape):
    """`(kind, base_filters, residual_blocks)` a CycleGAN of `image_shape` uses: the paper's ResNet (64 filters, 6
    blocks below 256 pixels, 9 from 256 up) from `CYCLEGAN_RESNET_FROM` pixels up unless told, else the U-Net."""
    kind = options.generator
    if kind == "auto":
        kind = "resnet" if min(image_shape[:2]) >= CYCLEGAN_RESNET_FROM else "unet"
    filters = options.base_filters or (64 if kind == "resnet" else 16)
    blocks = options.residual_blocks or (9 if min(image_shape[:2]) >= 256 else 6)
    return kind, filters, blocks


def build_cyclegan(config, options, info):
    # At 128 pixels and more: the paper's ResNet generator and 70x70 PatchGAN (C64-C128-C256-C512). Smaller images
    # get a U-Net (no dropout, instance norm) and a shallower PatchGAN, which train much faster on 32x32 digits.
    shape = info.source_shape
    kind, filters, blocks = cyclegan_networks(options, shape)
    if kind == "resnet":
        generators = [networks.build_resnet_generator(shape, base_filters=filters, num_residual_blocks=blocks, name=name)
                      for name in ("generator_ab", "generator_ba")]
        patchgan = dict(num_downsamples=3, max_filters=8 * filters)
    else:
        generators = [networks.build_unet_generator(shape, base_filters=filters, num_downsamples=options.num_downsamples,
                                                    normalization="instance", dropout=0.0, name=name)
                      for name in ("generator_ab", "generator_ba")]
        patchgan = {}
    discriminators = [networks.build_patchgan_discriminator(shape, base_filters=filters, normalization="instance",
                                                            name=name, **patchgan)
                      for name in ("discriminator_a", "discriminator_b")]
    model = CycleGAN(*generators, *discriminators, cycle_weight=options.cycle_weight,
                     identity_weight=options.identity_weight, pool_size=options.pool_size, seed=config.seed,
                     name=config.model, **_losses(options))
    steps = _steps_per_epoch(config)
    return _compiled(model, config, options, schedule=lambda rate: ConstantThenLinearDecay(
        rate, options.decay_after_epochs * steps, max(options.decay_epochs * steps, 1)))


def _steps_per_epoch(config):
    """`--steps_per_epoch`, else the batches in one pass over the training split (for epoch-based schedules)."""
    if config.steps_per_epoch:
        return config.steps_per_epoch
    train = paired.load_pairs(config.dataset, "train", config.batch_size, data_dir=config.data_dir, drop_remainder=True)
    steps = int(train.cardinality())
    if steps < 1:
        raise ValueError(f"The number of batches per epoch of {config.dataset!r} is unknown; pass --steps_per_epoch. "
                         f"Received: steps_per_epoch={config.steps_per_epoch!r}")
    return steps


def sample_images(model, num, seed):
    """Progress grids: (source, output, target) triples of the first offline test pairs that fit the model, the
    same pairs every epoch; for CycleGAN (a, G(a), F(G(a)))."""
    del num, seed
    cyclegan = isinstance(model, CycleGAN)
    dataset = paired.offline_set_for(model.source_shape, model.target_shape, paired=not cyclegan)
    if dataset is None:  # e.g. a model of tfds-sized images: nothing to preview
        return np.zeros((1,) + model.target_shape, np.float32)
    sources, targets = paired.pairs_as_numpy(dataset, "test", limit=PREVIEW_PAIRS)
    outputs = metrics.translate(model, sources)
    if cyclegan:
        targets = metrics.translate(model, outputs, "b2a")
    info = paired.get_paired_info(dataset)
    shown = [paired.source_as_image(sources, info.target_shape, info.num_label_classes), to_unit(outputs),
             to_unit(targets)]
    return np.stack(shown, axis=1).reshape((-1,) + tuple(info.target_shape))  # (count * 3, H, W, C)


RECIPES = {
    "pix2pix": Recipe("pix2pix: U-Net generator, conditional PatchGAN, adversarial + L1 (Isola et al. 2017)",
                      build_pix2pix, Pix2PixOptions(), "digits_edges", _make_datasets("aligned"),
                      without_options(metrics.evaluate_pix2pix), smoke=Smoke({"base_filters": 4, "num_downsamples": 2})),
    "cyclegan": Recipe("CycleGAN: two generators (the paper's ResNet from 128 px, else U-Nets) and two PatchGANs "
                       "(instance norm), cycle + identity losses, image pools",
                       build_cyclegan, CycleGANOptions(), "digits_thick", _make_datasets("unpaired"),
                       without_options(metrics.evaluate_cyclegan),
                       smoke=Smoke({"base_filters": 4, "num_downsamples": 2, "pool_size": 3})),
    "srgan": Recipe("SRGAN: residual generator with x4 pixel-shuffle upsampling, PatchGAN, content + adversarial loss",
                    build_srgan, SRGANOptions(), "digits_sr4", _make_datasets("super_resolution"),
                    without_options(metrics.evaluate_srgan), smoke=Smoke({"base_filters": 4, "num_blocks": 1})),
    "spade": Recipe("SPADE/GauGAN: label map -> image with spatially-adaptive norm, multi-scale PatchGAN, style encoder",
                    build_spade, SPADEOptions(), "digits_labelmap", _make_datasets("label_map"),
                    without_options(metrics.evaluate_spade),
                    smoke=Smoke({"base_filters": 4, "num_scales": 1, "latent_dim": 4})),
}

register("translation", TranslationOptions, RECIPES, default_dataset="digits_edges", make_datasets=None,
         signatures=translation_signatures, evaluate=None, sample_images=sample_images)
