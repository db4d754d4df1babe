"""Clip datasets: `(T, H, W, C)` videos, kept apart from the image registry (whose entries are single images).

Offline sets:

- `moving_digits`: the Moving MNIST protocol (Srivastava et al. 2015, https://arxiv.org/abs/1502.04681) built
  from the real `mnist_5k` digits with a seeded RNG: 64x64 frames, 2 digits, 20 frames. Each digit starts at a
  random position, moves in a random direction at a random speed, and is reflected at the borders (position
  mirrored, velocity component negated); digits are combined with a pixelwise maximum. Train clips use the
  train digits, test clips the test digits.
- `moving_digits_32`: the same protocol at 32x32, 10 frames, digits resized to 14x14 (the CPU setting and the
  video family's default).
- `synthetic_clips`: bouncing Gaussian blobs, 16x16, 4 frames, for tests (no MNIST parsing).

Real sets: tfds `moving_mnist` (its only split is `test`: 10,000 clips of 20 frames, 64x64, no labels), through
the same fail-fast tfds logic as the image registry. Users' own clips: `frame_folder_clips(path, ...)` reads a
folder of frame folders (each a clip of PNG/JPEG frames in name order), and video files when a decoder exists
(see `read_video_file`).

`load_clips(name, ...)` yields batches of float clips in the asked value range (and labels: for the digit sets,
the class of the first digit).
"""

import dataclasses
import functools
import os
from typing import Callable, Optional, Tuple

import numpy as np
import tensorflow as tf

from keras_gen.data.offline import mnist_5k_arrays
from keras_gen.data.tfds_sources import tfds_source
from keras_gen.utils.value_range import VALUE_RANGES, from_uint8

FRAME_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_EXTENSIONS = (".gif", ".mp4", ".avi", ".mov", ".webm")


@dataclasses.dataclass(frozen=True)
class ClipDatasetInfo:
    name: str
    clip_shape: Tuple[int, int, int, int]  # (frames, height, width, channels)
    num_classes: int  # 0: no labels (every label is 0)
    splits: Tuple[str, ...] = ("train", "test")
    description: str = ""

    @property
    def num_frames(self):
        return self.clip_shape[0]

    @property
    def frame_shape(self):
        return tuple(self.clip_shape[1:])


@dataclasses.dataclass(frozen=True)
class _ClipEntry:
    info: ClipDatasetInfo
    # (split, data_dir) -> tf.data.Dataset of (uint8 clip (T, H, W, C), int64 label), unbatched.
    source: Callable[[str, Optional[str]], tf.data.Dataset]
    offline: bool


_CLIP_DATASETS = {}


def register_clip_dataset(info, source, offline=False):
    if info.name in _CLIP_DATASETS:
        raise ValueError(f"A clip dataset named {info.name!r} is already registered.")
    _CLIP_DATASETS[info.name] = _ClipEntry(info, source, offline)


def clip_dataset_names(offline_only=False):
    return sorted(name for name, entry in _CLIP_DATASETS.items() if entry.offline or not offline_only)


def get_clip_info(name):
    return _clip_entry(name).info


def _clip_entry(name):
    if name not in _CLIP_DATASETS:
        raise ValueError(f"Unknown clip dataset {name!r}. Valid clip datasets: {', '.join(sorted(_CLIP_DATASETS))}. "
                         f"Received: dataset={name!r}")
    return _CLIP_DATASETS[name]


def load_clips(name, split="train", batch_size=16, value_range="unit", with_labels=False, shuffle=None, seed=0,
               data_dir=None, drop_remainder=False, repeat=False):
    """A batched `tf.data.Dataset` of float32 clips `(batch, T, H, W, C)` (and int32 labels with `with_labels`).

    Args: as `keras_gen.data.load`: a registered clip dataset `name`, its `split`, `batch_size`, `value_range`
    ("unit" [0, 1] or "signed" [-1, 1]), `shuffle` (default: train only), `seed`, tfds `data_dir`,
    `drop_remainder` and `repeat`.
    """
    entry = _clip_entry(name)
    if value_range not in VALUE_RANGES:
        raise ValueError(f"`value_range` must be one of {VALUE_RANGES}. Received: value_range={value_range!r}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}")
    if split not in entry.info.splits:
        raise ValueError(f"Clip dataset {name!r} has splits {entry.info.splits}. Received: split={split!r}")
    shuffle = (split == "train") if shuffle is None else shuffle
    ds = entry.source(split, data_dir)
    ds = ds.map(lambda clip, label: (from_uint8(clip, value_range), tf.cast(label, tf.int32)),
                num_parallel_calls=tf.data.AUTOTUNE)
    if entry.offline:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(2_000, seed=seed, reshuffle_each_iteration=True)
    if not with_labels:
        ds = ds.map(lambda clip, label: clip, num_parallel_calls=tf.data.AUTOTUNE)
    if repeat:
        ds = ds.repeat()
    return ds.batch(batch_size, drop_remainder=drop_remainder).prefetch(tf.data.AUTOTUNE)


def clips_as_numpy(name, split="test", value_range="unit", data_dir=None, limit=None):
    """`(clips float32 (N, T, H, W, C), labels int32)` of a split, in dataset order (at most `limit`)."""
    ds = load_clips(name, split, batch_size=256, value_range=value_range, with_labels=True, shuffle=False,
                    data_dir=data_dir)
    if limit is not None:
        ds = ds.unbatch().take(limit).batch(256)
    clips, labels = [], []
    for x, y in ds:
        clips.append(x.numpy())
        labels.append(y.numpy())
    return np.concatenate(clips), np.concatenate(labels)


# ---------------------------------------------------------------------------------------------------------------
# the bouncing protocol


def bounce(position, velocity, limit):
    """One step of a point moving in [0, limit] with reflection at both ends -> `(position, velocity)`.

    The unreflected step `position + velocity` is mirrored at the border it crossed (`-p` below 0,
    `2 * limit - p` above `limit`) and that velocity component is negated. Works elementwise on arrays (x and y
    separately). A speed below `limit` never crosses both borders in one step.
    """
    position = np.asarray(position, np.float64) + velocity
    velocity = np.array(velocity, np.float64)
    low, high = position < 0, position > limit
    position = np.where(low, -position, np.where(high, 2.0 * limit - position, position))
    velocity = np.where(low | high, -velocity, velocity)
    return position, velocity


def bouncing_trajectory(rng, num_frames, limit, speed_range):
    """`(positions (T, 2), velocities (T, 2))` of one object: a random start in [0, limit]^2, a random direction
    and a speed drawn from `speed_range` (pixels per frame); `velocities[t]` is the velocity after frame t."""
    position = rng.uniform(0.0, limit, 2)
    angle = rng.uniform(0.0, 2.0 * np.pi)
    velocity = rng.uniform(*speed_range) * np.array([np.sin(angle), np.cos(angle)])  # (dy, dx)
    positions, velocities = [], []
    for _ in range(num_frames):
        positions.append(position)
        velocities.append(velocity)
        position, velocity = bounce(position, velocity, limit)
    return np.stack(positions), np.stack(velocities)


def _resized_digits(images, size):
    """uint8 (N, 28, 28) digits -> uint8 (N, size, size) (PIL bilinear)."""
    if size == images.shape[1]:
        return images
    from PIL import Image

    return np.stack([np.asarray(Image.fromarray(d).resize((size, size), Image.BILINEAR)) for d in images])


def render_clip(digits, trajectories, canvas):
    """uint8 (T, canvas, canvas, 1): each digit (size x size) pasted at its rounded top-left position per frame,
    overlaps combined with a pixelwise maximum."""
    num_frames = len(trajectories[0])
    clip = np.zeros((num_frames, canvas, canvas), np.uint8)
    size = digits[0].shape[0]
    for digit, positions in zip(digits, trajectories):
        for t, (top, left) in enumerate(np.rint(positions).astype(int)):
            window = clip[t, top:top + size, left:left + size]
            np.maximum(window, digit, out=window)
    return clip[..., None]


@functools.lru_cache(maxsize=8)
def moving_digits_arrays(split, canvas=64, num_frames=20, num_digits=2, num_clips=None, seed=0):
    """`(clips uint8 (N, T, canvas, canvas, 1), labels int64 (N,), digit classes int64 (N, num_digits),
    trajectories float64 (N, num_digits, T, 2))` of the Moving MNIST protocol on the mnist_5k `split` digits.

    Digits are 28x28 on a 64x64 canvas (as the original) and scaled with the canvas otherwise. Speeds are drawn
    in [0.03, 0.08] x canvas pixels per frame. `seed` and `split` fix every draw.
    """
    images, classes = mnist_5k_arrays()[split]
    if num_clips is None:  # 64x64x20 clips are 80 kB each: fewer of them
        num_clips = (5_000 if canvas * canvas * num_frames <= 32 * 32 * 10 else 2_000) if split == "train" else 1_000
    size = int(round(28 * canvas / 64))
    digits = _resized_digits(images[..., 0], size)
    rng = np.random.default_rng([seed, 0 if split == "train" else 1, canvas, num_frames, num_digits])
    limit = canvas - size
    clips = np.zeros((num_clips, num_frames, canvas, canvas, 1), np.uint8)
    picks = rng.integers(0, len(digits), (num_clips, num_digits))
    trajectories = np.zeros((num_clips, num_digits, num_frames, 2))
    for n in range(num_clips):
        paths = [bouncing_trajectory(rng, num_frames, limit, (0.03 * canvas, 0.08 * canvas))[0]
                 for _ in range(num_digits)]
        trajectories[n] = np.stack(paths)
        clips[n] = render_clip(digits[picks[n]], paths, canvas)
    digit_classes = classes[picks]
    return clips, digit_classes[:, 0], digit_classes, trajectories


MOVING_DIGITS = {"moving_digits": (64, 20, 2), "moving_digits_32": (32, 10, 2)}  # name: (canvas, frames, digits)


def moving_digits_dataset_arrays(name, split):
    """`(clips uint8 (N, T, H, W, 1), digit classes (N, num_digits))` of a registered moving digit set."""
    if name not in MOVING_DIGITS:
        raise ValueError(f"`name` must be one of {sorted(MOVING_DIGITS)}. Received: name={name!r}")
    clips, _, digit_classes, _ = moving_digits_arrays(split, *MOVING_DIGITS[name])
    return clips, digit_classes


def _moving_digits_source(canvas, num_frames, num_digits):
    def source(split, data_dir):
        del data_dir  # generated from the bundled digits
        clips, labels, _, _ = moving_digits_arrays(split, canvas, num_frames, num_digits)
        return tf.data.Dataset.from_tensor_slices((clips, labels))

    return source


def _synthetic_clips(split, data_dir, size=16, num_frames=4, num=64):
    """Blobs bouncing in a 16x16 frame; the label is the blob's starting quadrant. For tests only."""
    del data_dir
    rng = np.random.default_rng(0 if split == "train" else 1)
    yy, xx = np.mgrid[0:size, 0:size]
    clips, labels = np.zeros((num, num_frames, size, size, 1), np.uint8), np.zeros(num, np.int64)
    for n in range(num):
        positions, _ = bouncing_trajectory(rng, num_frames, size - 1.0, (1.0, 3.0))
        labels[n] = 2 * int(positions[0, 0] >= size / 2) + int(positions[0, 1] >= size / 2)
        for t, (y, x) in enumerate(positions):
            clips[n, t, :, :, 0] = (255 * np.exp(-((yy - y) ** 2 + (xx - x) ** 2) / 6.0)).astype(np.uint8)
    return tf.data.Dataset.from_tensor_slices((clips, labels))


def _moving_mnist_tfds(probe=None):
    """tfds `moving_mnist` (test split only, `image_sequence` (20, 64, 64, 1) uint8, no labels)."""
    read = tfds_source("moving_mnist", image_key="image_sequence", label_key="image_sequence", probe=probe)

    def source(split, data_dir):
        return read(split, data_dir).map(lambda clip, _: (clip, tf.constant(0, tf.int64)))

    return source


# ---------------------------------------------------------------------------------------------------------------
# the user's own clips


def read_video_file(path):
    """uint8 frames (T, H, W, C) of a video file. Animated GIFs are read with PIL; other containers (MP4, AVI,
    ...) need a decoder this environment does not ship (no ffmpeg/imageio/OpenCV), so they fail with a message
    saying so: convert them to frame folders (`ffmpeg -i clip.mp4 clip/%04d.png`) or GIFs elsewhere."""
    from PIL import Image, ImageSequence

    if not path.lower().endswith(".gif"):
        raise ValueError(f"No video decoder for {os.path.splitext(path)[1]!r} files is available offline: convert the "
                         f"clip to a folder of frames or an animated GIF. Received: path={path!r}")
    with Image.open(path) as video:
        return np.stack([np.asarray(frame.convert("RGB")) for frame in ImageSequence.Iterator(video)])


def _read_frame(path):
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


def _fit_clip(frames, clip_shape):
    """uint8 (T', H', W', 3) -> uint8 `clip_shape`: the first T frames (an error if fewer), resized, grey for C=1."""
    from PIL import Image

    num_frames, height, width, channels = clip_shape
    if len(frames) < num_frames:
        return None
    mode = "L" if channels == 1 else "RGB"
    out = [np.asarray(Image.fromarray(frame).convert(mode).resize((width, height), Image.BILINEAR))
           for frame in frames[:num_frames]]
    clip = np.stack(out)
    return clip[..., None] if channels == 1 else clip


def frame_folder_clips(path, clip_shape):
    """uint8 clips `(N, *clip_shape)` from `path`: each sub-folder holds one clip's frames (PNG/JPEG, in name
    order); each GIF file in `path` is one clip too. Frames are resized to the clip's height and width and the
    first T frames kept; a clip with fewer frames is an error naming it."""
    if not os.path.isdir(path):
        raise ValueError(f"`path` must be a folder of frame folders or GIF files. Received: path={path!r}")
    clips = []
    for name in sorted(os.listdir(path)):
        item = os.path.join(path, name)
        if os.path.isdir(item):
            files = sorted(f for f in os.listdir(item) if f.lower().endswith(FRAME_EXTENSIONS))
            frames = np.stack([_read_frame(os.path.join(item, f)) for f in files]) if files else np.zeros((0, 1, 1, 3))
        elif name.lower().endswith(VIDEO_EXTENSIONS):
            frames = read_video_file(item)
        else:
            continue
        clip = _fit_clip(frames.astype(np.uint8), clip_shape)
        if clip is None:
            raise ValueError(f"Clip {item!r} has {len(frames)} frames; {clip_shape[0]} are needed. "
                             f"Received: frames={len(frames)}")
        clips.append(clip)
    if not clips:
        raise ValueError(f"No clips (frame folders or GIF files) in path={path!r}.")
    return np.stack(clips)


def register_clip_folder(name, path, clip_shape, test_fraction=0.1):
    """Registers the clips of `path` (`frame_folder_clips`) as clip dataset `name` (labels 0), split by order into
    train and the last `test_fraction` as test, so `--dataset=name` trains on them."""
    clips = frame_folder_clips(path, tuple(clip_shape))
    num_test = max(1, int(round(len(clips) * test_fraction))) if len(clips) > 1 else 0
    splits = {"train": clips[:len(clips) - num_test] if num_test else clips, "test": clips[len(clips) - num_test:] if num_test else clips}

    def source(split, data_dir):
        del data_dir
        return tf.data.Dataset.from_tensor_slices((splits[split], np.zeros(len(splits[split]), np.int64)))

    register_clip_dataset(ClipDatasetInfo(name, tuple(clip_shape), 0, description=f"clips from {path}"), source, offline=True)
    return get_clip_info(name)


register_clip_dataset(
    ClipDatasetInfo("moving_digits", (20, 64, 64, 1), 10,
                    description="Moving MNIST protocol on mnist_5k digits: 64x64, 2 digits, 20 frames (label: first digit)"),
    _moving_digits_source(*MOVING_DIGITS["moving_digits"]), offline=True)
register_clip_dataset(
    ClipDatasetInfo("moving_digits_32", (10, 32, 32, 1), 10,
                    description="moving_digits at 32x32, 10 frames, 14x14 digits (the CPU setting)"),
    _moving_digits_source(*MOVING_DIGITS["moving_digits_32"]), offline=True)
register_clip_dataset(
    ClipDatasetInfo("synthetic_clips", (4, 16, 16, 1), 4, description="64 bouncing 16x16 blobs, 4 frames, for tests"),
    _synthetic_clips, offline=True)
register_clip_dataset(
    ClipDatasetInfo("moving_mnist", (20, 64, 64, 1), 0, splits=("test",),
                    description="tensorflow-datasets `moving_mnist` (test split, 10,000 clips, no labels)"),
    _moving_mnist_tfds())
