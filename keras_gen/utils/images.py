"""Image grids as PNG files."""

import os

import numpy as np

from keras_gen.utils.value_range import VALUE_RANGES, to_unit


def to_uint8(images, value_range="unit"):
    """Float images in [0, 1] ("unit") or [-1, 1] ("signed") -> uint8, clipped."""
    if value_range not in VALUE_RANGES:
        raise ValueError(f"`value_range` must be one of {VALUE_RANGES}. Received: value_range={value_range!r}")
    images = to_unit(images, clip=False) if value_range == "signed" else np.asarray(images, dtype=np.float32)
    return np.clip(np.rint(images * 255.0), 0, 255).astype(np.uint8)


def make_grid(images, ncols=None, padding=2, value_range="unit"):
    """(N, H, W, C) images -> one (rows*H', cols*W', C) uint8 grid with `padding` white pixels between tiles."""
    images = to_uint8(images, value_range)
    if images.ndim != 4:
        raise ValueError(f"`images` must have shape (N, H, W, C). Received: shape={images.shape}")
    num, height, width, channels = images.shape
    ncols = ncols or int(np.ceil(np.sqrt(num)))
    nrows = int(np.ceil(num / ncols))
    grid = np.full(
        (nrows * (height + padding) + padding, ncols * (width + padding) + padding, channels), 255, np.uint8
    )
    for index, image in enumerate(images):
        row, col = divmod(index, ncols)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[top : top + height, left : left + width] = image
    return grid


def save_grid(images, path, ncols=None, value_range="unit", scale=1):
    """Writes `images` as a PNG grid and returns `path`. `scale` enlarges it (nearest neighbour) for viewing."""
    from PIL import Image

    grid = make_grid(images, ncols=ncols, value_range=value_range)
    if scale > 1:
        grid = grid.repeat(scale, axis=0).repeat(scale, axis=1)
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(grid[..., 0] if grid.shape[-1] == 1 else grid).save(path)
    return path


def load_image(path, size, channels):
    """Reads an image file as float32 (H, W, C) in [0, 1], resized to `size` (height, width)."""
    from PIL import Image

    image = Image.open(path).convert("L" if channels == 1 else "RGB").resize((size[1], size[0]), Image.BILINEAR)
    array = np.asarray(image, dtype=np.float32) / 255.0
    return array[..., None] if channels == 1 else array


def prepare_image(array, image_shape, invert_light_background=True):
    """An uploaded or drawn picture (H, W[, 3 or 4]) uint8 or float -> float32 `image_shape` in [0, 1].

    Digits datasets are light strokes on a dark background; a drawing on a white canvas is the opposite, so
    with `invert_light_background` a picture whose mean is above one half is inverted.
    """
    from PIL import Image

    array = np.asarray(array)
    if array.ndim not in (2, 3):
        raise ValueError(f"An image must be (H, W) or (H, W, C). Received: shape={array.shape}")
    if array.dtype != np.uint8:
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[-1] == 4:  # RGBA: composite on white, as a viewer shows it
        alpha = array[..., 3:4].astype(np.float32) / 255.0
        array = (array[..., :3] * alpha + 255.0 * (1.0 - alpha)).astype(np.uint8)
    mode = "L" if image_shape[-1] == 1 else "RGB"
    image = Image.fromarray(array.squeeze(-1) if array.ndim == 3 and array.shape[-1] == 1 else array).convert(mode)
    image = image.resize((image_shape[1], image_shape[0]), Image.BILINEAR)
    result = np.asarray(image, np.float32) / 255.0
    result = result[..., None] if image_shape[-1] == 1 else result
    if invert_light_background and result.mean() > 0.5:
        result = 1.0 - result
    return result
