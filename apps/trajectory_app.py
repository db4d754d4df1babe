"""Gradio app for a trained trajectory model (Social GAN): pick a test scene, see K predicted futures.

    keras-gen app --model_dir=runs/social_gan     # or: python -m keras_gen_apps.trajectory_app --path=<model dir or export>

The scenes are the test windows of the run's dataset (an export, which records no dataset: the simulated crowds).
"""

import gradio as gr

from keras_gen_apps.common import is_export, seed_input, serve
from keras_gen.data import trajectories
from keras_gen.export.social_gan import SocialGANEndpoints
from keras_gen.utils.trajectory_plot import render_scene

MAX_SCENES = 40  # test windows offered in the scene list
MAX_K = 20


def load_scenes(path):
    """The test windows of the run's dataset (`crowds_sim` for an export)."""
    if is_export(path):
        return trajectories.load_windows("crowds_sim", "test")
    from keras_gen.families import get_family
    from keras_gen.training.config import TrainConfig, config_path

    config = TrainConfig.from_json(config_path(path))
    options = get_family(config.model).resolve_options(config)
    return trajectories.load_windows(config.dataset, "test", config.data_dir, options.test_scene)


def load_endpoints(path):
    """A model directory from `keras-gen train` or a SavedModel from `keras-gen export`, its test scenes attached
    as `.scenes`."""
    if is_export(path):
        endpoints = SocialGANEndpoints(export_dir=path)
    else:
        from keras_gen.training.runner import load_trained

        model, _ = load_trained(path)
        endpoints = SocialGANEndpoints(model=model)
    endpoints.scenes = load_scenes(path)
    return endpoints


def _show(scenes, index, samples):
    """The picture of scene `index` with `samples` (num_samples, pedestrians, pred_len, 2)."""
    return render_scene(scenes.observed[index], scenes.mask[index], samples, scenes.future[index],
                        title=f"{scenes.scenes[index]} #{index}: {len(samples)} futures")


def build_app(path):
    endpoints = load_endpoints(path)
    scenes = endpoints.scenes
    choices = [(f"{i}: {scenes.scenes[i]}, {int(scenes.mask[i].sum())} pedestrians", i)
               for i in range(min(MAX_SCENES, len(scenes)))]

    def predict(scene, k, seed):
        if scene is None:
            raise gr.Error("Pick a scene first.")
        index = int(scene)
        samples = endpoints.predict(scenes.observed[index:index + 1], scenes.mask[index:index + 1], int(k), int(seed))
        return _show(scenes, index, samples[0])

    with gr.Blocks(title="keras-gen trajectories") as demo:
        gr.Markdown(f"# Trajectory prediction\nObserved paths (thick, {endpoints.obs_len} steps), K predicted futures "
                    f"(thin, {endpoints.pred_len} steps at 2.5 fps) and the true future (dashed).")
        with gr.Tab("Predict"):
            scene = gr.Dropdown(choices, value=0, label="scene (test windows)")
            k = gr.Slider(1, MAX_K, value=MAX_K, step=1, label="K futures")
            seed = seed_input()
            picture = gr.Image(label="observed and predicted paths", format="png")
            gr.Button("Predict").click(predict, [scene, k, seed], picture, api_name="predict")
    return demo


if __name__ == "__main__":
    serve(build_app)
