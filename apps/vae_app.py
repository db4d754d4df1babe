"""Gradio app for a trained VAE: latent sliders, encode-edit-decode of an uploaded or drawn digit, traversals.

    keras-gen app --model_dir=runs/vae            # or: python -m keras_gen_apps.vae_app --path=saved_models/vae_mnist_5k
"""

import inspect

import gradio as gr
import numpy as np

from keras_gen.export.vae import VAEEndpoints
from keras_gen.latent import tools
from keras_gen_apps.common import is_export, preview, seed_input, serve
from keras_gen_apps.common import picture as picture_value
from keras_gen.utils.images import prepare_image

MAX_SLIDERS = 20
PREVIEW_SCALE = 8


def load_endpoints(path):
    """A model directory from `keras-gen train` or a SavedModel from `keras-gen export`."""
    if is_export(path):
        return VAEEndpoints(export_dir=path)
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(path)
    return VAEEndpoints(model=model)


def _show(images, ncols=None):
    return preview(images, ncols=ncols, scale=PREVIEW_SCALE // 2 if ncols else PREVIEW_SCALE)


def build_app(path):
    vae = load_endpoints(path)
    num_sliders = min(vae.latent_dim, MAX_SLIDERS)

    def decode_sliders(*values):
        z = np.zeros(vae.latent_dim, np.float32)
        z[:num_sliders] = values
        return _show(vae.decode(z[None]))

    # API clients see the endpoint's inputs by these names (z_0, z_1, ...), not as param_0, param_1, ...
    decode_sliders.__signature__ = inspect.Signature(
        [inspect.Parameter(f"z_{i}", inspect.Parameter.POSITIONAL_OR_KEYWORD) for i in range(num_sliders)])

    def random_code(seed):
        z = np.random.default_rng(int(seed)).standard_normal(vae.latent_dim).astype(np.float32)
        return [float(v) for v in z[:num_sliders]] + [_show(vae.decode(z[None]))]

    def edit_picture(picture, dimension, value):
        image = prepare_image(picture_value(picture, "a digit"), vae.image_shape)
        reconstruction, edited = tools.edit(vae.encode, vae.decode, image, {int(dimension): float(value)})
        return _show(image[None]), _show(reconstruction[None]), _show(edited[None])

    def traversal(dimensions, steps, limit):
        dimensions = [int(d) for d in dimensions] or [0]
        values = np.linspace(-float(limit), float(limit), int(steps))
        grid = tools.traverse(vae.decode, np.zeros(vae.latent_dim), dimensions, values)
        return _show(grid, ncols=int(steps))

    with gr.Blocks(title="keras-gen VAE") as demo:
        gr.Markdown(f"# VAE explorer\nLatent size {vae.latent_dim}; images {vae.image_shape}.")
        with gr.Tab("Latent sliders"):
            with gr.Row():
                with gr.Column():
                    sliders = [gr.Slider(-3, 3, value=0.0, step=0.05, label=f"z[{i}]") for i in range(num_sliders)]
                with gr.Column():
                    decoded = gr.Image(label="decoded", type="numpy", format="png")
                    seed = seed_input()
                    draw = gr.Button("Sample z ~ N(0, I)")
            for slider in sliders:
                slider.release(decode_sliders, sliders, decoded, api_name=False)
            draw.click(random_code, [seed], sliders + [decoded], api_name="random_code")
            demo.load(decode_sliders, sliders, decoded, api_name="decode_sliders")
        with gr.Tab("Edit a digit"):
            with gr.Row():
                picture = gr.Image(label="upload a digit", type="numpy", image_mode="RGB")
                sketch = gr.Sketchpad(label="or draw one", type="numpy", image_mode="RGB")
            dimension = gr.Slider(0, vae.latent_dim - 1, value=0, step=1, label="latent dimension")
            value = gr.Slider(-4, 4, value=2.0, step=0.1, label="new value")
            with gr.Row():
                original = gr.Image(label="input (as the model sees it)", format="png")
                reconstruction = gr.Image(label="reconstruction", format="png")
                edited = gr.Image(label="edited", format="png")
            gr.Button("Edit uploaded").click(edit_picture, [picture, dimension, value],
                                             [original, reconstruction, edited], api_name="edit")
            gr.Button("Edit drawing").click(edit_picture, [sketch, dimension, value],
                                            [original, reconstruction, edited], api_name="edit_drawing")
        with gr.Tab("Traversal"):
            dims = gr.CheckboxGroup(list(range(vae.latent_dim)), value=list(range(min(5, vae.latent_dim))),
                                    label="dimensions (rows)")
            steps = gr.Slider(3, 15, value=9, step=1, label="steps (columns)")
            limit = gr.Slider(0.5, 4, value=3, step=0.5, label="range +/-")
            grid = gr.Image(label="traversal", format="png")
            gr.Button("Traverse").click(traversal, [dims, steps, limit], grid, api_name="traverse")
    return demo


if __name__ == "__main__":
    serve(build_app)
