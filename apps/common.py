"""What every Gradio app shares: telling exports from model directories, showing images, launching."""

import functools
import hashlib
import os
import tempfile

import numpy as np

from keras_gen.utils.images import make_grid

MAX_SEED = 2**31 - 1  # seeds reach the exports as int32
MAX_LIST_SEEDS = 16  # seeds in one comma-separated list (arithmetic groups, mixing rows and columns)
MAX_UPLOAD = "5mb"  # an uploaded picture larger than this is refused before it reaches the model
CONCURRENCY_LIMIT = 2  # requests of one event computed at once (2 cores); the rest wait in the queue, in order
QUEUE_SIZE = 64  # requests waiting beyond this are refused with "queue full" instead of piling up


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


def seed_input(label="seed", value=0):
    """A seed box bounded to what the exports accept: Gradio refuses a value outside [0, 2**31 - 1] itself."""
    import gradio as gr

    return gr.Number(value=value, precision=0, minimum=0, maximum=MAX_SEED, label=label)


def parse_seeds(text, name):
    """A comma-separated list of seeds typed by a visitor: integers in [0, MAX_SEED], at most MAX_LIST_SEEDS."""
    import gradio as gr

    try:
        seeds = [int(item) for item in str(text).replace(" ", "").split(",") if item]
    except ValueError:
        raise gr.Error(f"{name}: comma-separated integer seeds, e.g. 1,2,3. Received: {text!r}") from None
    if not seeds:
        raise gr.Error(f"{name}: give at least one seed.")
    if len(seeds) > MAX_LIST_SEEDS:
        raise gr.Error(f"{name}: at most {MAX_LIST_SEEDS} seeds. Received: {len(seeds)} seeds")
    bad = [seed for seed in seeds if not 0 <= seed <= MAX_SEED]
    if bad:
        raise gr.Error(f"{name}: seeds must be in [0, {MAX_SEED}]. Received: {bad[0]}")
    return seeds


MAX_SERVED_IMAGES = 256  # image files kept in the hand-off folder below; older ones are removed


@functools.cache
def _served_folder():
    return tempfile.mkdtemp(prefix="keras_gen_images_")


def image_file(image):
    """Writes an (H, W[, C]) image array as a PNG named by its content and returns the path, atomically.

    Gradio saves an array output into its cache by rewriting the file named by the content's hash on every call, so
    two users who get the same picture at once (same seed) race: one's download can read the file while the other's
    write has just truncated it ("peer closed connection ... received 0 bytes"). A file path output is instead copied
    into the cache under a temporary name and renamed into place. Here too the PNG is written to a temporary name and
    renamed, so every reader sees a whole file. The folder keeps the newest `MAX_SERVED_IMAGES` files.
    """
    from PIL import Image

    image = np.asarray(image)
    if image.dtype != np.uint8:
        image = np.clip(np.rint(image.astype(np.float64) * 255.0), 0, 255).astype(np.uint8)  # [0, 1] floats
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    folder = _served_folder()
    digest = hashlib.sha256(np.ascontiguousarray(image).tobytes() + repr(image.shape).encode()).hexdigest()
    path = os.path.join(folder, f"{digest[:32]}.png")
    if not os.path.exists(path):
        handle, staging = tempfile.mkstemp(dir=folder, prefix=".staging_", suffix=".png")
        with os.fdopen(handle, "wb") as f:
            Image.fromarray(image).save(f, format="PNG")
        os.replace(staging, path)
    else:
        os.utime(path)  # newest again, so the pruning below keeps it
    files = sorted((entry for entry in os.scandir(folder) if entry.name.endswith(".png") and entry.name[0] != "."),
                   key=lambda entry: entry.stat().st_mtime)
    for entry in files[:-MAX_SERVED_IMAGES]:
        try:
            os.remove(entry.path)
        except FileNotFoundError:  # another request pruned it first
            pass
    return path


def _images_as_files(block_fn, image_outputs):
    """Wraps an event function so its array values bound for `gr.Image` outputs are handed over as PNG files."""
    fn = block_fn.fn
    single = len(block_fn.outputs) == 1

    @functools.wraps(fn)
    def wrapped(*args, **kwargs):
        result = fn(*args, **kwargs)
        values = [result] if single else list(result)
        values = [image_file(value) if is_image and isinstance(value, np.ndarray) else value
                  for value, is_image in zip(values, image_outputs)]
        return values[0] if single else type(result)(values) if isinstance(result, tuple) else values

    block_fn.fn = wrapped


def launch(demo, host, port, **launch_options):
    """Serves `demo` with a bounded queue, a per-event concurrency limit and an upload size cap.

    Every event whose outputs include images returns them as files written atomically (`image_file`), which keeps
    concurrent identical requests from reading each other's half-written picture.
    """
    import gradio as gr

    for block_fn in demo.fns.values():
        image_outputs = [isinstance(output, gr.Image) for output in block_fn.outputs]
        if block_fn.fn is not None and any(image_outputs) and not getattr(block_fn.fn, "_keras_gen_files", False):
            _images_as_files(block_fn, image_outputs)
            block_fn.fn._keras_gen_files = True
    demo.queue(default_concurrency_limit=CONCURRENCY_LIMIT, max_size=QUEUE_SIZE)
    return demo.launch(server_name=host, server_port=port, max_file_size=MAX_UPLOAD, **launch_options)


def serve(build_app):
    """`python -m keras_gen_apps.<name> --path=DIR [--host] [--port]`: builds the app for DIR and serves it."""
    from absl import app, flags

    flags.DEFINE_string("path", None, "A model directory or an export.", required=True)
    flags.DEFINE_integer("port", 7860, "Port.")
    flags.DEFINE_string("host", "127.0.0.1", "Address to bind (127.0.0.1: this machine only).")

    def main(argv):
        del argv
        launch(build_app(flags.FLAGS.path), flags.FLAGS.host, flags.FLAGS.port)

    app.run(main)
