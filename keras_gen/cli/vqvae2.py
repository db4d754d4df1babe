"""`keras-gen` verbs for the VQ-VAE-2 family: sample (stage 2), reconstruct (either stage)."""

import numpy as np

from keras_gen.cli.images import input_images
from keras_gen.models.vqvae2 import VQVAE2
from keras_gen.utils.images import save_grid
from keras_gen.utils.labels import cycle_labels, parse_labels


def sample(model, config, options, args):
    """Class-conditional samples (`--labels=3,3,7`, one image per label), else `--num_samples` cycling through the
    classes, one column per class."""
    if isinstance(model, VQVAE2):
        raise ValueError("A stage-1 VQ-VAE-2 has no prior to sample from: train `keras-gen train --model=vqvae2_prior "
                         f"--vqvae_dir=<this model_dir>` and sample from that. Received: model={config.model!r}")
    if args.labels and not model.class_conditional:
        raise ValueError(f"This prior is not class-conditional. Received: labels={args.labels!r}")
    if args.labels:
        labels = parse_labels(args.labels, model.num_classes)
    else:
        labels = cycle_labels(args.num_samples, model.num_classes) if model.class_conditional else None
    count = args.num_samples if labels is None else len(labels)
    images = model.generate(count, labels=labels, temperature=options.temperature, seed=args.seed)
    ncols = model.num_classes if model.class_conditional and not args.labels else None
    return save_grid(np.asarray(images), args.out, ncols=ncols, scale=2)


def reconstruct(model, config, options, args):
    """Top row: inputs (`--input` files or `--num_samples` test digits); bottom row: reconstructions."""
    vqvae = model if isinstance(model, VQVAE2) else model.vqvae
    images = input_images(vqvae.image_shape, config, args, args.num_samples)
    return save_grid(np.concatenate([images, np.asarray(vqvae(images))]), args.out, ncols=len(images), scale=2)


COMMANDS = {"sample": sample, "reconstruct": reconstruct}
