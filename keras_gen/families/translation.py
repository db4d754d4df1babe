"""Image-conditioned families: `pix2pix`, `cyclegan`, `srgan`, `spade`.

With no `--dataset` each trains on its offline digit set (`keras_gen.data.paired`): pix2pix on
`digits_edges`, cyclegan on `digits_thick`, srgan on `digits_sr4`, spade on `digits_labelmap`. The tfds sets
(`cycle_gan_<pair>`, `div2k_x4`, `cityscapes_labels`) work with the matching family.

`--loss` picks a `keras_gen.losses.gan.GAN_LOSSES` name (default: the recipe's). `--options key=value,...`:

    all:      base_filters, d_learning_rate, g_learning_rate, beta_1
    pix2pix:  l1_weight (100), num_downsamples, dropout
    srgan:    num_blocks (4), l1_weight (1), content_weight (1), adversarial_weight (1e-3),
              vgg_weights (a VGG19 include_top=False weights file; without it the content loss uses the
              discriminator's features, recorded as `feature_source_used` in `evaluate`)
    spade:    style_encoder (true), feature_matching_weight (10), l1_weight (10), num_scales (2)
    cyclegan: cycle_weight (10), identity_weight (0.5), pool_size (50), num_downsamples (4),
              direction (a2b|b2a, for `translate`)

Learning rates: left at the shared default (1e-3, a VAE rate), the published 2e-4 with beta_1 = 0.5 is used.
"""

import dataclasses

import keras
import numpy as np
from absl import logging

from keras_gen import data
from keras_gen.data import paired
from keras_gen.export.translation import export_translation
from keras_gen.families import ModelFamily, register
from keras_gen.losses.gan import get_gan_loss
from keras_gen.metrics.image_quality import bicubic_upsample, image_quality
from keras_gen.models import image_networks as networks
from keras_gen.models.cyclegan import DIRECTIONS, CycleGAN
from keras_gen.models.translation import (
    ImageTranslationGAN,
    pix2pix_loss_weights,
    spade_loss_weights,
    srgan_loss_weights,
)
from keras_gen.training.config import TrainConfig, parse_options
from keras_gen.utils.images import load_image, save_grid

SHARED_DEFAULT_LEARNING_RATE = TrainConfig.learning_rate
PUBLISHED_LEARNING_RATE = 2e-4  # pix2pix, CycleGAN, SPADE (G), SRGAN's adversarial phase
PREVIEW_PAIRS = 12  # 36 images: a 6x6 sample grid of (source, output, target) triples


@dataclasses.dataclass(frozen=True)
class Recipe:
    description: str
    default_dataset: str
    loss: str
    base_filters: int


RECIPES = {
    "pix2pix": Recipe("pix2pix: U-Net generator, conditional PatchGAN, adversarial + L1 (Isola et al. 2017)",
                      "digits_edges", "non_saturating", 16),
    # The paper's generator is a ResNet; a U-Net (no dropout, instance norm) trains faster on 32x32 digits.
    "cyclegan": Recipe("CycleGAN: two U-Nets and two PatchGANs (instance norm), cycle + identity losses, image pools",
                       "digits_thick", "least_squares", 16),
    # The paper's discriminator ends in dense layers; a PatchGAN also gives the per-layer features the
    # content loss reads when no VGG weights are supplied.
    "srgan": Recipe("SRGAN: residual generator with x4 pixel-shuffle upsampling, PatchGAN, content + adversarial loss",
                    "digits_sr4", "non_saturating", 32),
    "spade": Recipe("SPADE/GauGAN: label map -> image with spatially-adaptive norm, multi-scale PatchGAN, style encoder",
                    "digits_labelmap", "hinge", 16),
}


def _check_dataset(name, info):
    if name == "cyclegan":
        return
    if not info.paired:
        raise ValueError(f"Model {name!r} trains on aligned pairs; {info.name!r} is unpaired (use --model=cyclegan). "
                         f"Received: dataset={info.name!r}")
    if name == "spade" and not info.source_is_label_map:
        raise ValueError(f"Model 'spade' needs a label-map dataset (e.g. digits_labelmap). Received: dataset={info.name!r}")
    if name == "pix2pix" and info.source_shape[:2] != info.target_shape[:2]:
        raise ValueError(f"Model 'pix2pix' needs sources and targets of the same size. Received: dataset={info.name!r}")
    if name == "srgan" and (info.source_is_label_map or info.target_shape[0] != 4 * info.source_shape[0]):
        raise ValueError(f"Model 'srgan' needs 4x low-resolution sources (e.g. digits_sr4). Received: dataset={info.name!r}")


def _make_datasets(name):
    def make_datasets(config):
        info = paired.get_paired_info(config.dataset)
        _check_dataset(name, info)
        train = paired.load_pairs(config.dataset, "train", config.batch_size, seed=config.seed, data_dir=config.data_dir,
                                  drop_remainder=True, repeat=config.steps_per_epoch is not None)
        test = paired.load_pairs(config.dataset, "test", config.batch_size, data_dir=config.data_dir, limit=200)
        return train, test, data.get_info(config.dataset)

    return make_datasets


def _optimizers(config):
    if config.learning_rate == SHARED_DEFAULT_LEARNING_RATE:
        logging.info("Using the published GAN learning rate %g (pass --learning_rate to override).", PUBLISHED_LEARNING_RATE)
        rate = PUBLISHED_LEARNING_RATE
    else:
        rate = config.learning_rate
    beta_1 = config.option("beta_1", 0.5, float)
    return dict(
        d_optimizer=keras.optimizers.Adam(config.option("d_learning_rate", rate, float), beta_1=beta_1),
        g_optimizer=keras.optimizers.Adam(config.option("g_learning_rate", rate, float), beta_1=beta_1),
    )


def _losses(name, config):
    loss = get_gan_loss(config.loss or RECIPES[name].loss)
    return dict(generator_loss=loss.generator_loss, discriminator_loss=loss.discriminator_loss)


def _builder(name):
    def build_model(config, info):
        pinfo = paired.get_paired_info(config.dataset)
        _check_dataset(name, pinfo)
        filters = config.option("base_filters", RECIPES[name].base_filters, int)
        source_shape, target_shape = pinfo.source_shape, pinfo.target_shape
        if name == "pix2pix":
            generator = networks.build_unet_generator(
                source_shape, target_shape[-1], base_filters=filters,
                num_downsamples=config.option("num_downsamples", 4, int), dropout=config.option("dropout", 0.5, float))
            discriminator = networks.build_patchgan_discriminator(target_shape, source_shape, base_filters=filters)
            weights = pix2pix_loss_weights() | {"reconstruction_weight": config.option("l1_weight", 100.0, float)}
            model = ImageTranslationGAN(generator, discriminator, **(weights | _losses(name, config)), seed=config.seed)
        elif name == "srgan":
            generator = networks.build_srgan_generator(source_shape, target_shape[-1], filters=filters,
                                                       num_residual_blocks=config.option("num_blocks", 4, int))
            discriminator = networks.build_patchgan_discriminator(target_shape, base_filters=filters, return_features=True)
            vgg_weights = config.option("vgg_weights", None)
            weights = srgan_loss_weights() | {
                "reconstruction_weight": config.option("l1_weight", 1.0, float),
                "feature_weight": config.option("content_weight", 1.0, float),
                "adversarial_weight": config.option("adversarial_weight", 1e-3, float),
            }
            model = ImageTranslationGAN(
                generator, discriminator, conditional_discriminator=False, seed=config.seed,
                feature_source="vgg19" if vgg_weights else "discriminator", vgg_weights=vgg_weights,
                **(weights | _losses(name, config)),
            )
            logging.info("SRGAN content loss on %s features.", model.feature_source_used)
        elif name == "spade":
            latent_dim = config.latent_dim or 16
            with_style = config.option("style_encoder", True, bool)
            generator = networks.build_spade_generator(source_shape, target_shape[-1], latent_dim=latent_dim,
                                                       base_filters=filters, hidden_filters=filters)
            discriminator = networks.build_multiscale_discriminator(
                target_shape, source_shape, num_scales=config.option("num_scales", 2, int), base_filters=filters)
            encoder = networks.build_style_encoder(target_shape, latent_dim, base_filters=filters) if with_style else None
            weights = spade_loss_weights(with_style) | {
                "reconstruction_weight": config.option("l1_weight", 10.0, float),
                "feature_weight": config.option("feature_matching_weight", 10.0, float),
            }
            model = ImageTranslationGAN(generator, discriminator, latent_dim=latent_dim, style_encoder=encoder,
                                        seed=config.seed, **(weights | _losses(name, config)))
        else:
            def generator(net_name):
                return networks.build_unet_generator(source_shape, base_filters=filters,
                                                     num_downsamples=config.option("num_downsamples", 4, int),
                                                     normalization="instance", dropout=0.0, name=net_name)

            def discriminator(net_name):
                return networks.build_patchgan_discriminator(source_shape, base_filters=filters,
                                                             normalization="instance", name=net_name)

            model = CycleGAN(
                generator("generator_ab"), generator("generator_ba"),
                discriminator("discriminator_a"), discriminator("discriminator_b"),
                cycle_weight=config.option("cycle_weight", 10.0, float),
                identity_weight=config.option("identity_weight", 0.5, float),
                pool_size=config.option("pool_size", 50, int), seed=config.seed, **_losses(name, config),
            )
        model.compile(**_optimizers(config), jit_compile=config.jit_compile)
        return model

    return build_model


# -------------------------------------------------------------------------------------------------------------
# showing sources and outputs


def source_as_image(sources, target_shape, num_label_classes=0):
    """Sources in a picture next to targets: label maps as grey levels, low-resolution images upsampled
    (nearest), all in [0, 1] with the target's size and channels."""
    sources = np.asarray(sources, np.float32)
    if num_label_classes:
        sources = sources.argmax(-1)[..., None] / max(num_label_classes - 1, 1)
    else:
        sources = (sources + 1.0) / 2.0
    factor = target_shape[0] // sources.shape[1]
    if factor > 1:
        sources = sources.repeat(factor, axis=1).repeat(factor, axis=2)
    if sources.shape[-1] != target_shape[-1]:
        sources = np.repeat(sources[..., :1], target_shape[-1], axis=-1)
    return sources


def _model_shapes(model):
    if isinstance(model, CycleGAN):
        shape = tuple(model.generator_ab.inputs[0].shape[1:])
        return shape, shape
    return tuple(model.generator.inputs[0].shape[1:]), tuple(model.generator.outputs[0].shape[1:])


def _offline_set_for(model):
    """The offline digit set whose shapes fit `model` (for previews when no dataset is known)."""
    source_shape, target_shape = _model_shapes(model)
    for name in paired.paired_names(offline_only=True):
        info = paired.get_paired_info(name)
        if (info.source_shape, info.target_shape, info.paired) == (source_shape, target_shape, not isinstance(model, CycleGAN)):
            return name
    return None


def _translate(model, sources, direction="a2b"):
    if isinstance(model, CycleGAN):
        return np.asarray(model.translate(sources, direction))
    return np.asarray(model.translate(sources, seed=0) if model.uses_latent else model.translate(sources))


def preview_triples(model, dataset, count=PREVIEW_PAIRS, data_dir=None):
    """(source, output, target) for the first `count` test pairs, flattened, in [0, 1]; for CycleGAN
    (a, G(a), F(G(a)))."""
    sources, targets = paired.pairs_as_numpy(dataset, "test", limit=count, data_dir=data_dir)
    info = paired.get_paired_info(dataset)
    outputs = _translate(model, sources)
    if isinstance(model, CycleGAN):
        targets = np.asarray(model.translate(outputs, "b2a"))
    shown = [source_as_image(sources, info.target_shape, info.num_label_classes), (outputs + 1) / 2, (targets + 1) / 2]
    return np.stack(shown, axis=1).reshape((-1,) + tuple(info.target_shape))  # (count * 3, H, W, C)


def sample_images(model, num, seed):
    """Progress grids: (source, output, target) triples on the offline test pairs that fit the model."""
    del num, seed  # fixed pairs, so epochs can be compared
    dataset = _offline_set_for(model)
    if dataset is None:
        return np.zeros((1,) + _model_shapes(model)[1], np.float32)  # e.g. a tfds-shaped model: nothing to preview
    return preview_triples(model, dataset)


# -------------------------------------------------------------------------------------------------------------
# evaluate


def _quantize_regions(images_unit, thresholds=paired.LABEL_THRESHOLDS):
    """Generated intensities -> the digit label map's region classes (background / rim / core)."""
    return np.digitize(np.round(images_unit * 255.0), thresholds)


def region_agreement(generated_unit, label_maps):
    """SPADE on digit region maps: how often a generated pixel's intensity falls in its region's band.

    Returns pixel accuracy, the mean per-region recall and each region's recall.
    """
    predicted = _quantize_regions(generated_unit[..., 0])
    labels = label_maps.argmax(-1)
    recalls = [float((predicted[labels == k] == k).mean()) for k in range(label_maps.shape[-1]) if (labels == k).any()]
    return {"region_pixel_accuracy": float((predicted == labels).mean()), "region_mean_recall": float(np.mean(recalls)),
            "region_recalls": recalls}


def evaluate_translation(model, name, dataset, num_examples=None, data_dir=None):
    """The family's held-out numbers on `dataset`'s test split (images compared in [0, 1])."""
    info = paired.get_paired_info(dataset)
    sources, targets = paired.pairs_as_numpy(dataset, "test", limit=num_examples, data_dir=data_dir)
    unit = lambda x: (np.asarray(x, np.float32) + 1.0) / 2.0  # noqa: E731
    outputs = np.concatenate([_translate(model, sources[i:i + 100]) for i in range(0, len(sources), 100)])
    metrics = {"model": name, "dataset": dataset, "num_examples": int(len(sources))}
    if name == "cyclegan":
        back = np.concatenate([np.asarray(model.translate(outputs[i:i + 100], "b2a")) for i in range(0, len(outputs), 100)])
        b_to_a = np.concatenate([_translate(model, targets[i:i + 100], "b2a") for i in range(0, len(targets), 100)])
        b_cycle = np.concatenate([np.asarray(model.translate(b_to_a[i:i + 100], "a2b")) for i in range(0, len(b_to_a), 100)])
        metrics["cycle_l1_a"] = float(np.abs(unit(back) - unit(sources)).mean())
        metrics["cycle_l1_b"] = float(np.abs(unit(b_cycle) - unit(targets)).mean())
        if dataset == "digits_thick":
            # The true A -> B mapping is known here (3x3 dilation), though training never saw pairs.
            truth = paired.thicken(np.round(unit(sources) * 255).astype(np.uint8)).astype(np.float32) / 255.0
            metrics["a2b_l1_vs_true_thickening"] = float(np.abs(unit(outputs) - truth).mean())
            metrics["identity_baseline_l1_vs_true_thickening"] = float(np.abs(unit(sources) - truth).mean())
        return metrics
    metrics["l1"] = float(np.abs(unit(outputs) - unit(targets)).mean())
    metrics.update(image_quality(unit(outputs), unit(targets)))
    if name == "pix2pix" and info.source_shape == info.target_shape:
        metrics["identity_baseline_l1"] = float(np.abs(unit(sources) - unit(targets)).mean())
    if name == "srgan":
        bicubic = bicubic_upsample(unit(sources), info.target_shape[:2])
        baseline = image_quality(bicubic, unit(targets))
        metrics.update({"bicubic_psnr": baseline["psnr"], "bicubic_ssim": baseline["ssim"],
                        "bicubic_l1": float(np.abs(bicubic - unit(targets)).mean()),
                        "feature_source_used": model.feature_source_used})
    if name == "spade" and dataset == "digits_labelmap":
        metrics.update(region_agreement(unit(outputs), sources))
        if model.style_encoder is not None:
            styled = np.asarray(model.translate(sources[:100], model.encode_style(targets[:100])))
            metrics["l1_with_encoded_style"] = float(np.abs(unit(styled) - unit(targets[:100])).mean())
    return metrics


def _evaluate(name):
    def evaluate(model, config, args):
        return evaluate_translation(model, name, config.dataset, getattr(args, "num_examples", None) or 500,
                                    config.data_dir)

    return evaluate


# -------------------------------------------------------------------------------------------------------------
# translate command


def read_sources(paths, model, num_label_classes=0):
    """Image files -> model sources in [-1, 1] (label maps: grey level -> nearest class id, one-hot).

    Files of another size are resized (bilinear; nearest for label maps) to the model's input size, and the
    returned note says so: nothing is cropped.
    """
    from PIL import Image

    source_shape = _model_shapes(model)[0]
    notes, sources = [], []
    for path in paths:
        with Image.open(path) as image:
            size = image.size
        if size != (source_shape[1], source_shape[0]):
            notes.append(f"{path} resized from {size[0]}x{size[1]} to {source_shape[1]}x{source_shape[0]}")
        if num_label_classes:
            grey = np.asarray(Image.open(path).convert("L").resize((source_shape[1], source_shape[0]), Image.NEAREST))
            ids = np.rint(grey / 255.0 * (num_label_classes - 1)).astype(np.int64)
            sources.append(np.eye(num_label_classes, dtype=np.float32)[ids])
        else:
            sources.append(load_image(path, source_shape[:2], source_shape[-1]) * 2.0 - 1.0)
    return np.stack(sources), notes


def translate_command(model, config, args):
    """`--input a.png[,b.png]` (else 8 test sources) -> `--out` grid of (input, output) rows.

    CycleGAN: `--options direction=b2a` translates B -> A (default a2b). SPADE: the style latent is drawn
    with `--seed`, or encoded from a style image with `--options style=IMG` (needs the style encoder).
    """
    info = paired.get_paired_info(config.dataset)
    options = parse_options(getattr(args, "options", "") or "")
    direction = options.get("direction", "a2b")
    if direction not in DIRECTIONS:
        raise ValueError(f"Option `direction` must be one of {DIRECTIONS}. Received: direction={direction!r}")
    is_cyclegan = isinstance(model, CycleGAN)
    notes = []
    if getattr(args, "input", None):
        sources, notes = read_sources([p for p in args.input.split(",") if p], model,
                                      0 if is_cyclegan else info.num_label_classes)
    else:
        domain = 1 if is_cyclegan and direction == "b2a" else 0
        sources = paired.pairs_as_numpy(config.dataset, "test", limit=8, data_dir=config.data_dir)[domain]
    if not is_cyclegan and model.uses_latent:
        if "style" in options:
            if model.style_encoder is None:
                raise ValueError(f"This model has no style encoder. Received: style={options['style']!r}")
            style = load_image(options["style"], model.generator.outputs[0].shape[1:3], model.generator.outputs[0].shape[-1])
            z = np.repeat(np.asarray(model.encode_style(style[None] * 2.0 - 1.0)), len(sources), axis=0)
        else:
            z = model.sample_latent(len(sources), seed=int(getattr(args, "seed", 0) or 0))
        outputs = np.asarray(model.translate(sources, z))
    else:
        outputs = _translate(model, sources, direction)
    outputs = (outputs + 1.0) / 2.0
    target_shape = outputs.shape[1:]
    shown = source_as_image(sources, target_shape, 0 if is_cyclegan else info.num_label_classes)
    grid = np.stack([shown, outputs], axis=1).reshape((-1,) + target_shape)
    written = save_grid(grid, args.out, ncols=2, scale=4)
    return written + (f" ({'; '.join(notes)})" if notes else "")


for _name, _recipe in RECIPES.items():
    register(
        ModelFamily(
            name=_name,
            description=_recipe.description,
            default_dataset=_recipe.default_dataset,
            make_datasets=_make_datasets(_name),
            build_model=_builder(_name),
            export=lambda model, export_dir, _family=_name: export_translation(model, export_dir, _family),
            evaluate=_evaluate(_name),
            commands={"translate": translate_command},
            sample_images=sample_images,
            app="apps.translation_app:build_app",
        )
    )
