"""Gradio app for a trained VQ-VAE-2: class-conditional samples from the PixelCNN priors, and reconstructions
of an uploaded or drawn digit with its two code grids.

    keras-gen app --model_dir=runs/vqvae2_prior     # or: python -m keras_gen_apps.vqvae2_app --path=saved_models/vqvae2
"""


import gradio as gr
import numpy as np

from keras_gen.export.vqvae2 import VQVAE2Endpoints
from keras_gen_apps.common import is_export, picture, preview, seed_input, serve
from keras_gen.utils.images import prepare_image
from keras_gen.utils.labels import parse_labels

PREVIEW_SCALE = 4
MAX_LABELS = 100


def load_endpoints(path):
    """A model directory from `keras-gen train` (either stage) or a SavedModel from `keras-gen export`."""
    if is_export(path):
        return VQVAE2Endpoints(export_dir=path)
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(path)
    return VQVAE2Endpoints(model=model)


def _show(images, ncols=None, scale=PREVIEW_SCALE):
    return preview(images, ncols=ncols, scale=scale)


def _code_map(indices, image_size):
    """A (h, w) grid of code indices as a grey picture the size of the image (one shade per code)."""
    indices = np.asarray(indices, np.float32)
    shades = indices / max(float(indices.max()), 1.0)
    factor = image_size // indices.shape[0]
    return shades.repeat(factor, 0).repeat(factor, 1)[..., None]


def _picture(value):
    return picture(value, "a digit")


def _parse_labels(text, num_classes):
    """One image per label; an unconditional prior takes label 0 for each image it should draw."""
    try:
        labels = parse_labels(text, num_classes or 1)
    except ValueError as error:
        raise gr.Error(str(error)) from None
    if len(labels) > MAX_LABELS:
        raise gr.Error(f"At most {MAX_LABELS} labels per request. Received: {len(labels)} labels")
    return labels


def build_app(path):
    vqvae = load_endpoints(path)
    height = vqvae.image_shape[0]

    def sample(labels_text, seed):
        labels = _parse_labels(labels_text, vqvae.num_classes)
        return _show(vqvae.sample(labels, int(seed)), ncols=min(len(labels), 10))

    def reconstruct(picture):
        image = prepare_image(_picture(picture), vqvae.image_shape)
        top, bottom = vqvae.encode(image[None])
        reconstruction = vqvae.decode(top, bottom)[0]
        channels = image.shape[-1]
        codes = [np.repeat(_code_map(grid[0], height), channels, axis=-1) for grid in (top, bottom)]
        return _show(np.stack([image, reconstruction, *codes]), ncols=4, scale=2 * PREVIEW_SCALE)

    with gr.Blocks(title="keras-gen VQ-VAE-2") as demo:
        gr.Markdown(f"# VQ-VAE-2\nImages {vqvae.image_shape}.")
        if vqvae.can_sample:
            with gr.Tab("Sample"):
                default = ",".join(str(i % (vqvae.num_classes or 1)) for i in range(20))
                labels = gr.Textbox(value=default, label="class labels (one image each)")
                seed = seed_input()
                samples = gr.Image(label="samples (top codes, then bottom codes, then decoder)", format="png")
                gr.Button("Sample").click(sample, [labels, seed], samples, api_name="sample")
        with gr.Tab("Reconstruct"):
            with gr.Row():
                picture = gr.Image(label="upload a digit", type="numpy", image_mode="RGB")
                sketch = gr.Sketchpad(label="or draw one", type="numpy", image_mode="RGB")
            panels = gr.Image(label="input | reconstruction | top codes | bottom codes", format="png")
            gr.Button("Reconstruct uploaded").click(reconstruct, [picture], panels, api_name="reconstruct")
            gr.Button("Reconstruct drawing").click(reconstruct, [sketch], panels, api_name="reconstruct_drawing")
    return demo


if __name__ == "__main__":
    serve(build_app)
