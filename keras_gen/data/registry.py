"""Named datasets as `tf.data` pipelines in the value range a model asks for."""

import dataclasses
from typing import Callable, Optional, Tuple

import numpy as np
import tensorflow as tf

from keras_gen.utils.value_range import VALUE_RANGES, from_uint8



@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    name: str
    image_shape: Tuple[int, int, int]
    num_classes: int
    splits: Tuple[str, ...] = ("train", "test")
    description: str = ""


@dataclasses.dataclass(frozen=True)
class _Entry:
    info: DatasetInfo
    # (split, data_dir) -> tf.data.Dataset of (uint8 image (H, W, C), int64 label), unbatched.
    source: Callable[[str, Optional[str]], tf.data.Dataset]
    offline: bool


_DATASETS = {}
# `scheme -> resolve(name) -> (DatasetInfo, source)` for names made at run time, e.g. `folder:PATH`.
_SCHEMES = {}


def register_dataset(info, source, offline=False):
    if info.name in _DATASETS:
        raise ValueError(f"A dataset named {info.name!r} is already registered.")
    _DATASETS[info.name] = _Entry(info, source, offline)


def register_scheme(scheme, resolve, description=""):
    """Makes every dataset name `scheme:...` resolve through `resolve(name) -> (DatasetInfo, source)` (offline)."""
    if scheme in _SCHEMES:
        raise ValueError(f"A dataset scheme named {scheme!r} is already registered.")
    _SCHEMES[scheme] = (resolve, description)


def scheme_descriptions():
    """`{scheme: description}` of the run-time dataset names (what `keras-gen datasets` lists after the names)."""
    return {scheme: description for scheme, (_, description) in sorted(_SCHEMES.items())}


def dataset_names(offline_only=False):
    return sorted(name for name, entry in _DATASETS.items() if entry.offline or not offline_only)


def get_info(name):
    return _entry(name).info


def _entry(name):
    scheme, colon, _ = str(name).partition(":")
    if colon and scheme in _SCHEMES:
        return _Entry(*_SCHEMES[scheme][0](name), offline=True)
    if name not in _DATASETS:
        schemes = "".join(f", {scheme}:..." for scheme in sorted(_SCHEMES))
        raise ValueError(f"Unknown dataset {name!r}. Valid datasets: {', '.join(sorted(_DATASETS))}{schemes}. "
                         f"Received: dataset={name!r}")
    return _DATASETS[name]


def load(
    name,
    split="train",
    batch_size=64,
    value_range="unit",
    with_labels=False,
    binarize=None,
    shuffle=None,
    seed=0,
    data_dir=None,
    drop_remainder=False,
    repeat=False,
    examples=None,
):
    """Returns a batched `tf.data.Dataset` of images (and labels with `with_labels=True`).

    Args:
        name: a registered dataset name (see `dataset_names()`).
        split: "train" or "test" (or another split the dataset has).
        batch_size: positive integer.
        value_range: "unit" for [0, 1] floats, "signed" for [-1, 1].
        with_labels: yield `(images, labels)` instead of `images`.
        binarize: None, "dynamic" (a fresh Bernoulli draw from the pixel intensities each epoch, the usual
            regularizer for Bernoulli VAEs) or "static" (one draw fixed by `seed`, for evaluation).
        shuffle: shuffle each epoch with `seed`; default True for "train", False otherwise.
        seed: seed for shuffling and binarization.
        data_dir: tensorflow-datasets data directory for tfds-backed datasets.
        drop_remainder: drop the last short batch (static shapes for GAN losses).
        repeat: repeat forever (use with `steps_per_epoch`).
        examples: None (the whole split), or `(start, stop)`: only the split's examples `start` to `stop` in its
            fixed order, before shuffling, Python-slice style (negative counts from the end, None for an open end);
            e.g. `(None, -500)` and `(-500, None)` hold out a split's last 500 examples for validation.
    """
    entry = _entry(name)
    if value_range not in VALUE_RANGES:
        raise ValueError(f"`value_range` must be one of {VALUE_RANGES}. Received: value_range={value_range!r}")
    if binarize not in (None, "dynamic", "static"):
        raise ValueError(f"`binarize` must be None, 'dynamic' or 'static'. Received: binarize={binarize!r}")
    if binarize and value_range != "unit":
        raise ValueError(f"Binarized images are {{0, 1}}: use value_range='unit'. Received: value_range={value_range!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    if split not in entry.info.splits:
        raise ValueError(f"Dataset {name!r} has splits {entry.info.splits}. Received: split={split!r}")
    shuffle = (split == "train") if shuffle is None else shuffle

    ds = entry.source(split, data_dir)
    if examples is not None:
        ds = _select(ds, examples)
    ds = ds.map(lambda image, label: (from_uint8(image, value_range), tf.cast(label, tf.int32)),
                num_parallel_calls=tf.data.AUTOTUNE).cache()
    if shuffle:
        ds = ds.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)
    if binarize:
        # One random integer per example, redrawn each epoch for "dynamic", so the draw is seeded yet fresh.
        noise_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=(binarize == "dynamic"))
        ds = tf.data.Dataset.zip((ds, noise_seeds)).map(_binarize, num_parallel_calls=tf.data.AUTOTUNE)
    if not with_labels:
        ds = ds.map(lambda image, label: image, num_parallel_calls=tf.data.AUTOTUNE)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def _select(ds, examples):
    """Examples `start:stop` of a dataset of known size, Python-slice style."""
    if not (isinstance(examples, (tuple, list)) and len(examples) == 2
            and all(e is None or (isinstance(e, int) and not isinstance(e, bool)) for e in examples)):
        raise ValueError(f"`examples` must be None or a (start, stop) pair of integers or None. Received: examples={examples!r}")
    size = int(ds.cardinality())
    if size < 0:
        raise ValueError(f"`examples` needs a split of known size; this one has none. Received: examples={examples!r}")
    start, stop, _ = slice(*examples).indices(size)
    if stop <= start:
        raise ValueError(f"`examples` selects no example of the split's {size}. Received: examples={examples!r}")
    return ds.skip(start).take(stop - start)


def _binarize(example, noise_seed):
    image, label = example
    uniform = tf.random.stateless_uniform(tf.shape(image), seed=tf.stack([noise_seed, tf.constant(0, tf.int64)]))
    return tf.cast(uniform < image, tf.float32), label


def as_numpy(name, split="test", value_range="unit", data_dir=None, limit=None):
    """The whole split as `(images float32 numpy, labels int32 numpy)`, in dataset order."""
    ds = load(name, split=split, batch_size=1024, value_range=value_range, with_labels=True, shuffle=False, data_dir=data_dir)
    if limit is not None:
        ds = ds.unbatch().take(limit).batch(1024)
    images, labels = [], []
    for x, y in ds:
        images.append(x.numpy())
        labels.append(y.numpy())
    return np.concatenate(images), np.concatenate(labels)
