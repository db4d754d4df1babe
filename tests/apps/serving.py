"""Serving an app on a free localhost port for a module's tests, and reading the images it returns."""

import contextlib
import importlib
import socket

import numpy as np
from PIL import Image

from keras_gen_apps.common import launch


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def serve(app_name, source):
    """Serves `apps.<app_name>` over `source` (a model directory or an export) as `keras-gen app` would.

    Yields `(client, endpoints)`: a `gradio_client.Client` on the running app, and the app's own
    `load_endpoints(source)`, which the tests compare the served outputs with.
    """
    from gradio_client import Client

    app = importlib.import_module(f"keras_gen_apps.{app_name}")
    demo = app.build_app(source)
    for attempt in range(3):
        # `free_port` releases the port before Gradio binds it, so another test process can take it in between;
        # Gradio then finds no app of its own on localhost and refuses to start. Try again on a fresh port.
        port = free_port()
        try:
            launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True, show_error=True)
            break
        except ValueError as error:
            if "localhost is not accessible" not in str(error) or attempt == 2:
                raise
            demo.close()
    try:
        yield Client(f"http://127.0.0.1:{port}/", verbose=False), app.load_endpoints(source)
    finally:
        demo.close()


def read(path):
    """A grey image file as float32 in [0, 1]."""
    return np.asarray(Image.open(path).convert("L"), np.float32) / 255.0
