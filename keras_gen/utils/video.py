"""Clips as pictures: a frame strip (one row per clip) and an animated GIF (one loop of tiled clips)."""

import os

import numpy as np

from keras_gen.utils.images import make_grid


def _check_clips(clips):
    clips = np.asarray(clips)
    if clips.ndim != 5:
        raise ValueError(f"`clips` must have shape (N, T, H, W, C). Received: shape={clips.shape}")
    return clips


def frame_strip(clips, padding=1):
    """(N, T, H, W, C) clips in [0, 1] -> uint8 grid: row n is clip n, column t its frame t."""
    clips = _check_clips(clips)
    num, frames = clips.shape[:2]
    return make_grid(clips.reshape(num * frames, *clips.shape[2:]), ncols=frames, padding=padding)


def gif_frames(clips, ncols=None, padding=1, scale=1):
    """The GIF's T pictures: frame t of every clip tiled in a grid, uint8 (T, H', W') or (T, H', W', 3)."""
    clips = _check_clips(clips)
    pictures = []
    for t in range(clips.shape[1]):
        grid = make_grid(clips[:, t], ncols=ncols, padding=padding)
        grid = grid.repeat(scale, 0).repeat(scale, 1)
        pictures.append(grid[..., 0] if grid.shape[-1] == 1 else grid)
    return np.stack(pictures)


def save_gif(clips, path, ncols=None, scale=2, fps=5):
    """Writes an animated GIF of `clips` (all clips play side by side, looping) and returns `path`."""
    from PIL import Image

    pictures = [Image.fromarray(p) for p in gif_frames(clips, ncols=ncols, scale=scale)]
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=int(1000 / fps), loop=0)
    return path


def save_frame_strip(clips, path, scale=2):
    """Writes `frame_strip(clips)` as a PNG (enlarged `scale` times) and returns `path`."""
    from PIL import Image

    strip = frame_strip(clips)
    strip = strip.repeat(scale, 0).repeat(scale, 1)
    if os.path.dirname(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(strip[..., 0] if strip.shape[-1] == 1 else strip).save(path)
    return path
