"""Gradio app for image-conditioned models: upload or draw an image (pix2pix, SRGAN, CycleGAN both ways), or
paint a label map (SPADE), and see the translation.

    keras-gen app --model_dir=runs/pix2pix        # or: python -m keras_gen_apps.translation_app --path=saved_models/spade

Inputs of another size are resized to the model's input size (the app shows the resized input); nothing is
cropped.
"""


import gradio as gr
import numpy as np

from keras_gen.export.translation import TranslationEndpoints
from keras_gen_apps.common import is_export, preview, seed_input, serve
from keras_gen_apps.common import picture as picture_value
from keras_gen.utils.images import prepare_image

PREVIEW_SIZE = 256  # pixels on screen for every image shown


def load_endpoints(path):
    """A model directory from `keras-gen train` or a SavedModel from `keras-gen export`."""
    if is_export(path):
        return TranslationEndpoints(export_dir=path)
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(path)
    return TranslationEndpoints(model=model)


def _show(image):
    """(H, W, C) in [0, 1] -> a uint8 picture enlarged (nearest) to about PREVIEW_SIZE pixels."""
    return preview(np.asarray(image)[None], padding=0, size=PREVIEW_SIZE)


def palette(num_classes):
    """Class k painted as grey level k / (num_classes - 1): black is class 0 (background)."""
    levels = np.rint(np.linspace(0, 255, num_classes)).astype(int)
    return [f"#{v:02x}{v:02x}{v:02x}" for v in levels]


def label_map_from_picture(picture, shape, num_classes):
    """A painted picture -> (H, W) class ids: each pixel's grey level to the nearest palette level
    (nearest-neighbour resize: class ids never blend)."""
    from PIL import Image

    array = np.asarray(picture)
    if array.dtype != np.uint8:
        array = np.clip(array * (255.0 if array.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
    if array.ndim == 3 and array.shape[-1] == 4:
        array = array[..., :3]
    grey = Image.fromarray(array.squeeze(-1) if array.ndim == 3 and array.shape[-1] == 1 else array).convert("L")
    grey = np.asarray(grey.resize((shape[1], shape[0]), Image.NEAREST), np.float32)
    return np.rint(grey / 255.0 * (num_classes - 1)).astype(np.int32)


def build_app(path):
    endpoints = load_endpoints(path)
    title = f"keras-gen {endpoints.family or 'translation'}"

    with gr.Blocks(title=title) as demo:
        gr.Markdown(
            f"# {endpoints.family or 'Image translation'}\nInput {endpoints.source} "
            f"{endpoints.source_shape} -> output {endpoints.target_shape}. Inputs of another size are resized."
        )
        if endpoints.source == "image":
            _image_tab(endpoints)
        else:
            _label_map_tab(endpoints)
    return demo


def _image_tab(endpoints):
    def run(picture, direction):
        image = prepare_image(picture_value(picture), endpoints.source_shape)
        output = endpoints.translate(image[None], direction)[0]
        return _show(image), _show(output)

    with gr.Row():
        upload = gr.Image(label="upload an image", type="numpy", image_mode="RGB")
        sketch = gr.Sketchpad(label="or draw one (dark strokes on white are inverted to digit style)",
                              type="numpy", image_mode="RGB")
    direction = gr.Radio(list(endpoints.directions) or ["a2b"], value="a2b", label="direction (CycleGAN: A->B or B->A)",
                         visible=bool(endpoints.directions))
    with gr.Row():
        seen = gr.Image(label="input as the model sees it", format="png")
        output = gr.Image(label="translated", format="png")
    gr.Button("Translate upload").click(run, [upload, direction], [seen, output], api_name="translate")
    gr.Button("Translate drawing").click(run, [sketch, direction], [seen, output], api_name="translate_drawing")


def _label_map_tab(endpoints):
    classes = endpoints.num_label_classes
    colours = palette(classes)
    height, width = endpoints.source_shape[:2]

    def run(painted, seed, style):
        label_map = label_map_from_picture(picture_value(painted, "a label map"), (height, width), classes)
        style_images = None
        if style is not None and endpoints.has_style_encoder:
            style_images = prepare_image(np.asarray(style), endpoints.target_shape)[None]
        output = endpoints.translate_label_map(label_map[None], seed=int(seed), style_images=style_images)[0]
        shown = (label_map / max(classes - 1, 1)).astype(np.float32)[..., None]
        return _show(shown), _show(output)

    gr.Markdown(
        f"Paint with the {classes} grey levels: class k is grey k/{classes - 1} "
        "(black = background; for the digit maps: dark grey = stroke rim, white = stroke core)."
    )
    blank = np.zeros((PREVIEW_SIZE, PREVIEW_SIZE * width // height, 3), np.uint8)
    with gr.Row():
        painter = gr.ImageEditor(
            value={"background": blank, "layers": [], "composite": None}, type="numpy", image_mode="RGB",
            brush=gr.Brush(colors=colours, default_color=colours[-1], color_mode="fixed"),
            canvas_size=(blank.shape[1], blank.shape[0]), label="label map",
        )
        with gr.Column():
            seed = seed_input("style seed (z ~ N(0, I))")
            style = gr.Image(label="or a style image (needs the style encoder)", type="numpy", image_mode="RGB",
                             visible=endpoints.has_style_encoder)
    with gr.Row():
        seen = gr.Image(label="label map as the model sees it", format="png")
        output = gr.Image(label="generated", format="png")
    gr.Button("Generate").click(run, [painter, seed, style], [seen, output], api_name="generate")


if __name__ == "__main__":
    serve(build_app)
