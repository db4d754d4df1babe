"""Gradio app for a trained GAN: samples, class-conditional samples, interpolation, latent vector arithmetic.

    keras-gen app --model_dir=runs/dcgan          # or: python -m keras_gen_apps.gan_app --path=<model dir or export>
"""


import gradio as gr
import numpy as np

from keras_gen_apps.common import is_export, parse_seeds, preview, seed_input, serve
from keras_gen.export.gan import GANEndpoints
from keras_gen.latent import arithmetic
from keras_gen.latent.interpolation import interpolate

PREVIEW_SCALE = 4


def load_endpoints(path):
    """A model directory from `keras-gen train` or a SavedModel from `keras-gen export`."""
    if is_export(path):
        return GANEndpoints(export_dir=path)
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(path)
    return GANEndpoints(model=model)


def _show(images, ncols=None):
    return preview(images, ncols=ncols, scale=PREVIEW_SCALE)


def build_app(path):
    gan = load_endpoints(path)
    truncation_note = "" if gan.prior == "gaussian" else " (uniform prior: no truncation)"

    def labels_for(label, count):
        return np.full(int(count), int(label)) if gan.conditional else None

    def sample(count, seed, truncation):
        truncation = float(truncation) if truncation and gan.prior == "gaussian" else None
        return _show(gan.sample(int(count), int(seed), truncation=truncation))

    def sample_class(label, count, seed, truncation):
        truncation = float(truncation) if truncation and gan.prior == "gaussian" else None
        return _show(gan.sample(int(count), int(seed), labels=labels_for(label, count), truncation=truncation))

    def interpolation(seed_a, seed_b, steps, method, label):
        start, end = gan.latents(1, int(seed_a))[0], gan.latents(1, int(seed_b))[0]
        z = interpolate(start, end, int(steps), method)
        return _show(gan.generate(z, labels_for(label, len(z))), ncols=int(steps))

    def vector_arithmetic(seeds_a, seeds_b, seeds_c, label):
        groups = [np.stack([gan.latents(1, s)[0] for s in parse_seeds(text, name)])
                  for text, name in ((seeds_a, "A"), (seeds_b, "B"), (seeds_c, "C"))]
        grid, width = arithmetic.arithmetic_rows(lambda z: gan.generate(z, labels_for(label, len(z))), groups)
        return _show(grid, ncols=width)

    label_choices = list(range(gan.num_classes)) if gan.conditional else [0]
    with gr.Blocks(title="keras-gen GAN") as demo:
        gr.Markdown(
            f"# GAN explorer\nLatent size {gan.latent_dim}, prior {gan.prior}{truncation_note}; images {gan.image_shape}; "
            f"{'class-conditional, ' + str(gan.num_classes) + ' classes' if gan.conditional else 'unconditional'}."
        )
        with gr.Tab("Sample"):
            count = gr.Slider(1, 64, value=16, step=1, label="images")
            seed = seed_input()
            truncation = gr.Slider(0.0, 3.0, value=0.0, step=0.1, label="truncation (0: off)")
            grid = gr.Image(label="samples (classes cycle for a conditional model)", format="png")
            gr.Button("Sample").click(sample, [count, seed, truncation], grid, api_name="sample")
        if gan.conditional:
            with gr.Tab("Class-conditional sample"):
                label = gr.Dropdown(label_choices, value=0, label="class")
                class_count = gr.Slider(1, 64, value=16, step=1, label="images")
                class_seed = seed_input()
                class_truncation = gr.Slider(0.0, 3.0, value=0.0, step=0.1, label="truncation (0: off)")
                class_grid = gr.Image(label="samples of the class", format="png")
                gr.Button("Sample class").click(sample_class, [label, class_count, class_seed, class_truncation],
                                                class_grid, api_name="sample_class")
        with gr.Tab("Interpolation"):
            with gr.Row():
                seed_a = seed_input("start seed", 1)
                seed_b = seed_input("end seed", 2)
            steps = gr.Slider(3, 16, value=8, step=1, label="steps")
            method = gr.Radio(["linear", "spherical"], value="spherical", label="path")
            path_label = gr.Dropdown(label_choices, value=0, label="class", visible=gan.conditional)
            path_grid = gr.Image(label="interpolation", format="png")
            gr.Button("Interpolate").click(interpolation, [seed_a, seed_b, steps, method, path_label], path_grid,
                                           api_name="interpolate")
        with gr.Tab("Vector arithmetic"):
            gr.Markdown("Each group is a list of seeds (one latent each). Rows: A, B, C (their mean first), then "
                        "mean(A) - mean(B) + mean(C). Pick seeds whose samples share a property.")
            with gr.Row():
                group_a = gr.Textbox(value="1,2,3", label="A seeds")
                group_b = gr.Textbox(value="4,5,6", label="B seeds")
                group_c = gr.Textbox(value="7,8,9", label="C seeds")
            arithmetic_label = gr.Dropdown(label_choices, value=0, label="class", visible=gan.conditional)
            arithmetic_grid = gr.Image(label="arithmetic", format="png")
            gr.Button("Compute").click(vector_arithmetic, [group_a, group_b, group_c, arithmetic_label],
                                       arithmetic_grid, api_name="arithmetic")
    return demo


if __name__ == "__main__":
    serve(build_app)
