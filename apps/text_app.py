"""Gradio app for a trained text-to-image model: a caption and a count -> images.

    keras-gen app --model_dir=runs/text2image     # or: python -m keras_gen_apps.text_app --path=<model dir or export>
"""

import gradio as gr

from keras_gen_apps.common import is_export, preview, seed_input, serve
from keras_gen.export.text_to_image import TextToImageEndpoints

PREVIEW_SCALE = 4


def load_endpoints(path):
    """A model directory from `keras-gen train` or a SavedModel from `keras-gen export`."""
    if is_export(path):
        return TextToImageEndpoints(export_dir=path)
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(path)
    return TextToImageEndpoints(model=model)


def _show(images, ncols=None):
    return preview(images, ncols=ncols, scale=PREVIEW_SCALE)


def build_app(path):
    endpoints = load_endpoints(path)

    def generate(text, count, seed):
        try:
            images = endpoints.generate([str(text)] * int(count), int(seed))
        except ValueError as error:
            raise gr.Error(str(error)) from None
        return _show(images)

    examples = endpoints.example_captions or ["a thick, slanted seven"]
    with gr.Blocks(title="keras-gen text to image") as demo:
        gr.Markdown(f"# Text to image\nImages {endpoints.image_shape}; captions of at most {endpoints.max_words} "
                    f"words (unknown words count as one unknown token).")
        with gr.Tab("Generate"):
            text = gr.Textbox(value=examples[0], label="caption")
            count = gr.Slider(1, 64, value=8, step=1, label="images")
            seed = seed_input()
            grid = gr.Image(label="images", format="png")
            gr.Examples([[caption] for caption in examples], inputs=[text])
            gr.Button("Generate").click(generate, [text, count, seed], grid, api_name="generate")
    return demo


if __name__ == "__main__":
    serve(build_app)
