"""Latent-space exploration shared by every model with a decoder: prior samples, traversals, editing, paths.

Each tool takes plain callables (`decode(z) -> images`, `encode(images) -> z`) so it serves a Keras model, a
reloaded SavedModel, or a GAN generator alike. Images are float arrays in [0, 1], (batch, H, W, C).
"""

import numpy as np

from keras_gen.latent.interpolation import interpolate


def _as_codes(z, latent_dim=None):
    z = np.asarray(z, np.float32)
    if z.ndim != 1 or (latent_dim is not None and z.shape[0] != latent_dim):
        raise ValueError(f"A latent code must be a vector of length {latent_dim or 'latent_dim'}. Received: shape={z.shape}")
    return z


def traversal_codes(base, dimensions, values):
    """Codes varying one dimension at a time over `values`, the others fixed at `base`.

    Returns (len(dimensions) * len(values), latent_dim): row r of the grid varies `dimensions[r]`.
    """
    base = _as_codes(base)
    dimensions = list(dimensions)
    for dimension in dimensions:
        if not 0 <= dimension < base.shape[0]:
            raise ValueError(f"Traversal dimension out of range [0, {base.shape[0]}). Received: dimension={dimension}")
    codes = np.repeat(base[None], len(dimensions) * len(values), axis=0)
    for row, dimension in enumerate(dimensions):
        codes[row * len(values) : (row + 1) * len(values), dimension] = np.asarray(values, np.float32)
    return codes


def traverse(decode, base, dimensions, values):
    """Decoded traversal grid: (len(dimensions) * len(values), H, W, C)."""
    return np.asarray(decode(traversal_codes(base, dimensions, values)))


def edit_codes(z, changes, mode="set"):
    """A copy of code `z` with `changes` {dimension: value} set (mode "set") or added (mode "add")."""
    if mode not in ("set", "add"):
        raise ValueError(f"`mode` must be 'set' or 'add'. Received: mode={mode!r}")
    z = _as_codes(z).copy()
    for dimension, value in changes.items():
        if not 0 <= int(dimension) < z.shape[0]:
            raise ValueError(f"Edited dimension out of range [0, {z.shape[0]}). Received: dimension={dimension}")
        z[int(dimension)] = value if mode == "set" else z[int(dimension)] + value
    return z


def edit(encode, decode, image, changes, mode="set"):
    """Encodes one image, changes chosen latent dimensions, decodes: returns (reconstruction, edited), each (H, W, C)."""
    z = np.asarray(encode(np.asarray(image, np.float32)[None]))[0]
    images = np.asarray(decode(np.stack([z, edit_codes(z, changes, mode)])))
    return images[0], images[1]


def interpolate_images(encode, decode, image_a, image_b, steps=8, method="linear"):
    """Decoded path between the codes of two images: (steps, H, W, C), endpoints included."""
    codes = np.asarray(encode(np.stack([image_a, image_b]).astype(np.float32)))
    return np.asarray(decode(interpolate(codes[0], codes[1], steps, method)))
