"""A one-page PNG report of a trained model: training curves, the latest sample grid, the evaluation metrics.

Reads only files that `keras-gen train` and `keras-gen evaluate` write into the model directory:
`history.csv` (keras.callbacks.CSVLogger), `samples/epoch_NNNN.png` (sample grids), `metrics.json` (evaluation
results, optional) and `config.json` (the recipe, for the title). No model is loaded.
"""

import csv
import glob
import json
import math
import os

import numpy as np

HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
MAX_CURVE_PANELS = 6


def read_history(model_dir):
    """`{column: np.array}` from `history.csv` (NaN for empty/NA cells), or {} when there is none."""
    path = os.path.join(model_dir, HISTORY_FILE)
    if not os.path.exists(path):
        return {}
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    columns = {}
    for key in rows[0].keys() if rows else ():
        values = []
        for row in rows:
            try:
                values.append(float(row[key]))
            except (TypeError, ValueError):
                values.append(math.nan)
        columns[key] = np.asarray(values)
    return columns


def _curve_panels(history):
    """Groups `loss` with `val_loss` etc.: `[(title, {label: values})]`, losses first."""
    names = [key for key in history if key != "epoch" and not key.startswith("val_")]
    names += [key[4:] for key in history if key.startswith("val_") and key[4:] not in names]
    names.sort(key=lambda name: (name != "loss", "loss" not in name, name))
    panels = []
    for name in names:
        # CSVLogger writes empty val_* columns when there is no validation data: drop curves without values.
        curves = {label: history[key] for label, key in (("train", name), ("validation", f"val_{name}"))
                  if key in history and np.isfinite(history[key]).any()}
        if curves:
            panels.append((name, curves))
    return panels[:MAX_CURVE_PANELS]


def latest_sample_grid(model_dir):
    """Path of the newest `samples/*.png`, or None."""
    grids = sorted(glob.glob(os.path.join(model_dir, "samples", "*.png")))
    return grids[-1] if grids else None


def _format_metrics(metrics):
    lines = []
    for key, value in metrics.items():
        if isinstance(value, float):
            value = f"{value:.4g}"
        elif isinstance(value, (dict, list)):
            continue  # nested details stay in metrics.json
        lines.append(f"{key}: {value}")
    return "\n".join(lines)


def write_report(model_dir, out_png):
    """Writes the report PNG for `model_dir` to `out_png` and returns `out_png`.

    Args:
        model_dir: a directory written by `keras-gen train` (needs `history.csv` or a sample grid).
        out_png: output path (folders are created).
    """
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    if not model_dir or not os.path.isdir(model_dir):
        raise FileNotFoundError(f"No model directory at model_dir={model_dir!r}.")
    history = read_history(model_dir)
    grid_path = latest_sample_grid(model_dir)
    if not history and grid_path is None:
        raise FileNotFoundError(
            f"Nothing to report in model_dir={model_dir!r}: expected {HISTORY_FILE} or samples/*.png written by "
            "`keras-gen train`.")
    metrics = {}
    if os.path.exists(os.path.join(model_dir, METRICS_FILE)):
        with open(os.path.join(model_dir, METRICS_FILE)) as f:
            metrics = json.load(f)
    config = {}
    if os.path.exists(os.path.join(model_dir, "config.json")):
        with open(os.path.join(model_dir, "config.json")) as f:
            config = json.load(f)

    panels = _curve_panels(history)
    curve_rows = max(1, math.ceil(len(panels) / 2))
    figure = plt.figure(figsize=(13, max(5.0, 2.6 * curve_rows)), dpi=100, layout="constrained")
    left, right = figure.add_gridspec(1, 2, width_ratios=(2, 1.1))
    curves_grid = left.subgridspec(curve_rows, 2)
    side_grid = right.subgridspec(2, 1, height_ratios=(1.3, 1))
    epochs = history.get("epoch", np.arange(len(next(iter(history.values()), []))))
    for index, (name, curves) in enumerate(panels):
        axis = figure.add_subplot(curves_grid[index // 2, index % 2])
        for label, values in curves.items():
            finite = np.isfinite(values)  # evaluation metrics (e.g. fd) are NaN on epochs they skipped
            axis.plot(np.asarray(epochs)[finite] + 1, values[finite], marker="o" if finite.sum() < 30 else None,
                      markersize=3, label=label)
        axis.set_title(name, fontsize=10)
        axis.set_xlabel("epoch", fontsize=8)
        last_epoch = int(np.nanmax(np.asarray(epochs))) + 1 if len(epochs) else 1
        axis.set_xlim(0.5, last_epoch + 0.5)  # the same epoch axis on every panel
        if last_epoch <= 10:
            axis.set_xticks(range(1, last_epoch + 1))
        else:
            axis.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        axis.tick_params(labelsize=8)
        if len(curves) > 1:
            axis.legend(fontsize=7)
    if not panels:
        axis = figure.add_subplot(curves_grid[:, :])
        axis.axis("off")
        axis.text(0.5, 0.5, f"no {HISTORY_FILE} in the model directory", ha="center", va="center")

    sample_axis = figure.add_subplot(side_grid[0])
    sample_axis.axis("off")
    if grid_path is not None:
        from PIL import Image

        image = np.asarray(Image.open(grid_path))
        sample_axis.imshow(image, cmap="gray" if image.ndim == 2 else None, vmin=0, vmax=255, interpolation="nearest")
        sample_axis.set_title(f"samples ({os.path.basename(grid_path)})", fontsize=10)
    else:
        sample_axis.text(0.5, 0.5, "no sample grid (samples/*.png)", ha="center", va="center")

    text_axis = figure.add_subplot(side_grid[1])
    text_axis.axis("off")
    text_axis.set_title("evaluation (metrics.json)", fontsize=10)
    text = _format_metrics(metrics) if metrics else "not evaluated yet: run `keras-gen evaluate`"
    text_axis.text(0.0, 1.0, text, va="top", ha="left", family="monospace", transform=text_axis.transAxes,
                   fontsize=9 if text.count("\n") < 14 else 7)

    title = os.path.basename(os.path.normpath(model_dir))
    if config:
        title = f"{config.get('model', '?')} on {config.get('dataset', '?')}, {config.get('epochs', '?')} epochs ({title})"
    figure.suptitle(title)
    if os.path.dirname(out_png):
        os.makedirs(os.path.dirname(out_png), exist_ok=True)
    figure.savefig(out_png)
    plt.close(figure)
    return out_png
