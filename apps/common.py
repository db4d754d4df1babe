"""What every Gradio app shares: telling exports from model directories, showing images, launching."""

import os

import numpy as np

from keras_gen.utils.images import make_grid


def is_export(path):
    """True for a SavedModel from `keras-gen export`, False for a model directory from `keras-gen train`."""
    return os.path.exists(os.path.join(path, "saved_model.pb"))


def preview(images, ncols=None, scale=4, padding=1, size=None):
    """(N, H, W, C) in [0, 1] -> a uint8 grid enlarged (nearest) `scale` times, or to about `size` pixels high."""
    grid = make_grid(np.asarray(images), ncols=ncols, padding=padding)
    grid = grid[..., 0] if grid.shape[-1] == 1 else grid  # Gradio shows (H, W) arrays as grey images
    if size is not None:
        scale = max(1, size // grid.shape[0])
    return grid.repeat(scale, 0).repeat(scale, 1)


def picture(value, what="an image"):
    """Gradio hands an uploaded image as an array and a drawing/editor value as {'composite': array, ...}."""
    import gradio as gr

    if isinstance(value, dict):
        value = value.get("composite")
    if value is None:
        raise gr.Error(f"Upload or draw {what} first.")
    return np.asarray(value)


def serve(build_app):
    """`python -m apps.<name> --path=DIR [--host] [--port]`: builds the app for DIR and serves it."""
    from absl import app, flags

    flags.DEFINE_string("path", None, "A model directory or an export.", required=True)
    flags.DEFINE_integer("port", 7860, "Port.")
    flags.DEFINE_string("host", "127.0.0.1", "Address to bind (127.0.0.1: this machine only).")

    def main(argv):
        del argv
        build_app(flags.FLAGS.path).launch(server_name=flags.FLAGS.host, server_port=flags.FLAGS.port)

    app.run(main)
