"""Pictures of pedestrian scenes: observed paths, predicted futures and (optionally) the true futures."""

import numpy as np

# One colour per pedestrian, cycling (matplotlib's tab10).
COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def render_scene(observed, mask, samples, future=None, size=5.0, dpi=80, title=None):
    """An RGB uint8 picture (height, width, 3) of one scene.

    Args:
        observed: (pedestrians, obs_len, 2) positions in metres.
        mask: (pedestrians,) bool, True for real pedestrians (the others are not drawn).
        samples: (num_samples, pedestrians, pred_len, 2) predicted futures (thin lines from the last observed point).
        future: (pedestrians, pred_len, 2) true futures (dashed), or None.
        size: figure side in inches; dpi: pixels per inch.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    observed, mask, samples = np.asarray(observed), np.asarray(mask, bool), np.asarray(samples)
    figure = Figure(figsize=(size, size), dpi=dpi)
    canvas = FigureCanvasAgg(figure)
    axis = figure.add_subplot(1, 1, 1)
    for i in np.flatnonzero(mask):
        colour = COLOURS[i % len(COLOURS)]
        start = observed[i, -1:]
        for sample in samples[:, i]:
            path = np.concatenate([start, sample])
            axis.plot(path[:, 0], path[:, 1], color=colour, alpha=0.35, linewidth=0.8)
        if future is not None:
            path = np.concatenate([start, np.asarray(future)[i]])
            axis.plot(path[:, 0], path[:, 1], color="black", linestyle="--", linewidth=1.0)
        axis.plot(observed[i, :, 0], observed[i, :, 1], color=colour, linewidth=2.0, marker="o", markersize=2.5)
    axis.set_aspect("equal", adjustable="datalim")
    axis.set_xlabel("x (m)")
    axis.set_ylabel("y (m)")
    if title:
        axis.set_title(title, fontsize=9)
    figure.tight_layout()
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].copy()


def save_scene(path, *args, **kwargs):
    """`render_scene(*args, **kwargs)` written as a PNG at `path`; returns `path`."""
    from PIL import Image

    Image.fromarray(render_scene(*args, **kwargs)).save(path)
    return path
