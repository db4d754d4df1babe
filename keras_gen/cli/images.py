"""Images a verb works on: the files named by `--input`, else test images of the run's dataset picked by `--seed`."""

import numpy as np

from keras_gen import data
from keras_gen.utils.images import load_image


def input_images(image_shape, config, args, count):
    """`--input a.png,b.png` resized to `image_shape`, else `count` test images chosen by `--seed`; [0, 1]."""
    if args.input:
        height, width, channels = tuple(image_shape)
        return np.stack([load_image(p, (height, width), channels) for p in args.input.split(",") if p])
    images, _ = data.as_numpy(config.dataset, "test", data_dir=config.data_dir)
    return images[np.random.default_rng(args.seed).permutation(len(images))[:count]]
