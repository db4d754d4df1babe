"""Gradio app for a trained video GAN: clips as an animated GIF and a frame strip.

    keras-gen app --model_dir=runs/video_gan      # or: python -m keras_gen_apps.video_app --path=<model dir or export>
"""

import os
import tempfile

import gradio as gr
import numpy as np

from keras_gen_apps.common import is_export, seed_input, serve
from keras_gen.export.video import VideoEndpoints
from keras_gen.utils.video import frame_strip, save_gif

PREVIEW_SCALE = 4


def load_endpoints(path):
    """A model directory from `keras-gen train` or a SavedModel from `keras-gen export`."""
    if is_export(path):
        return VideoEndpoints(export_dir=path)
    from keras_gen.training.runner import load_trained

    model, _ = load_trained(path)
    return VideoEndpoints(model=model)


def _show(clips):
    """The frame strip the app shows: one row per clip, one column per frame, enlarged."""
    strip = frame_strip(clips)
    strip = strip[..., 0] if strip.shape[-1] == 1 else strip
    return strip.repeat(PREVIEW_SCALE, 0).repeat(PREVIEW_SCALE, 1)


def build_app(path):
    video = load_endpoints(path)
    gif_dir = tempfile.mkdtemp(prefix="keras_gen_video_")

    def sample(count, seed, label):
        labels = np.full(int(count), int(label)) if video.conditional else None
        clips = video.sample(int(count), int(seed), labels=labels)
        gif = save_gif(clips, os.path.join(gif_dir, f"clips_{int(count)}_{int(seed)}_{int(label)}.gif"), scale=PREVIEW_SCALE)
        return gif, _show(clips)

    with gr.Blocks(title="keras-gen video") as demo:
        gr.Markdown(f"# Video GAN\nClips {video.clip_shape} (frames, height, width, channels); content code "
                    f"{video.content_dim}, motion noise {video.motion_dim} per transition; "
                    f"{'class-conditional, ' + str(video.num_classes) + ' classes' if video.conditional else 'unconditional'}.")
        with gr.Tab("Sample"):
            count = gr.Slider(1, 16, value=4, step=1, label="clips")
            seed = seed_input()
            label = gr.Dropdown(list(range(video.num_classes or 1)), value=0, label="class", visible=video.conditional)
            gif = gr.Image(label="clips (animated GIF)", type="filepath")
            strip = gr.Image(label="frame strip (one row per clip)", format="png")
            gr.Button("Sample").click(sample, [count, seed, label], [gif, strip], api_name="sample")
    return demo


if __name__ == "__main__":
    serve(build_app)
