"""Paths between latent codes: linear and spherical interpolation.

Reference: Shoemake, "Animating rotation with quaternion curves" (1985); White, "Sampling Generative
Networks" (https://arxiv.org/abs/1609.04468) for why slerp suits Gaussian latents.
"""

import numpy as np


def _check(start, end, steps):
    start, end = np.asarray(start, np.float32), np.asarray(end, np.float32)
    if start.shape != end.shape:
        raise ValueError(f"`start` and `end` must have the same shape. Received: start={start.shape}, end={end.shape}")
    if not isinstance(steps, (int, np.integer)) or steps < 2:
        raise ValueError(f"`steps` must be an integer >= 2. Received: steps={steps!r}")
    return start, end, np.linspace(0.0, 1.0, steps, dtype=np.float32)


def lerp(start, end, steps):
    """(D,), (D,) -> (steps, D) points on the straight line from `start` to `end`."""
    start, end, t = _check(start, end, steps)
    return start[None] + t[:, None] * (end - start)[None]


def slerp(start, end, steps):
    """(D,), (D,) -> (steps, D) points on the great circle from `start` to `end`, norms interpolated linearly."""
    start, end, t = _check(start, end, steps)
    norm_start, norm_end = np.linalg.norm(start), np.linalg.norm(end)
    unit_start, unit_end = start / max(norm_start, 1e-12), end / max(norm_end, 1e-12)
    omega = np.arccos(np.clip(np.dot(unit_start, unit_end), -1.0, 1.0))
    if omega < 1e-6:  # (anti)parallel codes: the circle is undefined, the line is the same path
        return lerp(start, end, steps)
    weights_start = np.sin((1.0 - t) * omega) / np.sin(omega)
    weights_end = np.sin(t * omega) / np.sin(omega)
    directions = weights_start[:, None] * unit_start[None] + weights_end[:, None] * unit_end[None]
    norms = (1.0 - t) * norm_start + t * norm_end
    return directions / np.linalg.norm(directions, axis=1, keepdims=True) * norms[:, None]


INTERPOLATIONS = {"linear": lerp, "spherical": slerp}


def interpolate(start, end, steps, method="spherical"):
    if method not in INTERPOLATIONS:
        raise ValueError(f"`method` must be one of {sorted(INTERPOLATIONS)}. Received: method={method!r}")
    return INTERPOLATIONS[method](start, end, steps)
