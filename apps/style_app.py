"""Gradio app for a trained StyleGAN2: samples with a truncation slider, the style-mixing grid, interpolation in W,
and a truncation sweep.

    keras-gen app --model_dir=runs/stylegan2      # or: python -m keras_gen_apps.style_app --path=<model dir or export>
"""

import gradio as gr
import numpy as np

from keras_gen_apps.common import is_export, parse_seeds, preview, seed_input, serve
from keras_gen.export.style import StyleEndpoints
from keras_gen.latent.style import interpolate_styles, style_mixing_grid, truncation_sweep

PREVIEW_SCALE = 4


def load_endpoints(path):
    """A model directory from `keras-gen train` or a SavedModel from `keras-gen export`."""
    if is_export(path):
        return StyleEndpoints(export_dir=path)
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(path)
    return StyleEndpoints(model=model)


def _show(images, ncols=None):
    return preview(images, ncols=ncols, scale=PREVIEW_SCALE)


def build_app(path):
    style = load_endpoints(path)

    def labels_for(label, count):
        return np.full(int(count), int(label)) if style.conditional else None

    def sample(count, seed, truncation, label=0):
        return _show(style.sample(int(count), int(seed), float(truncation), labels=labels_for(label, count)))

    def mixing(row_seeds, column_seeds, crossover, label):
        rows, columns = parse_seeds(row_seeds, "row seeds (A)"), parse_seeds(column_seeds, "column seeds (B)")
        grid, ncols = style_mixing_grid(style.synthesize, style.seeded_ws(rows, labels_for(label, len(rows))),
                                        style.seeded_ws(columns, labels_for(label, len(columns))), int(crossover))
        return _show(grid, ncols=ncols)

    def interpolation(seed_a, seed_b, steps, label):
        ws = style.seeded_ws([int(seed_a), int(seed_b)], labels_for(label, 2))
        return _show(style.synthesize(interpolate_styles(ws[0], ws[1], int(steps))), ncols=int(steps))

    def sweep(seed, count, label):
        ws = style.mapping(style.latents(int(count), int(seed)), labels_for(label, count))
        grid, ncols = truncation_sweep(style.synthesize, ws, style.w_avg, cutoff=style.truncation_cutoff)
        return _show(grid, ncols=ncols)

    label_choices = list(range(style.num_classes)) if style.conditional else [0]
    with gr.Blocks(title="keras-gen StyleGAN2") as demo:
        gr.Markdown(
            f"# StyleGAN2 explorer\nz {style.z_dim}, w {style.w_dim}, {style.num_ws} style rows (row 0 styles 4x4); "
            f"images {style.image_shape}; "
            f"{'class-conditional, ' + str(style.num_classes) + ' classes' if style.conditional else 'unconditional'}.")
        with gr.Tab("Sample"):
            count = gr.Slider(1, 64, value=16, step=1, label="images")
            seed = seed_input()
            truncation = gr.Slider(0.0, 1.0, value=1.0, step=0.05, label="truncation psi (1: none, 0: the average w)")
            label = gr.Dropdown(label_choices, value=0, label="class", visible=style.conditional)
            grid = gr.Image(label="samples", format="png")
            gr.Button("Sample").click(sample, [count, seed, truncation, label], grid, api_name="sample")
        with gr.Tab("Style mixing"):
            gr.Markdown("Rows take the coarse styles (w rows before the crossover) from A, columns the fine ones "
                        "from B. The top row shows B, the first column A.")
            with gr.Row():
                row_seeds = gr.Textbox(value="1,2,3", label="A seeds (rows)")
                column_seeds = gr.Textbox(value="4,5,6,7", label="B seeds (columns)")
            crossover = gr.Slider(0, style.num_ws, value=style.num_ws // 2, step=1, label="crossover row")
            mix_label = gr.Dropdown(label_choices, value=0, label="class", visible=style.conditional)
            mix_grid = gr.Image(label="style mixing", format="png")
            gr.Button("Mix").click(mixing, [row_seeds, column_seeds, crossover, mix_label], mix_grid, api_name="mix")
        with gr.Tab("Interpolation in W"):
            with gr.Row():
                seed_a = seed_input("start seed", 1)
                seed_b = seed_input("end seed", 2)
            steps = gr.Slider(3, 16, value=8, step=1, label="steps")
            path_label = gr.Dropdown(label_choices, value=0, label="class", visible=style.conditional)
            path_grid = gr.Image(label="interpolation", format="png")
            gr.Button("Interpolate").click(interpolation, [seed_a, seed_b, steps, path_label], path_grid,
                                           api_name="interpolate")
        with gr.Tab("Truncation sweep"):
            sweep_seed = seed_input()
            sweep_count = gr.Slider(1, 8, value=4, step=1, label="latents (rows)")
            sweep_label = gr.Dropdown(label_choices, value=0, label="class", visible=style.conditional)
            sweep_grid = gr.Image(label="psi = 0, 0.25, 0.5, 0.75, 1", format="png")
            gr.Button("Sweep").click(sweep, [sweep_seed, sweep_count, sweep_label], sweep_grid, api_name="truncation")
    return demo


if __name__ == "__main__":
    serve(build_app)
