"""`keras-gen` verbs for the GAN family: sample, interpolate, arithmetic, neighbours."""

import numpy as np

from keras_gen import data
from keras_gen.families.gan import sample_images
from keras_gen.latent import arithmetic as latent_arithmetic
from keras_gen.latent import neighbours as latent_neighbours
from keras_gen.latent.interpolation import interpolate as interpolate_path
from keras_gen.metrics.gan import classify_digits
from keras_gen.utils.images import save_grid
from keras_gen.utils.labels import cycle_labels, parse_labels
from keras_gen.utils.value_range import to_unit


def labels_for(model, text, count):
    """`--labels` ("3" or "1,2,3") for `count` images; None: the classes in turn (conditional models)."""
    if not text:
        return cycle_labels(count, model.num_classes) if model.conditional else None
    if not model.conditional:
        raise ValueError(f"This model is unconditional: it takes no --labels. Received: labels={text!r}")
    return parse_labels(text, model.num_classes, count=count)


def sample(model, config, options, args):
    images = sample_images(model, args.num_samples, args.seed, labels=labels_for(model, args.labels, args.num_samples),
                           truncation=args.truncation)
    ncols = model.num_classes if model.conditional and not args.labels else None
    return save_grid(images, args.out, ncols=ncols, scale=2)


def interpolate(model, config, options, args):
    """Rows: pairs of random latents (`--seed`); columns: `--steps` points along a `--method` path."""
    rows = int(min(8, max(1, args.num_samples // args.steps)))
    ends = np.asarray(model.sample_latent(2 * rows, seed=args.seed, truncation=args.truncation))
    z = np.concatenate([interpolate_path(ends[2 * r], ends[2 * r + 1], args.steps, args.method) for r in range(rows)])
    row_labels = labels_for(model, args.labels, rows)
    labels = None if row_labels is None else np.repeat(row_labels, args.steps)
    return save_grid(to_unit(np.asarray(model.generate(z, labels))), args.out, ncols=args.steps, scale=2)


def arithmetic_grid(model, classes=(7, 1, 8), pool=512, group_size=6, seed=0, label=0):
    """Vector arithmetic as a grid of rows [mean(A), A...], [mean(B), B...], [mean(C), C...], [A - B + C].

    Unconditional model on MNIST-like images: the groups are samples the shipped classifier confidently
    (p > 0.9) assigns to `classes` (a, b, c). Otherwise (conditional models, other images) the groups are
    three random latent sets, all decoded with class `label`: the arithmetic then acts on the style.

    Returns `(grid images in [0, 1], info dict)`.
    """
    latents = np.asarray(model.sample_latent(pool, seed=seed))

    def decode(z):
        return to_unit(np.asarray(model.generate(z, np.full(len(z), label) if model.conditional else None)))

    judged = None if model.conditional else classify_digits(decode(latents))
    if judged is not None:
        predicted = np.where(judged[1] > 0.9, judged[0], -1)
        groups = latent_arithmetic.groups_by_class(latents, predicted, classes, group_size)
        how = f"groups by classifier prediction, classes {list(classes)}"
    else:
        groups = [latents[i * group_size:(i + 1) * group_size] for i in range(3)]
        how = f"three random groups decoded with label {label}" if model.conditional else "three random groups"
    grid, width = latent_arithmetic.arithmetic_rows(decode, groups)
    return grid, {"method": how, "group_sizes": [len(g) for g in groups], "width": width}


def arithmetic(model, config, options, args):
    """`--labels a,b,c`: the classes of the groups (unconditional MNIST models; default 7,1,8), or the one class
    to decode with (conditional models, default 0). Rows: each group (its mean first), then mean(A)-mean(B)+mean(C)."""
    if model.conditional:
        label = int(labels_for(model, args.labels, 1)[0]) if args.labels else 0
        grid, info = arithmetic_grid(model, seed=args.seed, label=label)
    else:
        classes = tuple(int(c) for c in args.labels.split(",")) if args.labels else (7, 1, 8)
        grid, info = arithmetic_grid(model, classes=classes, seed=args.seed)
    return save_grid(grid, args.out, ncols=info["width"], scale=2)


def neighbours(model, config, options, args):
    """Rows: a sample, then its 5 nearest training images (pixel distance)."""
    num = int(min(args.num_samples, 8))
    samples = sample_images(model, num, args.seed, labels=labels_for(model, args.labels, num))
    training, _ = data.as_numpy(config.dataset, "train", data_dir=config.data_dir)
    return save_grid(latent_neighbours.neighbour_grid(samples, training, k=5), args.out, ncols=6, scale=2)


COMMANDS = {"sample": sample, "interpolate": interpolate, "arithmetic": arithmetic, "neighbours": neighbours}
