"""The GAN families: `gan`, `dcgan`, `wgan_gp`, `cgan`, `sagan`, `biggan`, all trained by `keras_gen.models.gan.GAN`.

Every family takes `--loss` (a name in `keras_gen.losses.gan.GAN_LOSSES`; the recipe's default otherwise) and
`--options key=value,...`:

    base_filters, latent prior (`prior=gaussian|uniform`), d_steps, clip_value, gradient_penalty_weight,
    d_learning_rate, g_learning_rate, beta_1, beta_2, attention_resolution (0 turns it off),
    embedding_dim and orthogonal_regularization (biggan), hidden_units (gan).

Learning rates: `--learning_rate` sets both networks' rate; left at the shared default (1e-3, a VAE rate that
makes GANs diverge) the recipe's published rates are used instead, and the choice is logged.
"""

import dataclasses
from typing import Optional

import keras
import numpy as np
from absl import logging

from keras_gen import data
from keras_gen.export.gan import export_gan
from keras_gen.families import ModelFamily, register
from keras_gen.latent import arithmetic, neighbours
from keras_gen.latent.interpolation import interpolate
from keras_gen.losses.gan import get_gan_loss
from keras_gen.models import gan_networks as networks
from keras_gen.models.gan import GAN
from keras_gen.training.config import TrainConfig
from keras_gen.utils.images import save_grid

SHARED_DEFAULT_LEARNING_RATE = TrainConfig.learning_rate


@dataclasses.dataclass(frozen=True)
class GANRecipe:
    """The published settings each family starts from."""

    description: str
    loss: str
    latent_dim: int = 100
    base_filters: int = 64
    d_learning_rate: float = 2e-4
    g_learning_rate: float = 2e-4
    beta_1: float = 0.5  # DCGAN: 0.9 made training oscillate
    beta_2: float = 0.999
    d_steps: int = 1
    conditional: bool = False
    # Feature-map size for self-attention; None: no attention. -1: half the image size.
    attention_resolution: Optional[int] = None


RECIPES = {
    "gan": GANRecipe("the original GAN: fully connected generator and discriminator (Goodfellow et al. 2014)",
                     "non_saturating"),
    "dcgan": GANRecipe("DCGAN: transposed-conv generator with batch norm, strided-conv discriminator", "non_saturating"),
    # WGAN-GP: Adam(1e-4, 0, 0.9) and 5 critic steps per generator step, as in Gulrajani et al.
    "wgan_gp": GANRecipe("WGAN-GP: DCGAN networks, layer-normalized critic, Wasserstein loss + gradient penalty",
                         "wgan_gp", d_learning_rate=1e-4, g_learning_rate=1e-4, beta_1=0.0, beta_2=0.9, d_steps=5),
    "cgan": GANRecipe("class-conditional GAN: conditional batch norm generator, projection discriminator",
                      "non_saturating", conditional=True),
    # SAGAN: hinge loss, spectral norm in both networks, two time-scale rates (4e-4 D, 1e-4 G), Adam(0, 0.9).
    "sagan": GANRecipe("SAGAN: spectral norm + self-attention in both networks, hinge loss", "hinge",
                       base_filters=32, d_learning_rate=4e-4, g_learning_rate=1e-4, beta_1=0.0, beta_2=0.9,
                       conditional=True, attention_resolution=-1),
    # BigGAN: 120-d hierarchical latent, shared embedding, hinge loss, 2 D steps, Adam(0, 0.999).
    "biggan": GANRecipe("BigGAN-style: shared class embedding, hierarchical latent, orthogonal regularization, "
                        "truncation at sampling", "hinge", latent_dim=120, base_filters=32, d_learning_rate=2e-4,
                        g_learning_rate=5e-5, beta_1=0.0, beta_2=0.999, d_steps=2, conditional=True,
                        attention_resolution=-1),
}


def _attention_resolution(config, recipe, info):
    default = recipe.attention_resolution
    value = config.option("attention_resolution", default if default is None else (info.image_shape[0] // 2 if default == -1 else default), int)
    return value or None


def make_datasets(config):
    """Images in [-1, 1] (the generators end in tanh), with labels for conditional families; no validation set."""
    info = data.get_info(config.dataset)
    train = data.load(
        config.dataset, "train", config.batch_size, value_range="signed", with_labels=RECIPES[config.model].conditional,
        seed=config.seed, data_dir=config.data_dir, drop_remainder=True, repeat=config.steps_per_epoch is not None,
    )
    return train, None, info


def build_networks(config, info):
    """(generator, discriminator) for `config.model` on images of `info.image_shape`."""
    recipe = RECIPES[config.model]
    shape = tuple(info.image_shape)
    latent_dim = config.latent_dim or recipe.latent_dim
    filters = config.option("base_filters", recipe.base_filters, int)
    attention = _attention_resolution(config, recipe, info)
    num_classes = info.num_classes if recipe.conditional else None
    if config.model == "gan":
        units = config.option("hidden_units", 1024, int)
        return (networks.build_mlp_generator(latent_dim, shape, (units // 4, units // 2, units)),
                networks.build_mlp_discriminator(shape, (units, units // 2, units // 4)))
    if config.model == "dcgan":
        return networks.build_dcgan_generator(latent_dim, shape, filters), networks.build_dcgan_discriminator(shape, filters)
    if config.model == "wgan_gp":
        # No batch norm in the critic: the penalty is per example, batch norm couples the examples.
        return (networks.build_dcgan_generator(latent_dim, shape, filters),
                networks.build_dcgan_discriminator(shape, filters, normalization="layer", name="wgan_critic"))
    if config.model == "cgan":
        # Batch norm rather than spectral norm in D: like DCGAN, it learns fast enough for a CPU budget.
        return (networks.build_conditional_generator(latent_dim, num_classes, shape, filters),
                networks.build_projection_discriminator(num_classes, shape, filters, spectral_norm=False))
    if config.model == "sagan":
        return (networks.build_conditional_generator(latent_dim, num_classes, shape, filters, spectral_norm=True,
                                                     attention_resolution=attention, name="sagan_generator"),
                networks.build_projection_discriminator(num_classes, shape, filters, attention_resolution=attention,
                                                        name="sagan_discriminator"))
    if config.model == "biggan":
        return (networks.build_biggan_generator(
                    latent_dim, num_classes, shape, filters, embedding_dim=config.option("embedding_dim", 32, int),
                    attention_resolution=attention,
                    orthogonal_regularization=config.option("orthogonal_regularization", 1e-4, float)),
                networks.build_projection_discriminator(num_classes, shape, filters, attention_resolution=attention,
                                                        name="biggan_discriminator"))
    raise ValueError(f"Unknown GAN family. Valid: {', '.join(RECIPES)}. Received: model={config.model!r}")


def build_model(config, info):
    recipe = RECIPES[config.model]
    loss = get_gan_loss(config.loss or recipe.loss)
    generator, discriminator = build_networks(config, info)
    model = GAN(
        generator,
        discriminator,
        generator_loss=loss.generator_loss,
        discriminator_loss=loss.discriminator_loss,
        latent_dim=config.latent_dim or recipe.latent_dim,
        prior=config.option("prior", "gaussian"),
        d_steps=config.option("d_steps", recipe.d_steps, int),
        gradient_penalty_weight=config.option("gradient_penalty_weight", loss.gradient_penalty_weight, float),
        clip_value=config.option("clip_value", loss.clip_value, float),
        num_classes=info.num_classes if recipe.conditional else None,
        seed=config.seed,
        name=config.model,
    )
    if config.learning_rate == SHARED_DEFAULT_LEARNING_RATE:
        d_rate, g_rate = recipe.d_learning_rate, recipe.g_learning_rate
        logging.info("%s: --learning_rate left at its default; using the recipe's rates D=%g, G=%g.",
                     config.model, d_rate, g_rate)
    else:
        d_rate = g_rate = config.learning_rate
    d_rate = config.option("d_learning_rate", d_rate, float)
    g_rate = config.option("g_learning_rate", g_rate, float)
    beta_1, beta_2 = config.option("beta_1", recipe.beta_1, float), config.option("beta_2", recipe.beta_2, float)
    model.compile(
        d_optimizer=keras.optimizers.Adam(d_rate, beta_1=beta_1, beta_2=beta_2),
        g_optimizer=keras.optimizers.Adam(g_rate, beta_1=beta_1, beta_2=beta_2),
        jit_compile=config.jit_compile,
    )
    return model


# --------------------------------------------------------------------------------------------------------------
# sampling and the CLI commands


def to_unit(images):
    """Generator outputs in [-1, 1] -> [0, 1]."""
    return np.clip((np.asarray(images, np.float32) + 1.0) / 2.0, 0.0, 1.0)


def default_labels(model, num):
    """One label per sample cycling through the classes (rows of a grid show every class), or None."""
    return np.arange(num) % model.num_classes if model.conditional else None


def sample_images(model, num, seed, labels=None, truncation=None):
    """`num` images in [0, 1] from a fixed seed (the same latent batch every call: progress grids)."""
    labels = default_labels(model, num) if labels is None else labels
    return to_unit(model.sample(num, labels=labels, seed=seed, truncation=truncation))


def parse_labels(model, text, num):
    """`--labels` ("3" or "1,2,3"): one label repeated, or one per sample; None for the default cycle."""
    if not text:
        return default_labels(model, num)
    if not model.conditional:
        raise ValueError(f"This model is unconditional: it takes no --labels. Received: labels={text!r}")
    try:
        labels = [int(item) for item in str(text).split(",") if item.strip()]
    except ValueError:
        raise ValueError(f"`--labels` must be comma-separated integers. Received: labels={text!r}") from None
    labels = np.array(labels * num if len(labels) == 1 else labels)
    model.check_labels(labels, num_samples=num)
    return labels


def sample_command(model, config, args):
    labels = parse_labels(model, args.labels, args.num_samples)
    images = sample_images(model, args.num_samples, args.seed, labels=labels, truncation=args.truncation)
    ncols = model.num_classes if model.conditional and not args.labels else None
    return save_grid(images, args.out, ncols=ncols, scale=2)


def interpolate_command(model, config, args):
    """Rows: pairs of random latents (`--seed`); columns: `--steps` points along a `--method` path."""
    rows = int(min(8, max(1, args.num_samples // args.steps)))
    ends = np.asarray(model.sample_latent(2 * rows, seed=args.seed, truncation=args.truncation))
    z = np.concatenate([interpolate(ends[2 * r], ends[2 * r + 1], args.steps, args.method) for r in range(rows)])
    labels = None
    if model.conditional:
        row_labels = parse_labels(model, args.labels, rows) if args.labels else np.arange(rows) % model.num_classes
        labels = np.repeat(row_labels, args.steps)
    return save_grid(to_unit(model.generate(z, labels)), args.out, ncols=args.steps, scale=2)


def _classify(images):
    """Predicted digit and confidence from the shipped MNIST classifier, or None when it does not apply."""
    if images.shape[1:] != (28, 28, 1):
        return None
    try:
        from keras_gen.metrics.classifier import load_mnist_classifier, predict_in_batches
    except ImportError:
        return None
    try:
        classifier = load_mnist_classifier()
    except FileNotFoundError:
        return None
    probabilities = predict_in_batches(classifier, images)
    return probabilities.argmax(axis=1), probabilities.max(axis=1)


def arithmetic_grid(model, classes=(7, 1, 8), pool=512, group_size=6, seed=0, label=0):
    """Vector arithmetic as a grid of rows [mean(A), A...], [mean(B), B...], [mean(C), C...], [A - B + C].

    Unconditional model on MNIST-like images: the groups are samples the shipped classifier confidently
    (p > 0.9) assigns to `classes` (a, b, c). Otherwise (conditional models, other images) the groups are
    three random latent sets, all decoded with class `label`: the arithmetic then acts on the style.

    Returns `(grid images in [0, 1], info dict)`.
    """
    latents = np.asarray(model.sample_latent(pool, seed=seed))
    labels = np.full(pool, label) if model.conditional else None
    images = to_unit(model.generate(latents, labels))
    judged = None if model.conditional else _classify(images)
    if judged is not None:
        predicted, confidence = judged
        predicted = np.where(confidence > 0.9, predicted, -1)
        groups = arithmetic.groups_by_class(latents, predicted, classes, group_size)
        how = f"groups by classifier prediction, classes {list(classes)}"
    else:
        groups = [latents[i * group_size:(i + 1) * group_size] for i in range(3)]
        how = f"three random groups decoded with label {label}" if model.conditional else "three random groups"

    def decode(z):
        return to_unit(model.generate(z, np.full(len(z), label) if model.conditional else None))

    grid, width = arithmetic.arithmetic_rows(decode, groups)
    return grid, {"method": how, "group_sizes": [len(g) for g in groups], "width": width}


def arithmetic_command(model, config, args):
    """`--labels a,b,c`: the classes of the groups (unconditional MNIST models; default 7,1,8), or the one class
    to decode with (conditional models, default 0). Rows: each group (its mean first), then mean(A)-mean(B)+mean(C)."""
    if model.conditional:
        label = int(parse_labels(model, args.labels, 1)[0]) if args.labels else 0
        grid, info = arithmetic_grid(model, seed=args.seed, label=label)
    else:
        classes = tuple(int(c) for c in args.labels.split(",")) if args.labels else (7, 1, 8)
        grid, info = arithmetic_grid(model, classes=classes, seed=args.seed)
    return save_grid(grid, args.out, ncols=info["width"], scale=2)


def neighbours_command(model, config, args):
    """Rows: a sample, then its 5 nearest training images (pixel distance)."""
    num = int(min(args.num_samples, 8))
    samples = sample_images(model, num, args.seed, labels=parse_labels(model, args.labels, num))
    training, _ = data.as_numpy(config.dataset, "train", data_dir=config.data_dir)
    return save_grid(neighbours.neighbour_grid(samples, training, k=5), args.out, ncols=6, scale=2)


def evaluate(model, config, args):
    """Classifier-space Frechet distance, KID, precision/recall of generated samples (`--num_examples`, default
    1,000) against the test split; for conditional models also the fraction classified as their label; plus the
    shipped MNIST classifier's mean confidence on the samples (28x28 grey images only)."""
    from keras_gen.metrics.evaluate import evaluate_generator, load_real_images

    num = max(int(getattr(args, "num_examples", None) or 1000), 2)
    real_images, _ = load_real_images(config.dataset, "test", data_dir=config.data_dir)
    labels = default_labels(model, num)

    def sample_fn(count, seed, labels=None):
        return sample_images(model, count, seed, labels=labels)

    results = evaluate_generator(sample_fn, real_images, num_samples=num, labels=labels, seed=config.seed,
                                 kid_subset_size=min(1000, num, len(real_images)))
    judged = _classify(sample_images(model, min(num, 500), config.seed + 999))
    if judged is not None:
        results["classifier_confidence"] = float(judged[1].mean())
        results["confident_fraction"] = float((judged[1] > 0.9).mean())
    return {"model": config.model, "dataset": config.dataset, **results}


COMMANDS = {
    "sample": sample_command,
    "interpolate": interpolate_command,
    "arithmetic": arithmetic_command,
    "neighbours": neighbours_command,
}

for _name, _recipe in RECIPES.items():
    register(
        ModelFamily(
            name=_name,
            description=_recipe.description,
            default_dataset="mnist_5k",
            make_datasets=make_datasets,
            build_model=build_model,
            export=export_gan,
            evaluate=evaluate,
            commands=COMMANDS,
            sample_images=sample_images,
            app="apps.gan_app:build_app",
        )
    )
