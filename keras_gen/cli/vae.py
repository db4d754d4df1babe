"""`keras-gen` verbs for the VAE family: sample, traverse, interpolate, edit, reconstruct."""

import numpy as np

from keras_gen.cli.images import input_images
from keras_gen.latent import tools
from keras_gen.utils.images import save_grid


def sample(model, config, options, args):
    return save_grid(np.asarray(model.generate(args.num_samples, args.seed)), args.out, scale=2)


def traverse(model, config, options, args):
    """Rows: latent dimensions (`--dimensions`, default the first 8); columns: values over [-3, 3]."""
    dims = [int(d) for d in args.dimensions.split(",")] if args.dimensions else list(range(min(8, model.latent_dim)))
    values = np.linspace(-3.0, 3.0, args.steps)
    base = model.encode(input_images(model.image_shape, config, args, 1))[0][0] if args.input else np.zeros(model.latent_dim)
    grid = tools.traverse(lambda z: model.decode(z), np.asarray(base), dims, values)
    return save_grid(grid, args.out, ncols=args.steps, scale=2)


def interpolate(model, config, options, args):
    """Between two images (`--input a.png,b.png`, else two test digits), `--steps` points, `--method`."""
    image_a, image_b = input_images(model.image_shape, config, args, 2)[:2]
    grid = tools.interpolate_images(lambda x: model.encode(x)[0], lambda z: model.decode(z), image_a, image_b,
                                    args.steps, args.method)
    return save_grid(grid, args.out, ncols=args.steps, scale=2)


def edit(model, config, options, args):
    """`--edits dim=value,...` set on the code of one image; writes [original, reconstruction, edited]."""
    changes = {int(k): float(v) for k, v in (item.split("=") for item in (args.edits or "0=2.0").split(","))}
    image = input_images(model.image_shape, config, args, 1)[0]
    reconstruction, edited = tools.edit(lambda x: model.encode(x)[0], lambda z: model.decode(z), image, changes)
    return save_grid(np.stack([image, reconstruction, edited]), args.out, ncols=3, scale=4)


def reconstruct(model, config, options, args):
    """Top row: `--num_samples` test digits (or `--input` files); bottom row: their reconstructions."""
    images = input_images(model.image_shape, config, args, args.num_samples)
    return save_grid(np.concatenate([images, np.asarray(model(images))]), args.out, ncols=len(images), scale=2)


COMMANDS = {"sample": sample, "traverse": traverse, "interpolate": interpolate, "edit": edit, "reconstruct": reconstruct}
