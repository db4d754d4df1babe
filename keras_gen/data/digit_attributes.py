"""Attributes of a digit image measured from its pixels: stroke thickness, size, slant, position.

The same functions write the `captioned_digits` captions and judge generated images (`keras_gen.metrics.
text_to_image`), so a caption is true of its image by construction and a generated image is scored by the rule
that wrote its caption. Every measure works on one image or a batch, `(..., H, W)` or `(..., H, W, 1)`, floats in
[0, 1] or uint8; ink is every pixel at or above `INK_THRESHOLD` (half intensity).

Each continuous measure maps to a word only when it is clearly on one side (a gap between the word bands): a
digit of middling thickness is called neither thin nor thick, and its captions do not mention thickness.
The thresholds were read off the measures of the `captioned_digits` training images (rounded): each band holds
roughly a third of them.
"""

import numpy as np
from scipy import ndimage

INK_THRESHOLD = 0.5
# Mean distance-to-background of the ink pixels (pixels): thin < 1.12, thick > 1.3.
THICKNESS_BANDS = (1.12, 1.3)
# Height of the ink's bounding box (pixels, of 28; mnist draws digits 20 high): small < 15, large > 17.
SIZE_BANDS = (15, 17)
# Shear x/y of the ink (pixels right per pixel up): upright |s| < 0.1, slanted s > 0.3 (leaning right).
SLANT_BANDS = (0.1, 0.3)
# Centre of mass from the image centre (pixels): centred within 1.5; a corner when both |dx|, |dy| >= 3.
POSITION_BANDS = (1.5, 3.0)

DIGIT_WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
POSITIONS = ("top left", "top right", "bottom left", "bottom right")


def _ink(images):
    images = np.asarray(images)
    if images.ndim >= 3 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim not in (2, 3):
        raise ValueError(f"`images` must be (H, W), (N, H, W) or (N, H, W, 1). Received: images.shape={images.shape}")
    scale = 255.0 if images.dtype == np.uint8 else 1.0
    ink = images.astype(np.float32) / scale >= INK_THRESHOLD
    return ink[None] if ink.ndim == 2 else ink, ink.ndim == 2


def _per_image(values, single):
    values = np.asarray(values, np.float32)
    return values[0] if single else values


def stroke_thickness(images):
    """Mean Euclidean distance from each ink pixel to the nearest background pixel: ~w/4 + 1/2 for a stroke
    w pixels wide (0 for an empty image)."""
    ink, single = _ink(images)
    values = [ndimage.distance_transform_edt(mask)[mask].mean() if mask.any() else 0.0 for mask in ink]
    return _per_image(values, single)


def digit_size(images):
    """Height in pixels of the ink's bounding box (0 for an empty image)."""
    ink, single = _ink(images)
    rows = ink.any(axis=2)  # (N, H)
    height = rows.shape[1]
    first = np.argmax(rows, axis=1)
    last = height - 1 - np.argmax(rows[:, ::-1], axis=1)
    return _per_image(np.where(rows.any(axis=1), last - first + 1, 0), single)


def _moments(ink):
    """Ink centre of mass (y, x) and second moments (var y, cov xy) per image; NaN for an empty image."""
    height, width = ink.shape[1:]
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
    mass = ink.sum(axis=(1, 2)).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        cy = (ink * yy).sum(axis=(1, 2)) / mass
        cx = (ink * xx).sum(axis=(1, 2)) / mass
        dy, dx = yy[None] - cy[:, None, None], xx[None] - cx[:, None, None]
        var_y = (ink * dy * dy).sum(axis=(1, 2)) / mass
        cov_xy = (ink * dx * dy).sum(axis=(1, 2)) / mass
    return cy, cx, var_y, cov_xy


def slant(images):
    """Horizontal shear of the ink: pixels it leans right per pixel of height (> 0 leans right; image y points
    down, so a right lean is a negative x-y covariance). 0 for an empty image."""
    ink, single = _ink(images)
    _, _, var_y, cov_xy = _moments(ink)
    with np.errstate(invalid="ignore", divide="ignore"):
        shear = np.where(var_y > 0, -cov_xy / var_y, 0.0)
    return _per_image(np.nan_to_num(shear), single)


def offset(images):
    """`(dy, dx)` of the ink's centre of mass from the image centre, in pixels (down and right positive);
    (0, 0) for an empty image. Shape (2,) or (N, 2)."""
    ink, single = _ink(images)
    height, width = ink.shape[1:]
    cy, cx, _, _ = _moments(ink)
    values = np.nan_to_num(np.stack([cy - (height - 1) / 2, cx - (width - 1) / 2], axis=-1))
    return values[0] if single else values


def _band(value, bands, low_word, high_word):
    if value < bands[0]:
        return low_word
    if value > bands[1]:
        return high_word
    return None


def thickness_word(value):
    """"thin", "thick" or None (in between)."""
    return _band(value, THICKNESS_BANDS, "thin", "thick")


def size_word(value):
    """"small", "large" or None."""
    return _band(value, SIZE_BANDS, "small", "large")


def slant_word(value):
    """"upright" (|slant| < 0.1), "slanted" (leaning right by > 0.3) or None."""
    if abs(value) < SLANT_BANDS[0]:
        return "upright"
    if value > SLANT_BANDS[1]:
        return "slanted"
    return None


def position_word(dy, dx):
    """"center", one of `POSITIONS` (both offsets >= 3 pixels) or None."""
    if abs(dy) < POSITION_BANDS[0] and abs(dx) < POSITION_BANDS[0]:
        return "center"
    if abs(dy) >= POSITION_BANDS[1] and abs(dx) >= POSITION_BANDS[1]:
        return f"{'top' if dy < 0 else 'bottom'} {'left' if dx < 0 else 'right'}"
    return None


ATTRIBUTES = ("thickness", "size", "slant", "position")


def measure(images):
    """`[{"thickness": word or None, "size": ..., "slant": ..., "position": ...}]`, one dict per image."""
    thickness, size, shear, offsets = (np.atleast_1d(stroke_thickness(images)), np.atleast_1d(digit_size(images)),
                                       np.atleast_1d(slant(images)), np.reshape(offset(images), (-1, 2)))
    return [{"thickness": thickness_word(t), "size": size_word(s), "slant": slant_word(a), "position": position_word(*o)}
            for t, s, a, o in zip(thickness, size, shear, offsets)]
