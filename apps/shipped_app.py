"""One page for every shipped model: a tab per entry of `saved_models/MANIFEST.json`, each its group's app.

    keras-gen app                                  # or: python -m keras_gen_apps.shipped_app [--path=saved_models]
"""

import importlib
import json
import os

import gradio as gr

from keras_gen_apps.common import serve

SAVED_MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "saved_models")


def read_manifest(folder=SAVED_MODELS):
    """The manifest's entries, each with `path` made absolute; a clear error when the folder has no manifest."""
    path = os.path.join(folder, "MANIFEST.json")
    if not os.path.exists(path):
        raise FileNotFoundError(f"No MANIFEST.json in {folder!r}: run python benchmarks/ship_models.py, or open one "
                                "model with `keras-gen app --model_dir=...` / `--export_dir=...`.")
    with open(path) as f:
        entries = json.load(f)["models"]
    return [{**entry, "path": os.path.join(folder, entry["path"])} for entry in entries]


def build_app(path=SAVED_MODELS):
    from keras_gen.cli import APPS

    entries = read_manifest(path)
    with gr.Blocks(title="keras-gen") as demo:
        gr.Markdown("# keras-gen\nThe models shipped in `saved_models/`, one tab each, with what their benchmark "
                    "measured. Train your own with `keras-gen train` and open it with `keras-gen app --model_dir=...`.")
        for entry in entries:
            known = set(demo.fns)
            with gr.Tab(entry["name"]):
                metrics = ", ".join(f"{key} {value:.4g}" for key, value in entry["metrics"].items())
                gr.Markdown(f"`{entry['model']}` · {metrics} · trained by `{entry['trained_by']['command']}`")
                importlib.import_module(APPS[entry["group"]]).build_app(entry["path"])  # a Blocks made inside a tab renders there
            # API names carry the model's name (`/dcgan_mnist_5k_sample`), renamed before the next tab registers its
            # own, so two models of one group never get Gradio's `/sample_1`-style suffixes.
            for fn_id in set(demo.fns) - known:
                if isinstance(demo.fns[fn_id].api_name, str):
                    demo.fns[fn_id].api_name = f"{entry['name']}_{demo.fns[fn_id].api_name}"
    return demo


if __name__ == "__main__":
    serve(build_app)
