"""Your own images: `--dataset=folder:PATH[,key=value,...]` for every model family.

The dataset name carries everything about the data, so `config.json`, `keras-gen evaluate`, the FD callback and
the apps, which all pass the name along, read the same images at the same size:

    folder:~/photos                               every JPEG/PNG under ~/photos, 64x64 RGB
    folder:~/photos,resolution=128,color=grayscale
    folder:~/horse2zebra,resolution=256           CycleGAN layout (trainA/ trainB/ testA/ testB/)
    folder:~/facades,resolution=256,direction=b2a pix2pix layout (train/ val/ test/ of side-by-side A|B images)

Keys: `resolution` (square side in pixels, default 64), `color` (`rgb` or `grayscale`), `on_error` (`raise`:
a file that cannot be decoded stops the run before training with its path named; `skip`: such files are left
out, counted and named in a logged warning every time the set is loaded), `test_fraction` (held-out share when
the folder has no `train/`+`test/` (or `val/`) subfolders, default 0.1), `direction` (side-by-side pairs: `a2b`
maps the left half to the right half, `b2a` the reverse).

Why the name and not `--options resolution=`: options are per model family, while the resolution is a property
of the data that the model, its evaluation and its app must agree on; a `folder:` name is the one string all of
them already share. Models read their image size from the dataset's `DatasetInfo`.

Every image is read once, up front (in threads, with PIL), center-cropped to a square, resized to `resolution`
(area averaging when shrinking, bicubic when enlarging) and kept as uint8 in memory; the arrays are also cached
on disk (`$KERAS_GEN_CACHE_DIR`, default `~/.cache/keras_gen/folders`) under a key made of every file's path,
size and modification time, so a second run (or `evaluate`, or the app) does not decode again and an edited
file is decoded afresh. Because nothing is decoded during training, a corrupt file can never stop a long run
half-way: it is either named before the first step (`on_error=raise`) or left out with a warning (`skip`).
"""

import concurrent.futures
import dataclasses
import hashlib
import json
import os

import numpy as np
import tensorflow as tf
from absl import logging

from keras_gen.data.registry import DatasetInfo, register_scheme

SCHEME = "folder"
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png")
COLORS = {"rgb": 3, "grayscale": 1}
ON_ERROR = ("raise", "skip")
DIRECTIONS = ("a2b", "b2a")
CACHE_DIR_ENV = "KERAS_GEN_CACHE_DIR"
CACHE_VERSION = 1  # bump when the decoding changes, so old cache files are not reused
CYCLEGAN_FOLDERS = {"train": ("trainA", "trainB"), "test": ("testA", "testB")}
SPLIT_FOLDERS = {"train": ("train",), "test": ("test", "val")}  # the first that exists; `val` as pix2pix ships it
MAX_NAMED_FILES = 10  # files listed in an error or warning; the rest are counted


class ImageFolderError(ValueError):
    """A `folder:` dataset that cannot be used: missing, empty, unreadable, or holding files that do not decode."""


@dataclasses.dataclass(frozen=True)
class FolderSpec:
    """A parsed `folder:PATH[,key=value,...]` dataset name (see the module doc)."""

    name: str
    path: str
    resolution: int = 64
    color: str = "rgb"
    on_error: str = "raise"
    test_fraction: float = 0.1
    direction: str = "a2b"

    @property
    def channels(self):
        return COLORS[self.color]

    @property
    def image_shape(self):
        return (self.resolution, self.resolution, self.channels)

    @property
    def layout(self):
        """`"cyclegan"` when the folder has `trainA/` and `trainB/`, else `"images"`."""
        return "cyclegan" if all(os.path.isdir(os.path.join(self.path, d)) for d in CYCLEGAN_FOLDERS["train"]) else "images"


def is_folder_name(name):
    return isinstance(name, str) and name.startswith(SCHEME + ":")


def parse_folder_name(name):
    """`folder:PATH[,key=value,...]` -> `FolderSpec`; checks that PATH is a readable folder."""
    if not is_folder_name(name):
        raise ImageFolderError(f"A folder dataset name starts with 'folder:'. Received: dataset={name!r}")
    path, *items = name[len(SCHEME) + 1:].split(",")
    fields = {f.name: f for f in dataclasses.fields(FolderSpec) if f.name not in ("name", "path")}
    values = {}
    for item in items:
        key, equals, value = item.partition("=")
        key, value = key.strip(), value.strip()
        if not equals or key not in fields:
            raise ImageFolderError(f"Folder dataset settings are key=value with keys {', '.join(fields)} (a path may "
                                   f"not contain ','). Received: {item.strip()} in dataset={name!r}")
        try:
            values[key] = fields[key].type(value) if fields[key].type in (int, float) else value
        except ValueError:
            raise ImageFolderError(f"`{key}` must be {fields[key].type.__name__}. Received: {key}={value!r} in "
                                   f"dataset={name!r}") from None
    spec = FolderSpec(name=name, path=os.path.abspath(os.path.expanduser(path.strip())), **values)
    if spec.resolution < 1:
        raise ImageFolderError(f"`resolution` must be a positive integer. Received: resolution={spec.resolution}")
    for key, valid in (("color", tuple(COLORS)), ("on_error", ON_ERROR), ("direction", DIRECTIONS)):
        if getattr(spec, key) not in valid:
            raise ImageFolderError(f"`{key}` must be one of {', '.join(valid)}. Received: {key}={getattr(spec, key)!r}")
    if not 0.0 < spec.test_fraction < 1.0:
        raise ImageFolderError(f"`test_fraction` must be in (0, 1). Received: test_fraction={spec.test_fraction}")
    if not path.strip() or not os.path.isdir(spec.path):
        raise ImageFolderError(f"No folder at {spec.path!r}. Received: dataset={name!r}")
    if not os.access(spec.path, os.R_OK | os.X_OK):
        raise ImageFolderError(f"The folder {spec.path!r} cannot be read (permissions). Received: dataset={name!r}")
    return spec


def list_images(folder):
    """Every `.jpg`/`.jpeg`/`.png` file under `folder` (recursive, any letter case), sorted.

    Raises `ImageFolderError` for a folder (or subfolder) that cannot be read and for a folder with no image.
    """
    unreadable = []
    paths = []
    for root, dirs, files in os.walk(folder, onerror=unreadable.append, followlinks=True):
        dirs.sort()
        paths += [os.path.join(root, f) for f in sorted(files) if f.lower().endswith(IMAGE_EXTENSIONS)]
    if unreadable:
        raise ImageFolderError(f"Cannot read folder {unreadable[0].filename!r}: {unreadable[0].strerror}.")
    if not paths:
        raise ImageFolderError(f"No image files ({', '.join(IMAGE_EXTENSIONS)}) under {folder!r}.")
    return paths


def center_crop_resize(image, resolution):
    """A PIL image -> its largest centred square, resized to `resolution` x `resolution` (area averaging when
    shrinking, bicubic when enlarging)."""
    from PIL import Image

    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    image = image.crop((left, top, left + side, top + side))
    if side == resolution:
        return image
    method = Image.Resampling.BOX if side > resolution else Image.Resampling.BICUBIC
    return image.resize((resolution, resolution), method)


def read_image(path, resolution, channels, halves=False):
    """uint8 `(resolution, resolution, channels)` of one file; with `halves`, `[left half, right half]` of a
    side-by-side pair, each cropped and resized the same way. Raises what PIL raises on a corrupt file."""
    from PIL import Image, ImageOps

    with Image.open(path) as image:
        image = ImageOps.exif_transpose(image)  # phone photos are stored rotated, with an EXIF orientation tag
        image = image.convert("RGB" if channels == 3 else "L")
    if halves:
        width, height = image.size
        if width < 2 * height * 0.75:
            raise ValueError(f"a side-by-side A|B pair is about twice as wide as high; this one is {width}x{height}")
        parts = [image.crop((0, 0, width // 2, height)), image.crop((width - width // 2, 0, width, height))]
    else:
        parts = [image]
    arrays = [np.asarray(center_crop_resize(part, resolution), np.uint8).reshape(resolution, resolution, channels)
              for part in parts]
    return arrays if halves else arrays[0]


def _describe(paths):
    named = "\n  ".join(paths[:MAX_NAMED_FILES])
    more = f"\n  ... and {len(paths) - MAX_NAMED_FILES} more" if len(paths) > MAX_NAMED_FILES else ""
    return f"\n  {named}{more}"


def decode_images(paths, spec, halves=False):
    """uint8 `(N, r, r, C)` (or `(N, 2, r, r, C)` with `halves`) of `paths`, decoded in threads.

    Files that do not decode raise one `ImageFolderError` naming each of them with its reason (`on_error=raise`),
    or are left out and named in a logged warning (`on_error=skip`).
    """

    def read(path):
        try:
            return read_image(path, spec.resolution, spec.channels, halves), None
        except Exception as error:  # PIL raises OSError, SyntaxError, ValueError, DecompressionBombError ...
            return None, f"{path}: {type(error).__name__}: {error}"

    with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, os.cpu_count() or 1)) as pool:
        results = list(pool.map(read, paths))
    failed = [reason for _, reason in results if reason]
    if failed and spec.on_error == "raise":
        raise ImageFolderError(f"{len(failed)} of {len(paths)} image files cannot be decoded:{_describe(failed)}\n"
                               f"Fix or remove them, or add ',on_error=skip' to leave them out. "
                               f"Received: dataset={spec.name!r}")
    if failed:
        logging.warning("Skipped %d of %d image files that cannot be decoded (on_error=skip):%s", len(failed),
                        len(paths), _describe(failed))
    images = [image for image, reason in results if not reason]
    if not images:
        raise ImageFolderError(f"None of the {len(paths)} image files decodes. Received: dataset={spec.name!r}")
    return np.stack(images)


def _hashed_split(paths, root, split, test_fraction):
    """A split of a flat folder that depends only on the file names: files ordered by a hash of their relative
    path, the first `ceil(test_fraction * N)` (at least 1) held out for "test"."""
    if len(paths) < 2:
        raise ImageFolderError(f"A folder needs at least 2 images to hold one out for testing; {root!r} has "
                               f"{len(paths)}: {paths[0]!r}")
    digest = lambda p: hashlib.sha1(os.path.relpath(p, root).encode()).hexdigest()  # noqa: E731
    ordered = sorted(paths, key=digest)
    num_test = max(1, int(np.ceil(test_fraction * len(paths))))
    return sorted(ordered[:num_test] if split == "test" else ordered[num_test:])


def split_paths(spec, split):
    """The files of `split` ("train"/"test") of a plain (non-CycleGAN) folder: its `train/` and `test/` (or
    `val/`) subfolders when it has both, else a hashed split of every image under it."""
    found = {s: next((os.path.join(spec.path, d) for d in folders if os.path.isdir(os.path.join(spec.path, d))), None)
             for s, folders in SPLIT_FOLDERS.items()}
    if all(found.values()):
        return list_images(found[split])
    return _hashed_split(list_images(spec.path), spec.path, split, spec.test_fraction)


def cyclegan_paths(spec, split):
    """`(domain A files, domain B files)` of `split` in a CycleGAN layout (`trainA/`, `trainB/`, `testA/`, `testB/`)."""
    folders = [os.path.join(spec.path, d) for d in CYCLEGAN_FOLDERS[split]]
    for folder in folders:
        if not os.path.isdir(folder):
            raise ImageFolderError(f"A CycleGAN-layout folder needs {folder!r} for split {split!r}. "
                                   f"Received: dataset={spec.name!r}")
    return tuple(list_images(folder) for folder in folders)


def _cache_path(key):
    folder = os.environ.get(CACHE_DIR_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "keras_gen", "folders")
    return os.path.join(folder, hashlib.sha256(key.encode()).hexdigest()[:32] + ".npy")


_MEMORY = {}


def _cached_decode(paths, spec, halves=False):
    """`decode_images` behind an in-process and an on-disk cache keyed by every file's path, size and mtime and by
    the decoding settings. Skipped files are re-detected (and warned about again) on every load."""
    stats = [(p, *(lambda s: (s.st_size, s.st_mtime_ns))(os.stat(p))) for p in paths]
    key = json.dumps([CACHE_VERSION, spec.resolution, spec.color, spec.on_error, halves, stats])
    decoded = False
    if key in _MEMORY:
        images = _MEMORY[key]
    else:
        path = _cache_path(key)
        try:
            images = np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            images = None
        if images is None:
            images, decoded = decode_images(paths, spec, halves), True
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                tmp = f"{path}.{os.getpid()}.tmp.npy"
                np.save(tmp, images)
                os.replace(tmp, path)
            except OSError as error:  # a read-only home: train anyway, just without the disk cache
                logging.warning("Could not write the image cache %s: %s", path, error)
        images.setflags(write=False)
        _MEMORY[key] = images
    if len(images) != len(paths) and not decoded:  # from a cache, with on_error=skip: say again what was left out
        logging.warning("%d of %d image files of dataset %r were skipped as undecodable (on_error=skip).",
                        len(paths) - len(images), len(paths), spec.name)
    return images


def folder_images(spec, split):
    """uint8 `(N, r, r, C)` of a plain folder's split; of a CycleGAN-layout folder, its domain B (the targets)."""
    if spec.layout == "cyclegan":
        return _cached_decode(cyclegan_paths(spec, split)[1], spec)
    return _cached_decode(split_paths(spec, split), spec)


def cyclegan_domains(spec, split):
    """`(domain A, domain B)` uint8 arrays of a CycleGAN-layout folder's split."""
    return tuple(_cached_decode(paths, spec) for paths in cyclegan_paths(spec, split))


def side_by_side_pairs(spec, split):
    """`(sources, targets)` uint8 arrays of a folder of side-by-side A|B images (`direction` picks which half is
    the source)."""
    pairs = _cached_decode(split_paths(spec, split), spec, halves=True)  # (N, 2, r, r, C)
    left, right = pairs[:, 0], pairs[:, 1]
    return (left, right) if spec.direction == "a2b" else (right, left)


def describe(spec):
    return f"images under {spec.path} ({spec.layout} layout), center-cropped to {spec.resolution}x{spec.resolution} {spec.color}"


def _resolve(name):
    """The registry's resolver for `folder:` names: `(DatasetInfo, source)`."""
    spec = parse_folder_name(name)

    def source(split, data_dir):
        del data_dir
        images = folder_images(spec, split)
        return tf.data.Dataset.from_tensor_slices((images, np.zeros(len(images), np.int64)))

    return DatasetInfo(name, spec.image_shape, 0, description=describe(spec)), source


register_scheme(SCHEME, _resolve, "folder:PATH[,resolution=64][,color=rgb|grayscale][,on_error=raise|skip]"
                                  "[,test_fraction=0.1][,direction=a2b|b2a]: your own JPEG/PNG images")
